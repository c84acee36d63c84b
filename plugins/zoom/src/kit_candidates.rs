//! Small helpers this plugin needs that the kit does not have (yet). Each is platform-neutral and
//! written only against the kit's public API, so it can move into `meetbot-plugin-kit` as is.
//!
//! - [`ProbeTable`]: `MeetingPage::wait_for` answers with an index into one flat probe list; a
//!   plugin that waits for "whichever of twenty screens shows up" needs that index mapped back to
//!   a meaning, with list order as priority. Every plugin rebuilds this mapping by hand otherwise.
//! - [`switch_off`]: turning a toggle (microphone, camera) off by its labels. The kit matches
//!   accessible names by substring, so the ON label "Mute" also matches the OFF label "Unmute":
//!   clicking "Mute" blindly turns a muted microphone back on. The OFF state must be checked first.
//! - [`navigate`]: a bound on `MeetingPage::goto`. chromiumoxide intercepts every
//!   `Page.navigate`, answers it only at the frame's `load` event (sometimes never: seen in 3 of 6
//!   jobs here, each blocking for the 30 s request timeout), and silently drops a navigation sent
//!   before it knows the page's main frame. The kit's `goto` now works around both by returning
//!   once the page has left about:blank; this bound stays as a safety net, and the session
//!   navigates again when the page is still blank after its first wait.
//! - [`is_session_lost`]: occasionally the page's DevTools session disappears right after the
//!   navigation ("Session with given id not found", -32001) while the page itself lives on;
//!   attaching to the same target again recovers. The kit could re-attach by itself.
//! - [`first_count`]: picks, among several places a count may be shown, the first that reads a
//!   number, so the in-call watch can use it as its count probe.

use std::time::Duration;

use meetbot_plugin_kit::{KitError, MeetingPage, Probe};

/// Probes grouped under tags, in priority order: the first tag whose probe is present wins.
#[derive(Debug, Clone)]
pub struct ProbeTable<T> {
    probes: Vec<Probe>,
    tags: Vec<T>,
}

impl<T: Copy> Default for ProbeTable<T> {
    fn default() -> Self {
        Self { probes: Vec::new(), tags: Vec::new() }
    }
}

impl<T: Copy> ProbeTable<T> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `probes` under `tag`, after everything added before (so with lower priority).
    pub fn add(&mut self, tag: T, probes: impl IntoIterator<Item = Probe>) -> &mut Self {
        for probe in probes {
            self.probes.push(probe);
            self.tags.push(tag);
        }
        self
    }

    /// The flat probe list, for [`MeetingPage::watch`].
    pub fn probes(&self) -> &[Probe] {
        &self.probes
    }

    /// The tag and probe at `index` of [`ProbeTable::probes`].
    pub fn at(&self, index: usize) -> Option<(T, Probe)> {
        Some((*self.tags.get(index)?, *self.probes.get(index)?))
    }

    /// Waits up to `deadline` for any probe; the tag (and the probe that matched) of the first
    /// present one in table order.
    pub async fn wait(&self, page: &MeetingPage, deadline: Duration) -> Result<Option<(T, Probe)>, KitError> {
        if self.probes.is_empty() {
            return Ok(None);
        }
        Ok(page.wait_for(&self.probes, deadline).await?.and_then(|i| self.at(i)))
    }

    /// What is present right now, without waiting.
    pub async fn now(&self, page: &MeetingPage) -> Result<Option<(T, Probe)>, KitError> {
        self.wait(page, Duration::ZERO).await
    }
}

/// The text a probe looks for, for logs and outcome details.
pub fn probe_value(probe: &Probe) -> &'static str {
    match probe {
        Probe::Text { value } | Probe::Label { value } | Probe::Css { value } | Probe::Url { value } => value,
        Probe::Role { value, .. } => value,
    }
}

/// What [`switch_off`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    /// The control already showed its OFF state.
    AlreadyOff,
    /// It was ON, was clicked, and now shows OFF.
    SwitchedOff,
    /// It was clicked but did not show OFF within the deadline.
    StillOn,
    /// Neither state's control is on the page.
    Absent,
}

/// Turns a toggle off: `off` finds the control in its OFF state (checked first, see the module
/// docs), `on` in its ON state. Waits up to `settle` for the OFF state after clicking.
pub async fn switch_off(page: &MeetingPage, off: &[Probe], on: &[Probe], settle: Duration) -> Result<Switch, KitError> {
    if page.is_present(off).await? {
        return Ok(Switch::AlreadyOff);
    }
    if !page.click(on).await? {
        return Ok(Switch::Absent);
    }
    Ok(if page.wait_for(off, settle).await?.is_some() { Switch::SwitchedOff } else { Switch::StillOn })
}

/// Starts navigating to `url` and waits up to `ack` for the browser to confirm it; `Ok(false)`
/// when the confirmation did not come in time (the navigation goes on regardless).
pub async fn navigate(page: &MeetingPage, url: &str, ack: Duration) -> Result<bool, KitError> {
    match tokio::time::timeout(ack, page.goto(url)).await {
        Ok(result) => result.map(|()| true),
        Err(_) => Ok(false),
    }
}

/// Whether a kit error means the page's DevTools session is gone (the page may still be fine).
pub fn is_session_lost(error: &KitError) -> bool {
    matches!(error, KitError::Cdp(message) if message.contains("Session with given id not found") || message.contains("-32001"))
}

/// The first of `candidates` that shows a number, with that number.
pub async fn first_count(page: &MeetingPage, candidates: &[Probe]) -> Result<Option<(Probe, u32)>, KitError> {
    for probe in candidates {
        if let Some(count) = page.read_count(*probe).await? {
            return Ok(Some((*probe, count)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_map_back_in_priority_order() {
        let mut table = ProbeTable::new();
        table.add('a', [Probe::text("x"), Probe::text("y")]).add('b', [Probe::css("#z")]);
        assert_eq!(table.probes().len(), 3);
        assert_eq!(table.at(1), Some(('a', Probe::text("y"))));
        assert_eq!(table.at(2), Some(('b', Probe::css("#z"))));
        assert_eq!(table.at(3), None);
        assert_eq!(probe_value(&Probe::button("Leave")), "Leave");
    }
}
