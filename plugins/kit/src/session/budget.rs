//! Dialog click budgets: how often the session acts on one signal, and how long it rests after.
//!
//! A dialog that does not go away when clicked would make every wait return at once, forever; a
//! button clicked while the page was still drawing it swallows the click and must be clicked
//! again, but not in a tight loop. So each signal the session acts on has a [`Budget`]: at most so
//! many actions, and after each one a rest during which the signal is not watched. Pure: time is
//! passed in.

use std::time::Duration;

use tokio::time::Instant;

/// How often, and how often at most, the session acts on one signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Actions at most; the signal is no longer watched after the last one.
    pub times: u32,
    /// How long the signal is not watched after each action.
    pub rest: Duration,
}

impl Budget {
    /// A dialog: clicked up to three times, watched again at once.
    pub const DIALOG: Budget = Budget { times: 3, rest: Duration::ZERO };
    /// Acted on once.
    pub const ONCE: Budget = Budget { times: 1, rest: Duration::ZERO };
    /// Acted on every time it shows (admission checks, screens that only change the phase).
    pub const UNLIMITED: Budget = Budget { times: u32::MAX, rest: Duration::ZERO };

    /// `times` actions at most, `rest` apart.
    pub const fn new(times: u32, rest: Duration) -> Self {
        Self { times, rest }
    }
}

/// What was spent of each signal's budget.
#[derive(Debug, Clone)]
pub struct Budgets<S> {
    spent: Vec<Spent<S>>,
}

#[derive(Debug, Clone, Copy)]
struct Spent<S> {
    signal: S,
    budget: Budget,
    times: u32,
    last: Instant,
}

impl<S> Default for Budgets<S> {
    fn default() -> Self {
        Self { spent: Vec::new() }
    }
}

impl<S: Copy + PartialEq> Budgets<S> {
    /// Records one action on `signal` at `now`; false when its budget was already spent (the
    /// action should not happen).
    pub fn spend(&mut self, signal: S, budget: Budget, now: Instant) -> bool {
        match self.spent.iter_mut().find(|s| s.signal == signal) {
            Some(spent) if spent.times >= budget.times => false,
            Some(spent) => {
                spent.times += 1;
                spent.last = now;
                spent.budget = budget;
                true
            }
            None if budget.times == 0 => false,
            None => {
                self.spent.push(Spent { signal, budget, times: 1, last: now });
                true
            }
        }
    }

    /// Whether `signal` may be watched at `now`: budget left and not resting.
    pub fn available(&self, signal: S, now: Instant) -> bool {
        self.spent
            .iter()
            .find(|s| s.signal == signal)
            .is_none_or(|s| s.times < s.budget.times && now >= s.last + s.budget.rest)
    }

    /// How often `signal` was acted on.
    pub fn times(&self, signal: S) -> u32 {
        self.spent.iter().find(|s| s.signal == signal).map_or(0, |s| s.times)
    }

    /// The earliest moment after `now` at which a resting signal with budget left is watched again.
    pub fn next_due(&self, now: Instant) -> Option<Instant> {
        self.spent
            .iter()
            .filter(|s| s.times < s.budget.times)
            .map(|s| s.last + s.budget.rest)
            .filter(|due| *due > now)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    #[test]
    fn a_dialog_is_clicked_three_times_then_no_longer_watched() {
        let now = Instant::now();
        let mut budgets = Budgets::default();
        for _ in 0..3 {
            assert!(budgets.available('d', now));
            assert!(budgets.spend('d', Budget::DIALOG, now));
        }
        assert!(!budgets.available('d', now));
        assert!(!budgets.spend('d', Budget::DIALOG, now));
        assert_eq!(budgets.times('d'), 3);
        assert!(budgets.available('x', now), "other signals are untouched");
    }

    #[test]
    fn a_resting_signal_is_watched_again_when_its_rest_is_over() {
        let now = Instant::now();
        let mut budgets = Budgets::default();
        let join = Budget::new(3, Duration::from_secs(4));
        budgets.spend('j', join, now);
        budgets.spend('l', Budget::new(u32::MAX, Duration::from_secs(3)), now);
        assert!(!budgets.available('j', ms(now, 3_999)));
        assert!(budgets.available('j', ms(now, 4_000)));
        assert_eq!(budgets.next_due(ms(now, 100)), Some(ms(now, 3_000)), "the earliest rest ends first");
        assert_eq!(budgets.next_due(ms(now, 5_000)), None, "nothing rests any more");
    }

    #[test]
    fn a_spent_signal_wakes_nobody() {
        let now = Instant::now();
        let mut budgets = Budgets::default();
        budgets.spend('o', Budget::new(1, Duration::from_secs(9)), now);
        assert_eq!(budgets.next_due(now), None);
        assert!(!budgets.available('o', ms(now, 10_000)));
    }
}
