//! Job ids being started in this process. A start reserves its job id before it writes anything
//! (the queue's claim or schedule script, a REST job's record) and keeps the reservation until its
//! job is registered as running or the start is given up; meanwhile no other start of that id
//! begins here. The scripts leave "is this job already running in this worker?" to the host, so
//! the host's answer must cover jobs between their check and their registration: without the
//! reservation, a client pushing the same job twice made both copies pass the check, both claim
//! the job (the second claim bumped the record's delivery attempt, so the first job found its
//! writes refused and left unrecorded), and the second copy and its delivery count stayed in
//! Redis for good.

use super::JobStore;

/// A job id reserved for one start in this process; dropping it ends the reservation.
pub struct Starting {
    store: JobStore,
    job_id: String,
}

impl Starting {
    /// The reserved job id.
    pub fn job_id(&self) -> &str {
        &self.job_id
    }
}

impl JobStore {
    /// Reserves `job_id` for a start; `None` when a job with that id runs or is being started here.
    pub fn begin_start(&self, job_id: &str) -> Option<Starting> {
        let mut state = self.state();
        if state.active.contains_key(job_id) || !state.starting.insert(job_id.to_owned()) {
            return None;
        }
        Some(Starting { store: self.clone(), job_id: job_id.to_owned() })
    }
}

impl Drop for Starting {
    fn drop(&mut self) {
        self.store.state().starting.remove(&self.job_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_started_once_at_a_time() {
        let store = JobStore::new(2, None, 10);
        let first = store.begin_start("a").expect("a free id");
        assert!(store.begin_start("a").is_none(), "a second start of the same id waits for the first");
        assert!(store.is_active("a"), "a job being started counts as active");
        let other = store.begin_start("b").expect("another id");
        drop(first);
        assert!(!store.is_active("a"));
        assert!(store.begin_start("a").is_some(), "free again once the start is given up");
        drop(other);
    }
}
