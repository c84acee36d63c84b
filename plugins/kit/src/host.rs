//! A thin, cloneable wrapper over the host context handed to a session.

use std::sync::Arc;

use meetbot_plugin_api::{HostContextBox, LogLevel, SessionState};

/// The host, as a session talks to it. Cheap to clone; every call returns at once.
#[derive(Clone)]
pub struct Host {
    inner: Arc<HostContextBox>,
}

impl Host {
    /// Wraps the context the host passed to `run`.
    pub fn new(inner: HostContextBox) -> Self {
        Self { inner: Arc::new(inner) }
    }

    /// Reports a new session state.
    pub fn state(&self, state: SessionState) {
        self.inner.report_state(state);
    }

    /// Reports the participant count (the bot included).
    pub fn participants(&self, count: u32) {
        self.inner.report_participants(count);
    }

    /// Records a platform event in the meeting timeline. The host keeps 64 characters of `kind`
    /// and 1024 of `detail`, and drops events (and participant counts) reported while 1024 are
    /// still waiting to be applied: report changes, not a stream.
    pub fn event(&self, kind: &str, detail: &str) {
        self.inner.report_event(kind.into(), detail.into());
    }

    /// Logs at debug level.
    pub fn debug(&self, message: &str) {
        self.inner.log(LogLevel::Debug, message.into());
    }

    /// Logs at info level.
    pub fn info(&self, message: &str) {
        self.inner.log(LogLevel::Info, message.into());
    }

    /// Logs at warn level.
    pub fn warn(&self, message: &str) {
        self.inner.log(LogLevel::Warn, message.into());
    }

    /// True once the host asked the bot to leave.
    pub fn leave_requested(&self) -> bool {
        self.inner.leave_requested()
    }

    /// Resolves when the host asks the bot to leave.
    pub async fn left(&self) {
        self.inner.wait_leave_requested().await;
    }
}
