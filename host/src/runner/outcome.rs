//! Turning what the plugin returned, and why the host asked it to leave, into the job's reason.

use std::time::Duration;

use meetbot_plugin_api::SessionOutcome;

use crate::job::Reason;

/// The reason and detail a job ends with. When the host asked the bot to leave and the plugin
/// reports a normal leave, the host's reason is the truth (cancelled, max_duration, ...); any
/// other reason the plugin reports (ended_by_host at the same moment, a crash) wins. A plugin that
/// did not return within the grace period ends with the host's reason.
pub fn resolve(outcome: Option<SessionOutcome>, asked: Option<Reason>, grace: Duration) -> (Reason, Option<String>) {
    let Some(outcome) = outcome else {
        let reason = asked.unwrap_or(Reason::InternalError);
        return (
            reason,
            Some(format!("the plugin did not leave within {} s; session ended by the host", grace.as_secs())),
        );
    };
    let detail = Some(outcome.detail.to_string()).filter(|d| !d.is_empty());
    match (outcome.reason.parse::<Reason>(), asked) {
        (Ok(Reason::LeftNormally), Some(asked)) => (asked, detail),
        (Ok(reason), _) => (reason, detail),
        (Err(_), _) => (
            Reason::InternalError,
            Some(format!("plugin ended with unknown reason `{}`: {}", outcome.reason, outcome.detail)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRACE: Duration = Duration::from_secs(1);

    #[test]
    fn the_hosts_reason_wins_over_a_normal_leave() {
        let left = SessionOutcome::new("left_normally", "");
        assert_eq!(resolve(Some(left.clone()), Some(Reason::Cancelled), GRACE), (Reason::Cancelled, None));
        assert_eq!(resolve(Some(left), None, GRACE).0, Reason::LeftNormally);
    }

    #[test]
    fn a_platform_reason_wins_over_the_hosts() {
        let ended = SessionOutcome::new("ended_by_host", "The call has ended");
        assert_eq!(
            resolve(Some(ended), Some(Reason::MaxDuration), GRACE),
            (Reason::EndedByHost, Some("The call has ended".to_owned()))
        );
    }

    #[test]
    fn unknown_reasons_and_silent_plugins_are_classified() {
        assert_eq!(resolve(Some(SessionOutcome::new("weird", "x")), None, GRACE).0, Reason::InternalError);
        assert_eq!(resolve(None, Some(Reason::Silence), GRACE).0, Reason::Silence);
    }
}
