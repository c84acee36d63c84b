//! How a session ended, as the plugin saw it.

use abi_stable::{StableAbi, std_types::RString};

/// The end of a session. `reason` is one of the [`reason`] constants; `detail` is free text for
/// humans (it lands in the job record's `detail`).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct SessionOutcome {
    /// One of the [`reason`] constants. An unknown value ends the job as `internal_error`.
    pub reason: RString,
    /// Free text explaining the outcome, may be empty.
    pub detail: RString,
}

impl SessionOutcome {
    /// An outcome with a reason and a detail.
    pub fn new(reason: &str, detail: impl Into<String>) -> Self {
        Self { reason: reason.into(), detail: RString::from(detail.into()) }
    }
}

/// The reasons a session may end with (docs/REFERENCE.md section 3). The host decides some reasons itself
/// (timeouts, crashes, cancellation); these are the ones plugins report.
pub mod reason {
    /// The bot left because the host asked it to, or the meeting ended normally for it.
    pub const LEFT_NORMALLY: &str = "left_normally";
    /// The meeting was ended for everyone.
    pub const ENDED_BY_HOST: &str = "ended_by_host";
    /// Someone removed the bot from the meeting.
    pub const REMOVED_FROM_MEETING: &str = "removed_from_meeting";
    /// The link points to no meeting (wrong code, expired).
    pub const MEETING_NOT_FOUND: &str = "meeting_not_found";
    /// The platform demands a signed-in account.
    pub const SIGN_IN_REQUIRED: &str = "sign_in_required";
    /// The platform refused the bot before it could ask to join.
    pub const BLOCKED_BY_PLATFORM: &str = "blocked_by_platform";
    /// Someone in the meeting refused the bot's request to join.
    pub const DENIED_ADMISSION: &str = "denied_admission";
    /// Nobody admitted the bot; the platform gave up waiting.
    pub const WAITING_ROOM_TIMEOUT: &str = "waiting_room_timeout";
    /// The page or browser broke under the plugin.
    pub const BROWSER_CRASHED: &str = "browser_crashed";
    /// The plugin failed in a way it could not classify.
    pub const INTERNAL_ERROR: &str = "internal_error";
    /// The plugin itself crashed (the kit reports panics with this).
    pub const PLUGIN_CRASHED: &str = "plugin_crashed";
}
