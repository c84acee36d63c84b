//! Fleet failover bench (issue "Run it as a fleet", item 6): 4 workers with 2 slots each on one
//! `redis-server` with AOF (`appendfsync always`), 400 jobs of the scripted no-op plugin (calls of
//! 1-20 s, some denied in the lobby, some scheduled), while the bench:
//!
//! 1. kill -9 one worker and restarts it with the same id;
//! 2. kill -9 another and never restarts it (its jobs come back through peer recovery);
//! 3. SIGSTOPs a third for three heartbeat TTLs, then SIGCONTs it;
//! 4. kill -9 Redis and restarts it on the same data;
//! 5. SIGTERMs the last one and starts a new worker in its place.
//!
//! At the end it checks: every job has exactly one terminal record and one results/failures entry;
//! no job ran twice at the same time (the plugin brackets each run in the worker's log), except a
//! worker cut off from Redis (paused, or Redis restarted) for up to the TTL after it reaches Redis
//! again; the queue, processing lists and
//! schedule are empty; once the workers stop, Redis holds only the records and the clients' lists.
//! It prints jobs/s, redeliveries and how long the dead worker's jobs took to come back. A failed
//! check panics (exit non-zero); timings are printed, never asserted.
//!
//! Build first (`cargo build --release --workspace && cargo build --release -p
//! meetbot-test-plugins --examples`), then `cargo bench -p meetbot-host --bench fleet`.
//! `FLEET_JOBS=N` runs fewer jobs (the chaos steps stay the same).

#[path = "../common/mod.rs"]
mod common;

mod aof_redis;
mod census;
mod runs;
mod worker;

use std::{
    collections::{BTreeMap, HashMap},
    time::{Duration, Instant},
};

use aof_redis::AofRedis;
use chrono::{SecondsFormat, Utc};
use redis::aio::MultiplexedConnection;
use worker::{Launch, Process};

const QUEUE: &str = "jobs:meetbot:list";
const PREFIX: &str = "meetbot";
const RESULTS: &str = "jobs:meetbot:recordings";
const FAILURES: &str = "jobs:meetbot:failures";

const WORKERS: usize = 4;
const SLOTS: usize = 2;
const HEARTBEAT_TTL: Duration = Duration::from_secs(3);
/// Longest the bench waits for every job to end once the chaos is over.
const DRAIN: Duration = Duration::from_secs(1800);

/// What kind of job the n-th one is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A call of some seconds, ending `completed/left_normally`.
    Call,
    /// Denied in the lobby: `failed/denied_admission`.
    Denied,
    /// A call that waits in the schedule first.
    Scheduled,
}

struct Job {
    id: String,
    kind: Kind,
    message: String,
}

fn jobs(count: usize) -> Vec<Job> {
    let mut rng = fastrand::Rng::with_seed(9);
    (0..count)
        .map(|n| {
            let id = format!("fleet-{n:03}");
            let kind = match rng.u32(0..100) {
                0..15 => Kind::Denied,
                15..25 => Kind::Scheduled,
                _ => Kind::Call,
            };
            let call_ms = rng.u64(1_000..=20_000);
            let steps = match kind {
                Kind::Denied => format!("lobby_ms={}&outcome=denied_admission", rng.u64(500..=3_000)),
                _ => format!("call_ms={call_ms}"),
            };
            let mut job = serde_json::json!({
                "url": format!("https://script.test/{id}?{steps}"),
                "provider": "script",
                "name": "Fleet Bot",
                "teamId": "fleet",
                "userId": "bench",
                "bearerToken": "tok",
                "timezone": "UTC",
                "botId": id,
            });
            if kind == Kind::Scheduled {
                let join_at = Utc::now() + chrono::Duration::seconds(rng.i64(10..=90));
                job["joinAt"] = join_at.to_rfc3339_opts(SecondsFormat::Secs, true).into();
            }
            Job { id, kind, message: job.to_string() }
        })
        .collect()
}

/// The fleet: every process started so far (running or ended) and how to start more.
struct Fleet<'a> {
    launch: Launch<'a>,
    processes: Vec<Process>,
    started: HashMap<String, usize>,
}

impl<'a> Fleet<'a> {
    async fn start(&mut self, worker_id: &str) -> usize {
        let incarnation = self.started.entry(worker_id.to_owned()).or_insert(0);
        *incarnation += 1;
        let process = Process::start(&self.launch, worker_id, *incarnation).await;
        self.processes.push(process);
        self.processes.len() - 1
    }

