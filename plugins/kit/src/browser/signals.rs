//! [`Signals`]: probes grouped by what they mean.
//!
//! The page-side waits answer with an index into one flat probe list. A session thinks in
//! meanings ("the lobby", "denied", "in the call"), each shown by several probes (languages,
//! wordings, attributes), with a priority between meanings when two show at once (a refusal beats
//! the controls still drawn behind it). `Signals` keeps each meaning's probes together in priority
//! order and turns the index back into the meaning and the exact probe that matched.
//!
//! ```ignore
//! #[derive(Clone, Copy)]
//! enum Screen { Denied, Lobby, InCall }
//! let mut signals = Signals::new();
//! signals
//!     .push(Screen::Denied, [Probe::text("Someone in the meeting denied your request")])
//!     .push(Screen::Lobby, [Probe::text("Asking to be let in")])
//!     .push(Screen::InCall, [Probe::button("Leave call")]);
//! if let Some(hit) = signals.wait(&page, Duration::from_secs(5)).await? {
//!     println!("{:?}: saw {}", hit.tag as u8, hit.probe.describe());
//! }
//! ```

use std::time::Duration;

use super::{KitError, MeetingPage, Probe};

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
    pub fn push(&mut self, tag: T, probes: impl IntoIterator<Item = Probe>) -> &mut Self {
        for probe in probes {
            self.probes.push(probe);
            self.tags.push(tag);
        }
        self
    }

    /// Every probe, in priority order.
    pub fn probes(&self) -> &[Probe] {
        &self.probes
    }

    /// The hit for an index into [`Signals::probes`].
    pub fn hit(&self, index: usize) -> Option<Hit<T>> {
        Some(Hit { tag: *self.tags.get(index)?, probe: *self.probes.get(index)? })
    }

    /// Waits up to `deadline` until one of the meanings shows; the highest-priority one present.
    pub async fn wait(&self, page: &MeetingPage, deadline: Duration) -> Result<Option<Hit<T>>, KitError> {
        if self.probes.is_empty() {
            tokio::time::sleep(deadline).await;
            return Ok(None);
        }
        Ok(page.wait_for(&self.probes, deadline).await?.and_then(|i| self.hit(i)))
    }

    /// What is present right now, without waiting.
    pub async fn now(&self, page: &MeetingPage) -> Result<Option<Hit<T>>, KitError> {
        self.wait(page, Duration::ZERO).await
    }

    /// Like [`MeetingPage::watch`]: resolves when a meaning shows or the number `count` reads
    /// differs from `last_count`, or after `deadline`; the hit (if any) and the count read.
    pub async fn watch(
        &self,
        page: &MeetingPage,
        count: &[Probe],
        last_count: Option<u32>,
        deadline: Duration,
    ) -> Result<(Option<Hit<T>>, Option<u32>), KitError> {
        let seen = page.watch(&self.probes, count, last_count, deadline).await?;
        Ok((seen.matched.and_then(|i| self.hit(i)), seen.count))
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
        signals.push(Meaning::First, [Probe::text("a"), Probe::text("b")]).push(Meaning::Second, [Probe::button("c")]);
        assert_eq!(signals.probes().len(), 3);
        assert_eq!(signals.hit(1), Some(Hit { tag: Meaning::First, probe: Probe::text("b") }));
        assert_eq!(signals.hit(2), Some(Hit { tag: Meaning::Second, probe: Probe::button("c") }));
        assert_eq!(signals.hit(3), None);
    }
}
