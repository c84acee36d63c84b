//! Leaving: what the bot does once the host asks it to leave.
//!
//! Before admission there is nothing to leave: the bot just stops (the host knows why it asked).
//! In the call it leaves the way a person does, so the meeting sees it go: unless the platform
//! already ended the call (then that is how the session ended), it clicks Leave, confirms when the
//! platform asks (at most twice), clicks Leave once more if nothing happened (something covering
//! the controls may have taken the click), and waits a few seconds for a screen showing it out.
//! The host's own reason for the leave stands either way; the host bounds the whole leave (20 s).

use std::time::Duration;

use meetbot_plugin_api::{SessionOutcome, SessionState, event, reason};
use tokio::time::Instant;

use super::{Cx, Platform, Step, driver::Driver, signals};
use crate::{Hit, KitError, Signals};

/// How long to wait for a screen showing the bot out after clicking Leave.
const LEAVE_WAIT: Duration = Duration::from_secs(5);
/// How long a Leave click may go without effect before it is repeated.
const LEAVE_RETRY_AFTER: Duration = Duration::from_secs(2);
/// Leave clicks at most.
const LEAVE_CLICKS: u32 = 2;
/// Confirmations clicked at most.
const CONFIRMATIONS: u32 = 2;

/// What showed after the Leave click.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// The platform asks to confirm.
    Confirm,
    /// A screen showing the bot out of the call.
    Out,
}

/// What to do next in the leave sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveStep {
    /// Click the confirmation.
    Confirm,
    /// The bot is out.
    Done,
    /// Click Leave again.
    ClickAgain,
    /// Keep waiting.
    Wait,
    /// No screen showed the bot out in time.
    GiveUp,
}

/// The leave sequence after the first Leave click, as a pure state machine (time passed in).
#[derive(Debug, Clone)]
pub struct LeaveSequence {
    until: Instant,
    last_click: Instant,
    clicks: u32,
    confirmations: u32,
}

impl LeaveSequence {
    /// Leave was clicked at `now`.
    pub fn new(now: Instant) -> Self {
        Self { until: now + LEAVE_WAIT, last_click: now, clicks: 1, confirmations: 0 }
    }

    /// Whether the confirmation is still watched for.
    pub fn confirms(&self) -> bool {
        self.confirmations < CONFIRMATIONS
    }

    /// How long the next wait may last from `now`: until the retry click falls due or the sequence
    /// gives up.
    pub fn wait(&self, now: Instant) -> Duration {
        let mut until = self.until;
        if self.clicks < LEAVE_CLICKS {
            until = until.min(self.last_click + LEAVE_RETRY_AFTER);
        }
        until.saturating_duration_since(now)
    }

    /// What to do after a wait that saw `shown` (nothing: `None`) and ended at `now`.
    pub fn next(&mut self, shown: Option<Shown>, now: Instant) -> LeaveStep {
        match shown {
            Some(Shown::Out) => LeaveStep::Done,
            Some(Shown::Confirm) if self.confirms() => {
                self.confirmations += 1;
                LeaveStep::Confirm
            }
            Some(Shown::Confirm) | None if now >= self.until => LeaveStep::GiveUp,
            Some(Shown::Confirm) | None if self.clicks < LEAVE_CLICKS && now >= self.last_click + LEAVE_RETRY_AFTER => {
                self.clicks += 1;
                self.last_click = now;
                LeaveStep::ClickAgain
            }
            Some(Shown::Confirm) | None => LeaveStep::Wait,
        }
    }
}

impl<P: Platform> Driver<P> {
    /// The host asked the bot to leave, in whatever phase the session reached.
    pub(super) async fn leave(&mut self) -> SessionOutcome {
        if self.phase != P::IN_CALL {
            let detail = format!("asked to leave before admission (phase {:?}); nothing to leave", self.phase);
            self.host.info(&detail);
            return SessionOutcome::new(reason::LEFT_NORMALLY, detail);
        }
        self.host.state(SessionState::Leaving);
        match self.hang_up().await {
            Ok(outcome) => outcome,
            Err(error) => {
                self.host.warn(&format!("leaving the call failed: {error}"));
                SessionOutcome::new(reason::LEFT_NORMALLY, format!("asked to leave; leaving failed: {error}"))
            }
        }
    }

