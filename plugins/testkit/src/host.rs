//! [`FakeHost`]: the host's side of one session, as a plugin sees it, for tests.
//!
//! It implements the ABI's [`HostContext`] the way the worker does (every call returns at once,
//! the leave request is a latch the plugin may poll or await from its own runtime), records every
//! report with the instant it arrived, and lets the test ask the bot to leave. A test can hand
//! [`FakeHost::context`] to a plugin's `run` directly, or let [`crate::Scenario`] do it.

use std::{
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use abi_stable::{sabi_trait::TD_Opaque, std_types::RStr};
use async_ffi::{FfiFuture, FutureExt};
use meetbot_plugin_api::{HostContext, HostContext_TO, HostContextBox, LogLevel, SessionState};
use tokio::{sync::watch, time::Instant};

/// One thing a plugin reported through its [`HostContext`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// `report_state`.
    State(SessionState),
    /// `report_participants` (the bot included).
    Participants(u32),
    /// `report_event`: a timeline event (`kind` from `meetbot_plugin_api::event`, the end reason,
    /// or the plugin's own).
    Event {
        /// The event's kind.
        kind: String,
        /// Its detail.
        detail: String,
    },
    /// `log`.
    Log {
        /// The severity.
        level: LogLevel,
        /// The line.
        message: String,
    },
}

/// A [`Report`] and the instant it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    /// When the host received it.
    pub at: Instant,
    /// What was reported.
    pub report: Report,
}

/// A recording host. Cheap to clone: clones share the record and the leave request.
#[derive(Clone)]
pub struct FakeHost {
    shared: Arc<Shared>,
}

struct Shared {
    reports: Mutex<Vec<Reported>>,
    /// How many reports arrived: wakes whoever waits for one.
    arrived: watch::Sender<usize>,
    /// When the bot was asked to leave, once it was.
    leave: watch::Sender<Option<Instant>>,
}

impl Default for FakeHost {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeHost {
    /// A host that has received nothing and not asked the bot to leave.
    pub fn new() -> Self {
        Self {
            shared: Arc::new(Shared {
                reports: Mutex::new(Vec::new()),
                arrived: watch::Sender::new(0),
                leave: watch::Sender::new(None),
            }),
        }
    }

    /// The FFI-safe context to pass to a plugin's `run` (it records into this host).
    pub fn context(&self) -> HostContextBox {
        HostContext_TO::from_value(Context { shared: Arc::clone(&self.shared) }, TD_Opaque)
    }

    /// Asks the bot to leave, as the worker does on a cancel or an auto-leave rule; idempotent
    /// (the first request's instant is kept).
    pub fn ask_to_leave(&self) {
        self.shared.leave.send_if_modified(|asked| {
            let first = asked.is_none();
            if first {
                *asked = Some(Instant::now());
            }
            first
        });
    }

    /// When the bot was asked to leave, if it was.
    pub fn leave_asked_at(&self) -> Option<Instant> {
        *self.shared.leave.borrow()
    }

    /// Every report so far, in order of arrival.
    pub fn reports(&self) -> Vec<Report> {
        self.shared.lock().iter().map(|r| r.report.clone()).collect()
    }

    /// Every report so far with the instant it arrived.
    pub fn timeline(&self) -> Vec<Reported> {
        self.shared.lock().clone()
    }

    /// The states reported so far, in order.
    pub fn states(&self) -> Vec<SessionState> {
        self.shared
            .lock()
            .iter()
            .filter_map(|r| match r.report {
                Report::State(state) => Some(state),
                _ => None,
            })
            .collect()
    }

    /// Waits until a report matching `wanted` arrived (one that already did counts), at most
    /// `timeout`; the report, or `None` on timeout.
    pub async fn wait_for(&self, wanted: impl Fn(&Report) -> bool, timeout: Duration) -> Option<Reported> {
        let mut arrived = self.shared.arrived.subscribe();
        let found = async {
            loop {
                if let Some(hit) = self.shared.lock().iter().find(|r| wanted(&r.report)) {
                    return Some(hit.clone());
                }
                if arrived.changed().await.is_err() {
                    return None;
                }
            }
        };
        tokio::time::timeout(timeout, found).await.ok().flatten()
    }

    /// Waits until the plugin reported `state`, at most `timeout`.
    pub async fn wait_state(&self, state: SessionState, timeout: Duration) -> Option<Reported> {
        self.wait_for(|report| *report == Report::State(state), timeout).await
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Vec<Reported>> {
        // A panic while holding the lock cannot leave the list half-written (one push), so a
        // poisoned lock is still a good record.
        self.reports.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, report: Report) {
        self.lock().push(Reported { at: Instant::now(), report });
        self.arrived.send_modify(|count| *count += 1);
    }
}

/// The context object the plugin holds.
struct Context {
    shared: Arc<Shared>,
}

impl HostContext for Context {
    fn report_state(&self, state: SessionState) {
        self.shared.record(Report::State(state));
    }

    fn report_participants(&self, count: u32) {
        self.shared.record(Report::Participants(count));
    }

    fn report_event(&self, kind: RStr<'_>, detail: RStr<'_>) {
        self.shared.record(Report::Event { kind: kind.to_string(), detail: detail.to_string() });
    }

    fn log(&self, level: LogLevel, message: RStr<'_>) {
        self.shared.record(Report::Log { level, message: message.to_string() });
    }

    fn leave_requested(&self) -> bool {
        self.shared.leave.borrow().is_some()
    }

    fn wait_leave_requested(&self) -> FfiFuture<()> {
        let mut leave = self.shared.leave.subscribe();
        async move {
            // The sender lives as long as this context: `wait_for` fails only if it is gone.
            let _ = leave.wait_for(Option::is_some).await;
        }
        .into_ffi()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn records_reports_in_order_and_latches_the_leave_request() {
        let host = FakeHost::new();
        let context = host.context();
        context.report_state(SessionState::Joining);
        context.report_participants(3);
        context.report_event("admitted".into(), "".into());
        context.log(LogLevel::Info, "hello".into());
        assert_eq!(
            host.reports(),
            [
                Report::State(SessionState::Joining),
                Report::Participants(3),
                Report::Event { kind: "admitted".into(), detail: String::new() },
                Report::Log { level: LogLevel::Info, message: "hello".into() },
            ]
        );
        assert!(!context.leave_requested());
        let waiting = tokio::spawn(context.wait_leave_requested());
        host.ask_to_leave();
        let first = host.leave_asked_at();
        host.ask_to_leave();
        assert_eq!(host.leave_asked_at(), first, "the first request's instant is kept");
        tokio::time::timeout(Duration::from_secs(1), waiting).await.expect("woken").expect("joined");
        assert!(context.leave_requested());
    }

    #[tokio::test]
    async fn waits_for_a_report_that_arrives_later() {
        let host = FakeHost::new();
        let context = host.context();
        let later = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            context.report_state(SessionState::InCall);
        });
        assert!(host.wait_state(SessionState::InCall, Duration::from_secs(2)).await.is_some());
        later.await.expect("joined");
        assert!(host.wait_state(SessionState::Leaving, Duration::from_millis(20)).await.is_none());
    }
}
