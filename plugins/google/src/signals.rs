//! What the plugin recognizes on a Meet page, and which of it it watches for in each phase.
//!
//! Each [`Signal`] is one meaning ("the lobby", "denied", "in the call") shown by the probes built
//! from the tables in [`crate::texts`]. The watch sets list signals in priority order: platform
//! verdicts first (a refusal screen may still carry a stale "Leave call" button), then the lobby
//! (some Meet versions show "Leave call" in the lobby too), then admission, then the pre-join
//! controls. What a signal *means* for the session is decided in [`crate::machine`].

use meetbot_plugin_kit::Probe;

use crate::{machine::Phase, texts};

/// One thing Meet can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// The browser landed on Google's sign-in host, or its sign-in page shows.
    SignIn,
    /// "Someone in the call denied your request to join".
    Denied,
    /// "No one responded to your request to join the call".
    LobbyTimedOut,
    /// "You can't join this video call".
    Blocked,
    /// "You can't join this call" (denied after asking, blocked before).
    CantJoin,
    /// "Check your meeting code" / "Invalid video call name".
    NotFound,
    /// "You've been removed from the meeting".
    Removed,
    /// "The call has ended".
    Ended,
    /// "You left the meeting".
    Left,
    /// The lobby's own wordings ("Please wait until a meeting host brings you into the call").
    Lobby,
    /// The "Leave call" button: in the call (unless the lobby's wording is also shown).
    InCall,
    /// "Asking to join..." (weaker than [`Signal::Lobby`], see [`texts::LOBBY_HEADING`]).
    LobbyHeading,
    /// The devices dialog's "Continue without microphone and camera".
    DevicesDialog,
    /// "Join anyway" after the join click.
    JoinAnyway,
    /// "Just leave the call" after the leave click.
    LeaveConfirm,
    /// An in-call tip or notice ("Got it") that would cover the call and the controls.
    Notice,
    /// The pre-join name field.
    NameField,
    /// A pre-join join button ("Ask to join", "Join now", "Join anyway").
    JoinButton,
}

impl Signal {
    /// The probes that show this signal.
    pub fn probes(self) -> Vec<Probe> {
        match self {
            Signal::SignIn => std::iter::once(texts::SIGN_IN_URL).chain(texts::SIGN_IN_WALL.as_text()).collect(),
            Signal::Denied => texts::DENIED.as_text(),
            Signal::LobbyTimedOut => texts::LOBBY_TIMED_OUT.as_text(),
            Signal::Blocked => texts::BLOCKED.as_text(),
            Signal::CantJoin => texts::CANT_JOIN_CALL.as_text(),
            Signal::NotFound => texts::NOT_FOUND.as_text(),
            Signal::Removed => texts::REMOVED.as_text(),
            Signal::Ended => texts::ENDED.as_text(),
            Signal::Left => texts::LEFT.as_text(),
            Signal::Lobby => texts::LOBBY.as_text(),
            Signal::InCall => leave_button(),
            Signal::LobbyHeading => texts::LOBBY_HEADING.as_text(),
            Signal::DevicesDialog => texts::CONTINUE_WITHOUT_DEVICES.as_button(),
            Signal::JoinAnyway => texts::JOIN_ANYWAY.as_button(),
            Signal::LeaveConfirm => texts::LEAVE_CONFIRM.as_button(),
            Signal::Notice => texts::NOTICE_DISMISS.as_button(),
            Signal::NameField => name_field(),
            Signal::JoinButton => texts::JOIN_BUTTONS.as_button(),
        }
    }
}

/// The name field: a textbox named "Your name" (aria-label, label or placeholder), or anything
/// carrying that label (custom inputs).
pub fn name_field() -> Vec<Probe> {
    let mut probes = texts::NAME_FIELD.as_role("textbox");
    probes.extend(texts::NAME_FIELD.as_label());
    probes
}

/// The "Leave call" control: a button by its name, or any element carrying the label (Meet's
/// controls are not always `<button>`s).
pub fn leave_button() -> Vec<Probe> {
    let mut probes = texts::LEAVE_CALL.as_button();
    probes.extend(texts::LEAVE_CALL.as_label());
    probes
}