    async fn hang_up(&mut self) -> Result<SessionOutcome, KitError> {
        let endings = endings(&self.platform);
        // When the platform already ended the call, that is how the session ended.
        let ended: Vec<P::Signal> =
            endings.iter().filter(|(_, why)| *why != reason::LEFT_NORMALLY).map(|(signal, _)| *signal).collect();
        if let Some(hit) = signals::<P>(&ended).now(&self.page).await?
            && let Some((_, why)) = endings.iter().find(|(signal, _)| *signal == hit.tag)
        {
            return Ok(self.verdict(why, hit));
        }
        if !self.click_leave().await? {
            let detail = "asked to leave; no Leave control was visible";
            self.host.warn(detail);
            return Ok(SessionOutcome::new(reason::LEFT_NORMALLY, detail));
        }
        let mut sequence = LeaveSequence::new(Instant::now());
        loop {
            let mut after = Signals::new();
            for (signal, _) in &endings {
                after.push(Shown::Out, P::probes(*signal));
            }
            if sequence.confirms() {
                after.push(Shown::Confirm, P::leave_confirm());
            }
            let seen = after.wait(&self.page, sequence.wait(Instant::now())).await?;
            match sequence.next(seen.map(|hit| hit.tag), Instant::now()) {
                LeaveStep::Confirm => {
                    if let Some(hit) = seen
                        && self.page.click(&[hit.probe]).await?
                    {
                        self.host.event(event::LEAVE_CONFIRMED, hit.probe.value());
                    }
                }
                LeaveStep::Done => {
                    let Some(Hit { probe, .. }) = seen else { continue };
                    self.host.event(event::LEFT, probe.value());
                    return Ok(SessionOutcome::new(reason::LEFT_NORMALLY, "left the call on the host's request"));
                }
                LeaveStep::ClickAgain => {
                    self.host.debug("the Leave click had no visible effect; clicking again");
                    self.click_leave().await?;
                }
                LeaveStep::Wait => {}
                LeaveStep::GiveUp => {
                    let detail =
                        format!("clicked Leave; no screen showed the bot out within {} s", LEAVE_WAIT.as_secs());
                    self.host.warn(&detail);
                    return Ok(SessionOutcome::new(reason::LEFT_NORMALLY, detail));
                }
            }
        }
    }

    /// Clears what may cover the call controls, then clicks Leave; false when none shows.
    async fn click_leave(&mut self) -> Result<bool, KitError> {
        let cx = Cx { page: &self.page, host: &self.host, name: &self.name };
        self.platform.before_leave(&cx).await?;
        let clicked = self.page.click(&P::leave_control()).await?;
        if clicked {
            self.host.event(event::LEAVE_CLICKED, "");
        }
        Ok(clicked)
    }
}

/// The call's signals that end it, as (signal, its reason): after the bot's own Leave click any of
/// them shows it out; before it, those other than `left_normally` mean the platform ended the call.
fn endings<P: Platform>(platform: &P) -> Vec<(P::Signal, &'static str)> {
    let mut endings = Vec::new();
    for signal in platform.watched(P::IN_CALL) {
        if let Step::End(reason) = P::decide(P::IN_CALL, signal) {
            endings.push((signal, reason));
        }
    }
    endings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::toy::{Signal, Toy};

    #[test]
    fn the_calls_endings_are_its_verdicts_and_dialogs_are_not() {
        assert_eq!(
            endings(&Toy),
            [(Signal::Removed, reason::REMOVED_FROM_MEETING), (Signal::Left, reason::LEFT_NORMALLY)]
        );
    }

    fn at(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    #[test]
    fn a_screen_showing_the_bot_out_ends_the_sequence() {
        let start = Instant::now();
        let mut sequence = LeaveSequence::new(start);
        assert_eq!(sequence.next(Some(Shown::Out), at(start, 300)), LeaveStep::Done);
    }

    #[test]
    fn the_confirmation_is_clicked_at_most_twice() {
        let start = Instant::now();
        let mut sequence = LeaveSequence::new(start);
        assert_eq!(sequence.next(Some(Shown::Confirm), at(start, 100)), LeaveStep::Confirm);
        assert_eq!(sequence.next(Some(Shown::Confirm), at(start, 200)), LeaveStep::Confirm);
        assert!(!sequence.confirms(), "no longer watched for");
        assert_eq!(sequence.next(Some(Shown::Confirm), at(start, 300)), LeaveStep::Wait);
    }

    #[test]
    fn leave_is_clicked_once_more_when_nothing_happened_then_the_sequence_gives_up() {
        let start = Instant::now();
        let mut sequence = LeaveSequence::new(start);
        assert_eq!(sequence.wait(start), LEAVE_RETRY_AFTER, "the first wait lasts until the retry");
        assert_eq!(sequence.next(None, at(start, 1_000)), LeaveStep::Wait);
        assert_eq!(sequence.next(None, at(start, 2_000)), LeaveStep::ClickAgain);
        assert_eq!(sequence.wait(at(start, 2_000)), Duration::from_secs(3), "then until the end");
        assert_eq!(sequence.next(None, at(start, 4_000)), LeaveStep::Wait);
        assert_eq!(sequence.next(None, at(start, 5_000)), LeaveStep::GiveUp);
    }
}
