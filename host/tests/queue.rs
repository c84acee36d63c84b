//! The Redis queue as clients see it (docs/REFERENCE.md sections 3, 5 and 6): jobs start in push order, a
//! burst spread over several workers runs every job exactly once and leaves no message behind,
//! messages that can never run land in the dead-letter list byte for byte with their reason while
//! the worker goes on (a message that is not even UTF-8 included), and a duplicate `botId` of an
//! active job is refused, also when both copies are taken at once (the second leaves no message or
//! delivery count behind), and a copy of a running job's very message leaves that job's delivery
//! count alone. Free slots take a deep queue in batches (one `take` script): a batch mixing jobs and
//! bad messages runs each job and dead-letters each bad one as one at a time would, and a worker
//! that dies after a batch was taken, before any job of it was claimed, loses none of it.

mod support;

use std::{collections::HashSet, time::Duration};

use serde_json::json;
use support::*;

#[test]
fn one_slot_starts_jobs_in_push_order() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    let ids: Vec<String> = (1..=5).map(|i| format!("fifo-{i}")).collect();
    for id in &ids {
        redis.push(&script_job(id, "call_ms=50"));
    }
    let records: Vec<_> = ids.iter().map(|id| wait_for_end(&redis, id, Duration::from_secs(15))).collect();
    for record in &records {
        assert_ended(record, "completed", "left_normally");
        assert_eq!(record["worker"], worker.id);
    }
    for pair in records.windows(2) {
        let (earlier, later) = (&pair[0], &pair[1]);
        assert!(
            time(later, "started_at") > time(earlier, "started_at"),
            "{} started before {}: {earlier:?} / {later:?}",
            later["job_id"],
            earlier["job_id"]
        );
        assert!(
            time(later, "started_at") >= time(earlier, "ended_at"),
            "one slot, yet {} started before {} ended",
            later["job_id"],
            earlier["job_id"]
        );
    }
    let finished: Vec<String> =
        redis.results().iter().map(|r| r["recordingId"].as_str().unwrap_or_default().to_owned()).collect();
    assert_eq!(finished, ids, "results list order");
    assert_eq!(redis.llen(QUEUE), 0);
    assert_eq!(redis.llen(&processing(&worker.id)), 0);
}

#[test]
fn two_hundred_jobs_over_three_workers_each_run_exactly_once() {
    const JOBS: usize = 200;
    let redis = RedisServer::start();
    let workers: Vec<Worker> = (0..3).map(|_| Worker::start(&redis, "[worker]\nmax_concurrent_jobs = 4")).collect();
    let messages: Vec<String> = (0..JOBS).map(|i| script_job(&format!("burst-{i:03}"), "call_ms=5")).collect();
    let _: i64 = redis.query(redis::cmd("RPUSH").arg(QUEUE).arg(&messages));

    wait_until(Duration::from_secs(60), "200 entries in the results list", || redis.llen(RESULTS) >= JOBS);
    // Anything run twice would show up as a late extra entry.
    std::thread::sleep(Duration::from_millis(500));
    let results = redis.results();
    assert_eq!(results.len(), JOBS, "results list entries");
    let ids: HashSet<&str> = results.iter().filter_map(|r| r["recordingId"].as_str()).collect();
    assert_eq!(ids.len(), JOBS, "distinct recordingId");
    for r in &results {
        assert_eq!(r["status"], "completed", "{r}");
    }
    let mut ran_on = HashSet::new();
    for i in 0..JOBS {
        let record = redis.job(&format!("burst-{i:03}"));
        assert_ended(&record, "completed", "left_normally");
        assert_eq!(record["attempt"], "1", "{record:?}");
        ran_on.insert(record["worker"].clone());
    }
    assert!(ran_on.len() >= 2, "the burst should be shared by the workers, ran only on {ran_on:?}");
    assert_eq!(redis.llen(QUEUE), 0, "queue");
    for (list, len) in redis.processing_lists() {
        assert_eq!(len, 0, "{list} is not empty");
    }
    assert_eq!(redis.llen(DEAD), 0, "dead letters: {:?}", redis.lrange(DEAD));
    assert_eq!(redis.llen(FAILURES), 0, "failures: {:?}", redis.lrange(FAILURES));
    drop(workers);
}

