//! Redis as production runs it (issue 10, docs/OPERATIONS.md "Redis Sentinel and Redis Cluster"):
//! - behind Sentinel the worker asks the sentinels for the primary, and after the primary dies and
//!   a replica is promoted it finds the new one by itself: the job running through the failover,
//!   and jobs pushed after it, each end with one terminal record;
//! - on a Redis Cluster, with one hash tag in every key name, queue, REST and scheduled jobs run on
//!   the node serving that slot, `meetbot status` reads the fleet there, and a killed worker's job is
//!   recovered and run by a peer;
//! - configurations that cannot work (keys over several slots, a primary the sentinels do not
//!   know, a node that is no cluster node) stop start-up with one line saying why.
//!
//! Real `redis-server` processes on local ports (support/redis_ha.rs); the scripted test plugin.

mod support;

use std::{
    collections::HashMap,
    process::ExitStatus,
    time::{Duration, Instant},
};

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};
use support::{
    redis_ha::{Cluster, MASTER, Process, SentinelSet},
    *,
};

/// What `redis.url` says in these tests: only its scheme and credentials count, so its host is one
/// nothing listens on.
const UNUSED_URL: &str = "redis://127.0.0.1:1";

/// The cluster configuration: one hash tag in every key name; `worker` adds lines to `[worker]`.
fn cluster_config(cluster: &Cluster, worker: &str) -> String {
    format!(
        "[worker]\nmax_concurrent_jobs = 3\n{worker}\
         [redis]\nqueue = \"{{meetbot}}:jobs\"\nkey_prefix = \"{{meetbot}}\"\ncluster_nodes = {}\n\
         [notify]\nredis_results_list = \"{{meetbot}}:recordings\"\nredis_failures_list = \"{{meetbot}}:failures\"\n",
        cluster.nodes_toml()
    )
}

/// The job record `P:job:<id>` on `node`.
fn record(node: &Process, prefix: &str, job_id: &str) -> HashMap<String, String> {
    node.try_query(redis::cmd("HGETALL").arg(format!("{prefix}:job:{job_id}"))).unwrap_or_default()
}

/// Waits until the record on `node` has ended, and returns it.
fn ended(node: &Process, prefix: &str, job_id: &str, timeout: Duration) -> HashMap<String, String> {
    let mut last = HashMap::new();
    wait_until(timeout, &format!("job {job_id} ends"), || {
        last = record(node, prefix, job_id);
        matches!(last.get("state").map(String::as_str), Some("completed" | "failed"))
    });
    last
}

fn list(node: &Process, key: &str) -> Vec<Value> {
    let entries: Vec<String> = node.query(redis::cmd("LRANGE").arg(key).arg(0).arg(-1));
    entries.iter().map(|e| serde_json::from_str(e).expect("JSON entry")).collect()
}

/// The results-list records of `job_id`.
fn results_of(node: &Process, list_key: &str, job_id: &str) -> usize {
    list(node, list_key).iter().filter(|r| r["recordingId"] == job_id).count()
}

/// Waits for the worker to exit with 2 (a refused start) and returns its one line holding `text`.
fn refused(worker: &mut Worker, text: &str) -> String {
    let status: ExitStatus = worker.wait_exit(Duration::from_secs(30));
    let log = worker.log();
    assert_eq!(status.code(), Some(2), "exit code\n{log}");
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(text)).collect();
    assert_eq!(lines.len(), 1, "one line with {text:?}:\n{log}");
    lines[0].to_owned()
}

