//! `GET /metrics`: Prometheus text. The gauges are sampled when scraped (cheaper and never stale,
//! unlike updating them on every change), and every family of the contract is listed from
//! start-up, even before its first sample, so dashboards and alerts find them.

use std::time::Duration;

use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};

use super::{ApiState, probes::ping};
use crate::app::App;

/// How long a scrape waits for Redis; a scrape must stay fast even when Redis is not.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

/// The Prometheus text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

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
    /// The exporter renders histograms as summaries unless buckets are configured.
    Summary,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Summary => "summary",
        }
    }
}

/// Every family of CONTRACT section 4, plus the webhook failure counter.
const FAMILIES: [Family; 8] = [
    Family {
        name: "meetbot_jobs_total",
        kind: Kind::Counter,
        help: "Jobs ended, by provider, outcome (completed/failed) and reason",
    },
    Family { name: "meetbot_job_duration_seconds", kind: Kind::Summary, help: "Time from job start to its end" },
    Family { name: "meetbot_jobs_running", kind: Kind::Gauge, help: "Jobs running on this worker" },
    Family { name: "meetbot_slots_free", kind: Kind::Gauge, help: "Free job slots on this worker" },
    Family { name: "meetbot_queue_depth", kind: Kind::Gauge, help: "Messages waiting in the Redis queue" },
    Family { name: "meetbot_dead_letter_depth", kind: Kind::Gauge, help: "Messages in the dead-letter list" },
    Family { name: "meetbot_redis_up", kind: Kind::Gauge, help: "1 when Redis answers a PING, else 0" },
    Family {
        name: "meetbot_webhook_failures_total",
        kind: Kind::Counter,
        help: "Lifecycle webhooks that could not be delivered",
    },
];

/// Registers the descriptions of every family with the installed recorder; call once after
/// installing it.
pub fn describe() {
    for family in &FAMILIES {
        match family.kind {
            Kind::Counter => metrics::describe_counter!(family.name, family.help),
            Kind::Gauge => metrics::describe_gauge!(family.name, family.help),
            Kind::Summary => {
                metrics::describe_histogram!(family.name, metrics::Unit::Seconds, family.help);
            }
        }
    }
}

/// The metrics in Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "probes",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain")))]
pub async fn render(State(state): State<ApiState>) -> Response {
    sample_gauges(&state.app).await;
    let text = with_every_family(state.app.metrics.render());
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}

/// Sets the gauges from the store and Redis. Queue depths keep their last value when Redis does
/// not answer, so a blip does not draw a drop to zero on dashboards.
async fn sample_gauges(app: &App) {
    let slots = app.store.slots();
    metrics::gauge!("meetbot_jobs_running").set(app.store.running() as f64);
    metrics::gauge!("meetbot_slots_free").set(slots.free() as f64);
    let Some(redis) = app.store.redis() else {
        metrics::gauge!("meetbot_redis_up").set(0.0);
        return;
    };
    let up = ping(redis, REDIS_TIMEOUT).await.is_ok();
    metrics::gauge!("meetbot_redis_up").set(if up { 1.0 } else { 0.0 });
    if !up {
        return;
    }
    let mut conn = redis.conn.clone();
    let mut pipe = redis::pipe();
    pipe.llen(&redis.keys.queue).llen(&redis.keys.dead);
    let depths = pipe.query_async::<(u64, u64)>(&mut conn);
    match tokio::time::timeout(REDIS_TIMEOUT, depths).await {
        Ok(Ok((queue, dead))) => {
            metrics::gauge!("meetbot_queue_depth").set(queue as f64);
            metrics::gauge!("meetbot_dead_letter_depth").set(dead as f64);
        }
        Ok(Err(error)) => tracing::debug!(%error, "queue depths not sampled"),
        Err(_) => tracing::debug!("queue depths not sampled: redis too slow"),
    }
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
        assert!(text.contains("meetbot_slots_free 1\n"));
    }
}
