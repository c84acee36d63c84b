//! Graceful shutdown (docs/REFERENCE.md sections 1 and 6): on SIGTERM a bot still in the waiting room
//! leaves and its message goes back to the head of the queue with the record `queued`; a bot in
//! the call (drain timeout 0) finishes its meeting first, or leaves with reason `shutdown` once a
//! drain timeout passes or a second signal comes. Either way the process exits 0 and removes its
//! heartbeat.

mod support;

use std::{thread, time::Duration};

use serde_json::Value;
use support::{events::EventsTap, *};

#[test]
fn sigterm_in_the_waiting_room_gives_the_message_back_to_the_head() {
    let redis = RedisServer::start();
    let mut worker = Worker::start(&redis, "");
    let lobby = script_job("lobby", "lobby_ms=forever");
    redis.push(&lobby);
    let waiting = wait_for_state(&redis, "lobby", "waiting_room", Duration::from_secs(10));
    assert_eq!(waiting["worker"], worker.id);
    // One slot, taken: this one stays in the queue behind the job given back.
    let behind = script_job("behind", "call_ms=10");
    redis.push(&behind);
    thread::sleep(Duration::from_millis(200));
    assert_eq!(redis.lrange(QUEUE), vec![behind.clone()], "the second job waits in the queue");

    worker.sigterm();
    let status = worker.wait_exit(Duration::from_secs(15));
    assert!(status.success(), "exit status {status}\n{}", tail(&worker.log(), 40));

    let queue = redis.lrange(QUEUE);
    assert_eq!(queue.first(), Some(&lobby), "the given-back message is at the head, untouched: {queue:?}");
    assert_eq!(queue, vec![lobby, behind], "nothing else in the queue");
    let record = redis.job("lobby");
    assert_eq!(record["state"], "queued", "{record:?}");
    assert!(redis.lrange(&processing(&worker.id)).is_empty(), "nothing left in the processing list");
    assert!(!redis.exists(&heartbeat_key(&worker.id)), "the heartbeat is removed");
    assert!(redis.results().is_empty() && redis.failures().is_empty(), "the job did not end");
    assert!(redis.dead().is_empty());

    // Another worker picks it up; this time it was delivered once only (given back uncounted).
    let next = Worker::start(&redis, "");
    wait_for_state(&redis, "lobby", "waiting_room", Duration::from_secs(10));
    let record = redis.job("lobby");
    assert_eq!(record["worker"], next.id, "{record:?}");
    assert_eq!(record["attempt"], "1", "a give-back does not count as a delivery: {record:?}");
}

#[test]
fn a_job_given_back_runs_again_without_what_its_first_delivery_wrote() {
    // The give-back writes a `detail`; the next delivery's claim rewrites the record from its own
    // fields (keeping the correlation id and creation time), so neither the record nor the events
    // of the new run carry it, and each event says what the record says.
    let redis = RedisServer::start();
    let mut worker = Worker::start(&redis, "");
    let tap = EventsTap::start(&redis);
    redis.push(&script_job("again", "lobby_ms=forever"));
    let first = wait_for_state(&redis, "again", "waiting_room", Duration::from_secs(10));
    worker.sigterm();
    assert!(worker.wait_exit(Duration::from_secs(15)).success(), "{}", tail(&worker.log(), 40));
    let given_back = redis.job("again");
    assert_eq!(given_back["state"], "queued", "{given_back:?}");
    assert!(given_back.get("detail").is_some_and(|d| !d.is_empty()), "the give-back says why: {given_back:?}");

    let next = Worker::start(&redis, "");
    let record = wait_for_state(&redis, "again", "waiting_room", Duration::from_secs(10));
    assert_eq!(record["worker"], next.id, "{record:?}");
    assert_eq!(record.get("detail"), None, "nothing left of the first delivery: {record:?}");
    assert_eq!(record.get("reason"), None, "{record:?}");
    assert_eq!(record["correlation_id"], first["correlation_id"], "the correlation id is the job's");
    assert_eq!(record["created_at"], first["created_at"], "the job was created once");
    thread::sleep(Duration::from_millis(200));

    let events = tap.of("again");
    let states: Vec<&str> = events.iter().filter_map(|e| e["state"].as_str()).collect();
    assert_eq!(states, ["joining", "waiting_room", "leaving", "queued", "joining", "waiting_room"], "{events:?}");
    assert_eq!(events[3]["detail"], given_back["detail"].as_str(), "the give-back's own event says why");
    for event in &events[4..] {
        assert_eq!(event["worker"], next.id.as_str(), "{event}");
        for field in ["reason", "detail", "recording_url"] {
            assert!(event[field].is_null(), "{field} of an earlier delivery in {event}");
        }
    }
    let last = &events[5];
    for field in ["job_id", "state", "worker", "correlation_id", "provider", "botId"] {
        assert_eq!(last[field].as_str(), record.get(field).map(String::as_str), "{field}: {last} vs {record:?}");
    }
    assert_eq!(last["attempt"], Value::from(1), "a give-back does not count as a delivery: {last}");
}

