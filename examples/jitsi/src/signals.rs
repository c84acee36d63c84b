//! What the plugin recognizes on a Jitsi Meet page, and which of it it watches for in each phase.
//!
//! Each [`Signal`] is one meaning ("the lobby", "rejected", "in the call") shown by the probes
//! built from [`crate::texts`]. The watch lists are in priority order: the platform's verdicts
//! first (a dialog telling the bot it was kicked sits over a call whose toolbar is still drawn),
//! then what changes the phase, then the prejoin screen. What a signal *means* is decided in
//! [`crate::machine`].

use meetbot_plugin_kit::Probe;

use crate::{machine::Phase, texts};

/// One thing Jitsi Meet can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// "Authentication required": the deployment wants a signed-in user.
    AuthenticationRequired,
    /// "Sorry, you're not allowed to join this call." or a full room.
    NotAllowed,
    /// The room is locked with a password.
    PasswordRequired,
    /// "Your join request was rejected by a moderator."
    Denied,
    /// "The lobby room has been closed."
    LobbyClosed,
    /// "Ouch! ... kicked you out of the meeting".
    Kicked,
    /// "The meeting has been terminated".
    Ended,
    /// The close page, the feedback dialog or the welcome page after hanging up.
    Left,
    /// "Asking to join meeting...": the lobby after knocking.
    Lobby,
    /// "Waiting for a moderator...": a secure room not opened yet.
    WaitingForModerator,
    /// The toolbar's "Leave the meeting" button: in the call.
    InCall,
    /// The prejoin or lobby screen's name field.
    NameField,
    /// "Join meeting" or "Ask to Join".
    JoinButton,
}

impl Signal {
    /// The probes that show this signal.
    pub fn probes(self) -> Vec<Probe> {
        match self {
            Signal::AuthenticationRequired => texts::AUTHENTICATION_REQUIRED.as_text(),
            Signal::NotAllowed => texts::NOT_ALLOWED.as_text(),
            Signal::PasswordRequired => texts::PASSWORD_REQUIRED.as_text(),
            Signal::Denied => texts::DENIED.as_text(),
            Signal::LobbyClosed => texts::LOBBY_CLOSED.as_text(),
            Signal::Kicked => texts::KICKED.as_text(),
            Signal::Ended => texts::ENDED.as_text(),
            Signal::Left => texts::LEFT.as_text(),
            Signal::Lobby => texts::LOBBY.as_text(),
            Signal::WaitingForModerator => texts::WAITING_FOR_MODERATOR.as_text(),
            Signal::InCall => hang_up(),
            Signal::NameField => name_field(),
            Signal::JoinButton => texts::JOIN_BUTTONS.as_button(),
        }
    }
}

/// The name field: a textbox named by its placeholder, or anything carrying that label.
pub fn name_field() -> Vec<Probe> {
    let mut probes = texts::NAME_FIELD.as_role("textbox");
    probes.extend(texts::NAME_FIELD.as_label());
    probes
}

/// The hang-up button: Jitsi draws toolbar buttons as `div role="button"` with an aria-label.
pub fn hang_up() -> Vec<Probe> {
    let mut probes = texts::HANG_UP.as_button();
    probes.extend(texts::HANG_UP.as_label());
    probes
}

/// Verdicts before the call, most specific first.
const VERDICTS: [Signal; 8] = [
    Signal::AuthenticationRequired,
    Signal::NotAllowed,
    Signal::PasswordRequired,
    Signal::Denied,
    Signal::LobbyClosed,
    Signal::Kicked,
    Signal::Ended,
    Signal::Left,
];

/// The signals watched in `phase`, in priority order.
pub fn watched(phase: Phase) -> Vec<Signal> {
    use Signal::*;
    let rest: &[Signal] = match phase {
        Phase::PreJoin => &[Lobby, WaitingForModerator, InCall, NameField, JoinButton],
        Phase::Asked => &[Lobby, WaitingForModerator, InCall],
        // The lobby's own texts are there the whole time: they are checked between waits.
        Phase::Lobby => &[InCall],
        // Once in the call only its endings matter; the hang-up button is there all along.
        Phase::InCall => return vec![Kicked, Ended, Left],
    };
    VERDICTS.iter().chain(rest).copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHASES: [Phase; 4] = [Phase::PreJoin, Phase::Asked, Phase::Lobby, Phase::InCall];

    fn position(list: &[Signal], signal: Signal) -> usize {
        list.iter().position(|s| *s == signal).unwrap_or_else(|| panic!("{signal:?} not watched in {list:?}"))
    }

    #[test]
    fn verdicts_come_first_before_the_call() {
        for phase in [Phase::PreJoin, Phase::Asked, Phase::Lobby] {
            let list = watched(phase);
            assert_eq!(list[..VERDICTS.len()], VERDICTS, "{phase:?}");
            assert!(position(&list, Signal::Denied) < position(&list, Signal::InCall));
        }
    }

    #[test]
    fn the_lobby_waits_for_admission_and_is_not_watched_for_itself() {
        let list = watched(Phase::Lobby);
        position(&list, Signal::InCall);
        assert!(!list.contains(&Signal::Lobby) && !list.contains(&Signal::JoinButton), "{list:?}");
    }

    #[test]
    fn the_call_watches_only_its_endings() {
        assert_eq!(watched(Phase::InCall), [Signal::Kicked, Signal::Ended, Signal::Left]);
    }

    #[test]
    fn every_watched_signal_has_probes() {
        for phase in PHASES {
            for signal in watched(phase) {
                assert!(!signal.probes().is_empty(), "{signal:?}");
            }
        }
    }
}
