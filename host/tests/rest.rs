//! The REST API (docs/REFERENCE.md section 4): `POST /v1/jobs` runs a job and answers 202 with its record,
//! `GET /v1/jobs/{id}` and `/isbusy` follow it, `DELETE` cancels it; the original service's 400
//! and 409 bodies are kept exactly; and REST requests racing queue messages for the last slot never
//! run two jobs at once nor lose a queue message.

mod support;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::Duration,
};

use serde_json::{Value, json};
use support::*;

const BUSY: &str = "Another meeting is currently being processed. Please try again later.";

#[test]
fn v1_jobs_runs_a_job_that_delete_cancels() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    assert_eq!(worker.busy(), 0, "idle worker");

    let response = worker.post("/v1/jobs", &script_job_value("rest-1", ""));
    assert_eq!(response.status, 202, "POST /v1/jobs: {response:?}");
    let body = response.json();
    assert_eq!(body["job_id"], "rest-1", "{body}");
    let state = body["state"].as_str().unwrap_or_else(|| panic!("no state in {body}"));
    assert!(!matches!(state, "completed" | "failed"), "a fresh job is not terminal: {body}");
    assert_eq!(body["provider"], "script", "{body}");
    assert!(!response.body.contains("tok-test"), "the bearer token is echoed: {}", response.body);

    wait_until(Duration::from_secs(10), "GET /v1/jobs/rest-1 says in_call", || {
        let response = worker.get("/v1/jobs/rest-1");
        response.status == 200 && response.json()["state"] == "in_call"
    });
    let record = worker.get("/v1/jobs/rest-1").json();
    for field in ["job_id", "state", "provider", "url", "name", "teamId", "userId", "worker", "correlation_id"] {
        assert!(record.get(field).is_some(), "GET /v1/jobs/{{id}} lacks `{field}`: {record}");
    }
    let stored = wait_for_state(&redis, "rest-1", "in_call", Duration::from_secs(5));
    assert_eq!(stored["worker"], worker.id, "REST jobs get the same Redis record");
    assert_eq!(stored["correlation_id"], record["correlation_id"].as_str().unwrap_or_default());
    assert_eq!(worker.busy(), 1, "the only slot is taken");

    let response = worker.delete("/v1/jobs/rest-1");
    assert!((200..300).contains(&response.status), "DELETE /v1/jobs/rest-1: {response:?}");
    let ended = wait_for_end(&redis, "rest-1", Duration::from_secs(10));
    assert_ended(&ended, "completed", "cancelled");
    wait_until(Duration::from_secs(5), "/isbusy back to 0", || worker.busy() == 0);
    let record = worker.get("/v1/jobs/rest-1").json();
    assert_eq!(record["state"], "completed", "{record}");
    assert_eq!(record["reason"], "cancelled", "{record}");
    let results = redis.results();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["recordingId"], "rest-1");
}

#[test]
fn a_busy_worker_answers_409_with_the_original_text() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    let response = worker.post("/v1/jobs", &script_job_value("long", ""));
    assert_eq!(response.status, 202, "{response:?}");

    let response = worker.post("/v1/jobs", &script_job_value("second", "call_ms=10"));
    assert_eq!(response.status, 409, "{response:?}");
    let body = response.json();
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"], BUSY, "{body}");
    assert!(body["data"].is_object(), "the 409 body has `data`: {body}");
    assert_eq!(body["data"]["botId"], "second", "{body}");
    assert!(redis.job("second").is_empty(), "a refused job leaves no record");
    assert_eq!(worker.busy(), 1);

    assert!((200..300).contains(&worker.delete("/v1/jobs/long").status));
    assert_ended(&wait_for_end(&redis, "long", Duration::from_secs(10)), "completed", "cancelled");
    wait_until(Duration::from_secs(5), "/isbusy back to 0", || worker.busy() == 0);
    let response = worker.post("/v1/jobs", &script_job_value("second", "call_ms=10"));
    assert_eq!(response.status, 202, "the slot is free again: {response:?}");
    assert_ended(&wait_for_end(&redis, "second", Duration::from_secs(10)), "completed", "left_normally");
}

