//! The host side of one session: what the plugin reports flows to the job runner through a
//! channel, and the runner's "please leave" flows back through a watch.
//!
//! Every method returns at once and cannot panic: it runs on the plugin's threads, where a panic
//! would abort the process. Log lines and event details are plugin text that reaches the worker's
//! log and the job's timeline: they are cut to a bound and their passcodes masked here, where they
//! enter the host.
//!
//! A plugin may report faster than the runner applies reports (a loop gone wrong, a page that
//! fires events without pause). State changes are always delivered (the lifecycle only moves
//! forward, so there are a handful per job); events and participant counts wait in a backlog of at
//! most [`MAX_BACKLOG`], and those reported while it is full are dropped and counted, so a flood
//! can neither grow the worker's memory nor delay the runner's reaction to a cancel.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use abi_stable::{sabi_trait::TD_Opaque, std_types::RStr};
use async_ffi::{FfiFuture, FutureExt};
use meetbot_plugin_api::{HostContext, HostContext_TO, HostContextBox, LogLevel, SessionState};
use tokio::sync::{mpsc, watch};

use super::plugin_text::{MAX_DETAIL, MAX_LOG_LINE, MAX_TAG, plugin_text};

/// The most events and participant counts waiting for the runner at once.
pub const MAX_BACKLOG: usize = 1024;

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
    backlog: Arc<Backlog>,
    leave: watch::Receiver<bool>,
    span: tracing::Span,
}

/// The runner's end of a session.
pub struct SessionLink {
    reports: mpsc::UnboundedReceiver<Report>,
    backlog: Arc<Backlog>,
    leave: watch::Sender<bool>,
}

/// Events and participant counts sent and not yet received, and how many were dropped.
#[derive(Default)]
struct Backlog {
    waiting: AtomicUsize,
    dropped: AtomicUsize,
}

impl SessionContext {
    /// A connected context and link; plugin log lines are emitted inside `span`.
    pub fn new(span: tracing::Span) -> (SessionContext, SessionLink) {
        let (reports_tx, reports_rx) = mpsc::unbounded_channel();
        let (leave_tx, leave_rx) = watch::channel(false);
        let backlog = Arc::new(Backlog::default());
        (
            SessionContext { reports: reports_tx, backlog: backlog.clone(), leave: leave_rx, span },
            SessionLink { reports: reports_rx, backlog, leave: leave_tx },
        )
    }

    /// Sends an event or a participant count, unless the backlog is full (then it is counted as
    /// dropped). `report` is only made when it is sent.
    fn send_bounded(&self, report: impl FnOnce() -> Report) {
        if self.backlog.waiting.fetch_add(1, Ordering::AcqRel) >= MAX_BACKLOG {
            self.backlog.waiting.fetch_sub(1, Ordering::AcqRel);
            self.backlog.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if self.reports.send(report()).is_err() {
            self.backlog.waiting.fetch_sub(1, Ordering::AcqRel);
        }
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

    /// The next report, in the order sent; None once the plugin's context is gone.
    pub async fn recv(&mut self) -> Option<Report> {
        let report = self.reports.recv().await?;
        Some(self.received(report))
    }

    /// The next report if one is waiting.
    pub fn try_recv(&mut self) -> Option<Report> {
        let report = self.reports.try_recv().ok()?;
        Some(self.received(report))
    }

    /// Events and participant counts dropped so far because the backlog was full.
    pub fn dropped(&self) -> usize {
        self.backlog.dropped.load(Ordering::Relaxed)
    }

    fn received(&self, report: Report) -> Report {
        if !matches!(report, Report::State(_)) {
            self.backlog.waiting.fetch_sub(1, Ordering::AcqRel);
        }
        report
    }
}

impl HostContext for SessionContext {
    fn report_state(&self, state: SessionState) {
        let _ = self.reports.send(Report::State(state));
    }

    fn report_participants(&self, count: u32) {
        self.send_bounded(|| Report::Participants(count));
    }

    fn report_event(&self, kind: RStr<'_>, detail: RStr<'_>) {
        self.send_bounded(|| Report::Event {
            kind: plugin_text(kind.as_str(), MAX_TAG).into_owned(),
            detail: plugin_text(detail.as_str(), MAX_DETAIL).into_owned(),
        });
    }

    fn log(&self, level: LogLevel, message: RStr<'_>) {
        let _entered = self.span.enter();
        // Inside the macros: a line at a level nobody records is neither cut nor masked.
        let text = || plugin_text(message.as_str(), MAX_LOG_LINE);
        match level {
            LogLevel::Debug => tracing::debug!(target: "meetbot::plugin", "{}", text()),
            LogLevel::Info => tracing::info!(target: "meetbot::plugin", "{}", text()),
            LogLevel::Warn => tracing::warn!(target: "meetbot::plugin", "{}", text()),
            LogLevel::Error => tracing::error!(target: "meetbot::plugin", "{}", text()),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn event(context: &SessionContext, detail: &str) {
        context.report_event("tag".into(), detail.into());
    }

    #[test]
    fn a_flood_of_events_is_dropped_past_the_backlog_but_state_changes_always_arrive() {
        let (context, mut link) = SessionContext::new(tracing::Span::none());
        for i in 0..MAX_BACKLOG + 10 {
            event(&context, &i.to_string());
        }
        context.report_participants(3);
        context.report_state(SessionState::InCall);
        assert_eq!(link.dropped(), 11);
        let received: Vec<Report> = std::iter::from_fn(|| link.try_recv()).collect();
        assert_eq!(received.len(), MAX_BACKLOG + 1);
        assert_eq!(
            received[MAX_BACKLOG - 1],
            Report::Event { kind: "tag".into(), detail: (MAX_BACKLOG - 1).to_string() }
        );
        assert_eq!(received[MAX_BACKLOG], Report::State(SessionState::InCall));

        event(&context, "after the runner caught up");
        assert!(
            matches!(link.try_recv(), Some(Report::Event { detail, .. }) if detail == "after the runner caught up")
        );
        assert_eq!(link.dropped(), 11);
    }

    #[test]
    fn event_texts_are_cut_and_masked_where_they_enter() {
        let (context, mut link) = SessionContext::new(tracing::Span::none());
        context.report_event(
            "t".repeat(1000).as_str().into(),
            format!("?pwd=secret {}", "x".repeat(1 << 20)).as_str().into(),
        );
        let Some(Report::Event { kind, detail }) = link.try_recv() else { panic!("no event") };
        assert!(kind.len() < MAX_TAG + 40, "{kind}");
        assert!(detail.len() < MAX_DETAIL + 40 && detail.starts_with("?pwd=********"), "{detail}");
    }
}
