//! What the host hands a plugin when a session starts.

use abi_stable::{
    StableAbi,
    std_types::{ROption, RString},
};

/// The page a browser-based session drives.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct BrowserTarget {
    /// The browser's DevTools websocket URL (`ws://127.0.0.1:PORT/devtools/browser/...`).
    pub websocket_url: RString,
    /// The CDP target id of the blank page the host opened for this session. The plugin navigates
    /// it to the meeting; the host records the same page.
    pub target_id: RString,
}

/// One session: a bot joining one meeting.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct SessionRequest {
    /// The job id (the job's `botId`, `eventId`, or a UUID).
    pub job_id: RString,
    /// Ties every log line and record of this job together.
    pub correlation_id: RString,
    /// The provider the job named, one of the plugin's [`crate::PluginManifest::providers`].
    pub provider: RString,
    /// The meeting link as normalized by the plugin's `normalize_url`.
    pub url: RString,
    /// The display name the bot must join with, exactly as given.
    pub bot_name: RString,
    /// The job's IANA time zone.
    pub timezone: RString,
    /// The page to drive, when the plugin's manifest asked for a browser.
    pub browser: ROption<BrowserTarget>,
    /// The whole job as JSON, secrets removed, for plugins that read extra fields.
    pub job_json: RString,
}
