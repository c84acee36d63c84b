//! Jobs waiting for their joinAt in this worker's memory, when there is no Redis (with Redis they
//! wait in its schedule, see `broker/lua/schedule.lua`). They are kept apart from the recent
//! finished jobs, so newer records never push a waiting job out, and bounded like the Redis
//! schedule.

use chrono::Utc;

use super::JobStore;
use crate::job::{JobRecord, Reason, record::timestamp};

/// The in-memory schedule is full.
#[derive(Debug, thiserror::Error)]
#[error("schedule_full: {0} jobs already wait for their joinAt")]
pub struct ScheduleFull(pub usize);

impl JobStore {
    /// Keeps a job waiting for its joinAt (no Redis) until it starts or is cancelled.
    pub fn remember_scheduled(&self, record: JobRecord) -> Result<(), ScheduleFull> {
        let mut state = self.state();
        let waiting = state.scheduled.len();
        if waiting >= self.inner.max_scheduled && !state.scheduled.contains_key(&record.job_id) {
            return Err(ScheduleFull(waiting));
        }
        state.scheduled.insert(record.job_id.clone(), record);
        Ok(())
    }

    /// Whether a job is waiting for its joinAt in this worker's memory (no Redis).
    pub fn is_scheduled_here(&self, job_id: &str) -> bool {
        self.state().scheduled.contains_key(job_id)
    }

    /// Cancels a job waiting for its joinAt; false when no such job waits.
    pub async fn cancel_scheduled(&self, job_id: &str) -> Result<bool, redis::RedisError> {
        let now = timestamp(Utc::now());
        if let Some(cancelled) = self.inner.records.cancel_scheduled(job_id, &now).await? {
            return Ok(cancelled);
        }
        let Some(mut record) = self.state().scheduled.remove(job_id) else {
            return Ok(false);
        };
        record.end(Reason::Cancelled, Some("cancelled before its joinAt".to_owned()), now);
        self.announce(&record);
        self.forget(job_id, Some(record));
        Ok(true)
    }
}