#[test]
fn bad_messages_are_dead_lettered_untouched_and_the_worker_goes_on() {
    let redis = RedisServer::start();
    let mut worker = Worker::start(&redis, "[worker]\nid = \"w-dead\"");

    let mut no_name = script_job_value("no-name", "call_ms=10");
    no_name.as_object_mut().expect("object").remove("name");
    let mut bad_url = script_job_value("bad-url", "");
    bad_url["url"] = json!("https://example.com/x");
    let mut unknown = script_job_value("unknown-provider", "");
    unknown["provider"] = json!("nope");
    let mut huge = script_job_value("huge", "call_ms=10");
    huge["padding"] = json!("x".repeat(70 * 1024));

    let cases: Vec<(String, &str, Option<&str>)> = vec![
        ("this is not JSON {\"url\": ".to_owned(), "invalid_message", None),
        (huge.to_string(), "invalid_message", Some("too_large")),
        (unknown.to_string(), "unknown_provider", None),
        (no_name.to_string(), "invalid_message", None),
        (bad_url.to_string(), "invalid_url", None),
    ];
    for (message, _, _) in &cases {
        redis.push(message);
    }
    redis.push(&script_job("after-the-bad-ones", "call_ms=10"));

    let record = wait_for_end(&redis, "after-the-bad-ones", Duration::from_secs(15));
    assert_ended(&record, "completed", "left_normally");
    assert!(worker.is_running(), "the worker must go on");

    let dead = redis.dead();
    assert_eq!(dead.len(), cases.len(), "dead-letter entries: {dead:#?}");
    for (entry, (message, reason, error)) in dead.iter().zip(&cases) {
        assert_eq!(entry["reason"], *reason, "entry {entry}");
        assert!(entry["message"].as_str() == Some(message.as_str()), "message not kept byte for byte: {entry}");
        if let Some(error) = error {
            assert_eq!(entry["error"], *error, "entry {entry}");
        } else {
            assert!(entry["error"].as_str().is_some_and(|e| !e.is_empty()), "no error text: {entry}");
        }
        assert_eq!(entry["worker"], "w-dead", "entry {entry}");
        let at = entry["at"].as_str().unwrap_or_default();
        assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "`at` is not RFC 3339: {entry}");
        assert!(entry["attempts"].is_number(), "`attempts` missing: {entry}");
    }
    assert!(dead[3]["error"].as_str().unwrap_or_default().contains("name"), "the missing field is named: {}", dead[3]);
    for id in ["no-name", "bad-url", "unknown-provider", "huge"] {
        assert!(redis.job(id).is_empty(), "a dead-lettered message has no job record ({id})");
    }
    assert_eq!(redis.llen(QUEUE), 0);
    assert_eq!(redis.llen(&processing("w-dead")), 0);
}

#[test]
fn a_duplicate_bot_id_of_an_active_job_is_refused() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "[worker]\nmax_concurrent_jobs = 2");
    let first = script_job("dup", "");
    redis.push(&first);
    wait_for_state(&redis, "dup", "in_call", Duration::from_secs(10));
    let second = script_job("dup", "call_ms=10&participants=3");
    redis.push(&second);

    wait_until(Duration::from_secs(10), "the duplicate in the dead-letter list", || redis.llen(DEAD) == 1);
    let entry = &redis.dead()[0];
    assert_eq!(entry["reason"], "invalid_message", "{entry}");
    assert_eq!(entry["error"], "duplicate", "{entry}");
    assert_eq!(entry["message"].as_str(), Some(second.as_str()));
    let record = redis.job("dup");
    assert_eq!(record["state"], "in_call", "the first job runs on: {record:?}");
    assert_eq!(record["attempt"], "1");

    let response = worker.delete("/v1/jobs/dup");
    assert!((200..300).contains(&response.status), "DELETE: {response:?}");
    let record = wait_for_end(&redis, "dup", Duration::from_secs(10));
    assert_ended(&record, "completed", "cancelled");
    assert_eq!(redis.results().len(), 1);
}

#[test]
fn a_message_that_is_not_utf8_is_dead_lettered_and_does_not_block_the_queue() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    let poison: &[u8] = b"\xff\xfe not UTF-8 {";
    let _: i64 = redis.query(redis::cmd("RPUSH").arg(QUEUE).arg(poison));
    redis.push(&script_job("behind-the-poison", "call_ms=10"));

    let record = wait_for_end(&redis, "behind-the-poison", Duration::from_secs(10));
    assert_ended(&record, "completed", "left_normally");
    let dead = redis.dead();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["reason"], "invalid_message", "{}", dead[0]);
    assert_eq!(redis.llen(QUEUE), 0);
    assert_eq!(redis.llen(&processing(&worker.id)), 0);
}

#[test]
fn a_job_pushed_twice_at_once_runs_once_and_leaves_no_delivery_behind() {
    // Two free slots take both copies back to back, so they are handled at the same time.
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "[worker]\nmax_concurrent_jobs = 2");
    let message = script_job("twice", "call_ms=300");
    let _: i64 = redis.query(redis::cmd("RPUSH").arg(QUEUE).arg(&message).arg(&message));

    wait_until(Duration::from_secs(10), "the second copy in the dead-letter list", || redis.llen(DEAD) == 1);
    let entry = &redis.dead()[0];
    assert_eq!(entry["error"], "duplicate", "{entry}");
    let record = wait_for_end(&redis, "twice", Duration::from_secs(10));
    assert_ended(&record, "completed", "left_normally");
    assert_eq!(record["attempt"], "1", "{record:?}");
    assert_eq!(redis.results().len(), 1);
    assert_eq!(redis.llen(&processing(&worker.id)), 0, "no copy left in hand");
    assert!(!redis.exists("meetbot:attempts"), "no delivery count left");
}