#[test]
fn behind_sentinel_the_worker_follows_the_primary_through_a_failover_and_loses_no_job() {
    let mut set = SentinelSet::start();
    let worker = Worker::start_with_url(
        UNUSED_URL,
        &format!("[redis]\nsentinels = {}\nsentinel_master = \"{MASTER}\"\n", set.sentinels_toml()),
    );
    let before = &set.primary;
    before.query::<i64>(redis::cmd("RPUSH").arg(QUEUE).arg(script_job("before", "call_ms=10")));
    let first = ended(before, "meetbot", "before", Duration::from_secs(20));
    assert_ended(&first, "completed", "left_normally");
    assert!(worker.log().contains(&format!("127.0.0.1:{}", set.primary.port)), "{}", worker.log());

    // A call that lasts through the failover; its record is on the replica before the primary dies,
    // so nothing is lost that Redis keeps.
    before.query::<i64>(redis::cmd("RPUSH").arg(QUEUE).arg(script_job("through", "call_ms=12000")));
    wait_until(Duration::from_secs(20), "the long call is in the meeting", || {
        record(before, "meetbot", "through").get("state").map(String::as_str) == Some("in_call")
    });
    let replicated: i64 = before.query(redis::cmd("WAIT").arg(1).arg(5000));
    assert_eq!(replicated, 1, "the replica has everything");
    let old_port = set.primary.port;
    set.primary.kill9();
    let killed = Instant::now();
    wait_until(Duration::from_secs(30), "the sentinels promote the replica", || {
        set.primary_port() == Some(set.replica.port)
    });
    let failover = killed.elapsed();
    let after = &set.replica;
    after.query::<i64>(redis::cmd("RPUSH").arg(QUEUE).arg(script_job("after", "call_ms=10")));

    let through = ended(after, "meetbot", "through", Duration::from_secs(60));
    assert_ended(&through, "completed", "left_normally");
    assert_eq!(through["attempt"], "1", "the call ran once, through the failover: {through:?}");
    let later = ended(after, "meetbot", "after", Duration::from_secs(30));
    assert_ended(&later, "completed", "left_normally");
    for job in ["before", "through", "after"] {
        assert_eq!(results_of(after, RESULTS, job), 1, "one results record for {job}");
    }
    assert!(list(after, DEAD).is_empty(), "nothing dead-lettered: {:?}", list(after, DEAD));
    let processing: i64 = after.query(redis::cmd("LLEN").arg(processing(&worker.id)));
    assert_eq!(processing, 0);
    let log = worker.log();
    assert!(log.contains("finding it again"), "the worker noticed the primary was gone:\n{log}");
    assert!(log.contains(&format!("127.0.0.1:{}", set.replica.port)), "found the new primary:\n{log}");
    assert!(!log.contains(&format!("127.0.0.1:{old_port}\" found")), "{log}");
    println!("failover took {failover:?}");

    // The CLI finds the primary the same way.
    let status =
        run_cli(&["status", "--json", "--config", worker.config_path.to_str().expect("path")], Duration::from_secs(20));
    assert!(status.status.success(), "{}", status.stderr);
    let fleet: Value = serde_json::from_str(&status.stdout).expect("status JSON");
    assert_eq!(fleet["queue"]["depth"], 0, "{fleet}");
}

#[test]
fn sentinels_that_monitor_no_such_primary_stop_start_up_naming_the_key() {
    let set = SentinelSet::start();
    let mut worker = Worker::spawn(
        UNUSED_URL,
        &format!("[redis]\nsentinels = {}\nsentinel_master = \"no-such-primary\"\n", set.sentinels_toml()),
    );
    let line = refused(&mut worker, "no sentinel monitors a primary named `no-such-primary`");
    assert!(line.contains("redis.sentinel_master"), "{line}");
}

#[test]
fn on_a_cluster_queue_rest_and_scheduled_jobs_run_on_the_node_serving_meetbots_slot() {
    let cluster = Cluster::start();
    let mut worker = Worker::start_with_url(UNUSED_URL, &cluster_config(&cluster, ""));
    let node = cluster.owner_of("{meetbot}:jobs");
    assert!(worker.log().contains(&format!("127.0.0.1:{}", node.port)), "{}", worker.log());

    node.query::<i64>(redis::cmd("RPUSH").arg("{meetbot}:jobs").arg(script_job("queued", "call_ms=10")));
    let response = worker.post("/v1/jobs", &script_job_value("rested", "call_ms=10"));
    assert_eq!(response.status, 202, "{}", response.body);
    let mut scheduled = script_job_value("scheduled", "call_ms=10");
    let due = Utc::now() + chrono::Duration::seconds(2);
    scheduled["joinAt"] = json!(due.to_rfc3339_opts(SecondsFormat::Millis, true));
    node.query::<i64>(redis::cmd("RPUSH").arg("{meetbot}:jobs").arg(scheduled.to_string()));

    for job in ["queued", "rested", "scheduled"] {
        let done = ended(node, "{meetbot}", job, Duration::from_secs(30));
        assert_ended(&done, "completed", "left_normally");
        assert_eq!(results_of(node, "{meetbot}:recordings", job), 1, "one results record for {job}");
    }
    let keys: Vec<String> = node.query(redis::cmd("KEYS").arg("*"));
    assert!(keys.iter().all(|k| k.contains("{meetbot}")), "every key carries the hash tag: {keys:?}");
    for other in cluster.nodes.iter().filter(|n| n.port != node.port) {
        let size: i64 = other.query(&redis::cmd("DBSIZE"));
        assert_eq!(size, 0, "nothing on node {}", other.port);
    }

    let status =
        run_cli(&["status", "--json", "--config", worker.config_path.to_str().expect("path")], Duration::from_secs(20));
    assert!(status.status.success(), "{}", status.stderr);
    let fleet: Value = serde_json::from_str(&status.stdout).expect("status JSON");
    let workers = fleet["workers"].as_array().expect("workers");
    assert!(workers.iter().any(|w| w["id"] == worker.id.as_str()), "{fleet}");

    worker.sigterm();
    assert!(worker.wait_exit(Duration::from_secs(20)).success(), "{}", worker.log());
}

