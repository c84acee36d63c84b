//! The session's decisions, as a pure function of where the bot is and what Meet shows.
//!
//! Kept apart from the browser code so that every "which reason is this?" decision is one table,
//! read and unit-tested without a page. The one decision that depends on history: "You can't
//! join this call" is a denial once the bot has asked to join, and a refusal by the platform
//! before it has.

use meetbot_plugin_api::reason;

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
    /// For logs and details.
    pub fn describe(self) -> &'static str {
        match self {
            Phase::PreJoin => "pre-join",
            Phase::Asked => "after asking to join",
            Phase::Lobby => "in the lobby",
            Phase::InCall => "in the call",
        }
    }
}

/// What to do about a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The session is over, with this reason (one of [`reason`]).
    End(&'static str),
    /// The lobby shows: report the waiting room.
    Lobby,
    /// Admitted (subject to the lobby's wording being gone, see [`crate::flow`]).
    Admitted,
    /// A dialog or confirmation: click the button that showed.
    Click,
    /// The pre-join screen is ready: type the name, turn devices off, ask to join.
    Join,
    /// Nothing to do in this phase.
    Ignore,
}

/// The decision table.
pub fn decide(phase: Phase, signal: Signal) -> Step {
    match signal {
        Signal::SignIn => Step::End(reason::SIGN_IN_REQUIRED),
        // The page never loaded: nothing the platform said, so no platform reason fits.
        Signal::NetworkError => Step::End(reason::INTERNAL_ERROR),
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
            Phase::PreJoin | Phase::Asked => Step::Lobby,
            Phase::Lobby | Phase::InCall => Step::Ignore,
        },
        Signal::InCall => match phase {
            Phase::InCall => Step::Ignore,
            _ => Step::Admitted,
        },
        Signal::DevicesDialog | Signal::JoinAnyway | Signal::LeaveConfirm | Signal::Notice => Step::Click,
        Signal::NameField | Signal::JoinButton => match phase {
            Phase::PreJoin => Step::Join,
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
        assert_eq!(decide(Phase::Asked, Signal::Lobby), Step::Lobby);
        assert_eq!(decide(Phase::Asked, Signal::LobbyHeading), Step::Lobby);
        assert_eq!(decide(Phase::Lobby, Signal::Lobby), Step::Ignore);
        assert_eq!(decide(Phase::Lobby, Signal::InCall), Step::Admitted);
        assert_eq!(decide(Phase::Asked, Signal::InCall), Step::Admitted);
        assert_eq!(decide(Phase::InCall, Signal::InCall), Step::Ignore);
    }

    #[test]
    fn the_pre_join_screen_is_acted_on_once() {
        assert_eq!(decide(Phase::PreJoin, Signal::NameField), Step::Join);
        assert_eq!(decide(Phase::PreJoin, Signal::JoinButton), Step::Join);
        assert_eq!(decide(Phase::Asked, Signal::JoinButton), Step::Ignore);
        for phase in ALL_PHASES {
            assert_eq!(decide(phase, Signal::DevicesDialog), Step::Click);
        }
    }
}
