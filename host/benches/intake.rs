//! Intake benchmark (docs/NOTES.md, goals G15 "intake, one worker", G14 "queue → plugin run",
//! G13 "a slot frees → next queued job starts"). Prints figures next to their floor, measured in the same run; it never
//! fails on a threshold, since these machines are noisy.
//!
//! 1. The floor: `redis-benchmark` RPUSH and LPOP against a private `redis-server`.
//! 2. Intake throughput of the real `meetbot` binary with the scripted no-op plugin, with 8 slots
//!    and with 1 slot: N jobs pushed at once (`MEETBOT_BENCH_INTAKE_JOBS`, default 10000), timed
//!    until N results records exist.
//! 3. RPUSH → `joining` event latency, one job at a time on an idle worker.
//! 4. A slot frees → the next queued job starts, with one slot.
//!
//! Needs `redis-server` and `redis-benchmark` on PATH, and the worker binary plus the scripted test
//! plugin (an example of `tests/plugins`, in `target/release/examples/`) built first:
//! `cargo build --workspace --release && cargo build --release -p meetbot-test-plugins --examples`,
//! then `cargo bench -p meetbot-host --bench intake`. Each worker loads the plugin from a folder of
//! its own.

mod common;

use common::{Redis, Worker, scripted_worker, worker_binary};

use std::{
    collections::HashMap,
    fs,
    process::Command,
    time::{Duration, Instant},
};

use futures::StreamExt;
use redis::{AsyncCommands, aio::MultiplexedConnection};
use tokio::sync::mpsc;

const QUEUE: &str = "jobs:meetbot:list";
const DEAD: &str = "jobs:meetbot:list:dead";
const RESULTS: &str = "jobs:meetbot:recordings";
const FAILURES: &str = "jobs:meetbot:failures";
const EVENTS: &str = "meetbot:events";

/// Jobs per throughput run, unless `MEETBOT_BENCH_INTAKE_JOBS` says: at about 10000 jobs/s a run
/// of 2000 lasts 0.2 s, which scheduling noise alone moves by a quarter.
fn jobs() -> usize {
    std::env::var("MEETBOT_BENCH_INTAKE_JOBS").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(10_000)
}

/// Jobs run before each throughput run, so scripts are loaded and the consumer is blocking.
const WARMUP: usize = 50;
/// Single jobs timed from RPUSH to `joining`.
const LATENCY_ROUNDS: usize = 200;
/// Rounds of "slot frees → next job starts".
const SLOT_ROUNDS: usize = 50;
/// How long any one awaited condition may take before the bench gives up.
const WAIT: Duration = Duration::from_secs(30);

/// RPUSH and LPOP requests/s as `redis-benchmark` reports them.
struct Floor {
    rpush: f64,
    lpop: f64,
}

impl Floor {
    /// One RPUSH plus one LPOP, as a rate of whole jobs per second.
    fn per_job(&self) -> f64 {
        1.0 / (1.0 / self.rpush + 1.0 / self.lpop)
    }
}

