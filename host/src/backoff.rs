//! Capped exponential backoff with full jitter, for every loop that retries something remote
//! (Redis, object storage): a dead server must never turn a loop into a busy one, and many
//! workers must not retry in lockstep.

use std::time::Duration;

/// Retry delays: 100 ms doubling up to a cap, each drawn at random from the upper half.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    cap: Duration,
}

const FIRST: Duration = Duration::from_millis(100);

impl Default for Backoff {
    fn default() -> Self {
        Self::with_cap(Duration::from_secs(5))
    }
}

impl Backoff {
    /// Backoff whose delays never exceed `cap`.
    pub fn with_cap(cap: Duration) -> Self {
        Self { next: FIRST, cap }
    }

    /// The next delay; each call doubles the base until the cap.
    pub fn next_delay(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.cap);
        let half = base / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// Starts over after a success.
    pub fn reset(&mut self) {
        self.next = FIRST;
    }

    /// Sleeps for the next delay.
    pub async fn wait(&mut self) {
        tokio::time::sleep(self.next_delay()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_and_resets() {
        let mut backoff = Backoff::with_cap(Duration::from_secs(1));
        let delays: Vec<Duration> = (0..10).map(|_| backoff.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(50) && delays[0] <= Duration::from_millis(100));
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(1)));
        assert!(delays[9] >= Duration::from_millis(500), "reaches the cap's upper half");
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(100));
    }
}
