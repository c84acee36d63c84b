//! The Prometheus recorder's upkeep. The exporter keeps every histogram sample (each job's
//! duration) in a growing buffer until it folds them into the summaries it renders, which it does
//! on a scrape or on upkeep; installed as a bare recorder, nothing runs upkeep for it. A worker
//! nobody scrapes grew by every job it ran, forever, so this folds them on a timer.

use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::watch;

/// How often the worker folds histogram samples (the exporter's own default interval).
pub const EVERY: Duration = Duration::from_secs(5);

/// Runs the recorder's upkeep every `every` until `stop` turns true.
pub async fn run(handle: PrometheusHandle, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => handle.run_upkeep(),
            _ = stop.wait_for(|stop| *stop) => return,
        }
    }
}
