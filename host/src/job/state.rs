//! Job states and end reasons (docs/REFERENCE.md section 3), and which state changes are legal.

use std::{fmt, str::FromStr};

use meetbot_plugin_api::SessionState;
use serde::{Deserialize, Serialize};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Accepted, not started.
    Queued,
    /// Waiting for its `joinAt`.
    Scheduled,
    /// Going through the pre-join screens.
    Joining,
    /// Asked to join, waiting to be admitted.
    WaitingRoom,
    /// Admitted.
    InCall,
    /// Leaving the meeting.
    Leaving,
    /// Finalizing and storing the recording.
    Finalizing,
    /// Ended with a recording (possibly partial) or a normal end.
    Completed,
    /// Ended without doing its work.
    Failed,
}

impl State {
    /// Every state, in lifecycle order.
    pub const ALL: [State; 9] = [
        State::Queued,
        State::Scheduled,
        State::Joining,
        State::WaitingRoom,
        State::InCall,
        State::Leaving,
        State::Finalizing,
        State::Completed,
        State::Failed,
    ];

    /// The contract's name of the state.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Scheduled => "scheduled",
            State::Joining => "joining",
            State::WaitingRoom => "waiting_room",
            State::InCall => "in_call",
            State::Leaving => "leaving",
            State::Finalizing => "finalizing",
            State::Completed => "completed",
            State::Failed => "failed",
        }
    }

    /// Completed or failed: nothing follows.
    pub fn is_terminal(self) -> bool {
        matches!(self, State::Completed | State::Failed)
    }

    /// Whether a job may move from `self` to `next`. A job may always end; it never leaves an end;
    /// it goes back to `queued` only when its message is given back before the bot was admitted.
    pub fn can_become(self, next: State) -> bool {
        use State::*;
        if self.is_terminal() {
            return false;
        }
        if next.is_terminal() {
            return true;
        }
        matches!(
            (self, next),
            (Queued, Scheduled | Joining)
                | (Scheduled, Queued | Joining)
                | (Joining, Queued | WaitingRoom | InCall | Leaving | Finalizing)
                | (WaitingRoom, Queued | InCall | Leaving | Finalizing)
                | (InCall, Leaving | Finalizing)
                | (Leaving, Finalizing)
        )
    }
}

