//! Letting go of jobs this worker no longer owns (docs/REFERENCE.md section 6, "at most one worker acts for
//! a job"). A worker that was paused or cut off from Redis for longer than its heartbeat's TTL has
//! had its messages recovered by a peer, which may already run the same job. It learns so from a
//! write Redis refuses, or from the heartbeat's check of every running job; the job is then marked
//! lost: its runner makes the bot leave, keeps the partial recording on local disk, and writes
//! nothing more to Redis.

use super::{Control, JobStore, OwnedDelivery};

impl JobStore {
    /// Marks delivery `attempt` of a running job as lost and tells its runner; `why` is logged.
    pub(super) fn lose(&self, job_id: &str, attempt: u32, why: &str) {
        let mut state = self.state();
        let Some(entry) = state.active.get_mut(job_id).filter(|e| e.record.attempt == attempt && !e.lost) else {
            return;
        };
        entry.lost = true;
        let _ = entry.control.send(Control::Lost);
        tracing::warn!(
            job_id,
            attempt,
            why,
            "this worker no longer owns the job; the bot leaves and nothing more is written"
        );
    }

    /// A write for the job failed for good: it cannot go on. It is asked to leave and ends
    /// `internal_error` with `fault` in its detail.
    pub(super) fn fault(&self, job_id: &str, fault: String) {
        let mut state = self.state();
        if let Some(entry) = state.active.get_mut(job_id).filter(|entry| entry.fault.is_none()) {
            entry.fault = Some(fault);
            let _ = entry.control.send(Control::Leave(crate::job::Reason::InternalError));
        }
    }

    /// Asks Redis which running jobs are still this worker's, and lets go of the others. Run with
    /// every heartbeat.
    pub async fn check_ownership(&self) -> redis::RedisResult<()> {
        let running: Vec<OwnedDelivery> =
            self.state().active.values().filter(|entry| !entry.lost).map(|entry| entry.delivery()).collect();
        let deliveries: Vec<_> = running.iter().map(OwnedDelivery::as_delivery).collect();
        let lost = self.inner.records.lost(&deliveries).await?;
        for position in lost {
            if let Some(delivery) = running.get(position) {
                self.lose(&delivery.job_id, delivery.attempt, "its delivery was recovered by another worker");
            }
        }
        Ok(())
    }
}
