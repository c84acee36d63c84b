//! The host side of one session: what the plugin reports flows to the job runner through a
//! channel, and the runner's "please leave" flows back through a watch.
//!
//! Every method returns at once and cannot panic: it runs on the plugin's threads, where a panic
//! would abort the process. Log lines and event details are plugin text that reaches the worker's
//! log and the job's timeline: their passcodes are masked here, where they enter the host.

use abi_stable::{sabi_trait::TD_Opaque, std_types::RStr};
use async_ffi::{FfiFuture, FutureExt};
use meetbot_plugin_api::{HostContext, HostContext_TO, HostContextBox, LogLevel, SessionState};
use tokio::sync::{mpsc, watch};

use super::mask_secrets;

/// Something a plugin reported.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// The bot moved to a new state.
    State(SessionState),
    /// The participant count, the bot included.
    Participants(u32),
    /// A platform event for the timeline.
    Event {
        /// Short snake_case tag.
        kind: String,
        /// Free text.
        detail: String,
    },
}

/// The context handed to the plugin.
pub struct SessionContext {
    reports: mpsc::UnboundedSender<Report>,
    leave: watch::Receiver<bool>,
    span: tracing::Span,
}

/// The runner's end of a session.
pub struct SessionLink {
    /// Reports from the plugin, in order.
    pub reports: mpsc::UnboundedReceiver<Report>,
    leave: watch::Sender<bool>,
}

impl SessionContext {
    /// A connected context and link; plugin log lines are emitted inside `span`.
    pub fn new(span: tracing::Span) -> (SessionContext, SessionLink) {
        let (reports_tx, reports_rx) = mpsc::unbounded_channel();
        let (leave_tx, leave_rx) = watch::channel(false);
        (
            SessionContext { reports: reports_tx, leave: leave_rx, span },
            SessionLink { reports: reports_rx, leave: leave_tx },
        )
    }

    /// The FFI-safe trait object the plugin receives.
    pub fn into_ffi(self) -> HostContextBox {
        HostContext_TO::from_value(self, TD_Opaque)
    }
}

impl SessionLink {
    /// Asks the plugin to leave; idempotent.
    pub fn request_leave(&self) {
        self.leave.send_replace(true);
    }
}

impl HostContext for SessionContext {
    fn report_state(&self, state: SessionState) {
        let _ = self.reports.send(Report::State(state));
    }

    fn report_participants(&self, count: u32) {
        let _ = self.reports.send(Report::Participants(count));
    }

    fn report_event(&self, kind: RStr<'_>, detail: RStr<'_>) {
        let (kind, detail) = (mask_secrets(kind.as_str()).into_owned(), mask_secrets(detail.as_str()).into_owned());
        let _ = self.reports.send(Report::Event { kind, detail });
    }

    fn log(&self, level: LogLevel, message: RStr<'_>) {
        let _entered = self.span.enter();
        let message = mask_secrets(message.as_str());
        match level {
            LogLevel::Debug => tracing::debug!(target: "meetbot::plugin", "{message}"),
            LogLevel::Info => tracing::info!(target: "meetbot::plugin", "{message}"),
            LogLevel::Warn => tracing::warn!(target: "meetbot::plugin", "{message}"),
            LogLevel::Error => tracing::error!(target: "meetbot::plugin", "{message}"),
        }
    }

    fn leave_requested(&self) -> bool {
        *self.leave.borrow()
    }

    fn wait_leave_requested(&self) -> FfiFuture<()> {
        let mut leave = self.leave.clone();
        async move {
            // An error means the runner dropped its link: the session is over, so leave too.
            let _ = leave.wait_for(|requested| *requested).await;
        }
        .into_ffi()
    }
}
