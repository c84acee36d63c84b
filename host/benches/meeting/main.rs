//! Meeting benchmark (docs/NOTES.md, goals G1 "job taken → name typed / asked to join", G2
//! "admitted → `in_call` reported", G3 "admitted → recording running", G4 "host ends the call →
//! job ends", G8 "CPU while recording 1280x720", G11 "memory during a call, host + browser", G12
//! "idle worker", G16 "memory across a 1 h recording", G6 "denied → job ends", G7 "You can't join
//! this video call / Check your meeting code / sign-in wall → job ends, each with its own
//! reason", G5 "everyone left → bot leaves after `everyone_left_timeout_secs`, clicking Leave"). Prints figures next to their floor, a bare
//! Chromium launch measured in the same run; it never fails on a threshold, since these machines
//! are noisy.
//!
//! 1. The floor: a bare headless Chromium launch until it prints "DevTools listening on".
//! 2. Join speed of the real `meetbot` binary with the Google Meet and Teams plugins against the
//!    fake Google Meet and then the fake Teams of `meetbot-fixtures` (instant admission), one job
//!    at a time: RPUSH → `joining` event, job taken → the page's `name_typed` / `join_asked`, the
//!    page's `admitted` → `in_call` event and → the worker's "recording started" log line,
//!    `end_meeting` → the job's terminal event; and the join path traced from the worker's log
//!    (`trace.rs`: each step from the message taken to the join click, median ms).
//!    `MEETBOT_BENCH_ONLY_JOIN` (any value) ends the bench after this part. `MEETBOT_BENCH_SPARE`
//!    (any value) gives every worker of the bench a spare browser (`browser.spare`).
//! 3. Memory during a recorded call: the worker and all its descendants sampled every 200 ms
//!    (RSS, and PSS from `smaps_rollup`), and the idle worker's RSS before any job.
//! 4. Recording cost: CPU of the worker and of the browser tree over 60 s of recording at the
//!    default 1280x720, and the worker's RSS at the start and end of a long recording
//!    (`MEETBOT_BENCH_LONG_SECS`, default 600). Its floor: the same call on a worker with
//!    recording off (CPU and peak memory), so the figure splits into the page's own cost and the
//!    recording's, and sizes deployments that do not record.
//!    `MEETBOT_BENCH_BROWSER_ARGS` (space-separated) adds switches to every worker's
//!    `browser.args`, to weigh a switch against the defaults.
//! 5. The cost per meeting side by side (G8, G9, G10; `cost_per_meeting`): a bare Chromium, an
//!    unrecorded, a recorded and a sound-only call, and two recorded calls at once on one worker
//!    with two slots, each over the same window (`MEETBOT_BENCH_COST_SECS`, default 30): cores per
//!    call and per meeting-hour, and each recording's frames/s, longest video gap and audio
//!    dropouts from its `meeting.json`. `MEETBOT_BENCH_VARIANTS` adds rows with one change each.
//!    `MEETBOT_BENCH_ONLY_COST` (any value) runs parts 1 and 5 alone (a quick run, about 4 minutes).
//! 6. Jobs the meeting ends, a few of each on the fake Meet: lobby denial (the page's `denied` →
//!    the terminal event), refusals before asking (blocked, not found, sign-in wall: job taken →
//!    the terminal event), and everyone leaving (the count dropping to 1 plus the job's
//!    `everyone_left_timeout_secs` → the page's `leave_clicked`).
//!
//! Times on both sides are wall-clock (ms since the UNIX epoch): events are stamped on arrival,
//! the fake pages stamp their actions with `Date.now()` (the same machine's clock), and the
//! worker's JSON log lines carry their own timestamp.
//!
//! Needs `redis-server`, `/usr/bin/chromium`, and the worker binary plus the Google Meet and Teams
//! plugins built first: `cargo build --workspace --release && cargo bench -p meetbot-host --bench meeting`.

#[path = "../common/mod.rs"]
mod common;