fn redis_benchmark(port: u16, clients: u32, requests: u32) -> Floor {
    let output = Command::new("redis-benchmark")
        .args(["-p", &port.to_string(), "-c", &clients.to_string(), "-n", &requests.to_string()])
        .args(["-P", "1", "-t", "rpush,lpop", "-q"])
        .output()
        .expect("run redis-benchmark (is it installed and on PATH?)");
    let text = String::from_utf8_lossy(&output.stdout);
    let rate = |command: &str| -> f64 {
        text.split(['\r', '\n'])
            .map(str::trim)
            .filter(|line| line.contains("requests per second"))
            .find_map(|line| line.strip_prefix(command)?.strip_prefix(':')?.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {command} rate in redis-benchmark output:\n{text}"))
    };
    Floor { rpush: rate("RPUSH"), lpop: rate("LPOP") }
}

fn job(bot_id: &str, call_ms: u64) -> String {
    serde_json::json!({
        "url": format!("https://script.test/noop?call_ms={call_ms}"),
        "provider": "script",
        "name": "Bench",
        "teamId": "t",
        "userId": "u",
        "bearerToken": "b",
        "timezone": "UTC",
        "botId": bot_id,
    })
    .to_string()
}

async fn push_all(conn: &mut MultiplexedConnection, messages: &[String]) {
    let mut pipe = redis::pipe();
    for message in messages {
        pipe.rpush(QUEUE, message).ignore();
    }
    let () = pipe.query_async(conn).await.expect("pipelined RPUSH");
}

/// Waits until the results list holds `want` records; panics on any failure or dead letter.
async fn wait_results(conn: &mut MultiplexedConnection, want: usize, worker: &Worker) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (done, failed, dead, queued): (usize, usize, usize, usize) =
            redis::pipe().llen(RESULTS).llen(FAILURES).llen(DEAD).llen(QUEUE).query_async(conn).await.expect("LLEN");
        if failed + dead > 0 {
            let failure: Option<String> = conn.lindex(FAILURES, 0).await.unwrap_or_default();
            let dead_letter: Option<String> = conn.lindex(DEAD, 0).await.unwrap_or_default();
            panic!(
                "{failed} jobs failed and {dead} were dead-lettered; first failure: {failure:?}; \
                 first dead letter: {dead_letter:?}; worker log:\n{}",
                worker.log_tail()
            );
        }
        if done >= want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {done} of {want} results after 120 s ({queued} still queued); worker log:\n{}",
            worker.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Runs `WARMUP` jobs, then clears the results list, so the timed run starts on a warm worker.
async fn warm_up(conn: &mut MultiplexedConnection, worker: &Worker, label: &str) {
    let messages: Vec<String> = (0..WARMUP).map(|n| job(&format!("bench-warm-{label}-{n}"), 0)).collect();
    push_all(conn, &messages).await;
    wait_results(conn, WARMUP, worker).await;
    let _: () = conn.del(RESULTS).await.expect("DEL results");
}

/// Pushes [`jobs`] no-op jobs at once and times them until all results are written.
async fn throughput(conn: &mut MultiplexedConnection, worker: &Worker, label: &str) -> (Duration, Duration) {
    let messages: Vec<String> = (0..jobs()).map(|n| job(&format!("bench-{label}-{n}"), 0)).collect();
    let started = Instant::now();
    push_all(conn, &messages).await;
    let pushed = started.elapsed();
    wait_results(conn, messages.len(), worker).await;
    (started.elapsed(), pushed)
}

/// CPU seconds used so far by Redis (`INFO cpu`) and the worker (`/proc/<pid>/stat`), to split
/// the cost of a run between them.
struct CpuMark {
    redis: f64,
    worker: f64,
}

async fn cpu_mark(conn: &mut MultiplexedConnection, worker: &Worker) -> CpuMark {
    let info: String = redis::cmd("INFO").arg("cpu").query_async(conn).await.expect("INFO cpu");
    let field = |name: &str| -> f64 {
        info.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':')?.trim().parse().ok()).unwrap_or(0.0)
    };
    CpuMark { redis: field("used_cpu_user") + field("used_cpu_sys"), worker: process_cpu(worker.pid()) }
}

