//! No message is lost (docs/REFERENCE.md section 6): a job held by a worker that is killed with -9 runs
//! again on a live peer once the dead worker's heartbeat expires, or on the same worker id when it
//! restarts, and still ends exactly once; a worker survives its Redis being killed and restarted
//! and takes new work afterwards, and a job that ends while Redis is down is recorded once it is
//! back; a message delivered `redis.max_attempts` times without finishing is dead-lettered; and a
//! worker started while its Redis is unreachable serves its API and waits for Redis. A REST job
//! (no message to run again) whose worker is killed ends failed/internal_error on a live peer, or
//! on its own worker id when that restarts first.

mod support;

use std::{collections::HashMap, thread, time::Duration};

use serde_json::json;

use support::*;

const HEARTBEAT: &str = "heartbeat_ttl_secs = 3";

#[test]
fn a_killed_workers_job_runs_again_on_a_live_peer_and_ends_once() {
    let redis = RedisServer::start();
    let mut doomed = Worker::start(&redis, &format!("[worker]\nid = \"doomed\"\n{HEARTBEAT}"));
    let message = script_job("orphan", "");
    redis.push(&message);
    let first = wait_for_state(&redis, "orphan", "in_call", Duration::from_secs(10));
    assert_eq!(first["worker"], "doomed");
    assert_eq!(first["attempt"], "1");
    assert_eq!(redis.lrange(&processing("doomed")), vec![message.clone()], "the running job's message is held");

    let peer = Worker::start(&redis, &format!("[worker]\nid = \"peer\"\n{HEARTBEAT}"));
    doomed.kill9();

    let again = wait_for_record(
        &redis,
        "orphan",
        |f| {
            f.get("worker").map(String::as_str) == Some("peer") && f.get("state").map(String::as_str) == Some("in_call")
        },
        Duration::from_secs(15),
    );
    assert_eq!(again["attempt"], "2", "{again:?}");
    assert_eq!(again["correlation_id"], first["correlation_id"], "the correlation id survives redelivery");
    assert_eq!(redis.lrange(&processing("peer")), vec![message]);
    assert!(redis.lrange(&processing("doomed")).is_empty(), "the dead worker's list was recovered");
    assert!(redis.results().is_empty(), "nothing finished yet");

    let response = peer.delete("/v1/jobs/orphan");
    assert!((200..300).contains(&response.status), "DELETE: {response:?}");
    let record = wait_for_end(&redis, "orphan", Duration::from_secs(10));
    assert_ended(&record, "completed", "cancelled");
    thread::sleep(Duration::from_millis(500));
    let results = redis.results();
    assert_eq!(results.len(), 1, "ended exactly once: {results:?}");
    assert_eq!(results[0]["recordingId"], "orphan");
    assert!(redis.failures().is_empty(), "{:?}", redis.failures());
    assert_eq!(redis.llen(QUEUE), 0);
    for (list, len) in redis.processing_lists() {
        assert_eq!(len, 0, "{list} is not empty");
    }
}

#[test]
fn a_killed_workers_rest_job_ends_failed_once_its_heartbeat_expires() {
    let redis = RedisServer::start();
    let mut doomed = Worker::start(&redis, &format!("[worker]\nid = \"doomed-rest\"\n{HEARTBEAT}"));
    // A REST job that ends normally leaves nothing behind in the worker's REST job set.
    let response = doomed.post("/v1/jobs", &script_job_value("rest-done", "call_ms=10"));
    assert_eq!(response.status, 202, "POST /v1/jobs: {response:?}");
    assert_ended(&wait_for_end(&redis, "rest-done", Duration::from_secs(10)), "completed", "left_normally");
    assert!(!redis.exists("meetbot:rest:doomed-rest"), "a finished REST job is no longer tracked");

    // A REST job has no message to run again: once its worker is gone for good, it ends failed.
    let response = doomed.post("/v1/jobs", &script_job_value("rest-orphan", ""));
    assert_eq!(response.status, 202, "POST /v1/jobs: {response:?}");
    wait_for_state(&redis, "rest-orphan", "in_call", Duration::from_secs(10));
    assert!(redis.exists("meetbot:rest:doomed-rest"), "the running REST job is tracked");
    let _peer = Worker::start(&redis, &format!("[worker]\nid = \"peer-rest\"\n{HEARTBEAT}"));
    doomed.kill9();

    let record = wait_for_end(&redis, "rest-orphan", Duration::from_secs(15));
    assert_ended(&record, "failed", "internal_error");
    assert_eq!(record["worker"], "doomed-rest", "{record:?}");
    assert!(record.get("detail").is_some_and(|d| d.contains("stopped without finishing")), "{record:?}");
    assert!(record.contains_key("ended_at"), "{record:?}");
    assert!(!redis.exists("meetbot:rest:doomed-rest"), "the dead worker's REST jobs are forgotten");
    assert_failure_told_to_clients(&redis, "rest-orphan", &record);
}

