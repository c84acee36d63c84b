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
//! 2. Join speed of the real `meetbot` binary with the Google Meet plugin against the fake Google
//!    Meet of `meetbot-fixtures` (instant admission), one job at a time: RPUSH → `joining` event,
//!    job taken → the page's `name_typed` / `join_asked`, the page's `admitted` → `in_call` event
//!    and → the worker's "recording started" log line, `end_meeting` → the job's terminal event.
//! 3. Memory during a recorded call: the worker and all its descendants sampled every 200 ms
//!    (RSS, and PSS from `smaps_rollup`), and the idle worker's RSS before any job.
//! 4. Recording cost: CPU of the worker and of the browser tree over 60 s of recording at the
//!    default 1280x720, and the worker's RSS at the start and end of a long recording
//!    (`MEETBOT_BENCH_LONG_SECS`, default 600). Its floor: the same call on a worker with
//!    recording off (CPU and peak memory), so the figure splits into the page's own cost and the
//!    recording's, and sizes deployments that do not record.
//!    `MEETBOT_BENCH_BROWSER_ARGS` (space-separated) adds switches to the worker's `browser.args`,
//!    to weigh a switch against the defaults.
//! 5. Jobs the meeting ends, a few of each on the fake Meet: lobby denial (the page's `denied` →
//!    the terminal event), refusals before asking (blocked, not found, sign-in wall: job taken →
//!    the terminal event), and everyone leaving (the count dropping to 1 plus the job's
//!    `everyone_left_timeout_secs` → the page's `leave_clicked`).
//!
//! Times on both sides are wall-clock (ms since the UNIX epoch): events are stamped on arrival,
//! the fake pages stamp their actions with `Date.now()` (the same machine's clock), and the
//! worker's JSON log lines carry their own timestamp.
//!
//! Needs `redis-server`, `/usr/bin/chromium`, and the worker binary plus the Google Meet plugin
//! built first: `cargo build --workspace --release && cargo bench -p meetbot-host --bench meeting`.

#[path = "../common/mod.rs"]
mod common;

mod calls;
mod endings;
mod events;
mod join;
mod launch;
mod proc_tree;
mod stats;
mod worker;

