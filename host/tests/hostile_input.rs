//! Hostile job fields (docs/REFERENCE.md section 3): ids that could name files, `autoLeave` values that
//! could overflow the clock, secrets of the wrong type. Each is refused at parse time, on both
//! intakes, with the contract's words, and nothing of it reaches a path, a log or an error.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::*;

/// Ids a client may not use as job ids, each for its own reason.
fn bad_ids() -> Vec<String> {
    vec![
        "..".to_owned(),
        "/srv/x".to_owned(),
        "a'b\nc".to_owned(),
        "x".repeat(300),
        "a\0b".to_owned(),
        ".hidden".to_owned(),
    ]
}

#[test]
fn an_id_that_could_name_a_file_is_dead_lettered_as_bad_job_id_and_nothing_is_written() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    let ids = bad_ids();
    for id in &ids {
        let mut job = script_job_value("placeholder", "call_ms=10");
        job["botId"] = json!(id);
        redis.push(&job.to_string());
    }
    let mut by_event = script_job_value("placeholder", "call_ms=10");
    by_event.as_object_mut().expect("object").remove("botId");
    by_event["eventId"] = json!("../../etc/passwd");
    redis.push(&by_event.to_string());
    redis.push(&script_job("after-the-bad-ids", "call_ms=10"));

    let record = wait_for_end(&redis, "after-the-bad-ids", Duration::from_secs(15));
    assert_ended(&record, "completed", "left_normally");
    let dead = redis.dead();
    assert_eq!(dead.len(), ids.len() + 1, "{dead:#?}");
    for entry in &dead {
        assert_eq!(entry["reason"], "invalid_message", "{entry}");
        assert_eq!(entry["error"], "bad_job_id", "{entry}");
    }
    let keys = redis.keys();
    assert!(keys.iter().all(|key| !key.contains("..") && !key.contains("/srv")), "keys: {keys:?}");
    let spool = worker.dir().join("spool");
    let written: Vec<_> = walk(&spool);
    assert!(written.iter().all(|path| !path.contains("srv") && !path.contains("..")), "{written:?}");
}

#[test]
fn rest_refuses_a_bad_job_id_with_400_naming_bad_job_id() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    for id in bad_ids() {
        let mut job = script_job_value("placeholder", "call_ms=10");
        job["botId"] = json!(id);
        let response = worker.post("/v1/jobs", &job);
        assert_eq!(response.status, 400, "botId {id:?}: {response:?}");
        let body = response.json();
        assert_eq!(body["success"], false, "{body}");
        assert!(body["error"].as_str().is_some_and(|e| e.contains("bad_job_id")), "{body}");
        let mut compat = job.clone();
        compat.as_object_mut().expect("object").remove("provider");
        let response = worker.post("/google/join", &compat);
        assert_eq!(response.status, 400, "compat botId {id:?}: {response:?}");
    }
    let response = worker.get("/v1/jobs/..");
    assert_ne!(response.status, 200, "{response:?}");
}

#[test]
fn auto_leave_values_beyond_a_day_are_refused_naming_the_key() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    let overflowing: Value = json!(18_446_744_073_709_551_615u64);
    for (key, value) in [
        ("waiting_room_timeout_secs", overflowing.clone()),
        ("max_duration_secs", json!(0)),
        ("silence_timeout_secs", json!(86_401)),
    ] {
        let mut job = script_job_value(&format!("al-{key}"), "lobby_ms=forever");
        job["autoLeave"] = json!({ key: value });
        redis.push(&job.to_string());
        let response = worker.post("/v1/jobs", &job);
        assert_eq!(response.status, 400, "{key}: {response:?}");
        assert!(response.json()["error"].as_str().is_some_and(|e| e.contains(key)), "{key}: {response:?}");
    }
    wait_until(Duration::from_secs(10), "three dead letters", || redis.llen(DEAD) == 3);
    for entry in redis.dead() {
        assert_eq!(entry["reason"], "invalid_message", "{entry}");
        let error = entry["error"].as_str().unwrap_or_default();
        assert!(error.contains("autoLeave."), "the detail names the key: {entry}");
    }
    // The worker is intact: a job with bounds in range runs and ends by its bound.
    let mut job = script_job_value("al-in-range", "lobby_ms=forever");
    job["autoLeave"] = json!({"waiting_room_timeout_secs": 1});
    redis.push(&job.to_string());
    let record = wait_for_end(&redis, "al-in-range", Duration::from_secs(15));
    assert_ended(&record, "failed", "waiting_room_timeout");
}

#[test]
fn a_bearer_token_of_the_wrong_type_is_never_echoed() {
    let redis = RedisServer::start();
    let mut worker = Worker::start(&redis, "");
    let mut job = script_job_value("typed-token", "call_ms=10");
    job["bearerToken"] = json!({"token": "tok-NEVER-ECHOED"});
    let response = worker.post("/v1/jobs", &job);
    assert_eq!(response.status, 400, "{response:?}");
    assert!(!response.body.contains("tok-NEVER-ECHOED"), "{response:?}");
    assert!(response.body.contains("bearerToken"), "the field is named: {response:?}");
    job["bearerToken"] = json!(["tok-NEVER-ECHOED"]);
    redis.push(&job.to_string());
    wait_until(Duration::from_secs(10), "the dead letter", || redis.llen(DEAD) == 1);
    let entry = &redis.dead()[0];
    assert!(!entry["error"].as_str().unwrap_or_default().contains("tok-NEVER-ECHOED"), "{entry}");
    worker.sigterm();
    worker.wait_exit(Duration::from_secs(15));
    assert!(!worker.log().contains("tok-NEVER-ECHOED"), "the log holds the token");
}

/// Every path under `dir`, as text.
fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            found.push(entry.path().display().to_string());
            found.extend(walk(&entry.path()));
        }
    }
    found
}