mod call_memory;
mod calls;
mod cost_per_meeting;
mod endings;
mod events;
mod join;
mod launch;
mod proc_tree;
mod recording_cost;
mod stats;
mod trace;
mod worker;

use std::{
    fs,
    process::Command,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use meetbot_fixtures::{FixtureServer, Scenario};

use call_memory::print_call_memory;
use calls::unrecorded_call;
use common::Redis;
use cost_per_meeting::{Bench, print_cost_per_meeting};
use endings::print_endings;
use events::Events;
use join::{MEET, TEAMS, print_joins};
use launch::bare_launch;
use proc_tree::{clock_ticks, memory};
use recording_cost::print_recording_cost;
use stats::{median, mib, mib_or, summary};
use worker::{Recording, Worker, worker_binary};

const QUEUE: &str = "jobs:meetbot:list";
const EVENTS: &str = "meetbot:events";
const CHROMIUM: &str = "/usr/bin/chromium";

/// Bare Chromium launches.
const LAUNCH_ROUNDS: usize = 5;
/// Meetings joined one at a time for the join figures.
const JOIN_ROUNDS: usize = 5;
/// How long each of those stays in the call once recording runs, before the host ends it.
const JOIN_CALL: Duration = Duration::from_secs(2);
/// The call whose memory is sampled.
const MEMORY_CALL: Duration = Duration::from_secs(20);
/// Memory sampling period during that call.
const MEMORY_EVERY: Duration = Duration::from_millis(200);
/// The recording whose CPU is measured.
const CPU_WINDOW: Duration = Duration::from_secs(60);
/// Sampling period during the recording-cost meeting (CPU deltas per process, RSS, PSS).
const RECORDING_EVERY: Duration = Duration::from_secs(1);
/// How long the unrecorded call (the floor of the recording cost) is measured.
const FLOOR_WINDOW: Duration = Duration::from_secs(20);
/// How long each row of the cost per meeting is measured, unless `MEETBOT_BENCH_COST_SECS` says.
const COST_WINDOW: Duration = Duration::from_secs(30);
/// How long any one awaited condition may take before the bench gives up.
const WAIT: Duration = Duration::from_secs(60);
/// Jobs per scenario for the ending figures.
const ENDING_ROUNDS: usize = 3;
/// The `everyone_left_timeout_secs` the everyone-leaves jobs carry in their `autoLeave`.
const EVERYONE_LEFT: Duration = Duration::from_secs(1);
/// How long after a job's terminal event a page report may still arrive (the page stamps it
/// before the bot closes the browser, the report may land after).
const REPORT_GRACE: Duration = Duration::from_secs(2);

/// Wall-clock milliseconds since the UNIX epoch (the clock the fake pages stamp actions with).
fn now_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64() * 1000.0).unwrap_or_default()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let bench_started = Instant::now();
    let long = Duration::from_secs(
        std::env::var("MEETBOT_BENCH_LONG_SECS").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(600),
    );
    let binary = worker_binary();
    let ticks = clock_ticks();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let chromium = Command::new(CHROMIUM)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    println!("meetbot meeting benchmark: {} ({cores} cores; {chromium})", binary.display());
    println!("{}", common::wakeup::summary());
    if let Ok(extra) = std::env::var("MEETBOT_BENCH_BROWSER_ARGS") {
        println!("extra browser.args: {extra}");
    }

    // 1. The floor.
    let launches: Vec<f64> = (0..LAUNCH_ROUNDS).map(|_| bare_launch().as_secs_f64() * 1000.0).collect();
    let launch = median(&launches);
    println!("bare Chromium launch to \"DevTools listening on\" ({LAUNCH_ROUNDS} runs): {}", summary(&launches));

    let redis = Redis::start().await;
    let fixtures = FixtureServer::start_on(0).expect("start the fake meeting platforms");
    let max_call_secs = long.max(CPU_WINDOW).as_secs() + 600;
    let worker = Worker::start(&binary, redis.port, &fixtures, max_call_secs, Recording::Video).await;
    let mut conn = redis.client.get_multiplexed_async_connection().await.expect("connect to redis");
    let mut events = Events::subscribe(&redis).await;
    let cost_window = Duration::from_secs(
        std::env::var("MEETBOT_BENCH_COST_SECS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(COST_WINDOW.as_secs()),
    );
    if std::env::var_os("MEETBOT_BENCH_ONLY_COST").is_some() {
        let mut bench =
            Bench { binary: &binary, redis: &redis, fixtures: &fixtures, events: &mut events, max_call_secs, ticks };
        print_cost_per_meeting(&mut bench, cost_window).await;
        drop(events);
        drop(worker);
        let _ = fs::remove_dir_all(binary.parent().expect("the worker's folder"));
        println!("bench took {:.0} s", bench_started.elapsed().as_secs_f64());
        return;
    }

    // 3 (first part). The idle worker, before any job.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = memory(worker.pid());
    println!(
        "idle worker before any job: RSS {:.1} MiB, PSS {}  (goal ≤ 25 MiB RSS)",
        mib(idle.host_rss),
        mib_or(idle.host_pss)
    );

    // 2. Join speed.
    print_joins(MEET, launch, &mut conn, &mut events, &worker, &fixtures).await;
    print_joins(TEAMS, launch, &mut conn, &mut events, &worker, &fixtures).await;
    if std::env::var_os("MEETBOT_BENCH_ONLY_JOIN").is_some() {
        println!("MEETBOT_BENCH_ONLY_JOIN set: the other parts are skipped");
        drop(events);
        drop(worker);
        let _ = fs::remove_dir_all(binary.parent().expect("the worker's folder"));
        return;
    }
    worker.wait_no_children().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_after = memory(worker.pid());
    println!(
        "idle worker after {JOIN_ROUNDS} jobs: RSS {:.1} MiB, PSS {}",
        mib(idle_after.host_rss),
        mib_or(idle_after.host_pss)
    );

    // 3. Memory during a recorded call.
    print_call_memory(&mut conn, &mut events, &worker, &fixtures, ticks).await;

    // 4. Recording cost, and memory across a long recording; first its floor, the same call unrecorded.
    worker.wait_no_children().await;
    let floor = unrecorded_call(&binary, &redis, &fixtures, &mut events, max_call_secs, ticks).await;
    print_recording_cost(&mut conn, &mut events, &worker, &fixtures, long, ticks, floor).await;

    // 5. The cost per meeting, side by side.
    worker.wait_no_children().await;
    let mut bench =
        Bench { binary: &binary, redis: &redis, fixtures: &fixtures, events: &mut events, max_call_secs, ticks };
    print_cost_per_meeting(&mut bench, cost_window).await;

    // 6. Jobs the meeting ends.
    println!("jobs the meeting ends, fake Google Meet, {ENDING_ROUNDS} recorded jobs per scenario one at a time:");
    let left_after = EVERYONE_LEFT.as_secs();
    let endings = [
        (Scenario::LobbyDenied, "lobby denied: `denied` shown → terminal event:".to_owned(), "≤ 1000 ms"),
        (Scenario::Blocked, "\"You can't join this video call\": taken → terminal:".to_owned(), "≤ 5000 ms"),
        (Scenario::NotFound, "\"Check your meeting code\": job taken → terminal:".to_owned(), "≤ 5000 ms"),
        (Scenario::SignInRequired, "sign-in wall: job taken → terminal event:".to_owned(), "≤ 5000 ms"),
        (Scenario::EveryoneLeaves, format!("everyone left: alone + {left_after} s → `leave_clicked`:"), "≤ 500 ms"),
    ];
    for (scenario, label, goal) in endings {
        print_endings(scenario, &label, goal, &mut conn, &mut events, &worker, &fixtures).await;
    }

    drop(events);
    drop(worker);
    let _ = fs::remove_dir_all(binary.parent().expect("the worker's folder"));
    println!("bench took {:.0} s", bench_started.elapsed().as_secs_f64());
}
