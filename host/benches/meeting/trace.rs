//! The join path of one job, step by step, from the worker's own log: the host's `join step: ...`
//! lines (target `meetbot::join`: message taken, claim written, browser process spawned, DevTools
//! up, CDP connected, permissions granted, target found, plugin run called), the kit's (through
//! the plugin's debug log: session started, page attached, navigation started), the first signal
//! the session recognized (the kit's `<phase>: saw <signal>` line) and the plugin's timeline
//! events up to the join click (`platform event` lines). Each step is timed from the message
//! being taken, with the JSON lines' own timestamps (the worker's clock, the one the bench and the
//! fake pages use too).

use std::collections::BTreeMap;

use crate::stats::median;
use crate::worker::Worker;

/// The timeline events of the join path, as the plugins report them.
const JOIN_EVENTS: [&str; 5] = ["navigated", "dialog_dismissed", "name_typed", "camera_off", "join_clicked"];

/// One job's join path: (step, ms since the message was taken), in the order logged.
pub type Trace = Vec<(String, f64)>;

/// The join path of `job_id` as the worker logged it at or after `after_ms` (ms since the epoch),
/// up to the join click; empty when the worker did not log the message being taken.
pub fn join_trace(worker: &Worker, job_id: &str, after_ms: f64) -> Trace {
    let mut steps: Vec<(String, f64)> = Vec::new();
    let mut saw_signal = false;
    for line in worker.log().lines().filter(|line| line.starts_with('{')) {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let text = |pointer: &str| entry.pointer(pointer).and_then(|v| v.as_str());
        if text("/span/job_id").or_else(|| text("/job_id")) != Some(job_id) {
            continue;
        }
        let Some(at) = text("/timestamp").and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) else { continue };
        let at = at.timestamp_micros() as f64 / 1000.0;
        if at < after_ms {
            continue;
        }
        let message = text("/message").unwrap_or_default();
        let step = if let Some(step) = message.strip_prefix("join step: ") {
            step.to_owned()
        } else if message.contains(": saw ") && !saw_signal {
            saw_signal = true;
            format!("first signal recognized ({})", message.split(" (").next().unwrap_or(message))
        } else if message == "platform event" && text("/event").is_some_and(|e| JOIN_EVENTS.contains(&e)) {
            format!("event {}", text("/event").unwrap_or_default())
        } else {
            continue;
        };
        let done = step == "event join_clicked";
        if !steps.iter().any(|(seen, _)| *seen == step) {
            steps.push((step, at));
        }
        if done {
            break;
        }
    }
    let Some(taken) = steps.iter().find(|(step, _)| step == "message taken").map(|(_, at)| *at) else {
        return Trace::new();
    };
    steps.into_iter().map(|(step, at)| (step, at - taken)).collect()
}

/// Prints the median time of each step over `traces`, in the order of the first trace, with the
/// gap from the step before.
pub fn print_traces(traces: &[Trace]) {
    let mut order: Vec<&str> = Vec::new();
    let mut times: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for trace in traces {
        for (step, ms) in trace {
            if !order.contains(&step.as_str()) {
                order.push(step);
            }
            times.entry(step).or_default().push(*ms);
        }
    }
    let mut previous = 0.0;
    for step in order {
        let at = median(&times[step]);
        println!("    {step:<58} {at:>7.0} ms  (+{:>4.0}, n={})", at - previous, times[step].len());
        previous = at;
    }
}
