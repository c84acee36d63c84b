//! The heartbeat: this worker's `P:worker:<id>` key with a TTL and its deadline in `P:heartbeats`,
//! refreshed three times per TTL; on each beat the check that every job running here is still this
//! worker's (a worker that was paused past its TTL lets go of the jobs peers took over within one
//! beat of reaching Redis again), and, paced by the fleet's size (see `pacing`), the recovery of
//! messages held by workers whose heartbeat expired. Those same paced beats time the queue's head
//! (`queue_head.lua`), so the fleet-wide age of the oldest waiting job is known to `meetbot status`
//! and `/metrics` even when nothing scrapes, at a fleet-wide rate that does not grow with its size.

use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use crate::{
    backoff::Backoff,
    broker::scripts,
    job::record::timestamp,
    store::{JobStore, RedisLink},
};

use super::pacing::{FleetSize, recovers_this_beat};

/// Keeps this worker's messages owned, recovers dead peers' messages, and lets go of jobs this
/// worker no longer owns.
pub struct Heartbeat {
    redis: RedisLink,
    store: JobStore,
    ttl_secs: u64,
    started_at: String,
    fleet: FleetSize,
}

impl Heartbeat {
    /// A heartbeat with the configured TTL; it notes the fleet's size in `fleet` on every beat.
    pub fn new(redis: RedisLink, store: JobStore, ttl_secs: u64, fleet: FleetSize) -> Self {
        Self { redis, store, ttl_secs, started_at: timestamp(Utc::now()), fleet }
    }

    /// One beat: refresh the key, check that the jobs running here are still this worker's, and, on
    /// the paced beats, time the queue's head and recover peers whose heartbeat expired.
    pub async fn beat(&self) -> redis::RedisResult<()> {
        let mut conn = self.redis.conn.clone();
        let info = serde_json::json!({"pid": std::process::id(), "started_at": self.started_at}).to_string();
        let workers = scripts::heartbeat(&mut conn, &self.redis.keys, self.ttl_secs, &info).await?;
        self.fleet.set(workers);
        self.store.check_ownership().await?;
        if !recovers_this_beat(workers, fastrand::f64()) {
            return Ok(());
        }
        scripts::queue_head(&mut conn, &self.redis.keys).await?;
        let recovered = scripts::recover_peers(&mut conn, &self.redis.keys, &timestamp(Utc::now())).await?;
        if recovered > 0 {
            tracing::warn!(messages = recovered, "recovered messages of workers whose heartbeat expired");
        }
        Ok(())
    }

    /// Beats until `stop` turns true; Redis errors are logged and retried with backoff.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let period = Duration::from_secs(self.ttl_secs).div_f64(3.0);
        let mut backoff = Backoff::with_cap(period);
        while !*stop.borrow() {
            let wait = match self.beat().await {
                Ok(()) => {
                    backoff.reset();
                    period
                }
                Err(error) => {
                    tracing::warn!(%error, "heartbeat failed; retrying");
                    backoff.next_delay()
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
    }
}
