//! `meetbot status` for people: one screen, times as RFC 3339 and ages in seconds.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::{DEAD_READ, FleetStatus, MAX_JOBS};
use crate::job::record::timestamp;

/// The status as text.
pub fn human(status: &FleetStatus) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "redis time  {}", at(status.now_ms));
    let queue = &status.queue;
    let oldest = match (queue.depth, queue.oldest_wait_secs) {
        (0, _) => String::new(),
        (_, Some(secs)) => format!(", oldest waiting {secs:.0} s"),
        (_, None) => ", oldest waiting: not timed yet (no worker has seen this head)".to_owned(),
    };
    let _ = writeln!(out, "queue       {} waiting{oldest}", queue.depth);
    let scheduled = &status.scheduled;
    let next = scheduled
        .next
        .as_ref()
        .map_or(String::new(), |next| format!(", next due {} ({})", at(next.due_ms), next.job_id));
    let _ = writeln!(out, "scheduled   {}{next}", scheduled.count);
    let dead = &status.dead_letters;
    let reasons: Vec<String> = dead.by_reason.iter().map(|(reason, n)| format!("{reason} {n}")).collect();
    let _ = write!(out, "dead        {}", dead.depth);
    if dead.read > 0 {
        let scope = if dead.depth > DEAD_READ as u64 { format!(" (newest {})", dead.read) } else { String::new() };
        let _ = write!(out, "; by reason{scope}: {}", reasons.join(", "));
    }
    out.push('\n');
    let _ = writeln!(out, "workers     {} known, {} alive", status.workers_known, status.workers_alive);
    for worker in &status.workers {
        let life = if worker.alive { "alive" } else { "no heartbeat" };
        let pid = worker.pid.map_or(String::new(), |pid| format!("  pid {pid}"));
        let since = worker.started_at.as_deref().map_or(String::new(), |s| format!("  since {s}"));
        let _ = writeln!(out, "  {}  {life}{pid}{since}  {} job(s)", worker.id, worker.jobs_total);
        for job in &worker.jobs {
            let field = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
            let _ = writeln!(
                out,
                "    {}  {}  {}  attempt {}  started {}  ({})",
                job.job_id,
                field(&job.state),
                field(&job.provider),
                field(&job.attempt),
                field(&job.started_at),
                job.source
            );
        }
        if worker.jobs_total > worker.jobs.len() as u64 {
            let _ =
                writeln!(out, "    ... {} more (first {MAX_JOBS} shown)", worker.jobs_total - worker.jobs.len() as u64);
        }
    }
    if status.workers_known > status.workers.len() {
        let _ = writeln!(out, "  ... {} more workers", status.workers_known - status.workers.len());
    }
    out
}

/// Unix ms as a record timestamp.
fn at(ms: u64) -> String {
    DateTime::<Utc>::from_timestamp_millis(i64::try_from(ms).unwrap_or(i64::MAX))
        .map_or_else(|| ms.to_string(), timestamp)
}
