//! Small helpers this plugin needs that the kit does not offer yet; written generically so they
//! can move into `meetbot-plugin-kit` as they are.
//!
//! [`Signals`]: the kit waits for "any of these probes" and answers with an index. A session,
//! though, thinks in *meanings* ("the lobby", "denied", "in the call"), each shown by several
//! probes (languages, wordings), with a priority between meanings. `Signals` keeps the probes of
//! each meaning together, in priority order, and turns the kit's index back into the meaning and
//! the exact probe that matched (for the outcome's detail).
//!
//! [`click`], [`dismiss`], [`read_count`]: the kit's versions fail with
//! `KitError::Script("No value found")` instead of answering "not there" / "no number": their
//! page function returns `null` then, and chromiumoxide's `into_value` treats a `null` result as
//! a missing value. These wrappers turn exactly that answer into `false` / `None`.
//!
//! [`navigate`]: the kit's `MeetingPage::goto` sends chromiumoxide's `Page.navigate`, which
//! chromiumoxide routes through its navigation manager: the call is dropped without a word when
//! the page's main frame is not known yet (right after attaching), and otherwise answers only
//! after the frame's `load` lifecycle event, which on a page the host is also attached to never
//! comes; either way the call hangs for chromiumoxide's 30 s request timeout. `navigate` waits
//! until the main frame is known, then sends the navigation and returns as soon as the page has
//! left `about:blank`, never waiting for `load`.
//!
//! [`is_lost_session`], [`is_between_documents`]: two `KitError::Cdp` answers that are no dead
//! browser and that the kit's own retry list does not cover; the session attaches again after
//! the first and simply tries again after the second.

use std::time::Duration;

use meetbot_plugin_kit::{KitError, MeetingPage, Probe};
use tokio::time::Instant;

/// How often [`navigate`] looks whether chromiumoxide knows the page's main frame (it offers no
/// event for it; the kit's own `attach` polls the same way).
const FRAME_POLL: Duration = Duration::from_millis(20);

/// One recognized thing: what it means and which probe showed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit<T> {
    /// The meaning the probe was registered under.
    pub tag: T,
    /// The probe that matched.
    pub probe: Probe,
}

/// Probes grouped by meaning, in priority order (the first meaning whose probe is present wins).
#[derive(Debug, Clone)]
pub struct Signals<T> {
    probes: Vec<Probe>,
    tags: Vec<T>,
}

impl<T: Copy> Default for Signals<T> {
    fn default() -> Self {
        Self { probes: Vec::new(), tags: Vec::new() }
    }
}

impl<T: Copy> Signals<T> {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a meaning with its probes, after (= at a lower priority than) the ones already added.
    pub fn push(&mut self, tag: T, probes: impl IntoIterator<Item = Probe>) {
        for probe in probes {
            self.probes.push(probe);
            self.tags.push(tag);
        }
    }

    /// Every probe, in priority order.
    pub fn probes(&self) -> &[Probe] {
        &self.probes
    }

    /// The hit for a probe index the kit returned.
    pub fn hit(&self, index: usize) -> Option<Hit<T>> {
        Some(Hit { tag: *self.tags.get(index)?, probe: *self.probes.get(index)? })
    }

    /// Waits up to `deadline` until one of the meanings shows; the highest-priority one present.
    pub async fn wait(&self, page: &MeetingPage, deadline: Duration) -> Result<Option<Hit<T>>, KitError> {
        Ok(page.wait_for(&self.probes, deadline).await?.and_then(|i| self.hit(i)))
    }

    /// Like [`MeetingPage::watch`]: resolves when a meaning shows or the number `count` reads
    /// differs from `last_count`, or after `deadline`; the hit (if any) and the count read.
    pub async fn watch(
        &self,
        page: &MeetingPage,
        count: Option<Probe>,
        last_count: Option<u32>,
        deadline: Duration,
    ) -> Result<(Option<Hit<T>>, Option<u32>), KitError> {
        let seen = page.watch(&self.probes, count, last_count, deadline).await?;
        Ok((seen.matched.and_then(|i| self.hit(i)), seen.count))
    }
}

