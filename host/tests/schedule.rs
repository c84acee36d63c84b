//! `joinAt` (docs/REFERENCE.md sections 3 and 5): a job due later is recorded `scheduled` at once, waits in
//! `P:scheduled`, does not start before its time, starts soon after it and completes; the schedule
//! lives in Redis, so it survives the worker that scheduled it. The same holds for a job POSTed
//! with a `joinAt`.

mod support;

use std::{thread, time::Duration};

use chrono::{SecondsFormat, Utc};
use serde_json::json;
use support::*;

/// The job `id`, due in `secs` seconds; returns the message and the due time.
fn due_job(id: &str, secs: i64) -> (String, chrono::DateTime<Utc>) {
    let due = Utc::now() + chrono::Duration::seconds(secs);
    let mut job = script_job_value(id, "call_ms=10");
    job["joinAt"] = json!(due.to_rfc3339_opts(SecondsFormat::Millis, true));
    (job.to_string(), due)
}

/// Polls until the job leaves `scheduled`; panics if that happens before `due` (50 ms slack).
fn watch_until_started(redis: &RedisServer, id: &str, due: chrono::DateTime<Utc>) {
    let slack = chrono::Duration::milliseconds(50);
    let deadline = due + chrono::Duration::seconds(5);
    loop {
        let record = redis.job(id);
        if record.get("state").map(String::as_str) != Some("scheduled") {
            let now = Utc::now();
            assert!(now >= due - slack, "left `scheduled` {} ms early: {record:?}", (due - now).num_milliseconds());
            return;
        }
        assert!(Utc::now() < deadline, "still scheduled 5 s after its time: {record:?}");
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_job_due_later_waits_for_its_time() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    let (message, due) = due_job("later", 3);
    redis.push(&message);

    let record = wait_for_state(&redis, "later", "scheduled", Duration::from_secs(2));
    assert!(Utc::now() < due - chrono::Duration::seconds(1), "scheduled at once, well before its time");
    assert_eq!(record["worker"], worker.id);
    assert!(!record.contains_key("started_at"), "not started: {record:?}");
    let scheduled: Vec<String> = redis.query(redis::cmd("ZRANGE").arg(SCHEDULED).arg(0).arg(-1));
    assert_eq!(scheduled, vec![message.clone()], "the message waits in the schedule");
    assert_eq!(redis.llen(QUEUE), 0);
    assert_eq!(redis.llen(&processing(&worker.id)), 0, "a scheduled message holds no slot");
    assert_eq!(worker.busy(), 0, "a scheduled job takes no slot");
    let via_api = worker.get("/v1/jobs/later");
    assert_eq!(via_api.status, 200, "{via_api:?}");
    assert_eq!(via_api.json()["state"], "scheduled");

    watch_until_started(&redis, "later", due);
    let record = wait_for_end(&redis, "later", Duration::from_secs(10));
    assert_ended(&record, "completed", "left_normally");
    let started = time(&record, "started_at");
    assert!(started >= due - chrono::Duration::milliseconds(50), "started_at {started} before joinAt {due}");
    assert!(started <= due + chrono::Duration::seconds(3), "started_at {started} long after joinAt {due}");
    assert_eq!(record["attempt"], "1");
    assert_eq!(redis.query::<i64>(redis::cmd("ZCARD").arg(SCHEDULED)), 0);
    assert_eq!(redis.results().len(), 1);
}

#[test]
fn the_schedule_survives_the_worker_that_made_it() {
    let redis = RedisServer::start();
    let mut first = Worker::start(&redis, "");
    let (message, due) = due_job("survivor", 3);
    redis.push(&message);
    wait_for_state(&redis, "survivor", "scheduled", Duration::from_secs(2));
    first.kill9();

    let second = Worker::start(&redis, "");
    watch_until_started(&redis, "survivor", due);
    let record = wait_for_end(&redis, "survivor", Duration::from_secs(10));
    assert_ended(&record, "completed", "left_normally");
    assert_eq!(record["worker"], second.id, "run by the live worker");
    assert!(time(&record, "started_at") >= due - chrono::Duration::milliseconds(50));
    assert_eq!(redis.results().len(), 1);
    assert!(redis.dead().is_empty(), "not taken for a duplicate of itself: {:?}", redis.dead());
}

#[test]
fn a_rest_job_due_later_waits_for_its_time() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    let due = Utc::now() + chrono::Duration::seconds(3);
    let mut job = script_job_value("rest-later", "call_ms=10");
    job["joinAt"] = json!(due.to_rfc3339_opts(SecondsFormat::Millis, true));
    let response = worker.post("/v1/jobs", &job);
    assert_eq!(response.status, 202, "{response:?}");
    let state = response.json()["state"].as_str().unwrap_or_default().to_owned();
    assert!(matches!(state.as_str(), "scheduled" | "queued"), "the first record says it waits: {}", response.body);
    watch_until_started(&redis, "rest-later", due);
    let record = wait_for_end(&redis, "rest-later", Duration::from_secs(10));
    assert_ended(&record, "completed", "left_normally");
    assert!(time(&record, "started_at") >= due - chrono::Duration::milliseconds(50), "{record:?}");
}