/// Queue clients learn of a job ended failed/internal_error without its worker, on the failures
/// list, in the shape every other failure has.
fn assert_failure_told_to_clients(redis: &RedisServer, job_id: &str, record: &HashMap<String, String>) {
    let failures = redis.failures();
    assert_eq!(failures.len(), 1, "one failures-list record: {failures:?}");
    let failure = &failures[0];
    assert_eq!(failure["recordingId"], job_id, "{failure}");
    assert_eq!(failure["status"], "failed", "{failure}");
    assert_eq!(failure["reason"], "internal_error", "{failure}");
    assert_eq!(failure["error"]["type"], "internal_error", "{failure}");
    assert_eq!(failure["error"]["message"], record["detail"].as_str(), "{failure}");
    assert_eq!(failure["timestamp"], record["ended_at"].as_str(), "{failure}");
    assert_eq!(failure["meetingLink"], record["url"].as_str(), "{failure}");
    assert!(failure["blobUrl"].is_null(), "{failure}");
    let metadata = &failure["metadata"];
    assert_eq!(
        (&metadata["botId"], &metadata["userId"], &metadata["teamId"]),
        (&json!(job_id), &json!("user-1"), &json!("team-1"))
    );
    assert_eq!(metadata["provider"], "script", "{failure}");
    assert!(metadata["duration"].is_null(), "{failure}");
    assert_eq!(metadata["storage"]["type"], "local", "{failure}");
}

#[test]
fn a_worker_restarted_with_its_id_reclaims_its_own_messages() {
    let redis = RedisServer::start();
    let config = "[worker]\nid = \"phoenix\"";
    let mut first_run = Worker::start(&redis, config);
    let message = script_job("reborn", "");
    redis.push(&message);
    let first = wait_for_state(&redis, "reborn", "in_call", Duration::from_secs(10));
    assert_eq!(first["attempt"], "1");
    first_run.kill9();
    assert_eq!(redis.lrange(&processing("phoenix")), vec![message.clone()], "held while the worker is dead");

    // The default heartbeat TTL (15 s) has not expired: only the start-up reclaim can bring it back.
    let second_run = Worker::start(&redis, config);
    let again = wait_for_record(
        &redis,
        "reborn",
        |f| f.get("attempt").map(String::as_str) == Some("2") && f.get("state").map(String::as_str) == Some("in_call"),
        Duration::from_secs(10),
    );
    assert_eq!(again["worker"], "phoenix");
    assert_eq!(redis.lrange(&processing("phoenix")), vec![message]);

    let response = second_run.delete("/v1/jobs/reborn");
    assert!((200..300).contains(&response.status), "DELETE: {response:?}");
    let record = wait_for_end(&redis, "reborn", Duration::from_secs(10));
    assert_ended(&record, "completed", "cancelled");
    thread::sleep(Duration::from_millis(300));
    assert_eq!(redis.results().len(), 1, "ended exactly once");
    assert_eq!(redis.llen(QUEUE), 0);
    assert_eq!(redis.llen(&processing("phoenix")), 0);
}

#[test]
fn a_worker_restarted_with_its_id_ends_its_earlier_rest_jobs() {
    let redis = RedisServer::start();
    let config = "[worker]\nid = \"phoenix-rest\"";
    let mut first_run = Worker::start(&redis, config);
    let response = first_run.post("/v1/jobs", &script_job_value("rest-before", ""));
    assert_eq!(response.status, 202, "POST /v1/jobs: {response:?}");
    wait_for_state(&redis, "rest-before", "in_call", Duration::from_secs(10));
    first_run.kill9();

    // Back before its heartbeat (15 s) expired, so no peer would recover the REST job; a REST job
    // posted at once to the new run is its own and keeps running.
    let second_run = Worker::start(&redis, config);
    let response = second_run.post("/v1/jobs", &script_job_value("rest-after", ""));
    assert_eq!(response.status, 202, "POST /v1/jobs: {response:?}");
    let record = wait_for_end(&redis, "rest-before", Duration::from_secs(10));
    assert_ended(&record, "failed", "internal_error");
    assert!(record.get("detail").is_some_and(|d| d.contains("restarted without finishing")), "{record:?}");
    assert_failure_told_to_clients(&redis, "rest-before", &record);
    wait_for_state(&redis, "rest-after", "in_call", Duration::from_secs(10));
    thread::sleep(Duration::from_millis(500));
    assert_eq!(redis.job("rest-after")["state"], "in_call", "the new run's job is left alone");

    let response = second_run.delete("/v1/jobs/rest-after");
    assert!((200..300).contains(&response.status), "DELETE: {response:?}");
    assert_ended(&wait_for_end(&redis, "rest-after", Duration::from_secs(10)), "completed", "cancelled");
    assert!(!redis.exists("meetbot:rest:phoenix-rest"), "no REST job is tracked once all ended");
}