#[test]
fn compat_routes_answer_400_with_the_original_body() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");

    let missing = json!({
        "url": "https://meet.google.com/abc-defg-hij",
        "teamId": "t1",
        "userId": "u1",
        "bearerToken": "tok-test",
        "botId": "compat-1",
    });
    for route in ["/google/join", "/microsoft/join", "/zoom/join"] {
        let response = worker.post(route, &missing);
        assert_eq!(response.status, 400, "{route}: {response:?}");
        assert_eq!(
            response.json(),
            json!({"success": false, "error": "Missing required fields: name, timezone"}),
            "exact 400 body of {route}"
        );
    }

    // Complete, but test workers load only the test plugins: none serves `google`.
    let mut complete = missing.clone();
    complete["name"] = json!("Notes Bot");
    complete["timezone"] = json!("UTC");
    let response = worker.post("/google/join", &complete);
    assert_eq!(response.status, 400, "{response:?}");
    let body = response.json();
    assert_eq!(body["success"], false, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("google")), "the reason names the provider: {body}");

    // A URL the plugin refuses.
    let mut bad_url = script_job_value("bad-url", "");
    bad_url["url"] = json!("https://example.com/x");
    let response = worker.post("/v1/jobs", &bad_url);
    assert_eq!(response.status, 400, "{response:?}");
    assert_eq!(response.json()["success"], false);

    let response = worker.get("/v1/jobs/no-such-job");
    assert_eq!(response.status, 404, "{response:?}");
    assert_eq!(worker.busy(), 0, "nothing was started");
    assert!(redis.job("compat-1").is_empty() && redis.job("bad-url").is_empty());
}

#[test]
fn rest_and_queue_racing_for_the_last_slot_never_overlap_nor_lose_messages() {
    let redis = Arc::new(RedisServer::start());
    let worker = Arc::new(Worker::start(&redis, ""));
    let stop = Arc::new(AtomicBool::new(false));

    let sampler = {
        let (redis, worker, stop) = (redis.clone(), worker.clone(), stop.clone());
        thread::spawn(move || {
            let (mut most_records, mut most_metric, mut samples) = (0, 0.0_f64, 0);
            while !stop.load(Ordering::SeqCst) {
                most_records = most_records.max(redis.running_records());
                if samples % 10 == 0
                    && let Some(running) = worker.metric("meetbot_jobs_running")
                {
                    most_metric = most_metric.max(running);
                }
                samples += 1;
                thread::sleep(Duration::from_millis(5));
            }
            (most_records, most_metric, samples)
        })
    };

    let mut accepted = Vec::new();
    let mut queued = Vec::new();
    for round in 0..15 {
        if round % 3 == 0 {
            let id = format!("queue-{round}");
            redis.push(&script_job(&id, "call_ms=300"));
            queued.push(id);
        }
        let requests: Vec<_> = (0..6)
            .map(|k| {
                let id = format!("rest-{round}-{k}");
                let body = script_job_value(&id, "call_ms=300");
                let future = send_async(reqwest::Method::POST, worker.url("/v1/jobs"), None, Some(body));
                (id, RT.spawn(future))
            })
            .collect();
        for (id, handle) in requests {
            let response = RT.block_on(handle).expect("request task").expect("the API answers");
            match response.status {
                202 => accepted.push(id),
                409 => {
                    let body: Value = response.json();
                    assert_eq!(body["success"], false, "{body}");
                    assert_eq!(body["error"], BUSY, "{body}");
                }
                other => panic!("POST /v1/jobs answered {other}: {}", response.body),
            }
        }
        thread::sleep(Duration::from_millis(150));
    }

    for id in queued.iter().chain(&accepted) {
        let record = wait_for_end(&redis, id, Duration::from_secs(30));
        assert_ended(&record, "completed", "left_normally");
    }
    stop.store(true, Ordering::SeqCst);
    let (most_records, most_metric, samples) = sampler.join().expect("sampler");
    assert!(samples > 100, "the sampler ran only {samples} times");
    assert!(most_records <= 1, "{most_records} jobs ran at once on one slot");
    assert!(most_metric <= 1.0, "meetbot_jobs_running reached {most_metric}");
    assert!(!accepted.is_empty(), "no REST request ever got the slot");
    assert_eq!(redis.llen(QUEUE), 0, "queue: {:?}", redis.lrange(QUEUE));
    assert_eq!(redis.llen(&processing(&worker.id)), 0);
    assert_eq!(redis.llen(DEAD), 0, "{:?}", redis.lrange(DEAD));
    let results = redis.results();
    assert_eq!(results.len(), queued.len() + accepted.len(), "one result per job");
    for pair in queued.windows(2) {
        let (a, b) = (redis.job(&pair[0]), redis.job(&pair[1]));
        assert!(time(&b, "started_at") > time(&a, "started_at"), "queue jobs keep their order: {a:?} / {b:?}");
    }
}

