//! The session contract a plugin's reports must keep, as pure checks over what a [`FakeHost`]
//! recorded, and [`Breach`]: each way of breaking it, in words.
//!
//! The worker relies on these: the states come in the order a session goes (`joining`, maybe
//! `waiting_room`, `in_call`, `leaving`; nothing but `leaving` after `leaving`, no way back out of
//! the call), because its auto-leave rules and the job's timeline follow them; and the
//! participant count starts only once the bot is in the call, because the "everyone left" rule
//! reads the first count as the people present.
//!
//! [`FakeHost`]: crate::FakeHost

use std::{fmt, time::Duration};

use meetbot_plugin_api::{SessionState, reason};

use crate::{Report, Reported};

/// Every reason a plugin may end a session with; the worker ends any other as `internal_error`.
pub const REASONS: [&str; 11] = [
    reason::LEFT_NORMALLY,
    reason::ENDED_BY_HOST,
    reason::REMOVED_FROM_MEETING,
    reason::MEETING_NOT_FOUND,
    reason::SIGN_IN_REQUIRED,
    reason::BLOCKED_BY_PLATFORM,
    reason::DENIED_ADMISSION,
    reason::WAITING_ROOM_TIMEOUT,
    reason::BROWSER_CRASHED,
    reason::INTERNAL_ERROR,
    reason::PLUGIN_CRASHED,
];

/// One way a session broke the contract (or, for [`Breach::Harness`], could not be run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Breach {
    /// The testkit could not run the session (no Chromium, a URL on a host the site does not
    /// serve): not the plugin's fault, but the test cannot pass.
    Harness(String),
    /// The scenario's provider is not one the plugin's manifest declares.
    ProviderNotDeclared {
        /// The scenario's provider.
        provider: String,
        /// The manifest's.
        declared: Vec<String>,
    },
    /// The plugin declares no meeting hosts: the worker refuses to load it.
    NoMeetingHosts,
    /// `normalize_url` refused the scenario's link.
    UrlRefused {
        /// The link.
        url: String,
        /// The plugin's reason.
        why: String,
    },
    /// `normalize_url` returned a URL the worker would refuse (`invalid_url`).
    UrlOffPolicy {
        /// What the plugin returned.
        normalized: String,
        /// Why the worker refuses it.
        why: String,
    },
    /// The session ended with a reason the worker does not know (it becomes `internal_error`).
    UnknownReason(String),
    /// The session ended with another reason than the scenario expects.
    WrongReason {
        /// The scenario's.
        expected: String,
        /// The plugin's.
        got: String,
        /// The plugin's detail.
        detail: String,
    },
    /// A state report out of the session's order.
    StateOrder {
        /// The state before.
        from: SessionState,
        /// The state reported after it.
        to: SessionState,
    },
    /// A participant count before the bot was in the call.
    ParticipantsBeforeInCall(u32),
    /// The scenario asks to leave once in the call, and the plugin never reported `in_call`.
    NeverInCall,
    /// Asked to leave in the call, the plugin returned without the page seeing Leave clicked.
    LeaveNotClicked {
        /// The page event that would have shown the click.
        page_event: String,
    },
    /// Asked to leave, the plugin did not return within the leave bound (the worker ends such a
    /// session itself, with the page still in the meeting).
    LeaveBoundExceeded(Duration),
    /// The session did not end within the scenario's timeout.
    Timeout(Duration),
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Breach::Harness(why) => write!(f, "the test could not run the session: {why}"),
            Breach::ProviderNotDeclared { provider, declared } => {
                write!(f, "provider `{provider}` is not one the manifest declares ({})", declared.join(", "))
            }
            Breach::NoMeetingHosts => write!(f, "the plugin declares no meeting hosts; the worker refuses it"),
            Breach::UrlRefused { url, why } => write!(f, "normalize_url refused {url}: {why}"),
            Breach::UrlOffPolicy { normalized, why } => {
                write!(f, "normalize_url returned {normalized}, which the worker refuses as invalid_url: {why}")
            }
            Breach::UnknownReason(got) => {
                write!(
                    f,
                    "the session ended with `{got}`, which is no reason the worker knows (it becomes internal_error)"
                )
            }
            Breach::WrongReason { expected, got, detail } => {
                write!(f, "the session ended with `{got}` ({detail:?}), expected `{expected}`")
            }
            Breach::StateOrder { from, to } => write!(f, "state {to:?} reported after {from:?}"),
            Breach::ParticipantsBeforeInCall(count) => {
                write!(f, "participant count {count} reported before the bot was in the call")
            }
            Breach::NeverInCall => write!(f, "the plugin never reported in_call"),
            Breach::LeaveNotClicked { page_event } => write!(
                f,
                "asked to leave in the call, the plugin returned without clicking Leave (the page never reported `{page_event}`)"
            ),
            Breach::LeaveBoundExceeded(bound) => {
                write!(
                    f,
                    "asked to leave, the plugin did not return within the leave bound of {} s",
                    bound.as_secs_f32()
                )
            }
            Breach::Timeout(after) => write!(f, "the session did not end within {} s", after.as_secs_f32()),
        }
    }
}

