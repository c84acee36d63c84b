//! Nothing a client sends grows Redis or memory without a bound (docs/REFERENCE.md section 5): the schedule
//! holds at most `redis.max_scheduled` jobs and a scheduled record lives until 7 days after its
//! joinAt; the dead-letter, results and failures lists keep their newest entries; no delivery count
//! outlives its delivery; without Redis, a job waiting for its joinAt is never pushed out by newer
//! records.

mod support;

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use serde_json::json;
use support::*;

/// The job `id`, due in `secs` seconds.
fn due_job(id: &str, secs: i64) -> serde_json::Value {
    let due = Utc::now() + chrono::Duration::seconds(secs);
    let mut job = script_job_value(id, "call_ms=10");
    job["joinAt"] = json!(due.to_rfc3339_opts(SecondsFormat::Millis, true));
    job
}

const DAY: i64 = 24 * 3600;

#[test]
fn the_schedule_is_bounded_and_its_records_live_until_a_week_after_their_time() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "[redis]\nmax_scheduled = 2");
    redis.push(&due_job("sched-1", 10 * DAY).to_string());
    redis.push(&due_job("sched-2", 60).to_string());
    redis.push(&due_job("sched-3", 60).to_string());
    wait_until(Duration::from_secs(10), "the third job dead-lettered", || redis.llen(DEAD) == 1);
    let entry = &redis.dead()[0];
    assert_eq!(entry["reason"], "invalid_message", "{entry}");
    assert_eq!(entry["error"], "schedule_full", "{entry}");
    assert!(entry["message"].as_str().is_some_and(|m| m.contains("sched-3")), "{entry}");
    let response = worker.post("/v1/jobs", &due_job("sched-rest", 60));
    assert_eq!(response.status, 409, "{response:?}");
    assert!(response.body.contains("schedule_full"), "{response:?}");

    let ttl: i64 = redis.query(redis::cmd("TTL").arg(job_key("sched-1")));
    assert!(ttl > 16 * DAY && ttl <= 17 * DAY, "a job due in 10 days lives 17 days: TTL {ttl}");
    let ttl: i64 = redis.query(redis::cmd("TTL").arg(job_key("sched-2")));
    assert!(ttl > 6 * DAY && ttl <= 7 * DAY + 60, "TTL {ttl}");

    // Cancelled by id (through the index, without reading the schedule), then the room is free.
    let response = worker.delete("/v1/jobs/sched-1");
    assert_eq!(response.status, 202, "{response:?}");
    assert_ended(&redis.job("sched-1"), "completed", "cancelled");
    let left: i64 = redis.query(redis::cmd("ZCARD").arg(SCHEDULED));
    assert_eq!(left, 1);
    let index: i64 = redis.query(redis::cmd("HLEN").arg("meetbot:scheduled:index"));
    assert_eq!(index, 1, "the index follows the schedule");
    let response = worker.post("/v1/jobs", &due_job("sched-rest", 60));
    assert_eq!(response.status, 202, "{response:?}");
    assert_eq!(redis.llen(DEAD), 1, "a refused REST job never lands in the dead-letter list");
}

#[test]
fn dead_letters_results_and_failures_keep_only_their_newest_entries() {
    let redis = RedisServer::start();
    let _worker = Worker::start(&redis, "[redis]\ndead_letter_max_len = 3\n[notify]\nredis_list_max_len = 2");
    for i in 0..10 {
        redis.push(&format!("not json {i}"));
    }
    for i in 0..4 {
        redis.push(&script_job(&format!("ok-{i}"), "call_ms=5"));
        redis.push(&script_job(&format!("no-{i}"), "outcome=denied_admission"));
    }
    wait_for_end(&redis, "no-3", Duration::from_secs(20));
    wait_until(Duration::from_secs(10), "the last results", || {
        redis.results().iter().any(|r| r["recordingId"] == "ok-3")
    });
    let dead: Vec<String> = redis.dead().iter().map(|e| e["message"].as_str().unwrap_or_default().to_owned()).collect();
    assert_eq!(dead, vec!["not json 7", "not json 8", "not json 9"], "the newest three dead letters");
    let results: Vec<_> = redis.results().iter().map(|r| r["recordingId"].clone()).collect();
    assert_eq!(results, vec![json!("ok-2"), json!("ok-3")]);
    let failures: Vec<_> = redis.failures().iter().map(|r| r["recordingId"].clone()).collect();
    assert_eq!(failures, vec![json!("no-2"), json!("no-3")]);
}

#[test]
fn no_delivery_count_outlives_its_delivery() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "[worker]\nmax_concurrent_jobs = 2");
    redis.push(&script_job("count-ok", "call_ms=5"));
    redis.push(&script_job("count-denied", "outcome=denied_admission"));
    redis.push("{\"not\": \"a job\"}");
    redis.push(&due_job("count-later", 1).to_string());
    let running = script_job("count-dup", "");
    redis.push(&running);
    wait_for_state(&redis, "count-dup", "in_call", Duration::from_secs(10));
    redis.push(&script_job("count-dup", "call_ms=1"));
    for id in ["count-ok", "count-denied", "count-later"] {
        wait_for_end(&redis, id, Duration::from_secs(15));
    }
    let response = worker.delete("/v1/jobs/count-dup");
    assert_eq!(response.status, 202, "{response:?}");
    wait_for_end(&redis, "count-dup", Duration::from_secs(10));
    wait_until(Duration::from_secs(5), "every delivery count forgotten", || {
        redis.query::<i64>(redis::cmd("HLEN").arg("meetbot:attempts")) == 0
    });
}

#[test]
fn without_redis_a_scheduled_job_outlives_any_number_of_newer_records() {
    let worker = Worker::start_with_url("redis://127.0.0.1:1", "[redis]\nenabled = false");
    let response = worker.post("/v1/jobs", &due_job("waits-long", 3600));
    assert_eq!(response.status, 202, "{response:?}");
    for i in 0..520 {
        let response = worker.post("/v1/jobs", &script_job_value(&format!("quick-{i}"), "call_ms=0"));
        if response.status == 409 {
            // The one slot is still busy with the previous job.
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        assert_eq!(response.status, 202, "{response:?}");
    }
    wait_until(Duration::from_secs(20), "the quick jobs ended", || worker.busy() == 0);
    let response = worker.get("/v1/jobs/waits-long");
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.json()["state"], "scheduled");
    let response = worker.delete("/v1/jobs/waits-long");
    assert_eq!(response.status, 202, "{response:?}");
    assert_eq!(worker.get("/v1/jobs/waits-long").json()["reason"], "cancelled");
}
