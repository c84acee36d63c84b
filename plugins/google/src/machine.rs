//! The session's decisions, as a pure function of where the bot is and what Meet shows.
//!
//! Kept apart from the browser code so that every "which reason is this?" decision is one table,
//! read and unit-tested without a page. The one decision that depends on history: "You can't
//! join this call" is a denial once the bot has asked to join, and a refusal by the platform
//! before it has.

use meetbot_plugin_api::{SessionState, reason};
use meetbot_plugin_kit::session::Step;

use crate::signals::Signal;

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// On the pre-join screen (or still loading it); nothing asked yet.
    PreJoin,
    /// The join button was clicked; neither lobby nor call shown yet.
    Asked,
    /// In the lobby, waiting to be admitted.
    Lobby,
    /// Admitted.
    InCall,
}

impl Phase {
    /// What the host is told in this phase.
    pub fn state(self) -> SessionState {
        match self {
            Phase::PreJoin | Phase::Asked => SessionState::Joining,
            Phase::Lobby => SessionState::WaitingRoom,
            Phase::InCall => SessionState::InCall,
        }
    }
}

/// The decision table: what `signal` means in `phase`.
pub fn decide(phase: Phase, signal: Signal) -> Step<Phase> {
    match signal {
        Signal::SignIn => Step::End(reason::SIGN_IN_REQUIRED),
        Signal::Denied => Step::End(reason::DENIED_ADMISSION),
        Signal::LobbyTimedOut => Step::End(reason::WAITING_ROOM_TIMEOUT),
        Signal::Blocked => Step::End(reason::BLOCKED_BY_PLATFORM),
        // No request was made yet, so nobody can have denied it: the platform refused the bot.
        Signal::CantJoin if phase == Phase::PreJoin => Step::End(reason::BLOCKED_BY_PLATFORM),
        Signal::CantJoin => Step::End(reason::DENIED_ADMISSION),
        Signal::NotFound => Step::End(reason::MEETING_NOT_FOUND),
        Signal::Removed => Step::End(reason::REMOVED_FROM_MEETING),
        Signal::Ended => Step::End(reason::ENDED_BY_HOST),
        Signal::Left => Step::End(reason::LEFT_NORMALLY),
        Signal::Lobby | Signal::LobbyHeading => match phase {
            Phase::PreJoin | Phase::Asked => Step::Enter(Phase::Lobby),
            Phase::Lobby | Phase::InCall => Step::Ignore,
        },
        // Admitted, unless the lobby's wording is still shown next to it (see `crate::session`).
        Signal::InCall => match phase {
            Phase::InCall => Step::Ignore,
            _ => Step::Act,
        },
        // A devices dialog after asking may have swallowed the join click: clicked, then joined again.
        Signal::DevicesDialog if phase == Phase::Asked => Step::Act,
        Signal::DevicesDialog | Signal::JoinAnyway | Signal::LeaveConfirm | Signal::Notice => Step::Click,
        // The pre-join screen is ready: type the name, turn devices off, ask to join.
        Signal::NameField | Signal::JoinButton => match phase {
            Phase::PreJoin => Step::Act,
            _ => Step::Ignore,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_PHASES: [Phase; 4] = [Phase::PreJoin, Phase::Asked, Phase::Lobby, Phase::InCall];

    #[test]
    fn each_failure_is_reported_as_itself() {
        let cases = [
            (Signal::SignIn, reason::SIGN_IN_REQUIRED),
            (Signal::Denied, reason::DENIED_ADMISSION),
            (Signal::LobbyTimedOut, reason::WAITING_ROOM_TIMEOUT),
            (Signal::Blocked, reason::BLOCKED_BY_PLATFORM),
            (Signal::NotFound, reason::MEETING_NOT_FOUND),
            (Signal::Removed, reason::REMOVED_FROM_MEETING),
            (Signal::Ended, reason::ENDED_BY_HOST),
        ];
        for phase in ALL_PHASES {
            for (signal, expected) in cases {
                assert_eq!(decide(phase, signal), Step::End(expected), "{signal:?} {phase:?}");
            }
        }
    }

    #[test]
    fn cant_join_is_a_block_before_asking_and_a_denial_after() {
        assert_eq!(decide(Phase::PreJoin, Signal::CantJoin), Step::End(reason::BLOCKED_BY_PLATFORM));
        assert_eq!(decide(Phase::Asked, Signal::CantJoin), Step::End(reason::DENIED_ADMISSION));
        assert_eq!(decide(Phase::Lobby, Signal::CantJoin), Step::End(reason::DENIED_ADMISSION));
    }

    #[test]
    fn the_lobby_and_admission() {
        assert_eq!(decide(Phase::Asked, Signal::Lobby), Step::Enter(Phase::Lobby));
        assert_eq!(decide(Phase::Asked, Signal::LobbyHeading), Step::Enter(Phase::Lobby));
        assert_eq!(decide(Phase::Lobby, Signal::Lobby), Step::Ignore);
        // The Leave call button is checked against the lobby's wording before it counts.
        assert_eq!(decide(Phase::Lobby, Signal::InCall), Step::Act);
        assert_eq!(decide(Phase::Asked, Signal::InCall), Step::Act);
        assert_eq!(decide(Phase::InCall, Signal::InCall), Step::Ignore);
    }

    #[test]
    fn the_pre_join_screen_is_acted_on_once() {
        assert_eq!(decide(Phase::PreJoin, Signal::NameField), Step::Act);
        assert_eq!(decide(Phase::PreJoin, Signal::JoinButton), Step::Act);
        assert_eq!(decide(Phase::Asked, Signal::JoinButton), Step::Ignore);
        for phase in [Phase::PreJoin, Phase::Lobby, Phase::InCall] {
            assert_eq!(decide(phase, Signal::DevicesDialog), Step::Click);
        }
        assert_eq!(decide(Phase::Asked, Signal::DevicesDialog), Step::Act, "and joins again");
    }
}