    /// The running process of `worker_id`.
    fn of(&mut self, worker_id: &str) -> &mut Process {
        self.processes
            .iter_mut()
            .rev()
            .find(|p| p.worker_id == worker_id && p.running())
            .unwrap_or_else(|| panic!("{worker_id} is not running"))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let count: usize = std::env::var("FLEET_JOBS").ok().and_then(|n| n.parse().ok()).unwrap_or(400);
    let (binary, plugin) = common::worker_binary();
    // Kept after the run: the worker logs are what a failed check is read against.
    let root = tempfile::Builder::new().prefix("meetbot-fleet-").tempdir().expect("temp dir").keep();
    let mut redis = AofRedis::start(root.join("redis")).await;
    let url = redis.url();
    let launch = Launch {
        binary: &binary,
        plugin: &plugin,
        redis_url: &url,
        slots: SLOTS,
        heartbeat_ttl_secs: HEARTBEAT_TTL.as_secs(),
        root: &root,
    };
    let mut fleet = Fleet { launch, processes: Vec::new(), started: HashMap::new() };
    for n in 1..=WORKERS {
        fleet.start(&format!("w{n}")).await;
    }
    println!("fleet bench: {WORKERS} workers x {SLOTS} slots, {count} jobs, heartbeat TTL {HEARTBEAT_TTL:?}");
    println!("  worker folders and logs, redis AOF data: {}", root.display());

    let jobs = jobs(count);
    let mut conn = redis.conn().await;
    let mut pipe = redis::pipe();
    for job in &jobs {
        pipe.rpush(QUEUE, &job.message).ignore();
    }
    let () = pipe.query_async(&mut conn).await.expect("RPUSH the jobs");
    let started = Instant::now();
    println!("[   0.0 s] {count} jobs pushed at {}", Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true));
    let at = |secs: u64| tokio::time::sleep_until((started + Duration::from_secs(secs)).into());

    at(10).await;
    step(started, "kill -9 w1, restart it with the same id");
    fleet.of("w1").kill();
    tokio::time::sleep(Duration::from_secs(2)).await;
    fleet.start("w1").await;

    at(30).await;
    step(started, "kill -9 w2 for good");
    let held: Vec<String> = redis::cmd("LRANGE")
        .arg(format!("{QUEUE}:processing:w2"))
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .expect("LRANGE");
    fleet.of("w2").kill();
    let recovery = recover_time(&mut conn, &held, Instant::now()).await;

    at(50).await;
    step(started, &format!("SIGSTOP w3 for {:?}, then SIGCONT", HEARTBEAT_TTL * 3));
    fleet.of("w3").pause(HEARTBEAT_TTL * 3).await;

    at(75).await;
    step(started, "kill -9 redis, restart it on its AOF");
    let killed = Utc::now();
    let down = redis.kill_and_restart(Duration::from_secs(2)).await;
    let back = Utc::now();
    for process in fleet.processes.iter_mut().filter(|p| p.running()) {
        process.cut_off.push((killed, back));
    }
    conn = redis.conn().await;
    step(started, &format!("redis back after {down:.1?}"));

    at(95).await;
    step(started, "SIGTERM w4, start w5");
    let clean = fleet.of("w4").terminate(Duration::from_secs(60)).await;
    assert!(clean, "w4 did not shut down cleanly within 60 s");
    fleet.start("w5").await;

    let ended = wait_all_ended(&mut conn, &jobs, started).await;
    let elapsed = started.elapsed();
    step(started, "every job ended; stopping the fleet");
    for process in fleet.processes.iter_mut().filter(|p| p.running()) {
        assert!(process.terminate(Duration::from_secs(30)).await, "{} did not stop cleanly", process.worker_id);
    }

    let report = check(&mut conn, &jobs, &ended, &fleet.processes).await;
    println!("\nfigures");
    println!("  jobs/s (all {count} jobs, first push to last end): {:.2}", count as f64 / elapsed.as_secs_f64());
    println!("  wall time: {elapsed:.1?}");
    println!("  redeliveries (sum of attempt - 1): {}", report.redeliveries);
    match recovery {
        Some((back, running)) => println!(
            "  dead worker w2: {} messages back in the queue after {back:.1?}, all running elsewhere after {running:.1?}",
            held.len()
        ),
        None => println!("  dead worker w2 held no message when killed"),
    }
    println!(
        "  runs a worker went on with after reaching redis again (paused, redis restarted) while a peer ran the job: {}",
        report.cut_off_overlaps
    );
    println!("  end reasons: {:?}", report.reasons);
    println!("  keys once the fleet stopped: {:?}", report.keys);
    println!("fleet bench: all checks passed");
}

fn step(started: Instant, what: &str) {
    println!("[{:>6.1} s] {what}", started.elapsed().as_secs_f64());
}

