//! `GET /metrics`: Prometheus text. The gauges are sampled when scraped (cheaper and never stale,
//! unlike updating them on every change; see `gauges`), and every family this worker exports is
//! listed from start-up, even before its first sample, so dashboards and alerts find them.
//!
//! The worker id is a label of one series only (`meetbot_worker_info`): Prometheus' own `instance`
//! label tells workers apart, and the fleet-wide gauges (queue, dead letters, workers) read the same
//! in every worker, so dashboards take their `max`.

mod gauges;

use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};

use super::ApiState;
use crate::metrics_catalog::FAMILIES;

/// The Prometheus text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

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
}
