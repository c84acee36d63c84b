//! The session's decisions, as a pure function of where the bot is and what Jitsi shows.
//!
//! One table, read and unit-tested without a page: every "which reason is this?" answer lives here.

use meetbot_plugin_api::{SessionState, reason};
use meetbot_plugin_kit::session::Step;

use crate::signals::Signal;

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// On the prejoin screen (or still loading it); nothing asked yet.
    PreJoin,
    /// The join button was clicked; neither lobby nor call shown yet.
    Asked,
    /// Knocking in the lobby, or waiting for a moderator to open the room.
    Lobby,
    /// In the call.
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
        Signal::AuthenticationRequired => Step::End(reason::SIGN_IN_REQUIRED),
        // The deployment refuses the bot before anyone could be asked: its token, a full room, a
        // password nobody gave it.
        Signal::NotAllowed | Signal::PasswordRequired => Step::End(reason::BLOCKED_BY_PLATFORM),
        Signal::Denied => Step::End(reason::DENIED_ADMISSION),
        // The lobby goes away with the meeting: it ended while the bot knocked.
        Signal::LobbyClosed => Step::End(reason::ENDED_BY_HOST),
        Signal::Kicked => Step::End(reason::REMOVED_FROM_MEETING),
        Signal::Ended => Step::End(reason::ENDED_BY_HOST),
        Signal::Left => Step::End(reason::LEFT_NORMALLY),
        Signal::Lobby | Signal::WaitingForModerator => match phase {
            Phase::PreJoin | Phase::Asked => Step::Enter(Phase::Lobby),
            Phase::Lobby | Phase::InCall => Step::Ignore,
        },
        // A deployment without a prejoin screen puts the bot straight into the call.
        Signal::InCall => match phase {
            Phase::InCall => Step::Ignore,
            Phase::PreJoin | Phase::Asked | Phase::Lobby => Step::Enter(Phase::InCall),
        },
        // The prejoin screen is ready: type the name, turn devices off, ask to join.
        Signal::NameField | Signal::JoinButton => match phase {
            Phase::PreJoin => Step::Act,
            Phase::Asked | Phase::Lobby | Phase::InCall => Step::Ignore,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHASES: [Phase; 4] = [Phase::PreJoin, Phase::Asked, Phase::Lobby, Phase::InCall];

    #[test]
    fn each_verdict_is_reported_as_itself_in_every_phase() {
        let cases = [
            (Signal::AuthenticationRequired, reason::SIGN_IN_REQUIRED),
            (Signal::NotAllowed, reason::BLOCKED_BY_PLATFORM),
            (Signal::PasswordRequired, reason::BLOCKED_BY_PLATFORM),
            (Signal::Denied, reason::DENIED_ADMISSION),
            (Signal::LobbyClosed, reason::ENDED_BY_HOST),
            (Signal::Kicked, reason::REMOVED_FROM_MEETING),
            (Signal::Ended, reason::ENDED_BY_HOST),
            (Signal::Left, reason::LEFT_NORMALLY),
        ];
        for phase in PHASES {
            for (signal, expected) in cases {
                assert_eq!(decide(phase, signal), Step::End(expected), "{signal:?} in {phase:?}");
            }
        }
    }

    #[test]
    fn the_lobby_and_admission() {
        assert_eq!(decide(Phase::Asked, Signal::Lobby), Step::Enter(Phase::Lobby));
        assert_eq!(decide(Phase::PreJoin, Signal::WaitingForModerator), Step::Enter(Phase::Lobby));
        assert_eq!(decide(Phase::Lobby, Signal::Lobby), Step::Ignore);
        assert_eq!(decide(Phase::Lobby, Signal::InCall), Step::Enter(Phase::InCall));
        assert_eq!(decide(Phase::Asked, Signal::InCall), Step::Enter(Phase::InCall));
        assert_eq!(decide(Phase::PreJoin, Signal::InCall), Step::Enter(Phase::InCall), "no prejoin screen");
        assert_eq!(decide(Phase::InCall, Signal::InCall), Step::Ignore);
    }

    #[test]
    fn the_prejoin_screen_is_acted_on_only_before_asking() {
        assert_eq!(decide(Phase::PreJoin, Signal::NameField), Step::Act);
        assert_eq!(decide(Phase::PreJoin, Signal::JoinButton), Step::Act);
        for phase in [Phase::Asked, Phase::Lobby, Phase::InCall] {
            assert_eq!(decide(phase, Signal::JoinButton), Step::Ignore, "{phase:?}");
            assert_eq!(decide(phase, Signal::NameField), Step::Ignore, "{phase:?}");
        }
    }

    #[test]
    fn states_per_phase() {
        assert_eq!(Phase::PreJoin.state(), SessionState::Joining);
        assert_eq!(Phase::Asked.state(), SessionState::Joining);
        assert_eq!(Phase::Lobby.state(), SessionState::WaitingRoom);
        assert_eq!(Phase::InCall.state(), SessionState::InCall);
    }
}
