//! Pacing of the chores any one worker may do for the whole fleet (promoting due scheduled jobs,
//! recovering dead peers): each worker does its share less often as the fleet grows, so the
//! fleet's Redis cost for them stays about the same with 2 workers or 1000, while a single worker
//! still does them at the full rate. The fleet's size is what the last heartbeat reported.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

/// How often the fleet as a whole looks for due scheduled jobs, on average.
pub const FLEET_PROMOTE_PERIOD: Duration = Duration::from_millis(500);
/// However large the fleet, each worker looks at least this often: a fleet that shrinks suddenly
/// is promoting again within this long.
const MAX_PROMOTE_PERIOD: Duration = Duration::from_secs(30);
/// Peer recoveries the fleet runs per heartbeat period, on average.
const FLEET_RECOVERIES_PER_BEAT: f64 = 3.0;

/// The fleet's size as the last heartbeat saw it (1 until then), shared by the chores.
#[derive(Debug, Clone)]
pub struct FleetSize(Arc<AtomicU64>);

impl Default for FleetSize {
    fn default() -> Self {
        Self(Arc::new(AtomicU64::new(1)))
    }
}

impl FleetSize {
    /// Notes the size a heartbeat reported.
    pub fn set(&self, workers: u64) {
        self.0.store(workers.max(1), Ordering::Relaxed);
    }

    /// The last size noted.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// How long this worker waits before it next looks for due jobs: the fleet's period times its
/// size (so the fleet looks every [`FLEET_PROMOTE_PERIOD`] on average), scaled by `jitter` in
/// [0, 1) to between half and one and a half of that (workers do not fall into step), capped.
pub fn promote_wait(fleet: u64, jitter: f64) -> Duration {
    let share = FLEET_PROMOTE_PERIOD.saturating_mul(u32::try_from(fleet.max(1)).unwrap_or(u32::MAX));
    share.min(MAX_PROMOTE_PERIOD).mul_f64(0.5 + jitter.clamp(0.0, 1.0))
}

/// Whether this beat recovers dead peers, given a `draw` in [0, 1): always in a fleet of up to
/// three, else with the chance that makes about three recoveries per beat period fleet-wide.
pub fn recovers_this_beat(fleet: u64, draw: f64) -> bool {
    draw < FLEET_RECOVERIES_PER_BEAT / fleet.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_worker_promotes_at_the_fleet_rate() {
        assert_eq!(promote_wait(1, 0.5), FLEET_PROMOTE_PERIOD);
        assert_eq!(promote_wait(1, 0.0), FLEET_PROMOTE_PERIOD / 2);
    }

    #[test]
    fn each_worker_of_a_larger_fleet_promotes_less_often_so_the_fleet_rate_stays() {
        assert_eq!(promote_wait(10, 0.5), FLEET_PROMOTE_PERIOD * 10);
        assert_eq!(promote_wait(40, 0.5), FLEET_PROMOTE_PERIOD * 40);
    }

    #[test]
    fn no_worker_waits_longer_than_the_cap_however_large_the_fleet() {
        assert_eq!(promote_wait(1_000_000, 0.5), MAX_PROMOTE_PERIOD);
        assert!(promote_wait(u64::MAX, 0.999) < MAX_PROMOTE_PERIOD * 2);
    }

    #[test]
    fn small_fleets_recover_on_every_beat() {
        for fleet in 0..=3 {
            assert!(recovers_this_beat(fleet, 0.999), "fleet of {fleet}");
        }
    }

    #[test]
    fn large_fleets_recover_about_three_times_a_beat_period() {
        assert!(recovers_this_beat(300, 0.0099));
        assert!(!recovers_this_beat(300, 0.0101));
        let draws = (0..10_000).map(|n| f64::from(n) / 10_000.0);
        let recovering = draws.filter(|&draw| recovers_this_beat(1000, draw)).count();
        assert_eq!(recovering, 30, "3 in 1000 workers per beat");
    }

    #[test]
    fn the_size_is_never_zero() {
        let size = FleetSize::default();
        assert_eq!(size.get(), 1);
        size.set(0);
        assert_eq!(size.get(), 1);
        size.set(12);
        assert_eq!(size.get(), 12);
    }
}
