//! What an operator watches a fleet with: the join metrics of `/metrics` after scripted jobs that
//! are admitted or denied, the fleet-wide age of the queue's oldest job, and `meetbot status`
//! against a worker holding running, queued, scheduled and dead-lettered jobs, read by a Redis
//! user that may only read.

mod support;

use std::{thread, time::Duration};

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};
use support::*;

/// The fleet-wide queue-head hash (`P:queue:head`).
const QUEUE_HEAD: &str = "meetbot:queue:head";

/// The value of the sample `series` (name and labels exactly as rendered) in `/metrics`.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

#[test]
fn join_outcomes_and_join_time_are_counted_per_provider() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    redis.push(&script_job("admitted", "join_ms=300&call_ms=10"));
    redis.push(&script_job("denied", "lobby_ms=10&outcome=denied_admission"));
    assert_ended(&wait_for_end(&redis, "admitted", Duration::from_secs(10)), "completed", "left_normally");
    assert_ended(&wait_for_end(&redis, "denied", Duration::from_secs(10)), "failed", "denied_admission");

    let metrics = worker.get("/metrics").body;
    let joins =
        |outcome: &str| sample(&metrics, &format!("meetbot_joins_total{{provider=\"script\",outcome=\"{outcome}\"}}"));
    assert_eq!(joins("admitted"), Some(1.0), "{metrics}");
    assert_eq!(joins("denied_admission"), Some(1.0), "{metrics}");
    assert_eq!(sample(&metrics, "meetbot_join_seconds_count{provider=\"script\"}"), Some(1.0), "{metrics}");
    let took = sample(&metrics, "meetbot_join_seconds_sum{provider=\"script\"}").expect("join time");
    assert!((0.3..10.0).contains(&took), "joined after its 300 ms of joining: {took}");
    assert!(metrics.contains("meetbot_join_seconds_bucket{provider=\"script\",le=\"1\"} 1\n"), "{metrics}");
    let info = format!("meetbot_worker_info{{worker=\"{}\",version=\"{}\"}}", worker.id, env!("CARGO_PKG_VERSION"));
    assert_eq!(sample(&metrics, &info), Some(1.0), "{metrics}");
    let labelled: Vec<&str> = metrics.lines().filter(|l| l.contains("worker=\"")).collect();
    assert_eq!(labelled.len(), 1, "the worker id labels meetbot_worker_info only: {labelled:?}");
    for family in ["meetbot_recording_frames_total", "meetbot_spool_free_bytes", "meetbot_workers_alive"] {
        assert!(metrics.contains(&format!("# TYPE {family} ")), "{family} listed:\n{metrics}");
    }
    assert_eq!(sample(&metrics, "meetbot_workers_alive"), Some(1.0), "{metrics}");
    assert!(sample(&metrics, "meetbot_spool_size_bytes").is_some_and(|size| size > 0.0), "{metrics}");
}

#[test]
fn the_oldest_jobs_age_is_one_for_the_whole_fleet() {
    let redis = RedisServer::start();
    let first = Worker::start(&redis, "");
    let second = Worker::start(&redis, "");
    redis.push(&script_job("busy-1", "lobby_ms=forever"));
    redis.push(&script_job("busy-2", "lobby_ms=forever"));
    wait_for_state(&redis, "busy-1", "waiting_room", Duration::from_secs(10));
    wait_for_state(&redis, "busy-2", "waiting_room", Duration::from_secs(10));
    redis.push(&script_job("waits", "call_ms=10"));

    let wait = |worker: &Worker| sample(&worker.get("/metrics").body, "meetbot_queue_head_wait_seconds");
    assert!(wait(&first).is_some_and(|w| w < 2.0), "first seen now");
    assert!(redis.exists(QUEUE_HEAD), "the head is timed in Redis");
    thread::sleep(Duration::from_millis(2500));
    let seen_by_second = wait(&second).expect("gauge");
    assert!(seen_by_second >= 2.0, "the other worker sees the same age: {seen_by_second}");

    redis.query::<String>(redis::cmd("LPOP").arg(QUEUE));
    assert_eq!(wait(&first), Some(0.0), "an empty queue has no oldest job");
    assert!(!redis.exists(QUEUE_HEAD), "nothing to time");
}

/// Sets up a read-only Redis user and returns a config file for `meetbot status` using it.
fn read_only_config(redis: &RedisServer, dir: &std::path::Path) -> std::path::PathBuf {
    // The read-only user of README "Observability".
    let rules =
        "on >viewer-pw +time +llen +lrange +hmget +zcard +zrange +smembers +get +scard ~jobs:meetbot:list* ~meetbot:*";
    let mut acl = redis::cmd("ACL");
    acl.arg("SETUSER").arg("viewer");
    for rule in rules.split(' ') {
        acl.arg(rule);
    }
    redis.query::<()>(&acl);
    let url = redis.url().replacen("redis://", "redis://viewer:viewer-pw@", 1);
    let path = dir.join("status.toml");
    std::fs::write(&path, format!("[redis]\nenabled = true\nurl = \"{url}\"\n")).expect("config");
    path
}