#[test]
fn isbusy_is_1_only_when_every_slot_is_taken() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "[worker]\nmax_concurrent_jobs = 2");
    assert_eq!(worker.post("/v1/jobs", &script_job_value("slot-1", "")).status, 202);
    wait_for_state(&redis, "slot-1", "in_call", Duration::from_secs(10));
    assert_eq!(worker.busy(), 0, "one of two slots is free");
    redis.push(&script_job("slot-2", ""));
    wait_for_state(&redis, "slot-2", "in_call", Duration::from_secs(10));
    assert_eq!(worker.busy(), 1, "both slots are taken");
    assert_eq!(worker.metric("meetbot_jobs_running"), Some(2.0));
    assert_eq!(worker.metric("meetbot_slots_free"), Some(0.0));
    let response = worker.post("/v1/jobs", &script_job_value("slot-3", "call_ms=10"));
    assert_eq!(response.status, 409, "{response:?}");

    let listed = worker.get("/v1/jobs?state=in_call");
    assert_eq!(listed.status, 200, "{listed:?}");
    assert!(listed.body.contains("slot-1") && listed.body.contains("slot-2"), "{}", listed.body);

    assert!((200..300).contains(&worker.delete("/v1/jobs/slot-2").status), "a queue job is cancelled over REST too");
    assert_ended(&wait_for_end(&redis, "slot-2", Duration::from_secs(10)), "completed", "cancelled");
    wait_until(Duration::from_secs(5), "a slot is free", || worker.busy() == 0);
    assert_eq!(redis.llen(&processing(&worker.id)), 0, "the cancelled queue job's message is acknowledged");
    assert!((200..300).contains(&worker.delete("/v1/jobs/slot-1").status));
    assert_ended(&wait_for_end(&redis, "slot-1", Duration::from_secs(10)), "completed", "cancelled");
    wait_until(Duration::from_secs(5), "the job is gone from the worker", || worker.get("/isbusy").json()["data"] == 0);
    let again = worker.delete("/v1/jobs/slot-1");
    assert!((400..500).contains(&again.status), "DELETE of a job that no longer runs: {again:?}");
}

#[test]
fn rest_works_without_redis() {
    // Nothing listens on port 1: with the consumer disabled, redis must never be needed.
    let worker = Worker::start_with_url("redis://127.0.0.1:1", "[redis]\nenabled = false");
    assert_eq!(worker.get("/readyz").status, 200, "ready without redis when it is disabled");
    let response = worker.post("/v1/jobs", &script_job_value("no-redis", ""));
    assert_eq!(response.status, 202, "{response:?}");
    wait_until(Duration::from_secs(10), "in the call", || worker.get("/v1/jobs/no-redis").json()["state"] == "in_call");
    assert_eq!(worker.busy(), 1);
    assert_eq!(worker.post("/v1/jobs", &script_job_value("no-redis-2", "")).status, 409);
    assert!((200..300).contains(&worker.delete("/v1/jobs/no-redis").status));
    wait_until(Duration::from_secs(10), "cancelled", || {
        let record = worker.get("/v1/jobs/no-redis").json();
        record["state"] == "completed" && record["reason"] == "cancelled"
    });
    assert_eq!(worker.busy(), 0);
}

#[test]
fn a_rest_job_with_the_id_of_a_job_running_on_another_worker_is_refused() {
    let redis = RedisServer::start();
    let queue_worker = Worker::start(&redis, "");
    redis.push(&script_job("twice", ""));
    wait_for_state(&redis, "twice", "in_call", Duration::from_secs(10));
    let other = Worker::start(&redis, "[redis]\nenabled = true");
    // `other` consumes too, but the only message is taken; its slot is free for REST.
    let response = other.post("/v1/jobs", &script_job_value("twice", "call_ms=10"));
    assert_eq!(response.status, 409, "the same job id is active on {}: {response:?}", queue_worker.id);
    assert_eq!(response.json()["success"], false);
    let record = redis.job("twice");
    assert_eq!(record["worker"], queue_worker.id, "the running job's record is untouched: {record:?}");
    assert_eq!(record["state"], "in_call");
    assert_eq!(other.busy(), 0, "the refused job holds no slot");
    assert!((200..300).contains(&queue_worker.delete("/v1/jobs/twice").status));
    assert_ended(&wait_for_end(&redis, "twice", Duration::from_secs(10)), "completed", "cancelled");
}
