//! The "nothing recognized for N s" deadline.
//!
//! A page that shows nothing the plugin knows is not a platform verdict: it is a page the plugin
//! does not understand (a new UI, an error page of the platform's own). Waiting forever would hold
//! the bot until the host's job timeout; giving up at once would fail on every slow load. So the
//! session gives up with `internal_error` once nothing it knows has shown for the phase's
//! patience. Pure: time is passed in.

use std::time::Duration;

use tokio::time::Instant;

/// When the page last showed something the plugin knows.
#[derive(Debug, Clone, Copy)]
pub struct Recognition {
    last: Instant,
}

impl Recognition {
    /// Starts counting at `now`.
    pub fn new(now: Instant) -> Self {
        Self { last: now }
    }

    /// Something known showed at `now`.
    pub fn seen(&mut self, now: Instant) {
        self.last = now;
    }

    /// Whether nothing known showed for `patience` by `now`; never, when there is no patience.
    pub fn overdue(&self, now: Instant, patience: Option<Duration>) -> bool {
        patience.is_some_and(|patience| now.saturating_duration_since(self.last) >= patience)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_up_after_the_patience_without_anything_known() {
        let start = Instant::now();
        let mut recognition = Recognition::new(start);
        let patience = Some(Duration::from_secs(60));
        assert!(!recognition.overdue(start + Duration::from_secs(59), patience));
        assert!(recognition.overdue(start + Duration::from_secs(60), patience));
        recognition.seen(start + Duration::from_secs(30));
        assert!(!recognition.overdue(start + Duration::from_secs(60), patience), "a sighting restarts the count");
    }

    #[test]
    fn a_phase_without_patience_never_gives_up() {
        let start = Instant::now();
        assert!(!Recognition::new(start).overdue(start + Duration::from_secs(86_400), None));
    }
}