#[test]
fn the_worker_survives_a_redis_restart_and_takes_new_work() {
    let mut redis = RedisServer::start();
    let mut worker = Worker::start(&redis, "");
    redis.push(&script_job("before", "call_ms=10"));
    assert_ended(&wait_for_end(&redis, "before", Duration::from_secs(10)), "completed", "left_normally");

    redis.kill9();
    thread::sleep(Duration::from_millis(1500));
    assert!(worker.is_running(), "the worker died with its redis:\n{}", tail(&worker.log(), 40));
    assert_eq!(worker.get("/health").status, 200, "the API stays up while redis is down");

    assert_ne!(worker.get("/readyz").status, 200, "not ready while redis is down");
    wait_until(Duration::from_secs(10), "meetbot_redis_up 0 while redis is down", || {
        worker.metric("meetbot_redis_up") == Some(0.0)
    });

    redis.restart();
    wait_until(Duration::from_secs(15), "ready again once redis is back", || worker.get("/readyz").status == 200);
    redis.push(&script_job("after", "call_ms=10"));
    let record = wait_for_end(&redis, "after", Duration::from_secs(20));
    assert_ended(&record, "completed", "left_normally");
    assert_eq!(record["worker"], worker.id);
    assert!(worker.is_running());
    assert_eq!(redis.llen(QUEUE), 0);
    assert_eq!(redis.llen(&processing(&worker.id)), 0);
    wait_until(Duration::from_secs(10), "the heartbeat written again after the restart", || {
        redis.exists(&heartbeat_key(&worker.id))
    });
}

#[test]
fn a_job_ending_while_redis_is_down_is_recorded_once_it_is_back() {
    let mut redis = RedisServer::start();
    let mut worker = Worker::start(&redis, "");
    redis.push(&script_job("outage", "call_ms=1200"));
    wait_for_state(&redis, "outage", "in_call", Duration::from_secs(10));
    redis.kill9();
    // The call ends during the outage; the worker must keep the end until it can write it.
    thread::sleep(Duration::from_millis(2500));
    assert!(worker.is_running(), "the worker died with its redis:\n{}", tail(&worker.log(), 40));
    assert_eq!(worker.busy(), 1, "the slot stays taken until the end is written");
    redis.restart();

    let record = wait_for_end(&redis, "outage", Duration::from_secs(20));
    assert_ended(&record, "completed", "left_normally");
    // Redis came back empty: the worker, which writes only what changed, wrote the whole record.
    for field in ["job_id", "provider", "url", "name", "teamId", "userId", "worker", "correlation_id", "attempt"] {
        assert!(record.get(field).is_some_and(|v| !v.is_empty()), "{field} missing: {record:?}");
    }
    for field in ["created_at", "started_at", "joined_at", "ended_at"] {
        assert!(record.get(field).is_some_and(|v| !v.is_empty()), "{field} missing: {record:?}");
    }
    let results = redis.results();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["recordingId"], "outage");
    wait_until(Duration::from_secs(5), "the slot is free again", || worker.busy() == 0);
    redis.push(&script_job("next", "call_ms=10"));
    assert_ended(&wait_for_end(&redis, "next", Duration::from_secs(15)), "completed", "left_normally");
}

/// Runs the message of job `cursed` on worker `crashy` (max_attempts 2) and kills the worker
/// while the bot is in the call, twice; the third start finds it delivered too often.
fn exhaust_a_message(redis: &RedisServer) -> (String, Worker) {
    let config = "[worker]\nid = \"crashy\"\n[redis]\nmax_attempts = 2";
    let message = script_job("cursed", "");
    redis.push(&message);
    for attempt in ["1", "2"] {
        let mut worker = Worker::start(redis, config);
        wait_for_record(
            redis,
            "cursed",
            |f| {
                f.get("attempt").map(String::as_str) == Some(attempt)
                    && f.get("state").map(String::as_str) == Some("in_call")
            },
            Duration::from_secs(10),
        );
        worker.kill9();
    }
    (message, Worker::start(redis, config))
}

