//! The metric families the worker exports: their names, types, help texts and histogram buckets,
//! and the process-wide recorder they are recorded into. The parts that measure (runner,
//! recorder, queue) name their families from here; `GET /metrics` (`api::metrics`) renders them.

use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// How often histogram samples are folded into their buckets between scrapes, so an unscraped
/// worker's memory does not grow.
const UPKEEP: Duration = Duration::from_secs(10);

/// `meetbot_join_seconds`: time from a job's start (its browser launching) to the bot's admission.
pub const JOIN_SECONDS: &str = "meetbot_join_seconds";
/// Buckets for joins: most take seconds, a waiting room can hold a bot for the 600 s of
/// `auto_leave.waiting_room_timeout_secs`.
const JOIN_BUCKETS: [f64; 15] =
    [1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0, 450.0, 600.0];

/// `meetbot_recording_frame_rate`: video frames a second of a recording, observed once a second.
pub const FRAME_RATE: &str = "meetbot_recording_frame_rate";
/// Buckets for frame rates: the recorder captures at most 15 frames a second.
const FRAME_RATE_BUCKETS: [f64; 11] = [0.0, 1.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 15.0, 20.0];

/// `meetbot_recording_longest_gap_seconds`: per stored recording and stream (`video`, `audio`),
/// the longest stretch of the file without a frame or packet.
pub const LONGEST_GAP: &str = "meetbot_recording_longest_gap_seconds";
/// Buckets for gaps: a frame every 67 ms and an audio packet every 20 ms are normal; a second is
/// a visible stall.
const LONGEST_GAP_BUCKETS: [f64; 10] = [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0];

/// A metric family this worker exports.
pub(crate) struct Family {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) help: &'static str,
}

/// The Prometheus type of a family.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Counter,
    Gauge,
    /// A histogram with buckets (configured in [`install`]).
    Histogram,
    /// The exporter renders histograms as summaries unless buckets are configured.
    Summary,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
            Kind::Summary => "summary",
        }
    }
}

const fn family(name: &'static str, kind: Kind, help: &'static str) -> Family {
    Family { name, kind, help }
}

/// Every family: those of docs/REFERENCE.md section 4, the webhook failure counter, and the fleet's
/// (joins, recordings, queue age, workers, spool disk). README "Observability" explains each.
pub(crate) const FAMILIES: [Family; 23] = [
    family("meetbot_jobs_total", Kind::Counter, "Jobs ended, by provider, outcome (completed/failed) and reason"),
    family("meetbot_job_duration_seconds", Kind::Summary, "Time from job start to its end"),
    family("meetbot_jobs_running", Kind::Gauge, "Jobs running on this worker"),
    family("meetbot_slots_free", Kind::Gauge, "Free job slots on this worker"),
    family("meetbot_queue_depth", Kind::Gauge, "Messages waiting in the Redis queue"),
    family("meetbot_dead_letter_depth", Kind::Gauge, "Messages in the dead-letter list"),
    family("meetbot_redis_up", Kind::Gauge, "1 when Redis answers a PING, else 0"),
    family("meetbot_webhook_failures_total", Kind::Counter, "Lifecycle webhooks that could not be delivered"),
    family(
        "meetbot_joins_total",
        Kind::Counter,
        "Join outcomes by provider: `admitted` when the bot first reached the call, else the reason the job \
         ended with before admission",
    ),
    family(JOIN_SECONDS, Kind::Histogram, "Time from job start to the bot's admission, by provider"),
    family("meetbot_recording_frames_total", Kind::Counter, "Video frames recorded"),
    family(
        "meetbot_recording_video_gaps_total",
        Kind::Counter,
        "Stretches of more than 1 s without a video frame while recording (a still page or a stalled capture)",
    ),
    family(FRAME_RATE, Kind::Histogram, "Video frames a second of running recordings, observed once a second"),
    family(
        LONGEST_GAP,
        Kind::Histogram,
        "Per stored recording and stream (video, audio): the longest stretch of the file without a frame or packet",
    ),
    family(
        "meetbot_recording_audio_dropouts_total",
        Kind::Counter,
        "Gaps of more than 0.25 s between audio packets in stored recordings",
    ),
    family("meetbot_recording_frame_size_changes_total", Kind::Counter, "Stored recordings whose picture changed size"),
    family("meetbot_worker_info", Kind::Gauge, "Always 1; labels: this worker's id and version"),
    family(
        "meetbot_queue_head_wait_seconds",
        Kind::Gauge,
        "How long the message now at the queue's head has been there, as the fleet saw it (one Redis key \
         every worker's scrape and heartbeat update; 0 when the queue is empty; a lower bound on the \
         oldest waiting job's age)",
    ),
    family("meetbot_scheduled_jobs", Kind::Gauge, "Jobs waiting in the schedule for their joinAt"),
    family(
        "meetbot_workers_known",
        Kind::Gauge,
        "Workers with a heartbeat deadline (alive, or expired and not yet recovered)",
    ),
    family("meetbot_workers_alive", Kind::Gauge, "Workers whose heartbeat deadline has not passed (Redis' clock)"),
    family(
        "meetbot_spool_free_bytes",
        Kind::Gauge,
        "Bytes free for this worker on the file system of recording.spool_dir",
    ),
    family("meetbot_spool_size_bytes", Kind::Gauge, "Size in bytes of the file system of recording.spool_dir"),
];

/// Why the metrics recorder could not be installed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InstallError(String);

/// Installs the process-wide metrics recorder (histogram buckets for the join time and the frame
/// rate), describes every family, sets `meetbot_worker_info`, and keeps the recorder's memory
/// bounded between scrapes. Call once, inside the runtime.
pub fn install(worker_id: &str) -> Result<PrometheusHandle, InstallError> {
    let error = |e: metrics_exporter_prometheus::BuildError| InstallError(e.to_string());
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(JOIN_SECONDS.to_owned()), &JOIN_BUCKETS)
        .map_err(error)?
        .set_buckets_for_metric(Matcher::Full(FRAME_RATE.to_owned()), &FRAME_RATE_BUCKETS)
        .map_err(error)?
        .set_buckets_for_metric(Matcher::Full(LONGEST_GAP.to_owned()), &LONGEST_GAP_BUCKETS)
        .map_err(error)?
        .install_recorder()
        .map_err(error)?;
    describe();
    metrics::gauge!("meetbot_worker_info", "worker" => worker_id.to_owned(), "version" => env!("CARGO_PKG_VERSION"))
        .set(1.0);
    let upkeep = handle.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(UPKEEP).await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

/// Registers the descriptions of every family with the installed recorder.
fn describe() {
    for family in &FAMILIES {
        match family.kind {
            Kind::Counter => metrics::describe_counter!(family.name, family.help),
            Kind::Gauge => metrics::describe_gauge!(family.name, family.help),
            Kind::Histogram => metrics::describe_histogram!(family.name, family.help),
            Kind::Summary => metrics::describe_histogram!(family.name, metrics::Unit::Seconds, family.help),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_increasing() {
        for buckets in [&JOIN_BUCKETS[..], &FRAME_RATE_BUCKETS[..]] {
            assert!(buckets.windows(2).all(|w| w[0] < w[1]), "{buckets:?}");
        }
        assert_eq!(JOIN_BUCKETS.last(), Some(&600.0), "joins up to the default waiting-room timeout");
    }
}