/// Starts navigating `page` to `url` and returns once the page has left `about:blank` (any
/// document with a scheme: the target, a redirect, Chromium's error page), or after `deadline`.
/// The caller waits for what it needs on the new page itself.
pub async fn navigate(page: &MeetingPage, url: &str, deadline: Duration) -> Result<(), KitError> {
    let until = Instant::now() + deadline;
    // An empty URL means chromiumoxide has no main frame yet and would drop the navigation.
    while page.url().await?.is_empty() && Instant::now() < until {
        tokio::time::sleep(FRAME_POLL).await;
    }
    let left_blank = [Probe::url("://")];
    let left = async {
        loop {
            match page.wait_for(&left_blank, until.saturating_duration_since(Instant::now())).await {
                Err(error) if is_between_documents(&error) && Instant::now() < until => {
                    tokio::time::sleep(BETWEEN_DOCUMENTS_RETRY).await;
                }
                other => return other.map(|_| ()),
            }
        }
    };
    tokio::select! {
        sent = page.goto(url) => sent,
        left = left => left,
    }
}

/// Whether the kit failed only because its page function answered `null` ("nothing there").
fn is_null_answer(error: &KitError) -> bool {
    matches!(error, KitError::Script(message) if message.contains("No value found"))
}

/// How long to let a page swap documents before an operation that found none is tried again.
pub const BETWEEN_DOCUMENTS_RETRY: Duration = Duration::from_millis(50);

/// Whether an operation failed only because the page was between two documents: chromiumoxide
/// knew no execution context at that instant and sent the call without one (`-32602 Either
/// objectId or executionContextId or uniqueContextId must be specified`). The kit retries other
/// navigation errors itself, not this one; trying again a moment later works.
pub fn is_between_documents(error: &KitError) -> bool {
    matches!(error, KitError::Cdp(message) if message.contains("executionContextId or uniqueContextId must be specified"))
}

/// Whether the browser dropped the DevTools session the page was driven through. Seen in about one
/// session in six under the host, within a few hundred milliseconds of `MeetingPage::attach` and
/// before any navigation: Chromium answers `-32001 Session with given id not found` to every
/// later call, while the page itself lives on and a new `attach` drives it fine. The kit does not
/// count it among the errors it retries.
pub fn is_lost_session(error: &KitError) -> bool {
    matches!(error, KitError::Cdp(message) if message.contains("Session with given id not found"))
}

/// [`MeetingPage::click`], with "none of the probes is present" as `Ok(false)`.
pub async fn click(page: &MeetingPage, probes: &[Probe]) -> Result<bool, KitError> {
    match page.click(probes).await {
        Err(error) if is_null_answer(&error) => Ok(false),
        other => other,
    }
}

/// [`MeetingPage::dismiss`], on [`click`]: clicks every present dismisser; how many were clicked.
pub async fn dismiss(page: &MeetingPage, dismissers: &[Probe]) -> Result<usize, KitError> {
    let mut clicked = 0;
    for probe in dismissers {
        if click(page, std::slice::from_ref(probe)).await? {
            clicked += 1;
        }
    }
    Ok(clicked)
}

/// [`MeetingPage::read_count`], with "absent or no number" as `Ok(None)`.
pub async fn read_count(page: &MeetingPage, probe: Probe) -> Result<Option<u32>, KitError> {
    match page.read_count(probe).await {
        Err(error) if is_null_answer(&error) => Ok(None),
        other => other,
    }
}

/// A probe as a person would describe what they saw (for outcome details and logs).
pub fn describe(probe: &Probe) -> String {
    match probe {
        Probe::Text { value } => format!("the text \"{value}\""),
        Probe::Role { role, value } => format!("a {role} \"{value}\""),
        Probe::Label { value } => format!("an element labelled \"{value}\""),
        Probe::Css { value } => format!("an element matching `{value}`"),
        Probe::Url { value } => format!("an address containing \"{value}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Meaning {
        First,
        Second,
    }

    #[test]
    fn indexes_map_back_to_meanings_in_priority_order() {
        let mut signals = Signals::new();
        signals.push(Meaning::First, [Probe::text("a"), Probe::text("b")]);
        signals.push(Meaning::Second, [Probe::button("c")]);
        assert_eq!(signals.probes().len(), 3);
        assert_eq!(signals.hit(1), Some(Hit { tag: Meaning::First, probe: Probe::text("b") }));
        assert_eq!(signals.hit(2), Some(Hit { tag: Meaning::Second, probe: Probe::button("c") }));
        assert_eq!(signals.hit(3), None);
    }

    #[test]
    fn describes_probes_in_words() {
        assert_eq!(describe(&Probe::text("The call has ended")), "the text \"The call has ended\"");
        assert_eq!(describe(&Probe::button("Leave call")), "a button \"Leave call\"");
    }
}