impl From<SessionState> for State {
    /// The job state a plugin's reported session state stands for.
    fn from(state: SessionState) -> Self {
        match state {
            SessionState::Joining => State::Joining,
            SessionState::WaitingRoom => State::WaitingRoom,
            SessionState::InCall => State::InCall,
            SessionState::Leaving => State::Leaving,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        State::ALL.into_iter().find(|state| state.as_str() == s).ok_or_else(|| format!("unknown state `{s}`"))
    }
}

/// A refused state change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("illegal job state change {from} -> {to}")]
pub struct TransitionError {
    /// The state the job is in.
    pub from: State,
    /// The state it was asked to move to.
    pub to: State,
}

/// Why a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The bot left when asked, or the meeting ended normally for it.
    LeftNormally,
    /// The meeting was ended for everyone.
    EndedByHost,
    /// Someone removed the bot.
    RemovedFromMeeting,
    /// Others were seen, then everybody left.
    EveryoneLeft,
    /// Admitted, but nobody else ever appeared.
    NoOneJoined,
    /// The meeting was silent too long.
    Silence,
    /// The call reached its maximum duration.
    MaxDuration,
    /// Cancelled through the API.
    Cancelled,
    /// The worker shut down while the bot was in the call.
    Shutdown,
    /// The message was not a valid job.
    InvalidMessage,
    /// The plugin refused the meeting link.
    InvalidUrl,
    /// No loaded plugin serves the provider.
    UnknownProvider,
    /// The link points to no meeting.
    MeetingNotFound,
    /// The platform wants a signed-in account.
    SignInRequired,
    /// The platform refused the bot.
    BlockedByPlatform,
    /// Someone denied the bot's request to join.
    DeniedAdmission,
    /// Nobody admitted the bot in time.
    WaitingRoomTimeout,
    /// The browser died.
    BrowserCrashed,
    /// The plugin crashed.
    PluginCrashed,
    /// The recording could not be written (disk full, I/O error).
    RecordingFailed,
    /// Storing the recording failed.
    UploadFailed,
    /// Anything else.
    InternalError,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 22] = [
        Reason::LeftNormally,
        Reason::EndedByHost,
        Reason::RemovedFromMeeting,
        Reason::EveryoneLeft,
        Reason::NoOneJoined,
        Reason::Silence,
        Reason::MaxDuration,
        Reason::Cancelled,
        Reason::Shutdown,
        Reason::InvalidMessage,
        Reason::InvalidUrl,
        Reason::UnknownProvider,
        Reason::MeetingNotFound,
        Reason::SignInRequired,
        Reason::BlockedByPlatform,
        Reason::DeniedAdmission,
        Reason::WaitingRoomTimeout,
        Reason::BrowserCrashed,
        Reason::PluginCrashed,
        Reason::RecordingFailed,
        Reason::UploadFailed,
        Reason::InternalError,
    ];

    /// The contract's name of the reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::LeftNormally => "left_normally",
            Reason::EndedByHost => "ended_by_host",
            Reason::RemovedFromMeeting => "removed_from_meeting",
            Reason::EveryoneLeft => "everyone_left",
            Reason::NoOneJoined => "no_one_joined",
            Reason::Silence => "silence",
            Reason::MaxDuration => "max_duration",
            Reason::Cancelled => "cancelled",
            Reason::Shutdown => "shutdown",
            Reason::InvalidMessage => "invalid_message",
            Reason::InvalidUrl => "invalid_url",
            Reason::UnknownProvider => "unknown_provider",
            Reason::MeetingNotFound => "meeting_not_found",
            Reason::SignInRequired => "sign_in_required",
            Reason::BlockedByPlatform => "blocked_by_platform",
            Reason::DeniedAdmission => "denied_admission",
            Reason::WaitingRoomTimeout => "waiting_room_timeout",
            Reason::BrowserCrashed => "browser_crashed",
            Reason::PluginCrashed => "plugin_crashed",
            Reason::RecordingFailed => "recording_failed",
            Reason::UploadFailed => "upload_failed",
            Reason::InternalError => "internal_error",
        }
    }

    /// The terminal state a job ending for this reason lands in.
    pub fn terminal_state(self) -> State {
        match self {
            Reason::LeftNormally
            | Reason::EndedByHost
            | Reason::RemovedFromMeeting
            | Reason::EveryoneLeft
            | Reason::NoOneJoined
            | Reason::Silence
            | Reason::MaxDuration
            | Reason::Cancelled
            | Reason::Shutdown => State::Completed,
            _ => State::Failed,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Reason {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reason::ALL.into_iter().find(|reason| reason.as_str() == s).ok_or_else(|| format!("unknown reason `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for state in State::ALL {
            assert_eq!(state.as_str().parse::<State>(), Ok(state));
            assert_eq!(serde_json::to_value(state).expect("serializes"), state.as_str());
        }
        for reason in Reason::ALL {
            assert_eq!(reason.as_str().parse::<Reason>(), Ok(reason));
            assert_eq!(serde_json::to_value(reason).expect("serializes"), reason.as_str());
        }
    }

    #[test]
    fn terminal_states_are_final() {
        for next in State::ALL {
            assert!(!State::Completed.can_become(next));
            assert!(!State::Failed.can_become(next));
        }
    }

    #[test]
    fn lifecycle_moves_forward_only() {
        assert!(State::Joining.can_become(State::WaitingRoom));
        assert!(State::WaitingRoom.can_become(State::InCall));
        assert!(State::InCall.can_become(State::Completed));
        assert!(!State::InCall.can_become(State::WaitingRoom));
        assert!(!State::InCall.can_become(State::Queued));
        assert!(State::WaitingRoom.can_become(State::Queued));
    }

    #[test]
    fn reasons_split_into_completed_and_failed() {
        assert_eq!(Reason::Cancelled.terminal_state(), State::Completed);
        assert_eq!(Reason::Shutdown.terminal_state(), State::Completed);
        assert_eq!(Reason::DeniedAdmission.terminal_state(), State::Failed);
        assert_eq!(Reason::UploadFailed.terminal_state(), State::Failed);
    }
}
