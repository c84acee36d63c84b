//! The join outcome of one delivery of a job, for `meetbot_joins_total{provider,outcome}` and the
//! `meetbot_join_seconds{provider}` histogram: `admitted` the first time the bot reaches the call
//! (with the time since the job started), else the reason the job ends with before admission.
//!
//! Each delivery counts once, here, on the worker that runs it. Not counted: a message given back
//! at shutdown before admission (it is no outcome: the job joins again on another delivery and
//! counts then), and a job another worker took over (that worker counts its own delivery). A job
//! delivered again after its bot was admitted joins again and counts again: the series count join
//! attempts, as the platforms see them.

use tokio::time::Instant;

use crate::{job::Reason, metrics_catalog::JOIN_SECONDS};

/// Whether this delivery's join outcome was counted yet.
#[derive(Debug)]
pub struct Join {
    provider: String,
    started: Instant,
    counted: bool,
}

impl Join {
    /// A delivery of a `provider` job that started at `started`.
    pub fn new(provider: &str, started: Instant) -> Self {
        Self { provider: provider.to_owned(), started, counted: false }
    }

    /// The bot reached the call at `now`: counted once, with the time it took.
    pub fn admitted(&mut self, now: Instant) {
        if self.take() {
            let took = now.saturating_duration_since(self.started).as_secs_f64();
            metrics::counter!("meetbot_joins_total", "provider" => self.provider.clone(), "outcome" => "admitted")
                .increment(1);
            metrics::histogram!(JOIN_SECONDS, "provider" => self.provider.clone()).record(took);
        }
    }

    /// The job ends with `reason`: its outcome, unless the bot was admitted before.
    pub fn ended(&mut self, reason: Reason) {
        if self.take() {
            metrics::counter!("meetbot_joins_total", "provider" => self.provider.clone(), "outcome" => reason.as_str())
                .increment(1);
        }
    }

    /// True the first time: the one call that counts.
    fn take(&mut self) -> bool {
        !std::mem::replace(&mut self.counted, true)
    }
}

#[cfg(test)]
mod tests {
    use metrics_exporter_prometheus::PrometheusBuilder;
    use tokio::time::Duration;

    use super::*;

    /// What `calls` record, rendered as Prometheus text.
    fn recorded(calls: impl FnOnce()) -> String {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, calls);
        handle.render()
    }

    #[test]
    fn an_admitted_delivery_counts_once_with_its_join_time() {
        let started = Instant::now();
        let text = recorded(|| {
            let mut join = Join::new("google", started);
            join.admitted(started + Duration::from_secs(7));
            join.admitted(started + Duration::from_secs(9));
            join.ended(Reason::EndedByHost);
        });
        assert!(text.contains("meetbot_joins_total{provider=\"google\",outcome=\"admitted\"} 1\n"), "{text}");
        assert!(!text.contains("ended_by_host"), "an end after admission is no join outcome: {text}");
        assert!(text.contains("meetbot_join_seconds_sum{provider=\"google\"} 7\n"), "{text}");
        assert!(text.contains("meetbot_join_seconds_count{provider=\"google\"} 1\n"), "{text}");
    }

    #[test]
    fn a_delivery_that_never_got_in_counts_its_reason() {
        let text = recorded(|| {
            let mut join = Join::new("zoom", Instant::now());
            join.ended(Reason::DeniedAdmission);
            join.ended(Reason::InternalError);
        });
        assert!(text.contains("meetbot_joins_total{provider=\"zoom\",outcome=\"denied_admission\"} 1\n"), "{text}");
        assert!(!text.contains("internal_error") && !text.contains("meetbot_join_seconds"), "{text}");
    }
}
