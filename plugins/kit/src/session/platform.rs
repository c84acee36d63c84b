//! [`Platform`]: what a plugin tells the session driver about its platform.
//!
//! A plugin is platform knowledge: which screens exist and how to recognize them (its signals and
//! their probes, from its phrase tables), what each one means in each phase ([`Platform::decide`]),
//! and the few steps only that platform has (a passcode, a launcher page, a name form), given as
//! hooks. Everything every platform needs is the driver's ([`super::run`]).

use std::{fmt::Debug, future::Future, time::Duration};

use meetbot_plugin_api::SessionState;

use super::Budget;
use crate::{Hit, Host, KitError, MeetingPage, Probe, Signals};

/// How long one wait lasts before the quiet checks run, unless a platform says otherwise.
pub const SLICE: Duration = Duration::from_secs(5);

/// How long a session may see nothing it recognizes before it gives up, unless a platform says
/// otherwise: a cold browser loads a meeting app within seconds, a minute means the page is not
/// what the plugin knows.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// What a signal means in a phase: [`Platform::decide`]'s answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<P> {
    /// The platform's verdict: the session ends with this reason (one of `api::reason`), and what
    /// showed is the detail.
    End(&'static str),
    /// The session moved on to this phase.
    Enter(P),
    /// A dialog or notice: the driver clicks the probe that showed, within the signal's budget.
    Click,
    /// A platform step: the driver calls [`Platform::act`], within the signal's budget.
    Act,
    /// Nothing to do about it in this phase.
    Ignore,
}

/// What a hook found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next<P> {
    /// Nothing new: keep waiting.
    Wait,
    /// Something the plugin knows is still there (restarts the "nothing recognized" deadline).
    Seen,
    /// The session moved on to this phase.
    Enter(P),
    /// The session is over with this reason and detail.
    End(&'static str, String),
}

/// What a hook works with: the page, the host, and what the request asks for.
pub struct Cx<'a> {
    /// The meeting page.
    pub page: &'a MeetingPage,
    /// The host, for events and logs.
    pub host: &'a Host,
    /// The display name the bot joins with, exactly as given.
    pub name: &'a str,
}

/// A platform, as the session driver needs it.
///
/// Signals are listed in priority order (the first whose probe is present wins): platform verdicts
/// first, since a refusal screen may still carry a stale call control, then what changes the
/// phase, then dialogs and the platform's own steps.
pub trait Platform: Send + 'static {
    /// Where a session is (pre-join, asked, lobby, in the call, ...).
    type Phase: Copy + Eq + Debug + Send + Sync + 'static;
    /// One thing the platform can show.
    type Signal: Copy + Eq + Debug + Send + Sync + 'static;

    /// The platform's name, for details ("Google Meet").
    const NAME: &'static str;

    /// The phase a session starts in, once the meeting page was opened.
    const START: Self::Phase;

    /// The phase the bot is in the call in; the driver watches the call there, and leaves from it
    /// by clicking Leave.
    const IN_CALL: Self::Phase;

    /// What the host is told while the session is in `phase`: `Joining`, `WaitingRoom` or `InCall`.
    fn state(phase: Self::Phase) -> SessionState;

    /// The probes that show `signal`, most specific first.
    fn probes(signal: Self::Signal) -> Vec<Probe>;

    /// The signals watched in `phase`, in priority order (the driver leaves out signals whose budget
    /// is spent or resting).
    fn watched(&self, phase: Self::Phase) -> Vec<Self::Signal>;

    /// What `signal` means in `phase`.
    fn decide(phase: Self::Phase, signal: Self::Signal) -> Step<Self::Phase>;

    /// Where the participant count (the bot included) shows, in the order tried.
    fn participant_count() -> Vec<Probe>;

    /// The call's Leave control.
    fn leave_control() -> Vec<Probe>;

    /// The button that confirms leaving when the platform asks (clicked at most twice).
    fn leave_confirm() -> Vec<Probe>;

    /// The address to open for the request's (normalized) meeting link.
    fn address_to_open(&self, url: &str) -> String {
        url.to_owned()
    }

    /// How often the session acts on `signal` ([`Step::Click`], [`Step::Act`]), and how long it
    /// rests after each time.
    fn budget(_signal: Self::Signal) -> Budget {
        Budget::DIALOG
    }

    /// How long one wait in `phase` lasts before [`Platform::quiet`] runs.
    fn slice(&self, _phase: Self::Phase) -> Duration {
        SLICE
    }

    /// How long `phase` may show nothing known before the session gives up (`None`: no limit, e.g.
    /// a lobby that lasts as long as the meeting's host allows, or a quiet call).
    fn patience(phase: Self::Phase) -> Option<Duration> {
        (Self::state(phase) != SessionState::InCall).then_some(PATIENCE)
    }

    /// What the browser's address alone says (a redirect to a sign-in host): a reason and detail.
    fn address(&self, _address: &str) -> Option<(&'static str, String)> {
        None
    }

    /// A platform step ([`Step::Act`]) for `hit`, seen in `phase`.
    fn act(
        &mut self,
        _cx: &Cx<'_>,
        _phase: Self::Phase,
        _hit: Hit<Self::Signal>,
    ) -> impl Future<Output = Result<Next<Self::Phase>, KitError>> + Send {
        async { Ok(Next::Wait) }
    }

    /// Checks between waits in `phase`, for what no probe can wait for (a wording going away, a
    /// click without effect).
    fn quiet(
        &mut self,
        _cx: &Cx<'_>,
        _phase: Self::Phase,
    ) -> impl Future<Output = Result<Next<Self::Phase>, KitError>> + Send {
        async { Ok(Next::Wait) }
    }

    /// Runs when the session enters `phase` (e.g. devices off once in the call).
    fn entered(&mut self, _cx: &Cx<'_>, _phase: Self::Phase) -> impl Future<Output = Result<(), KitError>> + Send {
        async { Ok(()) }
    }

    /// Clears what may cover the call controls before Leave is clicked.
    fn before_leave(&mut self, _cx: &Cx<'_>) -> impl Future<Output = Result<(), KitError>> + Send {
        async { Ok(()) }
    }

    /// What the session did so far, for the detail of a give-up ("name typed, 2 join clicks").
    fn progress(&self) -> String {
        String::new()
    }
}

/// `P`'s signals as the kit's [`Signals`], in the order given (the priority): for the waits a
/// platform's own steps make ("is the lobby back within a second?").
pub fn signals<P: Platform>(signals: &[P::Signal]) -> Signals<P::Signal> {
    let mut set = Signals::new();
    for signal in signals {
        set.push(*signal, P::probes(*signal));
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::toy::{Phase, Signal, Toy};

    #[test]
    fn by_default_only_the_way_into_the_call_has_a_deadline() {
        assert_eq!(Toy::patience(Phase::Join), Some(PATIENCE));
        assert_eq!(Toy::patience(Phase::Lobby), Some(PATIENCE));
        assert_eq!(Toy::patience(Phase::Call), None, "a quiet call is still a call");
        assert_eq!(Toy.slice(Phase::Join), SLICE);
        assert_eq!(Toy::budget(Signal::Notice), Budget::DIALOG);
        assert_eq!(Toy.address_to_open("https://toy.example/m/1"), "https://toy.example/m/1");
    }

    #[test]
    fn signals_keep_the_order_given() {
        let set = signals::<Toy>(&[Signal::Left, Signal::Removed]);
        assert_eq!(set.hit(0).map(|hit| hit.tag), Some(Signal::Left));
        assert_eq!(set.hit(1).map(|hit| hit.probe), Some(Probe::text("You were removed")));
    }
}