use std::{
    collections::HashMap,
    fs,
    process::Command,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use meetbot_fixtures::{FixtureServer, Scenario};

use calls::{end_call, recorded_frames, start_call, unrecorded_call};
use common::{Redis, rss};
use endings::print_endings;
use events::Events;
use join::{Round, join_round};
use launch::bare_launch;
use proc_tree::{CpuTracker, Peaks, clock_ticks, memory, own_cpu};
use stats::{breakdown, median, mib, mib_or, outcomes, summary};
use worker::{Worker, worker_binary};

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
    let worker = Worker::start(&binary, redis.port, &fixtures, max_call_secs, true).await;
    let mut conn = redis.client.get_multiplexed_async_connection().await.expect("connect to redis");
    let mut events = Events::subscribe(&redis).await;

    // 3 (first part). The idle worker, before any job.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = memory(worker.pid());
    println!(
        "idle worker before any job: RSS {:.1} MiB, PSS {}  (goal ≤ 25 MiB RSS)",
        mib(idle.host_rss),
        mib_or(idle.host_pss)
    );

    // 2. Join speed.
    println!("join, fake Google Meet with instant admission, {JOIN_ROUNDS} recorded jobs one at a time:");
    let mut rounds = Vec::with_capacity(JOIN_ROUNDS);
    for n in 0..JOIN_ROUNDS {
        rounds.push(join_round(n, &mut conn, &mut events, &worker, &fixtures).await);
    }
    let column = |f: fn(&Round) -> f64| rounds.iter().map(f).collect::<Vec<f64>>();
    println!("  RPUSH → `joining` event (job taken):          {}", summary(&column(|r| r.push_to_joining)));
    println!("  job taken → page loaded (browser launch + goto): {}", summary(&column(|r| r.joining_to_page)));
    println!(
        "  job taken → `name_typed`:                     {}  (goal ≤ 1200 ms; bare launch {launch:.0} ms)",
        summary(&column(|r| r.joining_to_name))
    );
    println!(
        "  job taken → `join_asked`:                     {}  (goal ≤ 1300 ms; bare launch {launch:.0} ms)",
        summary(&column(|r| r.joining_to_asked))
    );
    println!("  RPUSH → `name_typed`:                         {}", summary(&column(|r| r.push_to_name)));
    println!("  RPUSH → `join_asked`:                         {}", summary(&column(|r| r.push_to_asked)));
    println!(
        "  admitted → `in_call` event:                   {}  (goal ≤ 300 ms)",
        summary(&column(|r| r.admitted_to_in_call))
    );
    println!(
        "  admitted → \"recording started\" (worker log):  {}  (goal ≤ 1000 ms)",
        summary(&column(|r| r.admitted_to_recording))
    );
    println!(
        "  end_meeting → terminal event:                 {}  (goal ≤ 1000 ms, ended_by_host); outcomes: {}",
        summary(&column(|r| r.end_to_terminal)),
        outcomes(rounds.iter().map(|r| r.outcome.as_str()))
    );
    let leaving: Vec<f64> = rounds.iter().filter_map(|r| r.end_to_leaving).collect();
    if !leaving.is_empty() {
        println!("    of which end_meeting → `leaving` event:      {}", summary(&leaving));
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
    let call = start_call(&mut conn, &mut events, &worker, "bench-memory").await;
    let mut peaks = Peaks::default();
    let mut sampling = Duration::ZERO;
    let own = own_cpu(ticks);
    let mut tick = tokio::time::interval(MEMORY_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let begun = Instant::now();
    while begun.elapsed() < MEMORY_CALL {
        tick.tick().await;
        let sampled = Instant::now();
        peaks.add(memory(worker.pid()));
        sampling += sampled.elapsed();
    }
    let own = (own_cpu(ticks) - own) / begun.elapsed().as_secs_f64();
    let (_, terminal) = end_call(&fixtures, &mut events, &worker, &call).await;
    println!(
        "memory during a recorded call ({} s, a sample every {} ms: {} samples of up to {} processes, \
         {:.0} ms each on average; the bench itself used {own:.2} cores meanwhile):",
        MEMORY_CALL.as_secs(),
        MEMORY_EVERY.as_millis(),
        peaks.samples,
        peaks.processes,
        sampling.as_secs_f64() * 1000.0 / peaks.samples.max(1) as f64,
    );
    println!("  peak PSS host + browser: {}  (goal ≤ 500 MiB)", mib_or(peaks.total_pss));
    println!("    by process at the peak: {}", peaks.pss_breakdown());
    if peaks.pss_missing > 0 {
        println!("  ({} samples had an unreadable smaps_rollup and are left out of the PSS peak)", peaks.pss_missing);
    }
    println!("  peak RSS host + browser (sum, shared pages counted per process): {:.1} MiB", mib(peaks.total_rss));
    println!("  peak RSS host alone: {:.1} MiB  (goal ≤ 30 MiB)", mib(peaks.host_rss));
    println!("  job ended {}/{}", terminal.state, terminal.reason);

    // 4. Recording cost, and memory across a long recording; first its floor, the same call unrecorded.
    worker.wait_no_children().await;
    let floor = unrecorded_call(&binary, &redis, &fixtures, &mut events, max_call_secs, ticks).await;
    let length = long.max(CPU_WINDOW);
    let call = start_call(&mut conn, &mut events, &worker, "bench-recording").await;
    let started_ms = now_ms();
    let host_start = rss(worker.pid()).unwrap_or(0);
    let mut cpu = CpuTracker::start(worker.pid());
    let mut window: Option<(f64, f64, Duration)> = None;
    let mut window_by_kind = HashMap::new();
    let mut peaks = Peaks::default();
    let mut host_at_window = host_start;
    let own = own_cpu(ticks);
    let mut tick = tokio::time::interval(RECORDING_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let begun = Instant::now();
    while begun.elapsed() < length {
        tick.tick().await;
        cpu.sample();
        peaks.add(memory(worker.pid()));
        if window.is_none() && begun.elapsed() >= CPU_WINDOW {
            let (host, browser) = cpu.used(ticks);
            window = Some((host, browser, begun.elapsed()));
            window_by_kind = cpu.by_kind(ticks);
            host_at_window = rss(worker.pid()).unwrap_or(0);
        }
    }
    let host_end = rss(worker.pid()).unwrap_or(0);
    let (host_cpu, browser_cpu) = cpu.used(ticks);
    let whole = begun.elapsed();
    let own = (own_cpu(ticks) - own) / whole.as_secs_f64();
    let (ended, terminal) = end_call(&fixtures, &mut events, &worker, &call).await;
    let (window_host, window_browser, window_wall) = window.unwrap_or((host_cpu, browser_cpu, whole));
    if window.is_none() {
        window_by_kind = cpu.by_kind(ticks);
    }
    let secs = window_wall.as_secs_f64();
    println!(
        "recording at 1280x720 (window size default), the first {secs:.0} s from {:.0} ms after \"recording started\" \
         (the bench's own sampling used {own:.2} cores meanwhile):",
        started_ms - call.recording_started
    );
    println!(
        "  CPU: host {:.3} cores, browser tree {:.3} cores, together {:.3} cores  (goal ≤ 0.8 core)",
        window_host / secs,
        window_browser / secs,
        (window_host + window_browser) / secs
    );
    println!(
        "  CPU-seconds by process over those {secs:.0} s: {}  (together {:.1} s)",
        breakdown(&window_by_kind, " s", 1),
        window_host + window_browser
    );
    println!(
        "  recording's own share: {:+.3} cores over the unrecorded call ({:.3} cores)",
        (window_host + window_browser) / secs - floor,
        floor
    );
    println!(
        "  peak RSS host + browser (sum) {:.1} MiB, peak PSS {}, peak host RSS {:.1} MiB  \
         (whole {:.0} s recording, sampled every {} ms)",
        mib(peaks.total_rss),
        mib_or(peaks.total_pss),
        mib(peaks.host_rss),
        whole.as_secs_f64(),
        RECORDING_EVERY.as_millis()
    );
    println!("    PSS by process at the peak: {}", peaks.pss_breakdown());
    if whole > window_wall + RECORDING_EVERY {
        println!(
            "  CPU over the whole {:.0} s: host {:.3} cores, browser tree {:.3} cores",
            whole.as_secs_f64(),
            host_cpu / whole.as_secs_f64(),
            browser_cpu / whole.as_secs_f64()
        );
    }
    println!(
        "long recording ({:.0} s; MEETBOT_BENCH_LONG_SECS={}): host RSS at start {:.1} MiB, after {secs:.0} s {:.1} MiB, \
         at end {:.1} MiB; growth start → end {:+.1} MiB, {secs:.0} s → end {:+.1} MiB  (goal: flat)",
        whole.as_secs_f64(),
        long.as_secs(),
        mib(host_start),
        mib(host_at_window),
        mib(host_end),
        mib(host_end) - mib(host_start),
        mib(host_end) - mib(host_at_window)
    );
    println!(
        "  job ended {}/{} {:.0} ms after end_meeting (includes finalizing the {:.0} s recording)",
        terminal.state,
        terminal.reason,
        terminal.at - ended,
        whole.as_secs_f64()
    );
    let stored = worker.dir().join("recordings").join(&call.id).join("recording.webm");
    match recorded_frames(&stored) {
        Some((frames, duration, sizes)) => println!(
            "  the stored recording: {frames} video frames in {duration:.1} s ({:.1} frames/s), frame sizes {sizes}",
            frames as f64 / duration.max(0.001)
        ),
        None => println!("  (no stored recording at {} to count frames in)", stored.display()),
    }

    // 5. Jobs the meeting ends.
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
