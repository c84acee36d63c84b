//! Promotion of `joinAt` jobs: due entries of `P:scheduled` move to the head of the queue in one
//! atomic step, so exactly one worker promotes each, and the schedule survives restarts because it
//! lives in Redis. Every worker checks once a second; a job starts within about a second of its
//! time.

use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use crate::{broker::scripts, store::RedisLink};

/// How often due jobs are looked for.
const PERIOD: Duration = Duration::from_millis(500);

/// Promotes due scheduled jobs.
pub struct Promoter {
    redis: RedisLink,
}

impl Promoter {
    /// A promoter over the worker's Redis.
    pub fn new(redis: RedisLink) -> Self {
        Self { redis }
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
                () = tokio::time::sleep(PERIOD) => {}
                _ = stop.changed() => {}
            }
        }
    }
}
