//! The runs every worker process made, read from its JSON log (the scripted plugin logs `opening
//! <url>` when a session starts and `session over on <url>: <reason>` when it returns), and the
//! check that no job ran twice at the same time, except where the contract allows it: a worker
//! cut off from Redis past its heartbeat TTL (paused, or Redis restarted) may go on for up to that
//! TTL after it reaches Redis again.

use std::{collections::BTreeMap, fs, time::Duration};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::worker::Process;

/// One session of one job on one worker process.
#[derive(Debug, Clone)]
pub struct Run {
    pub job_id: String,
    pub process: usize,
    pub start: DateTime<Utc>,
    /// From the log; for a run cut short by kill -9, the moment of the kill.
    pub end: DateTime<Utc>,
}

/// Two runs of one job at the same time that no pause explains.
pub struct Overlap {
    pub first: Run,
    pub second: Run,
    pub why: String,
}

impl std::fmt::Display for Overlap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (a, b) = (&self.first, &self.second);
        write!(
            f,
            "{} ran on process #{} {}..{} and on process #{} {}..{}: {}",
            a.job_id, a.process, a.start, a.end, b.process, b.start, b.end, self.why
        )
    }
}

/// Every run in the logs of `processes` (indexes into it).
pub fn read_runs(processes: &[Process]) -> Vec<Run> {
    let mut runs = Vec::new();
    for (index, process) in processes.iter().enumerate() {
        let log = fs::read_to_string(&process.log).unwrap_or_default();
        let mut open: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
        for line in log.lines() {
            let Some((at, message)) = plugin_message(line) else { continue };
            if let Some(url) = message.strip_prefix("opening ") {
                open.insert(job_of(url), at);
            } else if let Some(rest) = message.strip_prefix("session over on ") {
                let url = rest.split_once(": ").map_or(rest, |(url, _)| url);
                if let Some(start) = open.remove(&job_of(url)) {
                    runs.push(Run { job_id: job_of(url), process: index, start, end: at });
                }
            }
        }
        let cut = process.ended_at.unwrap_or_else(Utc::now);
        runs.extend(open.into_iter().map(|(job_id, start)| Run { job_id, process: index, start, end: cut }));
    }
    runs
}

/// The runs of one job that overlap, unless the earlier one's process was cut off from Redis while
/// it ran and the run ended within `ttl` (plus `slack` for the log line itself) of reconnecting.
pub fn overlaps(runs: &[Run], processes: &[Process], ttl: Duration, slack: Duration) -> Vec<Overlap> {
    let mut by_job: BTreeMap<&str, Vec<&Run>> = BTreeMap::new();
    for run in runs {
        by_job.entry(&run.job_id).or_default().push(run);
    }
    let allowance = chrono::Duration::from_std(ttl + slack).expect("a small duration");
    let mut found = Vec::new();
    for runs in by_job.values_mut() {
        runs.sort_by_key(|run| run.start);
        for (i, first) in runs.iter().enumerate() {
            for second in &runs[i + 1..] {
                if first.end <= second.start {
                    continue;
                }
                let spans = &processes[first.process].cut_off;
                let cut_off = spans.iter().rev().find(|(from, to)| first.start <= *to && *from <= first.end);
                let why = match cut_off {
                    Some((_, to)) if first.end <= *to + allowance => continue,
                    Some((_, to)) => format!("ran on for {} after reaching redis again", first.end - *to),
                    None => "the first worker was never cut off from redis during that run".to_owned(),
                };
                found.push(Overlap { first: (*first).clone(), second: (*second).clone(), why });
            }
        }
    }
    found
}

/// The timestamp and message of a line the plugin logged.
fn plugin_message(line: &str) -> Option<(DateTime<Utc>, String)> {
    let value: Value = serde_json::from_str(line).ok()?;
    if value.get("target")?.as_str()? != "meetbot::plugin" {
        return None;
    }
    let at = DateTime::parse_from_rfc3339(value.get("timestamp")?.as_str()?).ok()?.with_timezone(&Utc);
    Some((at, value.get("message")?.as_str()?.to_owned()))
}

/// The job id the bench put in the link's path: `https://script.test/<job_id>?...`.
fn job_of(url: &str) -> String {
    let path = url.strip_prefix("https://script.test/").unwrap_or(url);
    path.split(['?', '#']).next().unwrap_or(path).to_owned()
}