#[test]
fn a_copy_of_a_running_jobs_message_leaves_its_delivery_count_alone() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "[worker]\nmax_concurrent_jobs = 2");
    let message = script_job("copied", "");
    redis.push(&message);
    wait_for_state(&redis, "copied", "in_call", Duration::from_secs(10));
    redis.push(&message);

    wait_until(Duration::from_secs(10), "the copy in the dead-letter list", || redis.llen(DEAD) == 1);
    assert_eq!(redis.dead()[0]["error"], "duplicate");
    let counts: Vec<String> = redis.query(redis::cmd("HVALS").arg("meetbot:attempts"));
    assert_eq!(counts, ["1"], "the running delivery keeps its count (a crash now must count as its first)");

    let response = worker.delete("/v1/jobs/copied");
    assert!((200..300).contains(&response.status), "DELETE: {response:?}");
    assert_ended(&wait_for_end(&redis, "copied", Duration::from_secs(10)), "completed", "cancelled");
    wait_until(Duration::from_secs(5), "the delivery acknowledged", || redis.llen(&processing(&worker.id)) == 0);
    assert!(!redis.exists("meetbot:attempts"), "no delivery count left");
}

#[test]
fn a_batch_of_jobs_and_bad_messages_is_handled_message_by_message() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "[worker]\nid = \"w-batch\"\nmax_concurrent_jobs = 6");
    let jobs: Vec<String> = (0..12).map(|i| format!("batch-{i:02}")).collect();
    let mut messages: Vec<String> = Vec::new();
    let mut bad = Vec::new();
    for (i, id) in jobs.iter().enumerate() {
        messages.push(script_job(id, "call_ms=20"));
        if i % 3 == 0 {
            let text = format!("not JSON {i} {{");
            bad.push(text.clone());
            messages.push(text);
        }
    }
    // One push: the first BLMOVE wakes, then each take fills the free slots from a deep queue.
    let _: i64 = redis.query(redis::cmd("RPUSH").arg(QUEUE).arg(&messages));

    for id in &jobs {
        let record = wait_for_end(&redis, id, Duration::from_secs(15));
        assert_ended(&record, "completed", "left_normally");
        assert_eq!(record["attempt"], "1", "{record:?}");
    }
    wait_until(Duration::from_secs(5), "every bad message dead-lettered", || redis.llen(DEAD) == bad.len());
    let dead = redis.dead();
    let mut kept: Vec<&str> = dead.iter().filter_map(|entry| entry["message"].as_str()).collect();
    kept.sort_unstable();
    let mut expected: Vec<&str> = bad.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(kept, expected, "each bad message kept byte for byte");
    for entry in &dead {
        assert_eq!(entry["reason"], "invalid_message", "{entry}");
        assert_eq!(entry["worker"], "w-batch", "{entry}");
    }
    assert_eq!(redis.results().len(), jobs.len());
    assert_eq!(redis.llen(QUEUE), 0);
    assert_eq!(redis.llen(&processing(&worker.id)), 0);
    assert!(!redis.exists("meetbot:attempts"), "no delivery count left");
}

#[test]
fn a_batch_taken_by_a_worker_that_dies_before_claiming_it_is_not_lost() {
    let redis = RedisServer::start();
    let messages: Vec<String> = (0..5).map(|i| script_job(&format!("orphan-{i}"), "call_ms=10")).collect();
    let _: i64 = redis.query(redis::cmd("RPUSH").arg(QUEUE).arg(&messages).arg("not JSON {"));
    // What a worker's take does, and then the worker is gone: no claim, no record.
    let mut config = meetbot_host::config::Config::default();
    config.worker.id = "w-orphan".to_owned();
    let keys = meetbot_host::broker::Keys::new(&config);
    let taken = RT.block_on(async {
        let client = redis::Client::open(redis.url()).expect("redis url");
        let mut conn = client.get_multiplexed_async_connection().await.expect("connect");
        meetbot_host::broker::scripts::take(&mut conn, &keys, 4).await.expect("take")
    });
    assert_eq!(taken.len(), 4, "the batch holds as many as asked while the queue has them");
    assert_eq!(taken, messages[..4].iter().map(|m| m.as_bytes().to_vec()).collect::<Vec<_>>(), "oldest first");
    assert_eq!(redis.lrange(&processing("w-orphan")), messages[..4], "every taken message in the processing list");
    assert_eq!(redis.llen(QUEUE), 2);
    for i in 0..4 {
        assert!(redis.job(&format!("orphan-{i}")).is_empty(), "nothing claimed yet");
    }

    // The same worker id comes back: what its dead run took goes back to the queue, in order, and runs.
    let worker = Worker::start(&redis, "[worker]\nid = \"w-orphan\"\nmax_concurrent_jobs = 3");
    for i in 0..5 {
        let record = wait_for_end(&redis, &format!("orphan-{i}"), Duration::from_secs(15));
        assert_ended(&record, "completed", "left_normally");
        assert_eq!(record["attempt"], "1", "a take that was never claimed is no delivery: {record:?}");
    }
    wait_until(Duration::from_secs(5), "the bad message dead-lettered", || redis.llen(DEAD) == 1);
    assert_eq!(redis.dead()[0]["message"], "not JSON {");
    assert_eq!(redis.llen(QUEUE), 0);
    assert_eq!(redis.llen(&processing(&worker.id)), 0);
}
