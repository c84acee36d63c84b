//! The meeting timeline kept for `meeting.json`: state changes, participant counts over time,
//! and what the plugin and the recorder reported.

use chrono::Utc;
use serde::Serialize;

use crate::job::{State, record::timestamp};

/// One moment in the meeting.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Entry {
    /// The job's state changed.
    State {
        /// When.
        at: String,
        /// The new state.
        state: State,
    },
    /// The participant count changed (the bot included).
    Participants {
        /// When.
        at: String,
        /// How many.
        count: u32,
    },
    /// A platform event the plugin reported.
    Event {
        /// When.
        at: String,
        /// Its tag.
        kind: String,
        /// Its text.
        detail: String,
    },
    /// Something about the recording.
    Recording {
        /// When.
        at: String,
        /// What happened.
        detail: String,
    },
}

/// The most entries a timeline keeps besides its state changes: a meeting of many hours whose
/// participants come and go fits, a plugin or page that reports without pause does not grow the
/// worker's memory or `meeting.json` past it.
pub const MAX_ENTRIES: usize = 2000;

/// The event that marks where a full timeline stopped keeping entries.
const FULL: &str = "timeline_full";

/// The timeline of one job, in order. State changes are always kept (the lifecycle only moves
/// forward); other entries until [`MAX_ENTRIES`], then one `timeline_full` event says the rest
/// were not kept.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub struct Timeline {
    entries: Vec<Entry>,
    #[serde(skip)]
    full: bool,
}

impl Timeline {
    fn now() -> String {
        timestamp(Utc::now())
    }

    /// Records a state change, unless the job is in that state already: the host and the plugin
    /// may both report one (`joining`), and the timeline shows each change once.
    pub fn state(&mut self, state: State) {
        let last = self.entries.iter().rev().find_map(|e| match e {
            Entry::State { state, .. } => Some(*state),
            _ => None,
        });
        if last != Some(state) {
            self.entries.push(Entry::State { at: Self::now(), state });
        }
    }

    /// Records a participant count, unless it did not change.
    pub fn participants(&mut self, count: u32) {
        let last = self.entries.iter().rev().find_map(|e| match e {
            Entry::Participants { count, .. } => Some(*count),
            _ => None,
        });
        if last != Some(count) {
            self.push_bounded(|at| Entry::Participants { at, count });
        }
    }

    /// Records a platform event.
    pub fn event(&mut self, kind: &str, detail: &str) {
        self.push_bounded(|at| Entry::Event { at, kind: kind.to_owned(), detail: detail.to_owned() });
    }

    /// Records something about the recording.
    pub fn recording(&mut self, detail: impl Into<String>) {
        self.push_bounded(|at| Entry::Recording { at, detail: detail.into() });
    }

    /// Appends the entry `make` builds (given the time), unless the timeline is full; the first
    /// entry refused leaves the `timeline_full` mark instead.
    fn push_bounded(&mut self, make: impl FnOnce(String) -> Entry) {
        if self.full {
            return;
        }
        if self.entries.len() >= MAX_ENTRIES {
            self.full = true;
            let detail =
                format!("{MAX_ENTRIES} entries kept; later events, participant counts and recording notes are not");
            self.entries.push(Entry::Event { at: Self::now(), kind: FULL.to_owned(), detail });
            return;
        }
        self.entries.push(make(Self::now()));
    }

    /// The entries so far.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_counts_are_kept_once() {
        let mut timeline = Timeline::default();
        timeline.participants(2);
        timeline.participants(2);
        timeline.state(State::InCall);
        timeline.participants(2);
        timeline.participants(3);
        assert_eq!(timeline.entries().len(), 3);
        let json = serde_json::to_value(&timeline).expect("json");
        assert_eq!(json[0]["type"], "participants");
        assert_eq!(json[1]["state"], "in_call");
    }

    #[test]
    fn a_full_timeline_says_so_once_and_still_keeps_state_changes() {
        let mut timeline = Timeline::default();
        for i in 0..MAX_ENTRIES + 50 {
            timeline.event("flood", &i.to_string());
            timeline.participants(2 + (i % 2) as u32);
        }
        timeline.state(State::Leaving);
        let entries = timeline.entries();
        assert_eq!(entries.len(), MAX_ENTRIES + 2);
        assert!(matches!(&entries[MAX_ENTRIES], Entry::Event { kind, .. } if kind == "timeline_full"));
        assert!(matches!(entries[MAX_ENTRIES + 1], Entry::State { state: State::Leaving, .. }));
    }

    #[test]
    fn a_state_reported_twice_in_a_row_is_kept_once() {
        let mut timeline = Timeline::default();
        timeline.state(State::Joining);
        timeline.event("navigated", "https://meet.google.com/abc-defg-hij");
        timeline.state(State::Joining);
        timeline.state(State::InCall);
        timeline.state(State::Leaving);
        timeline.state(State::InCall);
        let states: Vec<&State> = timeline
            .entries()
            .iter()
            .filter_map(|e| if let Entry::State { state, .. } = e { Some(state) } else { None })
            .collect();
        assert_eq!(states, [&State::Joining, &State::InCall, &State::Leaving, &State::InCall]);
    }
}
