//! A worker nobody scrapes does not grow with every job (docs/REFERENCE.md section 5, "Nothing grows without
//! bound"): the Prometheus exporter buffers each histogram sample (a job's duration) until upkeep
//! folds it into the summary, and the worker runs that upkeep on a timer. Found by the soak bench:
//! the worker's RSS grew by about 16 bytes per job.
//!
//! Live heap bytes are counted by this test binary's own allocator.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::atomic::{AtomicIsize, Ordering},
    time::Duration,
};

use meetbot_host::api::metrics_upkeep;
use metrics_exporter_prometheus::PrometheusBuilder;

/// The system allocator, counting the bytes allocated and not yet freed.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// A global allocator is unsafe to implement; the workspace denies unsafe code, so it is allowed
// for this counting allocator, the test's instrument.
// SAFETY: every call is passed on to the system allocator unchanged; only a counter is added.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ROUNDS: usize = 60;
const SAMPLES_PER_ROUND: usize = 10_000;

#[tokio::test(flavor = "current_thread")]
async fn histogram_samples_are_folded_while_nobody_scrapes() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let histogram = metrics::with_local_recorder(&recorder, || metrics::histogram!("meetbot_job_duration_seconds"));
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let upkeep = tokio::spawn(metrics_upkeep::run(handle.clone(), Duration::from_millis(10), stop));

    // One round first, so the buffer, the summary and the runtime have their working size.
    histogram.record(1.0);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let before = LIVE.load(Ordering::Relaxed);
    for round in 0..ROUNDS {
        for sample in 0..SAMPLES_PER_ROUND {
            // Job durations from 0 to 100 s.
            histogram.record(((round + sample) % 1000) as f64 / 10.0);
        }
        // Upkeep ticks every 10 ms: it runs while this task sleeps.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let grown = LIVE.load(Ordering::Relaxed) - before;

    // Unfolded, the samples alone would hold 8 bytes each (16 with the buffer's own): 4.8 MB.
    let samples = ROUNDS * SAMPLES_PER_ROUND;
    let unfolded = (samples * std::mem::size_of::<f64>()) as isize;
    assert!(grown < unfolded / 4, "{grown} bytes still held after {samples} samples");
    let count = format!("meetbot_job_duration_seconds_count {}", samples + 1);
    assert!(handle.render().contains(&count), "every sample counted");

    stop_tx.send(true).expect("upkeep listens");
    upkeep.await.expect("upkeep stops");
}