/// How long until the dead worker's processing list is empty (its messages back in the queue),
/// and until each of its jobs runs on (or was ended by) another worker.
async fn recover_time(
    conn: &mut MultiplexedConnection,
    held: &[String],
    killed: Instant,
) -> Option<(Duration, Duration)> {
    if held.is_empty() {
        return None;
    }
    let ids: Vec<String> = held
        .iter()
        .filter_map(|m| serde_json::from_str::<serde_json::Value>(m).ok()?["botId"].as_str().map(str::to_owned))
        .collect();
    let mut back = None;
    loop {
        assert!(killed.elapsed() < Duration::from_secs(60), "w2's jobs were not recovered within 60 s");
        let left: usize =
            redis::cmd("LLEN").arg(format!("{QUEUE}:processing:w2")).query_async(conn).await.expect("LLEN");
        if left == 0 && back.is_none() {
            back = Some(killed.elapsed());
        }
        let mut elsewhere = true;
        for id in &ids {
            let worker: Option<String> = redis::cmd("HGET")
                .arg(format!("{PREFIX}:job:{id}"))
                .arg("worker")
                .query_async(conn)
                .await
                .expect("HGET");
            elsewhere &= worker.is_some_and(|w| w != "w2");
        }
        if let (Some(back), true) = (back, elsewhere) {
            return Some((back, killed.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until every job's record is terminal; returns the records.
async fn wait_all_ended(
    conn: &mut MultiplexedConnection,
    jobs: &[Job],
    started: Instant,
) -> BTreeMap<String, HashMap<String, String>> {
    let mut last_print = Instant::now();
    loop {
        let mut pipe = redis::pipe();
        for job in jobs {
            pipe.cmd("HGETALL").arg(format!("{PREFIX}:job:{}", job.id));
        }
        let records: Vec<HashMap<String, String>> = match pipe.query_async(conn).await {
            Ok(records) => records,
            Err(error) => {
                println!("  (reading records: {error}; retrying)");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let done = records
            .iter()
            .filter(|r| matches!(r.get("state").map(String::as_str), Some("completed" | "failed")))
            .count();
        if done == jobs.len() {
            return jobs.iter().map(|j| j.id.clone()).zip(records).collect();
        }
        assert!(started.elapsed() < DRAIN, "only {done} of {} jobs ended within {DRAIN:?}", jobs.len());
        if last_print.elapsed() > Duration::from_secs(30) {
            step(started, &format!("{done} of {} jobs ended", jobs.len()));
            last_print = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// What the final checks found besides failures (which panic).
struct Report {
    redeliveries: u64,
    cut_off_overlaps: usize,
    reasons: BTreeMap<String, usize>,
    keys: BTreeMap<String, usize>,
}

async fn check(
    conn: &mut MultiplexedConnection,
    jobs: &[Job],
    records: &BTreeMap<String, HashMap<String, String>>,
    processes: &[Process],
) -> Report {
    let mut reasons = BTreeMap::new();
    let mut redeliveries = 0;
    for job in jobs {
        let record = &records[&job.id];
        let (state, reason) = (record["state"].as_str(), record.get("reason").map_or("", String::as_str));
        *reasons.entry(format!("{state}/{reason}")).or_insert(0) += 1;
        redeliveries += record.get("attempt").and_then(|a| a.parse::<u64>().ok()).unwrap_or(1) - 1;
        if job.kind == Kind::Denied {
            assert_eq!((state, reason), ("failed", "denied_admission"), "{}: {record:?}", job.id);
        } else if state != "completed" {
            // Delivered max_attempts (3) times, each cut short by the chaos: dead-lettered, as it should be.
            let attempts = record.get("attempt").and_then(|a| a.parse::<u32>().ok()).unwrap_or(0);
            assert!(reason == "internal_error" && attempts >= 3, "{} should have completed: {record:?}", job.id);
        }
    }

    let entries = census::entries_per_job(conn).await;
    for job in jobs {
        assert_eq!(entries.get(&job.id).copied(), Some(1), "{}: results/failures entries", job.id);
    }
    assert_eq!(entries.len(), jobs.len(), "entries for jobs the bench never sent: {entries:?}");

    let runs = runs::read_runs(processes);
    let ran: std::collections::BTreeSet<&str> = runs.iter().map(|r| r.job_id.as_str()).collect();
    assert_eq!(ran.len(), jobs.len(), "every job ran at least once");
    let slack = Duration::from_secs(1);
    let overlaps = runs::overlaps(&runs, processes, HEARTBEAT_TTL, slack);
    let listed: Vec<String> = overlaps.iter().map(ToString::to_string).collect();
    assert!(overlaps.is_empty(), "jobs ran twice at the same time:\n{}", listed.join("\n"));
    let cut_off_overlaps = runs::overlaps(&runs, processes, Duration::ZERO, Duration::ZERO).len();

    let keys = census::keys_by_kind(conn).await;
    let unexpected: Vec<_> = keys.keys().filter(|kind| !census::is_expected_at_rest(kind)).collect();
    assert!(unexpected.is_empty(), "keys left in flight or unbounded: {unexpected:?} (all: {keys:?})");
    assert_eq!(keys.get("job record").copied(), Some(jobs.len()), "{keys:?}");
    Report { redeliveries, cut_off_overlaps, reasons, keys }
}
