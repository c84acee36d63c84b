//! Memory during a recorded call (part 3): the worker and all its descendants sampled every
//! [`MEMORY_EVERY`] over [`MEMORY_CALL`], peaks of RSS and PSS, and PSS per process at the peak.

use std::time::{Duration, Instant};

use meetbot_fixtures::FixtureServer;

use crate::calls::{end_call, start_call};
use crate::events::Events;
use crate::proc_tree::{Peaks, memory, own_cpu};
use crate::stats::{mib, mib_or};
use crate::worker::Worker;
use crate::{MEMORY_CALL, MEMORY_EVERY};

/// Records one call, samples its memory and prints the peaks next to their goals.
pub async fn print_call_memory(
    conn: &mut redis::aio::MultiplexedConnection,
    events: &mut Events,
    worker: &Worker,
    fixtures: &FixtureServer,
    ticks: f64,
) {
    let call = start_call(conn, events, worker, "bench-memory").await;
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
    let (_, terminal) = end_call(fixtures, events, worker, &call).await;
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
}