#[test]
fn status_shows_the_fleet_as_redis_sees_it() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "[worker]\nheartbeat_ttl_secs = 3");
    let due = Utc::now() + chrono::Duration::hours(1);
    let mut later = script_job_value("later", "call_ms=10");
    later["joinAt"] = json!(due.to_rfc3339_opts(SecondsFormat::Millis, true));
    redis.push(&later.to_string());
    redis.push("this is not JSON");
    wait_for_state(&redis, "later", "scheduled", Duration::from_secs(5));
    wait_until(Duration::from_secs(5), "the bad message dead-lettered", || redis.llen(DEAD) == 1);
    redis.push(&script_job("running", "lobby_ms=forever"));
    wait_for_state(&redis, "running", "waiting_room", Duration::from_secs(10));
    redis.push(&script_job("queued", "call_ms=10"));
    thread::sleep(Duration::from_millis(2500)); // heartbeats time the queue's head

    let dir = tempfile::tempdir().expect("tempdir");
    let config = read_only_config(&redis, dir.path());
    let config = config.to_str().expect("path");
    let out = run_cli(&["status", "--json", "--config", config], Duration::from_secs(10));
    assert!(out.status.success(), "{}{}", out.stdout, out.stderr);
    let status: Value = serde_json::from_str(&out.stdout).expect("one JSON object");

    assert_eq!(status["queue"]["depth"], 1, "{status}");
    let oldest = status["queue"]["oldest_wait_secs"].as_f64().expect("timed by the heartbeats");
    assert!((1.0..60.0).contains(&oldest), "{status}");
    assert_eq!(status["scheduled"]["count"], 1, "{status}");
    assert_eq!(status["scheduled"]["next"]["job_id"], "later", "{status}");
    let due_ms = status["scheduled"]["next"]["due_ms"].as_i64().expect("due");
    assert!((due_ms - due.timestamp_millis()).abs() < 1000, "{status}");
    assert_eq!(status["dead_letters"]["depth"], 1, "{status}");
    assert_eq!(status["dead_letters"]["by_reason"], json!({"invalid_message": 1}), "{status}");
    assert_eq!((status["workers_known"].clone(), status["workers_alive"].clone()), (json!(1), json!(1)));
    let listed = &status["workers"][0];
    assert_eq!(listed["id"], worker.id.as_str(), "{status}");
    assert_eq!(listed["pid"], worker.pid(), "{status}");
    assert!(listed["started_at"].is_string(), "{status}");
    assert_eq!(listed["jobs_total"], 1, "{status}");
    let job = &listed["jobs"][0];
    assert_eq!((job["job_id"].as_str(), job["state"].as_str()), (Some("running"), Some("waiting_room")), "{status}");
    assert_eq!((job["provider"].as_str(), job["source"].as_str()), (Some("script"), Some("queue")), "{status}");

    let text = run_cli(&["status", "--config", config], Duration::from_secs(10));
    assert!(text.status.success(), "{}", text.stderr);
    for expected in [
        "queue       1 waiting, oldest waiting ".to_owned(),
        "scheduled   1, next due ".to_owned(),
        "dead        1; by reason: invalid_message 1".to_owned(),
        "workers     1 known, 1 alive".to_owned(),
        format!("  {}  alive  pid {}", worker.id, worker.pid()),
        "    running  waiting_room  script  attempt 1".to_owned(),
    ] {
        assert!(text.stdout.contains(&expected), "missing {expected:?} in:\n{}", text.stdout);
    }
}

#[test]
fn status_of_a_worker_gone_and_an_empty_fleet() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = read_only_config(&redis, dir.path());
    let config = config.to_str().expect("path");
    let empty = run_cli(&["status", "--config", config], Duration::from_secs(10));
    assert!(empty.status.success(), "{}", empty.stderr);
    assert!(empty.stdout.contains("queue       0 waiting\n"), "{}", empty.stdout);
    assert!(empty.stdout.contains("workers     0 known, 0 alive\n"), "{}", empty.stdout);

    redis.query::<()>(redis::cmd("SADD").arg("meetbot:workers").arg("gone-1"));
    let out = run_cli(&["status", "--json", "--config", config], Duration::from_secs(10));
    assert!(out.status.success(), "{}", out.stderr);
    let status: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(status["workers"][0]["id"], "gone-1");
    assert_eq!(status["workers"][0]["alive"], false);
    assert_eq!(status["workers_alive"], 0);
}
