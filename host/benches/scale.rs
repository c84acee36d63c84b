//! Fleet-scale bench (issue "Run it as a fleet", item 12): what N workers cost one Redis while they
//! wait for work, N = 10, 100, 1000. Each simulated worker runs the host's own background loops
//! against a private `redis-server`, the real scripts included: the heartbeat (with its ownership
//! check and the paced peer recovery), the paced schedule promoter, and the consumer's blocking
//! take (BLMOVE with the worker's block time). "Busy" workers also hold two running deliveries,
//! whose ownership each beat checks. A tenth of the workers are dead (a processing list and a
//! heartbeat deadline, no heartbeat): recovery must find them without walking the live ones.
//!
//! Prints, per N: Redis CPU (percent of one core) and commands/s, per worker and for the fleet.
//! Figures only, never pass/fail. `cargo bench -p meetbot-host --bench scale` (a release build of
//! the host library; no worker binary needed). `SCALE_SECS` sets the measured time per N (default 20).

mod common;

use std::time::{Duration, Instant};

use common::Redis;
use meetbot_host::{
    broker::{BLOCK_SECS, Endpoint, Keys, scripts},
    config::Config,
    queue::{FleetSize, Heartbeat, Promoter},
    store::{JobStore, RedisLink},
};
use tokio::sync::watch;

/// The heartbeat TTL of the simulated fleet (the default).
const TTL_SECS: u64 = 15;

#[tokio::main]
async fn main() {
    let secs: u64 = std::env::var("SCALE_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    println!("fleet scale: idle and busy workers against one redis-server, {secs} s measured per run");
    println!(
        "{:>6} {:>6} {:>14} {:>16} {:>18} {:>15}",
        "N", "kind", "redis CPU %", "commands/s", "commands/s/worker", "dead recovered"
    );
    for workers in [10, 100, 1000] {
        for busy in [false, true] {
            let figures = run(workers, busy, Duration::from_secs(secs)).await;
            println!(
                "{workers:>6} {:>6} {:>14.1} {:>16.0} {:>18.2} {:>11}/{dead}",
                if busy { "busy" } else { "idle" },
                figures.cpu_percent,
                figures.commands_per_sec,
                figures.commands_per_sec / workers as f64,
                figures.recovered,
                dead = workers / 10
            );
        }
    }
}

struct Figures {
    cpu_percent: f64,
    commands_per_sec: f64,
    recovered: usize,
}

async fn run(workers: usize, busy: bool, measured: Duration) -> Figures {
    let redis = Redis::start().await;
    let mut config = Config::default();
    config.redis.url = format!("redis://127.0.0.1:{}", redis.port);
    let endpoint = Endpoint::open(&config).expect("endpoint");
    let (stop_tx, stop) = watch::channel(false);
    let dead = workers / 10;
    let mut tasks = Vec::new();
    for n in 0..workers {
        let keys = keys_of(&format!("sim-{n}"), redis.port);
        let mut conn = endpoint.shared().expect("connect");
        if n < dead {
            // A dead worker: it held a message and had a deadline, long passed; no heartbeat key.
            let () = redis::cmd("RPUSH")
                .arg(&keys.processing)
                .arg(format!("held-by-{n}"))
                .query_async(&mut conn)
                .await
                .expect("RPUSH");
            let () = redis::cmd("ZADD")
                .arg(&keys.heartbeats)
                .arg(0)
                .arg(&keys.worker_id)
                .query_async(&mut conn)
                .await
                .expect("ZADD");
            continue;
        }
        let link = RedisLink { conn: conn.clone(), keys: keys.clone() };
        let store = JobStore::new(2, Some(link.clone()), 10_000);
        let fleet = FleetSize::default();
        tasks.push(tokio::spawn(Heartbeat::new(link.clone(), store, TTL_SECS, fleet.clone()).run(stop.clone())));
        tasks.push(tokio::spawn(Promoter::new(link.clone(), fleet).run(stop.clone())));
        tasks.push(tokio::spawn(idle_take(endpoint.clone(), keys.clone(), stop.clone())));
        if busy {
            tasks.push(tokio::spawn(check_two_jobs(link, stop.clone())));
        }
    }
    // Warm up: every loop has started and loaded its scripts.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut conn = redis.conn().await;
    let (cpu_before, commands_before) = redis_usage(&mut conn).await;
    let started = Instant::now();
    tokio::time::sleep(measured).await;
    let (cpu_after, commands_after) = redis_usage(&mut conn).await;
    let elapsed = started.elapsed().as_secs_f64();
    let mut recovered = 0;
    for n in 0..dead {
        let keys = keys_of(&format!("sim-{n}"), redis.port);
        let left: usize = redis::cmd("LLEN").arg(&keys.processing).query_async(&mut conn).await.expect("LLEN");
        recovered += usize::from(left == 0);
    }
    let _ = stop_tx.send(true);
    for task in tasks {
        task.abort();
    }
    Figures {
        cpu_percent: (cpu_after - cpu_before) / elapsed * 100.0,
        commands_per_sec: (commands_after - commands_before) as f64 / elapsed,
        recovered,
    }
}

fn keys_of(worker_id: &str, port: u16) -> Keys {
    let mut config = Config::default();
    config.worker.id = worker_id.to_owned();
    config.redis.url = format!("redis://127.0.0.1:{port}");
    Keys::new(&config)
}

/// The consumer's wait for work: BLMOVE with the worker's block time, on a connection of its own.
async fn idle_take(endpoint: Endpoint, keys: Keys, stop: watch::Receiver<bool>) {
    let mut conn = endpoint.blocking().await.expect("blocking connection");
    while !*stop.borrow() {
        let _: redis::RedisResult<Option<Vec<u8>>> = redis::cmd("BLMOVE")
            .arg(&keys.queue)
            .arg(format!("{}-sim", keys.processing))
            .arg("LEFT")
            .arg("RIGHT")
            .arg(BLOCK_SECS)
            .query_async(&mut conn)
            .await;
    }
}

/// What two running jobs add each beat: the ownership check of their deliveries.
async fn check_two_jobs(link: RedisLink, stop: watch::Receiver<bool>) {
    let jobs = [
        scripts::Delivery { job_id: "sim-job-a", attempt: 1, message: Some("a") },
        scripts::Delivery { job_id: "sim-job-b", attempt: 1, message: Some("b") },
    ];
    while !*stop.borrow() {
        let _ = scripts::check_owned(&mut link.conn.clone(), &link.keys, &jobs).await;
        tokio::time::sleep(Duration::from_secs(TTL_SECS) / 3).await;
    }
}

/// Redis' CPU seconds so far (user + system) and commands processed so far.
async fn redis_usage(conn: &mut redis::aio::MultiplexedConnection) -> (f64, u64) {
    let info: String = redis::cmd("INFO").arg("all").query_async(conn).await.expect("INFO");
    let field =
        |name: &str| -> Option<&str> { info.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':')) };
    let number = |name: &str| field(name).and_then(|v| v.trim().parse::<f64>().ok()).unwrap_or(0.0);
    let cpu = number("used_cpu_user") + number("used_cpu_sys");
    (cpu, number("total_commands_processed") as u64)
}
