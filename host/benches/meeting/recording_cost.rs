//! Recording cost and memory across a long recording (part 4): CPU of the worker and of its
//! browser tree over the first [`CPU_WINDOW`] of a recording at 1280x720, set against the same
//! call unrecorded (the floor, measured before), memory peaks, the worker's RSS from start to end of
//! the whole recording, and what ffprobe finds in the stored file.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use meetbot_fixtures::FixtureServer;

use crate::calls::{end_call, recorded_frames, start_call};
use crate::common::rss;
use crate::events::Events;
use crate::proc_tree::{CpuTracker, Peaks, memory, own_cpu};
use crate::stats::{breakdown, mib, mib_or};
use crate::worker::Worker;
use crate::{CPU_WINDOW, RECORDING_EVERY, now_ms};

/// Records one call for `long` (at least [`CPU_WINDOW`]) and prints its cost next to `floor`
/// (the unrecorded call's CPU, cores) and the goals.
pub async fn print_recording_cost(
    conn: &mut redis::aio::MultiplexedConnection,
    events: &mut Events,
    worker: &Worker,
    fixtures: &FixtureServer,
    long: Duration,
    ticks: f64,
    floor: f64,
) {
    let length = long.max(CPU_WINDOW);
    let call = start_call(conn, events, worker, "bench-recording").await;
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
    let (ended, terminal) = end_call(fixtures, events, worker, &call).await;
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
}
