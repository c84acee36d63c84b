//! Promotion of `joinAt` jobs: due entries of `P:scheduled` move to the head of the queue in one
//! atomic step, so exactly one worker promotes each, and the schedule survives restarts because it
//! lives in Redis. The fleet as a whole checks about twice a second (each worker its share, see
//! `pacing`); a job starts within about a second of its time.

use chrono::Utc;
use tokio::sync::watch;

use super::pacing::{FleetSize, promote_wait};
use crate::{broker::scripts, store::RedisLink};

/// Promotes due scheduled jobs.
pub struct Promoter {
    redis: RedisLink,
    fleet: FleetSize,
}

impl Promoter {
    /// A promoter over the worker's Redis, paced by the fleet's size.
    pub fn new(redis: RedisLink, fleet: FleetSize) -> Self {
        Self { redis, fleet }
    }

    /// Promotes until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            match scripts::promote(&mut self.redis.conn.clone(), &self.redis.keys, Utc::now().timestamp_millis()).await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(jobs = n, "scheduled jobs are due; moved to the queue"),
                Err(error) => tracing::debug!(%error, "cannot promote scheduled jobs yet"),
            }
            tokio::select! {
                () = tokio::time::sleep(promote_wait(self.fleet.get(), fastrand::f64())) => {}
                _ = stop.changed() => {}
            }
        }
    }
}
