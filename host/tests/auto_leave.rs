//! How jobs end (docs/REFERENCE.md sections 2 and 3): the auto-leave rules from `[auto_leave]` and a job's
//! own `autoLeave` overrides make the bot leave with their reason, and a reason the plugin reports
//! (the host ended the call, the meeting does not exist) is the job's reason, in the record and in
//! the client's results or failures list.

mod support;

use std::time::Duration;

use serde_json::json;
use support::*;

fn job_with_auto_leave(id: &str, query: &str, auto_leave: serde_json::Value) -> String {
    let mut job = script_job_value(id, query);
    job["autoLeave"] = auto_leave;
    job.to_string()
}

#[test]
fn auto_leave_rules_and_per_job_overrides_end_jobs() {
    let redis = RedisServer::start();
    let _worker = Worker::start(&redis, "[worker]\nmax_concurrent_jobs = 4\n[auto_leave]\nmax_duration_secs = 2");
    redis.push(&job_with_auto_leave("max-duration", "", json!({"max_duration_secs": 1})));
    redis.push(&job_with_auto_leave("lobby-timeout", "lobby_ms=forever", json!({"waiting_room_timeout_secs": 1})));
    redis.push(&job_with_auto_leave("alone", "participants=1", json!({"no_one_joined_timeout_secs": 1})));
    redis.push(&script_job("config-limit", ""));

    let record = wait_for_end(&redis, "max-duration", Duration::from_secs(10));
    assert_ended(&record, "completed", "max_duration");
    let in_call = time(&record, "ended_at") - time(&record, "joined_at");
    assert!(
        in_call >= chrono::Duration::milliseconds(900) && in_call < chrono::Duration::seconds(2),
        "the job's own limit (1 s), not the config's (2 s): {in_call}"
    );

    let record = wait_for_end(&redis, "lobby-timeout", Duration::from_secs(10));
    assert_ended(&record, "failed", "waiting_room_timeout");
    assert!(!record.contains_key("joined_at"), "never admitted: {record:?}");

    assert_ended(&wait_for_end(&redis, "alone", Duration::from_secs(10)), "completed", "no_one_joined");

    let record = wait_for_end(&redis, "config-limit", Duration::from_secs(10));
    assert_ended(&record, "completed", "max_duration");
    let in_call = time(&record, "ended_at") - time(&record, "joined_at");
    assert!(in_call >= chrono::Duration::milliseconds(1900), "the config's limit (2 s): {in_call}");

    let failures = redis.failures();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["recordingId"], "lobby-timeout");
    assert_eq!(failures[0]["error"]["type"], "waiting_room_timeout");
    assert_eq!(redis.results().len(), 3);
}

#[test]
fn the_plugins_reason_is_the_jobs_reason() {
    let redis = RedisServer::start();
    let _worker = Worker::start(&redis, "[worker]\nmax_concurrent_jobs = 3");
    redis.push(&script_job("host-ended", "call_ms=50&end=ended_by_host"));
    redis.push(&script_job("not-found", "join_ms=50&outcome=meeting_not_found"));
    redis.push(&script_job("weird", "call_ms=10&end=no_such_reason"));

    let record = wait_for_end(&redis, "host-ended", Duration::from_secs(10));
    assert_ended(&record, "completed", "ended_by_host");
    let record = wait_for_end(&redis, "not-found", Duration::from_secs(10));
    assert_ended(&record, "failed", "meeting_not_found");
    let record = wait_for_end(&redis, "weird", Duration::from_secs(10));
    assert_ended(&record, "failed", "internal_error");

    let results = redis.results();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["recordingId"], "host-ended");
    assert_eq!(results[0]["status"], "completed");
    assert_eq!(results[0]["meetingLink"], "https://script.test/host-ended?call_ms=50&end=ended_by_host");
    assert_eq!(results[0]["metadata"]["botId"], "host-ended");
    assert_eq!(results[0]["metadata"]["teamId"], "team-1");
    assert_eq!(results[0]["metadata"]["userId"], "user-1");
    assert_eq!(results[0]["metadata"]["provider"], "script");
    let mut failed: Vec<(String, String)> = redis
        .failures()
        .iter()
        .map(|f| {
            assert_eq!(f["status"], "failed", "{f}");
            (
                f["recordingId"].as_str().unwrap_or_default().to_owned(),
                f["error"]["type"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    failed.sort();
    assert_eq!(
        failed,
        vec![
            ("not-found".to_owned(), "meeting_not_found".to_owned()),
            ("weird".to_owned(), "internal_error".to_owned())
        ]
    );
}