/// User plus system CPU seconds of a process; 0 when /proc is not readable.
fn process_cpu(pid: u32) -> f64 {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / clock_ticks()
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// Redis commands per job since the last `CONFIG RESETSTAT` (script-internal calls included, and
/// their time counted in the script's too), most expensive first.
async fn commands_per_job(conn: &mut MultiplexedConnection, jobs: usize) -> String {
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(conn).await.expect("INFO commandstats");
    let mut rows: Vec<(String, f64, f64)> = info
        .lines()
        .filter_map(|line| {
            let (name, stats) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let value = |key: &str| -> Option<f64> {
                stats.split(',').find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
            };
            Some((name.to_owned(), value("calls")? / jobs as f64, value("usec")? / jobs as f64))
        })
        .filter(|(name, calls, _)| *calls >= 0.5 && name != "llen")
        .collect();
    rows.sort_by(|a, b| b.2.total_cmp(&a.2));
    rows.iter().map(|(name, calls, usec)| format!("{name} {calls:.1}× {usec:.0} µs")).collect::<Vec<_>>().join(", ")
}

async fn reset_stats(conn: &mut MultiplexedConnection) {
    let _: () = redis::cmd("CONFIG").arg("RESETSTAT").query_async(conn).await.expect("CONFIG RESETSTAT");
}

/// Prints where the time of a throughput run went.
async fn report_cost(conn: &mut MultiplexedConnection, worker: &Worker, label: &str, before: CpuMark, wall: Duration) {
    let after = cpu_mark(conn, worker).await;
    let per_job = |secs: f64| secs * 1e6 / jobs() as f64;
    println!(
        "  cost per job ({label}): wall {:.0} µs, redis-server CPU {:.0} µs ({:.0}% of a core), worker CPU {:.0} µs \
         ({:.0}% of a core)",
        per_job(wall.as_secs_f64()),
        per_job(after.redis - before.redis),
        100.0 * (after.redis - before.redis) / wall.as_secs_f64(),
        per_job(after.worker - before.worker),
        100.0 * (after.worker - before.worker) / wall.as_secs_f64(),
    );
    println!("  redis commands per job ({label}): {}", commands_per_job(conn, jobs()).await);
}

/// State-change events from `meetbot:events`, stamped on arrival, first arrival per
/// (job id, state) kept.
struct Events {
    rx: mpsc::UnboundedReceiver<(String, String, Instant)>,
    seen: HashMap<(String, String), Instant>,
    task: tokio::task::JoinHandle<()>,
}

impl Events {
    async fn subscribe(redis: &Redis) -> Self {
        let mut pubsub = redis.client.get_async_pubsub().await.expect("pub/sub connection");
        pubsub.subscribe(EVENTS).await.expect("SUBSCRIBE");
        let mut stream = pubsub.into_on_message();
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Some(message) = stream.next().await {
                let at = Instant::now();
                let Ok(payload) = message.get_payload::<String>() else { continue };
                let Ok(event) = serde_json::from_str::<serde_json::Value>(&payload) else { continue };
                let field = |name: &str| event.get(name).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                if tx.send((field("job_id"), field("state"), at)).is_err() {
                    break;
                }
            }
        });
        Self { rx, seen: HashMap::new(), task }
    }

    /// When the first event with this job id and state arrived.
    async fn wait(&mut self, job_id: &str, state: &str, worker: &Worker) -> Instant {
        let key = (job_id.to_owned(), state.to_owned());
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(at) = self.seen.get(&key) {
                return *at;
            }
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some((id, st, at))) => {
                    self.seen.entry((id, st)).or_insert(at);
                }
                Ok(None) => panic!("the pub/sub subscription ended"),
                Err(_) => panic!(
                    "no `{state}` event for job {job_id} within {} s; worker log:\n{}",
                    WAIT.as_secs(),
                    worker.log_tail()
                ),
            }
        }
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// RPUSH → `joining` event, one job at a time on an idle worker.
/// Also returns each job's run: its first `joining` event → its `completed` event.
async fn start_latency(
    redis: &Redis,
    conn: &mut MultiplexedConnection,
    worker: &Worker,
) -> (Vec<Duration>, Vec<Duration>) {
    let mut events = Events::subscribe(redis).await;
    let mut samples = Vec::with_capacity(LATENCY_ROUNDS);
    let mut runs = Vec::with_capacity(LATENCY_ROUNDS);
    for n in 0..LATENCY_ROUNDS {
        let id = format!("bench-latency-{n}");
        let message = job(&id, 0);
        let pushed = Instant::now();
        let _: usize = conn.rpush(QUEUE, &message).await.expect("RPUSH");
        let joining = events.wait(&id, "joining", worker).await;
        samples.push(joining.saturating_duration_since(pushed));
        let completed = events.wait(&id, "completed", worker).await;
        runs.push(completed.saturating_duration_since(joining));
        // Idle again: the consumer is back in its blocking BLMOVE before the next push.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (samples, runs)
}

/// With one slot: job A (100 ms call) then job B queued behind it; A's `completed` event → B's
/// `joining` event.
async fn slot_handover(redis: &Redis, conn: &mut MultiplexedConnection, worker: &Worker) -> (Vec<Duration>, usize) {
    let mut events = Events::subscribe(redis).await;
    let mut samples = Vec::with_capacity(SLOT_ROUNDS);
    let mut early = 0;
    for n in 0..SLOT_ROUNDS {
        let a = format!("bench-slot-a-{n}");
        let b = format!("bench-slot-b-{n}");
        push_all(conn, &[job(&a, 100), job(&b, 0)]).await;
        let a_done = events.wait(&a, "completed", worker).await;
        let b_started = events.wait(&b, "joining", worker).await;
        if b_started < a_done {
            early += 1;
        }
        samples.push(b_started.saturating_duration_since(a_done));
        events.wait(&b, "completed", worker).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (samples, early)
}

/// Nearest-rank percentile of sorted samples, in ms.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    ms(sorted[rank.min(sorted.len()) - 1])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(mut samples: Vec<Duration>) -> String {
    samples.sort();
    format!(
        "p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms  (min {:.2} ms, n={})",
        percentile(&samples, 50.0),
        percentile(&samples, 90.0),
        percentile(&samples, 99.0),
        ms(*samples.last().expect("samples")),
        ms(samples[0]),
        samples.len()
    )
}

fn report_throughput(label: &str, (elapsed, pushed): (Duration, Duration), floor: &Floor, serial_floor: &Floor) {
    let jobs = jobs();
    let rate = jobs as f64 / elapsed.as_secs_f64();
    println!(
        "intake {label}: {jobs} jobs in {:.3} s = {rate:.0} jobs/s ({:.1}% of floor, {:.1}% of 1-client floor; \
         pipelined push took {:.1} ms)",
        elapsed.as_secs_f64(),
        100.0 * rate / floor.per_job(),
        100.0 * rate / serial_floor.per_job(),
        ms(pushed)
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (binary, plugin) = worker_binary();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let version = Command::new("redis-server")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    println!("meetbot intake benchmark: {} ({cores} cores; {version})", binary.display());
    println!("{}", common::wakeup::summary());

    let redis = Redis::start().await;

    // 1. The floor.
    let floor = redis_benchmark(redis.port, 50, 100_000);
    println!(
        "redis-benchmark floor (-c 50 -P 1): RPUSH {:.0}/s  LPOP {:.0}/s  → RPUSH+LPOP per job {:.0}/s",
        floor.rpush,
        floor.lpop,
        floor.per_job()
    );
    let serial = redis_benchmark(redis.port, 1, 20_000);
    println!(
        "redis-benchmark 1 client (-c 1 -P 1): RPUSH {:.0}/s  LPOP {:.0}/s  → RPUSH+LPOP per job {:.0}/s \
         (one round trip ≈ {:.0} µs)",
        serial.rpush,
        serial.lpop,
        serial.per_job(),
        2e6 / (serial.rpush + serial.lpop)
    );

    // The results list keeps `notify.redis_list_max_len` records: room for every job of a run.
    let results_room = [("MEETBOT__NOTIFY__REDIS_LIST_MAX_LEN", (jobs() + WARMUP).max(10_000).to_string())];

    // 2 and 3: eight slots.
    redis.flush().await;
    let mut conn = redis.conn().await;
    let wide = scripted_worker(&binary, &plugin, redis.port, 8, &results_room).await;
    warm_up(&mut conn, &wide, "8").await;
    reset_stats(&mut conn).await;
    let before = cpu_mark(&mut conn, &wide).await;
    let eight = throughput(&mut conn, &wide, "8").await;
    report_throughput("8 slots", eight, &floor, &serial);
    report_cost(&mut conn, &wide, "8 slots", before, eight.0).await;
    let (latency, runs) = start_latency(&redis, &mut conn, &wide).await;
    println!("RPUSH → `joining` event, idle worker (8 slots): {}", summary(latency));
    println!("  one no-op job's run, `joining` → `completed` event (8 slots): {}", summary(runs));
    drop(wide);

    // Not a goal, a diagnosis: with many slots a no-op job's own run time no longer caps the
    // rate, so this shows the ceiling of the intake path itself.
    redis.flush().await;
    let many = scripted_worker(&binary, &plugin, redis.port, 64, &results_room).await;
    warm_up(&mut conn, &many, "64").await;
    reset_stats(&mut conn).await;
    let before = cpu_mark(&mut conn, &many).await;
    let sixty_four = throughput(&mut conn, &many, "64").await;
    report_throughput("64 slots (diagnostic)", sixty_four, &floor, &serial);
    report_cost(&mut conn, &many, "64 slots", before, sixty_four.0).await;
    drop(many);

    // 2 and 4: one slot, a fresh worker.
    redis.flush().await;
    let narrow = scripted_worker(&binary, &plugin, redis.port, 1, &results_room).await;
    warm_up(&mut conn, &narrow, "1").await;
    reset_stats(&mut conn).await;
    let before = cpu_mark(&mut conn, &narrow).await;
    let one = throughput(&mut conn, &narrow, "1").await;
    report_throughput("1 slot ", one, &floor, &serial);
    report_cost(&mut conn, &narrow, "1 slot", before, one.0).await;
    let (latency, runs) = start_latency(&redis, &mut conn, &narrow).await;
    println!("RPUSH → `joining` event, idle worker (1 slot):  {}", summary(latency));
    println!("  one no-op job's run, `joining` → `completed` event (1 slot): {}", summary(runs));
    let (handover, early) = slot_handover(&redis, &mut conn, &narrow).await;
    println!("slot freed (A `completed` event) → next job B `joining` event, 1 slot: {}", summary(handover));
    if early > 0 {
        println!("  note: in {early} rounds B's `joining` arrived before A's `completed` (counted as 0 ms)");
    }
    drop(narrow);
    println!("goals: intake ≥ 30% of floor; RPUSH → joining p99 ≤ 5 ms; slot freed → next job ≤ 50 ms");
}
