//! What a plugin reports is bounded where it enters the host (docs/REFERENCE.md section 8, the
//! bounds on what the host keeps): plugins pass on page text and page addresses, and a
//! meeting page is hostile. Long texts are cut before they reach the job's record, the failures
//! list, the event stream or the log; a plugin that reports without pause neither grows the
//! worker's memory nor keeps the job from being cancelled.

mod support;

use std::time::Duration;

use support::*;

/// Far more than any bound: three megabytes of padding.
const LONG: usize = 3_000_000;

/// The longest text the host keeps of one plugin text, with its "… (N more bytes cut)" note.
const KEPT: usize = 1024 + 40;

#[test]
fn long_texts_from_a_plugin_are_cut_before_the_record_the_lists_the_events_and_the_log() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "[worker]\nmax_concurrent_jobs = 2");
    redis.push(&script_job("long-outcome", &format!("outcome=meeting_not_found&long_text={LONG}")));
    redis.push(&script_job("long-end", &format!("call_ms=10&long_text={LONG}")));

    let record = wait_for_end(&redis, "long-outcome", Duration::from_secs(20));
    assert_ended(&record, "failed", "meeting_not_found");
    let detail = &record["detail"];
    assert!(detail.len() <= KEPT && detail.ends_with("more bytes cut)"), "{} bytes: {}", detail.len(), &detail[..200]);

    let record = wait_for_end(&redis, "long-end", Duration::from_secs(20));
    assert_ended(&record, "failed", "internal_error");
    let detail = &record["detail"];
    assert!(detail.starts_with("plugin ended with unknown reason `left_normallyxxx"), "{detail}");
    assert!(detail.len() <= 2 * KEPT, "the reason and the detail each cut: {} bytes", detail.len());

    for failure in redis.failures() {
        let message = failure["error"]["message"].as_str().unwrap_or_default();
        assert!(message.len() <= 2 * KEPT, "failures list entry of {} bytes", message.len());
    }
    for (job_id, _, event) in redis.event_stream() {
        assert!(event.to_string().len() <= 4 * KEPT, "an event of {job_id} is {} bytes", event.to_string().len());
    }
    let log = worker.log();
    assert!(log.contains("a long line: xxx"), "the plugin's long line is logged, cut");
    let longest = log.lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 4096 + 2000, "the longest log line is {longest} bytes");
}

#[test]
fn a_plugin_flooding_reports_keeps_the_worker_small_and_the_job_cancellable() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    // 300 000 events of 1000 bytes each (and as many participant counts): 300 MB if kept. Whether
    // some are dropped at the backlog depends on how fast this machine's runner drains them (the
    // unit tests of `plugins::context` prove the drop); the memory bound holds either way.
    redis.push(&script_job("flood", "flood=300000"));
    wait_for_state(&redis, "flood", "in_call", Duration::from_secs(20));

    let response = worker.delete("/v1/jobs/flood");
    assert_eq!(response.status, 202, "{response:?}");
    assert_ended(&wait_for_end(&redis, "flood", Duration::from_secs(30)), "completed", "cancelled");

    let status = std::fs::read_to_string(format!("/proc/{}/status", worker.pid())).expect("worker status");
    let peak_kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status");
    assert!(peak_kib < 150 * 1024, "the worker's peak RSS was {} MiB", peak_kib / 1024);
}