#[test]
fn on_a_cluster_a_killed_workers_job_is_recovered_and_run_by_a_peer() {
    let cluster = Cluster::start();
    let config = |id: &str| cluster_config(&cluster, &format!("id = \"{id}\"\nheartbeat_ttl_secs = 3\n"));
    let mut doomed = Worker::start_with_url(UNUSED_URL, &config("doomed"));
    let node = cluster.owner_of("{meetbot}:jobs");
    node.query::<i64>(redis::cmd("RPUSH").arg("{meetbot}:jobs").arg(script_job("orphan", "call_ms=1500")));
    wait_until(Duration::from_secs(20), "the doomed worker runs the job", || {
        record(node, "{meetbot}", "orphan").get("worker").map(String::as_str) == Some("doomed")
    });
    doomed.kill9();
    let peer = Worker::start_with_url(UNUSED_URL, &config("peer"));
    let done = ended(node, "{meetbot}", "orphan", Duration::from_secs(30));
    assert_ended(&done, "completed", "left_normally");
    assert_eq!((done["worker"].as_str(), done["attempt"].as_str()), ("peer", "2"), "{done:?}");
    assert_eq!(results_of(node, "{meetbot}:recordings", "orphan"), 1);
    let processing: i64 = node.query(redis::cmd("LLEN").arg("{meetbot}:jobs:processing:doomed"));
    assert_eq!(processing, 0, "the dead worker's list was emptied");
    let known: bool = node.query(redis::cmd("SISMEMBER").arg("{meetbot}:workers").arg("doomed"));
    assert!(!known, "the dead worker is forgotten\n{}", peer.log());
}

#[test]
fn a_cluster_configuration_whose_keys_would_spread_over_slots_is_refused_naming_the_key() {
    let cluster = Cluster::start();
    let spread = cluster_config(&cluster, "").replace("key_prefix = \"{meetbot}\"", "key_prefix = \"meetbot\"");
    let mut worker = Worker::spawn(UNUSED_URL, &spread);
    let line = refused(&mut worker, "`redis.key_prefix`");
    assert!(line.contains("hash tag"), "{line}");

    let other_slot = cluster_config(&cluster, "")
        .replace("redis_failures_list = \"{meetbot}:failures\"", "redis_failures_list = \"{other}:failures\"");
    let mut worker = Worker::spawn(UNUSED_URL, &other_slot);
    let line = refused(&mut worker, "`notify.redis_failures_list`");
    assert!(line.contains("slot"), "{line}");
}

#[test]
fn a_server_that_is_no_cluster_node_in_cluster_nodes_stops_start_up() {
    let plain = RedisServer::start();
    let config = format!(
        "[redis]\nqueue = \"{{meetbot}}:jobs\"\nkey_prefix = \"{{meetbot}}\"\ncluster_nodes = [\"127.0.0.1:{}\"]\n\
         [notify]\nredis_results_list = \"{{meetbot}}:r\"\nredis_failures_list = \"{{meetbot}}:f\"\n",
        plain.port
    );
    let mut worker = Worker::spawn(UNUSED_URL, &config);
    let line = refused(&mut worker, "is not a cluster node");
    assert!(line.contains(&format!("127.0.0.1:{}", plain.port)), "{line}");
}