/// Where Meet shows the number of people in the call: the avatar stack's count, else the number
/// in the People button's label (the kit reads the first of these that shows one).
pub fn participant_count() -> Vec<Probe> {
    std::iter::once(texts::AVATAR_COUNT).chain(texts::PEOPLE.as_label()).collect()
}

/// The platform's verdicts, most specific first: an explicit denial wins over the generic
/// "You can't join this call" heading shown with it.
const VERDICTS: [Signal; 8] = [
    Signal::SignIn,
    Signal::Denied,
    Signal::LobbyTimedOut,
    Signal::Blocked,
    Signal::CantJoin,
    Signal::NotFound,
    Signal::Removed,
    Signal::Ended,
];

/// The signals watched in `phase`, in priority order. `lobby_shows_leave`: this Meet version shows
/// "Leave call" in the lobby, so the button is there all along and only its context tells
/// admission (checked between waits instead).
pub fn watched(phase: Phase, lobby_shows_leave: bool) -> Vec<Signal> {
    let rest: &[Signal] = match phase {
        Phase::PreJoin => &[
            Signal::Lobby,
            Signal::InCall,
            Signal::LobbyHeading,
            Signal::DevicesDialog,
            Signal::NameField,
            Signal::JoinButton,
        ],
        Phase::Asked => {
            &[Signal::Lobby, Signal::InCall, Signal::LobbyHeading, Signal::DevicesDialog, Signal::JoinAnyway]
        }
        // The lobby's own texts are present the whole time, so they are checked between waits
        // instead of being waited for.
        Phase::Lobby => &[Signal::InCall, Signal::DevicesDialog],
        Phase::InCall => &[Signal::Left, Signal::DevicesDialog, Signal::Notice],
    };
    let verdicts: &[Signal] = match phase {
        Phase::InCall => &[Signal::SignIn, Signal::Removed, Signal::Ended],
        _ => &VERDICTS,
    };
    let skip = (phase == Phase::Lobby && lobby_shows_leave).then_some(Signal::InCall);
    verdicts.iter().chain(rest).copied().filter(|s| Some(*s) != skip).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(list: &[Signal], signal: Signal) -> usize {
        list.iter().position(|s| *s == signal).unwrap_or_else(|| panic!("{signal:?} not watched in {list:?}"))
    }

    #[test]
    fn verdicts_outrank_the_lobby_and_the_lobby_outranks_the_leave_button() {
        for phase in [Phase::PreJoin, Phase::Asked] {
            let list = watched(phase, false);
            for verdict in VERDICTS {
                assert!(position(&list, verdict) < position(&list, Signal::Lobby), "{phase:?} {verdict:?}");
            }
            assert!(position(&list, Signal::Lobby) < position(&list, Signal::InCall));
            assert!(position(&list, Signal::InCall) < position(&list, Signal::LobbyHeading));
            assert!(position(&list, Signal::Denied) < position(&list, Signal::CantJoin));
        }
    }

    #[test]
    fn the_lobby_waits_for_admission_and_every_verdict() {
        let list = watched(Phase::Lobby, false);
        for signal in [Signal::InCall, Signal::Denied, Signal::CantJoin, Signal::LobbyTimedOut, Signal::SignIn] {
            position(&list, signal);
        }
        assert!(!list.contains(&Signal::Lobby), "the lobby text is always there while waiting");
    }

    #[test]
    fn the_call_watches_its_endings_but_not_the_leave_button() {
        let list = watched(Phase::InCall, false);
        for signal in [Signal::Removed, Signal::Ended, Signal::Left] {
            position(&list, signal);
        }
        assert!(!list.contains(&Signal::InCall));
    }

    #[test]
    fn a_lobby_showing_leave_call_does_not_watch_the_button() {
        assert!(watched(Phase::Lobby, false).contains(&Signal::InCall));
        assert!(!watched(Phase::Lobby, true).contains(&Signal::InCall));
    }

    #[test]
    fn every_watched_signal_has_probes() {
        for phase in [Phase::PreJoin, Phase::Asked, Phase::Lobby, Phase::InCall] {
            for signal in watched(phase, false) {
                assert!(!signal.probes().is_empty(), "{signal:?}");
            }
        }
    }
}
