//! `GET /metrics`: Prometheus text. The gauges are sampled when scraped (cheaper and never stale,
//! unlike updating them on every change; see `gauges`), and every family this worker exports is
//! listed from start-up, even before its first sample, so dashboards and alerts find them.
//!
//! The worker id is a label of one series only (`meetbot_worker_info`): Prometheus' own `instance`
//! label tells workers apart, and the fleet-wide gauges (queue, dead letters, workers) read the same
//! in every worker, so dashboards take their `max`.

mod gauges;

use std::time::Duration;

use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::ApiState;

/// The Prometheus text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

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
struct Family {
    name: &'static str,
    kind: Kind,
    help: &'static str,
}

/// The Prometheus type of a family.
#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    /// A histogram with buckets (configured in [`install`]).
    Histogram,
    /// The exporter renders histograms as summaries unless buckets are configured.
    Summary,
}

impl Kind {
    fn as_str(self) -> &'static str {
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
const FAMILIES: [Family; 23] = [
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

/// The metrics in Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "probes",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain")))]
pub async fn render(State(state): State<ApiState>) -> Response {
    gauges::sample(&state.app).await;
    let text = with_every_family(state.app.metrics.render());
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}

/// Appends `# HELP`/`# TYPE` lines for families the exporter left out: it renders only metrics
/// that have a sample, and a counter with labels has none until its first increment.
fn with_every_family(mut text: String) -> String {
    for family in &FAMILIES {
        if !text.contains(&format!("# TYPE {} ", family.name)) {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n",
                name = family.name,
                help = family.help,
                kind = family.kind.as_str()
            ));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_families_are_declared() {
        let text = with_every_family("# TYPE meetbot_slots_free gauge\nmeetbot_slots_free 1\n\n".to_owned());
        for family in &FAMILIES {
            assert_eq!(text.matches(&format!("# TYPE {} ", family.name)).count(), 1, "{}", family.name);
        }
        assert!(text.contains("# TYPE meetbot_jobs_total counter\n"));
        assert!(text.contains("# TYPE meetbot_join_seconds histogram\n"));
        assert!(text.contains("meetbot_slots_free 1\n"));
    }

    /// The `meetbot_*` names a text mentions (a histogram's `_bucket`/`_sum`/`_count` as the family).
    fn mentioned(text: &str) -> Vec<String> {
        let mut names = Vec::new();
        for (at, _) in text.match_indices("meetbot_") {
            let name: String =
                text[at..].chars().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_').collect();
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix).filter(|f| FAMILIES.iter().any(|x| x.name == *f)))
                .map_or(name.clone(), str::to_owned);
            names.push(family);
        }
        names
    }

    #[test]
    fn the_dashboard_and_the_alerts_name_only_exported_metrics() {
        for (file, text) in [
            ("deploy/grafana/meetbot.json", include_str!("../../../deploy/grafana/meetbot.json")),
            ("deploy/prometheus/alerts.yaml", include_str!("../../../deploy/prometheus/alerts.yaml")),
        ] {
            let names = mentioned(text);
            assert!(names.len() > 10, "{file}");
            for name in names {
                assert!(FAMILIES.iter().any(|f| f.name == name), "{file} names {name}, which no family exports");
            }
        }
    }

    #[test]
    fn buckets_are_increasing() {
        for buckets in [&JOIN_BUCKETS[..], &FRAME_RATE_BUCKETS[..]] {
            assert!(buckets.windows(2).all(|w| w[0] < w[1]), "{buckets:?}");
        }
        assert_eq!(JOIN_BUCKETS.last(), Some(&600.0), "joins up to the default waiting-room timeout");
    }
}
