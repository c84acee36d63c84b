//! How long the queue's head message has been at the head, as far as this worker's scrapes can
//! tell. Queue messages carry no enqueue time (clients RPUSH their own JSON), so the age of the
//! oldest job cannot be read from Redis; what a scrape can see is which message is at the head.
//! A message that stays there while scrapes come and go has waited at least that long: when every
//! slot of the fleet is busy, or no worker takes work, the figure grows, which is what an
//! operator alerts on. It is a lower bound: it starts at 0 when this worker first sees a message
//! at the head (after a restart too), and again whenever the head changes.

use tokio::time::{Duration, Instant};

/// A fingerprint of a queue message (SHA-256 of its bytes): the sampler keeps no message text.
pub type Fingerprint = [u8; 32];

/// The head message last seen, and since when.
#[derive(Debug)]
pub struct HeadWatch {
    seen: Option<(Fingerprint, Instant)>,
}

impl HeadWatch {
    /// Nothing seen yet.
    pub const fn new() -> Self {
        Self { seen: None }
    }

    /// Notes the head seen `now` (`None`: the queue is empty); how long that head has been seen
    /// at the head.
    pub fn observe(&mut self, head: Option<Fingerprint>, now: Instant) -> Duration {
        match (head, self.seen) {
            (None, _) => {
                self.seen = None;
                Duration::ZERO
            }
            (Some(head), Some((seen, since))) if seen == head => now.saturating_duration_since(since),
            (Some(head), _) => {
                self.seen = Some((head, now));
                Duration::ZERO
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Fingerprint = [1; 32];
    const B: Fingerprint = [2; 32];

    #[test]
    fn a_head_that_stays_ages_from_when_it_was_first_seen() {
        let start = Instant::now();
        let mut watch = HeadWatch::new();
        assert_eq!(watch.observe(Some(A), start), Duration::ZERO);
        assert_eq!(watch.observe(Some(A), start + Duration::from_secs(30)), Duration::from_secs(30));
        assert_eq!(watch.observe(Some(A), start + Duration::from_secs(45)), Duration::from_secs(45));
    }

    #[test]
    fn a_new_head_or_an_empty_queue_starts_again() {
        let start = Instant::now();
        let mut watch = HeadWatch::new();
        watch.observe(Some(A), start);
        assert_eq!(watch.observe(Some(B), start + Duration::from_secs(10)), Duration::ZERO);
        assert_eq!(watch.observe(Some(B), start + Duration::from_secs(15)), Duration::from_secs(5));
        assert_eq!(watch.observe(None, start + Duration::from_secs(20)), Duration::ZERO);
        assert_eq!(watch.observe(Some(B), start + Duration::from_secs(25)), Duration::ZERO, "seen again: a new wait");
    }
}
