//! What one scenario run produced: [`Ran`] when the plugin kept the contract, [`ContractBroken`]
//! when it did not, both carrying what happened for further asserts or for the failure message.

use std::{fmt, time::Duration};

use meetbot_plugin_api::SessionState;
use tokio::time::Instant;

use super::Breach;
use crate::{PageEvent, Report, Reported};

/// How the plugin ended the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// One of `meetbot_plugin_api::reason`.
    pub reason: String,
    /// The plugin's detail.
    pub detail: String,
}

/// Everything one session left behind.
#[derive(Debug, Clone)]
pub struct Trail {
    /// The plugin's normalized meeting URL (empty when normalizing failed).
    pub url: String,
    /// When the session started (the plugin's `run` was called, the browser already up).
    pub started: Instant,
    /// Every report, with the instant it arrived.
    pub timeline: Vec<Reported>,
    /// The fake pages' events of this session.
    pub page_events: Vec<PageEvent>,
    /// How the plugin ended the session; `None` when it never returned.
    pub outcome: Option<Outcome>,
    /// When the scenario asked the bot to leave, if it did.
    pub leave_asked: Option<Instant>,
    /// When the plugin returned, if it did.
    pub returned: Option<Instant>,
}

impl Trail {
    pub(crate) fn new(started: Instant) -> Self {
        Self {
            url: String::new(),
            started,
            timeline: Vec::new(),
            page_events: Vec::new(),
            outcome: None,
            leave_asked: None,
            returned: None,
        }
    }

    /// When the plugin first reported `in_call`.
    pub fn in_call_at(&self) -> Option<Instant> {
        self.timeline.iter().find(|r| r.report == Report::State(SessionState::InCall)).map(|r| r.at)
    }
}

/// A session that kept the contract.
#[derive(Debug, Clone)]
pub struct Ran {
    /// What happened.
    pub trail: Trail,
    /// How the plugin ended it.
    pub outcome: Outcome,
}

impl Ran {
    /// The end reason.
    pub fn reason(&self) -> &str {
        &self.outcome.reason
    }

    /// Every report, in order.
    pub fn reports(&self) -> Vec<Report> {
        self.trail.timeline.iter().map(|r| r.report.clone()).collect()
    }

    /// The states reported, in order.
    pub fn states(&self) -> Vec<SessionState> {
        self.reports()
            .into_iter()
            .filter_map(|r| match r {
                Report::State(state) => Some(state),
                _ => None,
            })
            .collect()
    }

    /// The participant counts reported, in order.
    pub fn participants(&self) -> Vec<u32> {
        self.reports()
            .into_iter()
            .filter_map(|r| match r {
                Report::Participants(count) => Some(count),
                _ => None,
            })
            .collect()
    }

    /// The details of the timeline events of `kind`, in order.
    pub fn events(&self, kind: &str) -> Vec<String> {
        self.reports()
            .into_iter()
            .filter_map(|r| match r {
                Report::Event { kind: k, detail } if k == kind => Some(detail),
                _ => None,
            })
            .collect()
    }

    /// The fake pages' events, in order.
    pub fn page_events(&self) -> &[PageEvent] {
        &self.trail.page_events
    }

    /// The whole session, from the plugin's `run` to its return.
    pub fn elapsed(&self) -> Duration {
        self.trail.returned.map(|r| r - self.trail.started).unwrap_or_default()
    }

    /// From the plugin's `run` until it reported `in_call`.
    pub fn time_to_in_call(&self) -> Option<Duration> {
        self.trail.in_call_at().map(|at| at - self.trail.started)
    }

    /// From the leave request until the plugin returned.
    pub fn time_to_leave(&self) -> Option<Duration> {
        Some(self.trail.returned? - self.trail.leave_asked?)
    }
}

/// A session that broke the contract: every breach found, and what happened (its `Display` is
/// the test failure message: the breaches, then the session's reports and page events in time).
#[derive(Debug, Clone)]
pub struct ContractBroken {
    /// The plugin's name, from its manifest.
    pub plugin: String,
    /// What was broken, in the order found.
    pub breaches: Vec<Breach>,
    /// What happened.
    pub trail: Trail,
}

impl ContractBroken {
    /// Whether a breach matching `breach` is among them.
    pub fn has(&self, breach: impl Fn(&Breach) -> bool) -> bool {
        self.breaches.iter().any(breach)
    }
}

impl std::error::Error for ContractBroken {}

impl fmt::Display for ContractBroken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let trail = &self.trail;
        if self.breaches.iter().all(|b| matches!(b, Breach::Harness(_))) {
            writeln!(f, "the scenario for plugin `{}` could not run ({}):", self.plugin, trail.url)?;
        } else {
            writeln!(f, "plugin `{}` broke the session contract ({}):", self.plugin, trail.url)?;
        }
        for breach in &self.breaches {
            writeln!(f, "  - {breach}")?;
        }
        writeln!(f, "what happened (seconds since the start):")?;
        let mut lines: Vec<(Instant, String)> = Vec::new();
        for reported in &trail.timeline {
            let text = match &reported.report {
                Report::State(state) => format!("state {state:?}"),
                Report::Participants(count) => format!("participants {count}"),
                Report::Event { kind, detail } => format!("event {kind} {detail}"),
                Report::Log { level, message } => format!("log {level:?} {message}"),
            };
            lines.push((reported.at, text));
        }
        for event in &trail.page_events {
            lines.push((event.at, format!("page event {} {}", event.kind, event.detail)));
        }
        if let Some(at) = trail.leave_asked {
            lines.push((at, "host asked the bot to leave".to_owned()));
        }
        if let Some(at) = trail.returned {
            let how = trail.outcome.as_ref().map(|o| format!("{} ({})", o.reason, o.detail)).unwrap_or_default();
            lines.push((at, format!("plugin returned {how}")));
        }
        lines.sort_by_key(|(at, _)| *at);
        for (at, text) in lines {
            writeln!(f, "  {:8.3}  {text}", at.saturating_duration_since(trail.started).as_secs_f64())?;
        }
        Ok(())
    }
}
