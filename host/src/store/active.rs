//! A job that holds a slot, as its runner sees it.

use tokio::sync::mpsc;

use super::Slot;
use crate::job::{JobRecord, Reason};

/// What the rest of the worker may ask of a running job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Leave the meeting for this reason (cancel, shutdown drain, a record that cannot be written).
    Leave(Reason),
    /// The worker is shutting down: leave now if not yet admitted (the message goes back to the
    /// queue), otherwise finish the meeting or leave once the drain timeout passes.
    Shutdown,
    /// The job is no longer this worker's (a peer took it over while this worker was paused or cut
    /// off from Redis): leave, keep the partial recording on local disk, write nothing to Redis.
    Lost,
}

/// The runner's handle on its job: the slot (freed on drop), the message to acknowledge, and the
/// control channel.
#[derive(Debug)]
pub struct ActiveJob {
    record: JobRecord,
    message: Option<String>,
    /// Requests from the API, the heartbeat and the shutdown sequence.
    pub control: mpsc::UnboundedReceiver<Control>,
    _slot: Slot,
}

impl ActiveJob {
    pub(super) fn new(
        record: JobRecord,
        message: Option<String>,
        control: mpsc::UnboundedReceiver<Control>,
        slot: Slot,
    ) -> Self {
        Self { record, message, control, _slot: slot }
    }

    /// The job id.
    pub fn job_id(&self) -> &str {
        &self.record.job_id
    }

    /// The record as the job started.
    pub fn record(&self) -> &JobRecord {
        &self.record
    }

    /// The queue message, for queue jobs.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
}