/// The breaches of the state order and of the participant-count rule in `timeline`.
pub fn check_reports(timeline: &[Reported]) -> Vec<Breach> {
    let mut breaches = Vec::new();
    let mut last: Option<SessionState> = None;
    let mut in_call = false;
    for reported in timeline {
        match reported.report {
            Report::State(state) => {
                if let Some(from) = last
                    && !follows(from, state)
                {
                    breaches.push(Breach::StateOrder { from, to: state });
                }
                in_call |= state == SessionState::InCall;
                last = Some(state);
            }
            Report::Participants(count) if !in_call => breaches.push(Breach::ParticipantsBeforeInCall(count)),
            _ => {}
        }
    }
    breaches
}

/// Whether `to` may be reported after `from`. Repeating a state is harmless; a lobby may send the
/// bot back to the pre-join screen; nothing leads out of the call but leaving, and nothing out of
/// leaving.
fn follows(from: SessionState, to: SessionState) -> bool {
    use SessionState::{InCall, Joining, Leaving, WaitingRoom};
    match from {
        Joining | WaitingRoom => true,
        InCall => matches!(to, InCall | Leaving),
        Leaving => to == Leaving,
    }
}

#[cfg(test)]
mod tests {
    use tokio::time::Instant;

    use super::*;

    fn timeline(reports: &[Report]) -> Vec<Reported> {
        let at = Instant::now();
        reports.iter().map(|report| Reported { at, report: report.clone() }).collect()
    }

    #[test]
    fn a_session_through_the_lobby_keeps_the_order() {
        use SessionState::*;
        let reports = [
            Report::State(Joining),
            Report::State(Joining),
            Report::State(WaitingRoom),
            Report::State(InCall),
            Report::Participants(3),
            Report::State(Leaving),
        ];
        assert_eq!(check_reports(&timeline(&reports)), []);
    }

    #[test]
    fn no_way_back_from_the_call_or_from_leaving() {
        use SessionState::*;
        let reports =
            [Report::State(InCall), Report::State(WaitingRoom), Report::State(Leaving), Report::State(InCall)];
        assert_eq!(
            check_reports(&timeline(&reports)),
            [Breach::StateOrder { from: InCall, to: WaitingRoom }, Breach::StateOrder { from: Leaving, to: InCall }]
        );
    }

    #[test]
    fn a_count_before_the_call_is_named() {
        let reports = [
            Report::State(SessionState::Joining),
            Report::Participants(2),
            Report::State(SessionState::InCall),
            Report::Participants(2),
        ];
        assert_eq!(check_reports(&timeline(&reports)), [Breach::ParticipantsBeforeInCall(2)]);
    }
}