#[test]
fn sigterm_during_a_call_lets_the_meeting_finish_then_exits_0() {
    let redis = RedisServer::start();
    let mut worker = Worker::start(&redis, "[worker]\ndrain_timeout_secs = 0");
    redis.push(&script_job("draining", "call_ms=1500"));
    wait_for_state(&redis, "draining", "in_call", Duration::from_secs(10));

    worker.sigterm();
    thread::sleep(Duration::from_millis(700));
    assert!(worker.is_running(), "the worker exited before the call ended:\n{}", tail(&worker.log(), 40));
    assert_eq!(redis.job("draining")["state"], "in_call", "the meeting goes on");
    // Shutdown has begun: no new work, from the queue or over REST.
    redis.push(&script_job("too-late", "call_ms=10"));
    let refused = worker.post("/v1/jobs", &script_job_value("rest-too-late", "call_ms=10"));
    assert_eq!(refused.status, 409, "REST during shutdown: {refused:?}");
    assert_eq!(refused.json()["error"], "Another meeting is currently being processed. Please try again later.");

    let status = worker.wait_exit(Duration::from_secs(15));
    assert!(status.success(), "exit status {status}\n{}", tail(&worker.log(), 40));
    let record = redis.job("draining");
    assert_ended(&record, "completed", "left_normally");
    let in_call = time(&record, "ended_at") - time(&record, "joined_at");
    assert!(in_call >= chrono::Duration::milliseconds(1400), "the call was cut short: {in_call}");
    assert_eq!(redis.results().len(), 1);
    assert_eq!(redis.lrange(QUEUE), vec![script_job("too-late", "call_ms=10")], "not taken during shutdown");
    assert!(redis.job("too-late").is_empty());
    assert!(redis.lrange(&processing(&worker.id)).is_empty());
    assert!(!redis.exists(&heartbeat_key(&worker.id)), "the heartbeat is removed");
}

#[test]
fn the_drain_timeout_makes_the_bot_leave_with_reason_shutdown() {
    let redis = RedisServer::start();
    let mut worker = Worker::start(&redis, "[worker]\ndrain_timeout_secs = 1");
    redis.push(&script_job("drained", ""));
    wait_for_state(&redis, "drained", "in_call", Duration::from_secs(10));
    worker.sigterm();
    thread::sleep(Duration::from_millis(500));
    assert!(worker.is_running(), "left before the drain timeout");
    let status = worker.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "exit status {status}\n{}", tail(&worker.log(), 40));
    let record = redis.job("drained");
    assert_ended(&record, "completed", "shutdown");
    let results = redis.results();
    assert_eq!(results.len(), 1, "{results:?}");
    assert!(redis.llen(QUEUE) == 0 && redis.lrange(&processing(&worker.id)).is_empty(), "the message is done with");
}

#[test]
fn a_second_sigterm_makes_running_meetings_leave_now() {
    let redis = RedisServer::start();
    let mut worker = Worker::start(&redis, "[worker]\ndrain_timeout_secs = 0");
    redis.push(&script_job("stubborn", ""));
    wait_for_state(&redis, "stubborn", "in_call", Duration::from_secs(10));
    worker.sigterm();
    thread::sleep(Duration::from_millis(800));
    assert!(worker.is_running(), "drain 0 waits for the meeting");
    assert_eq!(redis.job("stubborn")["state"], "in_call");
    worker.sigterm();
    let status = worker.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "exit status {status}\n{}", tail(&worker.log(), 40));
    assert_ended(&redis.job("stubborn"), "completed", "shutdown");
    assert_eq!(redis.results().len(), 1);
    assert!(redis.lrange(&processing(&worker.id)).is_empty());
}

#[test]
fn sigint_on_an_idle_worker_exits_0_promptly() {
    let redis = RedisServer::start();
    let mut worker = Worker::start(&redis, "");
    assert!(redis.exists(&heartbeat_key(&worker.id)));
    let status = std::process::Command::new("kill").arg("-INT").arg(worker.pid().to_string()).status().expect("kill");
    assert!(status.success());
    let status = worker.wait_exit(Duration::from_secs(5));
    assert!(status.success(), "exit status {status}\n{}", tail(&worker.log(), 40));
    assert!(!redis.exists(&heartbeat_key(&worker.id)), "the heartbeat is removed");
}

#[test]
fn a_job_whose_end_cannot_be_written_never_holds_shutdown() {
    let mut redis = RedisServer::start();
    let mut worker = Worker::start(&redis, "[worker]\ndrain_timeout_secs = 1");
    redis.push(&script_job("unwritable", ""));
    wait_for_state(&redis, "unwritable", "in_call", Duration::from_secs(10));
    redis.kill9();
    worker.sigterm();
    // The drain (1 s), the bounded tries to write the end (10 s once shutdown began) and to retire.
    let status = worker.wait_exit(Duration::from_secs(45));
    assert!(status.success(), "exit status {status}\n{}", tail(&worker.log(), 40));
    let log = worker.log();
    assert!(log.contains("gave up writing the end of the job"), "it says so loudly:\n{}", tail(&log, 40));
}
