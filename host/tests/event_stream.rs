//! The durable event log (README "Events"): every state change published on `meetbot:events` is
//! also appended to the capped stream `meetbot:events:stream`, so a consumer that was away can
//! replay what it missed:
//! - the stream holds exactly the events the channel carried, in the same order, each entry with
//!   the job id and state as fields beside the event's JSON, a scheduled and a cancelled job's
//!   included;
//! - it stays near `notify.event_stream_max_len` entries however many jobs run;
//! - `notify.event_stream_max_len = 0` keeps no stream.
//!
//! No browser: the jobs run the scripted test plugin.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{events::EventsTap, *};

#[test]
fn the_stream_replays_exactly_what_the_channel_published() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    let tap = EventsTap::start(&redis);
    redis.push(&script_job("kept", "lobby_ms=100&call_ms=100"));
    assert_ended(&wait_for_end(&redis, "kept", Duration::from_secs(10)), "completed", "left_normally");
    let mut later = script_job_value("later", "call_ms=100");
    later["joinAt"] = "2100-01-01T00:00:00Z".into();
    let response = worker.post("/v1/jobs", &later);
    assert_eq!(response.status, 202, "{response:?}");
    wait_for_state(&redis, "later", "scheduled", Duration::from_secs(10));
    let response = worker.delete("/v1/jobs/later");
    assert!((200..300).contains(&response.status), "DELETE: {response:?}");
    assert_ended(&wait_for_end(&redis, "later", Duration::from_secs(10)), "completed", "cancelled");
    std::thread::sleep(Duration::from_millis(300));

    let entries = redis.event_stream();
    for job_id in ["kept", "later"] {
        let published = tap.of(job_id);
        let kept: Vec<&Value> = entries.iter().filter(|(id, _, _)| id == job_id).map(|(_, _, event)| event).collect();
        assert!(published.len() >= 2, "{job_id}: {published:?}");
        assert_eq!(kept, published.iter().collect::<Vec<_>>(), "{job_id}: the stream holds what the channel carried");
    }
    for (job_id, state, event) in &entries {
        assert_eq!((&event["job_id"], &event["state"]), (&Value::from(job_id.as_str()), &Value::from(state.as_str())));
    }
    assert_eq!(tap.states("kept").last().map(String::as_str), Some("completed"));
}

#[test]
fn a_job_that_ends_as_it_enters_the_call_publishes_each_state_in_order() {
    // The scripted plugin reports `in_call` and ends at once: that state is written with the end,
    // in the same script, and must still be published on its own, before `completed`.
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    let tap = EventsTap::start(&redis);
    redis.push(&script_job("brief", "call_ms=0"));
    let record = wait_for_end(&redis, "brief", Duration::from_secs(10));
    assert_ended(&record, "completed", "left_normally");
    assert!(record.get("joined_at").is_some_and(|at| !at.is_empty()), "{record:?}");
    std::thread::sleep(Duration::from_millis(300));

    assert_eq!(tap.states("brief"), ["joining", "in_call", "completed"]);
    let published = tap.of("brief");
    let kept: Vec<Value> =
        redis.event_stream().into_iter().filter(|(id, _, _)| id == "brief").map(|(_, _, event)| event).collect();
    assert_eq!(kept, published, "the stream holds what the channel carried");
    let in_call = &published[1];
    assert_eq!(in_call["worker"], worker.id.as_str(), "{in_call}");
    assert_eq!(in_call["attempt"], 1, "{in_call}");
    assert!(in_call["reason"].is_null(), "not ended yet when in the call: {in_call}");
    assert!(in_call["at"].as_str() <= published[2]["at"].as_str(), "{published:?}");
}

#[test]
fn the_stream_stays_near_its_cap() {
    let redis = RedisServer::start();
    let _worker = Worker::start(&redis, "[worker]\nmax_concurrent_jobs = 4\n[notify]\nevent_stream_max_len = 10");
    for n in 0..60 {
        redis.push(&script_job(&format!("many-{n}"), "call_ms=10"));
    }
    for n in 0..60 {
        wait_for_end(&redis, &format!("many-{n}"), Duration::from_secs(30));
    }
    let length: usize = redis.query(redis::cmd("XLEN").arg(EVENT_STREAM));
    // Trimming is approximate (`MAXLEN ~`): Redis drops whole nodes of up to 100 entries
    // (stream-node-max-entries), so a stream capped at 10 keeps fewer than 10 + 100.
    assert!((10..110).contains(&length), "60 jobs made ~300 events; the stream kept {length}");
    let (_, state, _) = redis.event_stream().pop().expect("an entry");
    assert_eq!(state, "completed", "the newest events are kept");
}

#[test]
fn a_cap_of_zero_keeps_no_stream() {
    let redis = RedisServer::start();
    let _worker = Worker::start(&redis, "[notify]\nevent_stream_max_len = 0");
    redis.push(&script_job("unlogged", "call_ms=10"));
    wait_for_end(&redis, "unlogged", Duration::from_secs(10));
    assert!(!redis.exists(EVENT_STREAM), "no stream when its cap is 0");
}
