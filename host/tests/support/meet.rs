//! Browser tests against the fake Google Meet of `meetbot-fixtures`: the Google Meet layer of
//! [`super::platform`] (one fixture server per test binary, the Google Meet plugin in a folder of
//! its own, a worker whose Chromium reaches the fake platform, and Meet job messages).

use std::path::Path;

use serde_json::Value;

#[allow(unused_imports)] // re-exported for the tests that use this module (not every test binary does)
pub use super::platform::{FIXTURES, turn, wait_action};
use super::{RedisServer, Worker, platform::GOOGLE};

/// A folder holding only the Google Meet plugin (a link to the one built next to `meetbot`).
pub fn google_plugin_dir() -> &'static Path {
    GOOGLE.plugin_dir()
}

/// A worker that runs Google Meet jobs in real Chromium against the fake platform, with `extra`
/// TOML on top (e.g. `[recording]` and `[storage]` sections).
pub fn meet_worker(redis: &RedisServer, extra: &str) -> Worker {
    GOOGLE.worker(redis, extra)
}

/// The queue message of a Meet job, with `autoLeave` overrides when given.
pub fn meet_job(bot_id: &str, url: &str, auto_leave: Option<Value>) -> String {
    GOOGLE.job("Recorder Bot", bot_id, url, auto_leave)
}