#[test]
fn a_message_delivered_max_attempts_times_is_dead_lettered() {
    let redis = RedisServer::start();
    let (message, mut worker) = exhaust_a_message(&redis);
    let record = wait_for_end(&redis, "cursed", Duration::from_secs(10));
    assert_eq!(record["state"], "failed", "{record:?}");
    let dead = redis.dead();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["message"].as_str(), Some(message.as_str()), "kept byte for byte");
    assert_eq!(dead[0]["attempts"], 2, "{}", dead[0]);
    assert_eq!(dead[0]["reason"], record["reason"].as_str(), "the record and the entry agree");
    assert_eq!(redis.llen(QUEUE), 0);
    assert_eq!(redis.llen(&processing("crashy")), 0);
    assert!(worker.is_running());
    assert!(redis.results().is_empty());
    // The worker goes on with other work.
    redis.push(&script_job("blessed", "call_ms=10"));
    assert_ended(&wait_for_end(&redis, "blessed", Duration::from_secs(10)), "completed", "left_normally");
}

#[test]
fn a_job_failed_for_too_many_deliveries_is_reported_to_queue_clients() {
    let redis = RedisServer::start();
    let (_message, _worker) = exhaust_a_message(&redis);
    let record = wait_for_end(&redis, "cursed", Duration::from_secs(10));
    assert_eq!(record["state"], "failed", "{record:?}");
    // docs/REFERENCE.md section 5: one failure record per finished job, for queue clients.
    wait_until(Duration::from_secs(2), "a failures-list record for the job", || redis.llen(FAILURES) > 0);
    let failures = redis.failures();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["recordingId"], "cursed");
    assert_eq!(failures[0]["status"], "failed");
}

#[test]
fn the_api_answers_while_redis_is_unreachable_at_start_up() {
    let port = free_port();
    let mut worker = Worker::spawn(&format!("redis://127.0.0.1:{port}"), "");
    if let Err(why) = worker.wait_healthy(Duration::from_secs(5)) {
        panic!("GET /health while redis is down at start-up: {why}\n{}", tail(&worker.log(), 20));
    }
    assert_ne!(worker.get("/readyz").status, 200, "not ready without redis");

    let redis = RedisServer::start_on(port);
    wait_until(Duration::from_secs(15), "ready once redis answers", || worker.get("/readyz").status == 200);
    redis.push(&script_job("late-redis", "call_ms=10"));
    assert_ended(&wait_for_end(&redis, "late-redis", Duration::from_secs(15)), "completed", "left_normally");
}

#[tokio::test]
async fn a_peer_whose_deadline_passed_but_whose_heartbeat_lives_is_left_alone() {
    // The heartbeat key is the authority: a stale deadline (the next beat moves it) recovers nothing.
    let redis = RedisServer::start();
    let mut config = meetbot_host::config::Config::default();
    config.worker.id = "w-recoverer".to_owned();
    let keys = meetbot_host::broker::Keys::new(&config);
    let _: i64 = redis.query(redis::cmd("ZADD").arg(&keys.heartbeats).arg(0).arg("w-stale").arg(0).arg("w-dead"));
    let _: () = redis.query(redis::cmd("SET").arg(heartbeat_key("w-stale")).arg("{}"));
    redis.rpush(&processing("w-stale"), "stale-1");
    redis.rpush(&processing("w-dead"), "dead-1");
    redis.rpush(&processing("w-dead"), "dead-2");
    let client = redis::Client::open(redis.url()).expect("redis url");
    let mut conn = client.get_multiplexed_async_connection().await.expect("connect");
    let now = chrono::Utc::now().to_rfc3339();
    let moved = meetbot_host::broker::scripts::recover_peers(&mut conn, &keys, &now).await.expect("recover");
    assert_eq!(moved, 2, "only the dead peer's messages");
    assert_eq!(redis.lrange(QUEUE), ["dead-1", "dead-2"], "in their order");
    assert_eq!(redis.lrange(&processing("w-stale")), ["stale-1"], "the live peer keeps its message");
    let known: Vec<String> = redis.query(redis::cmd("ZRANGE").arg(&keys.heartbeats).arg(0).arg(-1));
    assert_eq!(known, ["w-stale"], "the dead peer is forgotten, the live one is not");
}
