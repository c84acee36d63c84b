//! The pre-join phase's memory and the decisions drawn from it: which Teams screens to watch for
//! next and when a retry falls due. Pure (no page), so the decisions are tested without a browser.

use std::time::Duration;

use tokio::time::Instant;

use crate::screens::{FAILURES, Screen};

/// A click on "Continue on this browser" that did not take is repeated after this long.
const LAUNCHER_RETRY: Duration = Duration::from_secs(3);
/// A dismissed notice that is still there is clicked again after this long.
pub(crate) const DIALOG_RETRY: Duration = Duration::from_secs(1);
/// "Join now" still on screen this long after a click is clicked again (a click on a button that
/// was still disabled is lost).
const JOIN_RETRY: Duration = Duration::from_secs(4);
/// Clicks on "Join now" before giving up on it.
const JOIN_ATTEMPTS: u32 = 3;
/// A lone "Sign in" action is a wall when nothing of the join flow appears within this long.
pub(crate) const SIGN_IN_CONFIRM: Duration = Duration::from_secs(2);

/// The pre-join phase's memory: what was done when, so each screen is acted on once and retried
/// only after a while. Kept apart from the page so the decisions are testable.
#[derive(Debug, Default, Clone)]
pub struct Progress {
    pub(crate) launcher_at: Option<Instant>,
    pub(crate) dialog_at: Option<Instant>,
    pub(crate) sign_in_checked_at: Option<Instant>,
    pub(crate) media_done: bool,
    pub(crate) name_typed: bool,
    pub(crate) join_clicks: u32,
    pub(crate) join_at: Option<Instant>,
}

impl Progress {
    /// The screens to watch for now, in priority order, and when to look again even if none
    /// shows (a retry falls due).
    pub fn watch_list(&self, now: Instant, deadline: Instant) -> (Vec<Screen>, Instant) {
        let mut screens = FAILURES.to_vec();
        screens.extend([Screen::InCall, Screen::Lobby]);
        let mut wake = deadline;
        let mut due = |at: Option<Instant>, retry: Duration| match at {
            Some(at) if now < at + retry => {
                wake = wake.min(at + retry);
                false
            }
            _ => true,
        };
        if due(self.launcher_at, LAUNCHER_RETRY) {
            screens.push(Screen::Launcher);
        }
        if due(self.dialog_at, DIALOG_RETRY) {
            screens.push(Screen::Dialog);
        }
        if !self.name_typed {
            screens.push(Screen::NameField);
        }
        if self.join_clicks < JOIN_ATTEMPTS && due(self.join_at, JOIN_RETRY) {
            screens.push(Screen::JoinButton);
        }
        if self.join_clicks > 0 {
            screens.push(Screen::Hangup);
        }
        if due(self.sign_in_checked_at, SIGN_IN_CONFIRM) {
            screens.push(Screen::SignInButton);
        }
        (screens, wake)
    }

    /// What was done so far, for the detail of a give-up.
    pub fn summary(&self) -> String {
        format!(
            "launcher {}, name {}, Join now clicked {} time(s)",
            if self.launcher_at.is_some() { "passed" } else { "not seen" },
            if self.name_typed { "typed" } else { "not typed" },
            self.join_clicks
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    #[test]
    fn failures_come_before_everything_and_sign_in_button_last() {
        let now = Instant::now();
        let (list, wake) = Progress::default().watch_list(now, at(now, 60_000));
        assert_eq!(&list[..FAILURES.len()], &FAILURES);
        assert_eq!(list.last(), Some(&Screen::SignInButton));
        let pos = |s| list.iter().position(|x| *x == s).expect("listed");
        assert!(pos(Screen::Lobby) < pos(Screen::Launcher) && pos(Screen::InCall) < pos(Screen::Lobby));
        assert!(pos(Screen::NameField) < pos(Screen::JoinButton), "the name is typed before joining");
        assert!(!list.contains(&Screen::Hangup), "hang-up means nothing before Join now");
        assert_eq!(wake, at(now, 60_000));
    }

    #[test]
    fn acted_on_screens_rest_until_their_retry_falls_due() {
        let now = Instant::now();
        let progress = Progress {
            launcher_at: Some(now),
            name_typed: true,
            join_clicks: 1,
            join_at: Some(now),
            ..Progress::default()
        };
        let (list, wake) = progress.watch_list(at(now, 100), at(now, 60_000));
        assert!(!list.contains(&Screen::Launcher) && !list.contains(&Screen::NameField));
        assert!(!list.contains(&Screen::JoinButton) && list.contains(&Screen::Hangup));
        assert_eq!(wake, now + LAUNCHER_RETRY, "wakes for the earliest retry");
        let (later, _) = progress.watch_list(now + JOIN_RETRY, at(now, 60_000));
        assert!(later.contains(&Screen::JoinButton) && later.contains(&Screen::Launcher));
        assert!(!later.contains(&Screen::NameField), "the name is typed once");
    }

    #[test]
    fn join_now_is_clicked_a_bounded_number_of_times() {
        let now = Instant::now();
        let progress = Progress { join_clicks: JOIN_ATTEMPTS, ..Progress::default() };
        let (list, _) = progress.watch_list(now + JOIN_RETRY * 2, at(now, 60_000));
        assert!(!list.contains(&Screen::JoinButton));
        assert!(progress.summary().contains("3 time(s)"));
    }
}
