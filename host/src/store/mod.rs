//! The JobStore: the worker's slots, its running jobs, and their records.
//!
//! The registry here holds, in memory, the slots, the running jobs' records (so reads and the
//! state machine never wait for Redis, and a Redis outage only delays persistence), the recent
//! ones, and, without Redis, the jobs waiting for their joinAt. Where records persist beyond
//! memory (Redis, or nowhere) is `records.rs`, one interface the registry asks without knowing
//! which it is. Every write
//! for a running job names the delivery this worker holds, and Redis refuses it once the job is
//! another worker's (see `ownership.rs`).

mod active;
mod ownership;
mod recent;
mod records;
mod rest_leftovers;
mod scheduled;
mod slots;
mod starting;
mod writes;

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, MutexGuard},
};

use tokio::sync::{Notify, broadcast, mpsc};

pub use active::{ActiveJob, Control};
pub use scheduled::ScheduleFull;
pub use slots::{Slot, Slots};
pub use starting::Starting;

use recent::Recent;
use records::Records;

use crate::{
    broker::{
        Keys, SharedConnection,
        scripts::{Delivery, Fields},
    },
    job::{JobRecord, Reason, State},
};

/// Redis, as the store uses it.
#[derive(Clone)]
pub struct RedisLink {
    /// Shared, self-reconnecting connection.
    pub conn: SharedConnection,
    /// Key names.
    pub keys: Keys,
}

/// Why a job could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A job with the same id is active (here or on a live worker).
    #[error("a job with id `{0}` is already active")]
    Duplicate(String),
    /// Redis failed.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

/// Shared handle to the store.
#[derive(Clone)]
pub struct JobStore {
    inner: Arc<Inner>,
}

struct Inner {
    slots: Slots,
    records: Records,
    state: Mutex<StoreState>,
    idle: Notify,
    changes: broadcast::Sender<JobRecord>,
    /// Most jobs waiting for their joinAt in memory (no Redis).
    max_scheduled: usize,
    /// Whether [`JobStore::end_rest_leftovers`] ran; held while it runs.
    rest_leftovers_ended: tokio::sync::Mutex<bool>,
}

#[derive(Default)]
struct StoreState {
    accepting: bool,
    active: HashMap<String, ActiveEntry>,
    /// Job ids reserved by starts not yet registered (see `starting.rs`).
    starting: HashSet<String>,
    recent: Recent,
    /// Without Redis: jobs waiting for their joinAt, kept until they start or are cancelled.
    scheduled: HashMap<String, JobRecord>,
}

struct ActiveEntry {
    record: JobRecord,
    message: Option<String>,
    control: mpsc::UnboundedSender<Control>,
    /// The job is another worker's now: nothing more is written for it.
    lost: bool,
    /// Why the job could not go on, when a write to its record failed for good; the detail it ends with.
    fault: Option<String>,
    /// The session ended: state changes from now on are held and written with the job's end.
    closing: bool,
    /// Held state changes, oldest first: when each happened (RFC 3339) and the record after it.
    held: Vec<(String, JobRecord)>,
    /// The record's fields as this worker's last write that went through left them in Redis, so a
    /// write sends only what changed; `None` while a write is under way or after one failed (the
    /// next write sends the whole record).
    stored: Option<Fields>,
}

impl ActiveEntry {
    fn delivery(&self) -> OwnedDelivery {
        OwnedDelivery {
            job_id: self.record.job_id.clone(),
            attempt: self.record.attempt,
            message: self.message.clone(),
        }
    }
}

/// A [`Delivery`] that outlives the store's lock.
#[derive(Debug, Clone)]
struct OwnedDelivery {
    job_id: String,
    attempt: u32,
    message: Option<String>,
}

impl OwnedDelivery {
    fn as_delivery(&self) -> Delivery<'_> {
        Delivery { job_id: &self.job_id, attempt: self.attempt, message: self.message.as_deref() }
    }
}

/// A running job holding a given queue message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// It still owns its job.
    Owner,
    /// It lost the job to another worker and is leaving.
    Lost,
}

/// How a job came in.
pub enum Origin {
    /// Over REST: no message to acknowledge.
    Rest,
    /// From the queue, claimed by the consumer; the message to acknowledge at the end.
    Queue {
        /// The message as taken.
        message: String,
    },
}

impl JobStore {
    /// A store with `slots` slots; records go to Redis when `redis` is given. Without Redis, at most
    /// `max_scheduled` jobs wait for their joinAt in memory.
    pub fn new(slots: usize, redis: Option<RedisLink>, max_scheduled: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                slots: Slots::new(slots),
                records: Records::new(redis),
                state: Mutex::new(StoreState { accepting: true, ..StoreState::default() }),
                idle: Notify::new(),
                changes: broadcast::channel(1024).0,
                max_scheduled,
                rest_leftovers_ended: tokio::sync::Mutex::new(false),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, StoreState> {
        self.inner.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every state change of every job from now on, as the record after the change (for
    /// webhooks; works with or without Redis).
    pub fn subscribe(&self) -> broadcast::Receiver<JobRecord> {
        self.inner.changes.subscribe()
    }

    /// Tells webhook subscribers about a change (also one written elsewhere, such as a job put in
    /// the schedule).
    pub fn announce(&self, record: &JobRecord) {
        let _ = self.inner.changes.send(record.clone());
    }

    /// The slots.
    pub fn slots(&self) -> &Slots {
        &self.inner.slots
    }

    /// Redis, when enabled.
    pub fn redis(&self) -> Option<&RedisLink> {
        self.inner.records.link()
    }

    /// Takes a slot unless every slot is busy or shutdown has begun.
    pub fn try_reserve(&self) -> Option<Slot> {
        if !self.state().accepting {
            return None;
        }
        self.inner.slots.try_take()
    }

    /// Stops handing out slots (shutdown).
    pub fn stop_accepting(&self) {
        self.state().accepting = false;
    }

    /// Whether new jobs are accepted.
    pub fn accepting(&self) -> bool {
        self.state().accepting
    }

    /// Whether a job with this id runs or is being started here.
    pub fn is_active(&self, job_id: &str) -> bool {
        let state = self.state();
        state.active.contains_key(job_id) || state.starting.contains(job_id)
    }

    /// Which running job holds exactly this queue message, if any: one that still owns its job, or
    /// one that lost it to another worker.
    pub fn holder_of(&self, message: &str) -> Option<Holder> {
        let state = self.state();
        let entry = state.active.values().find(|entry| entry.message.as_deref() == Some(message))?;
        Some(if entry.lost { Holder::Lost } else { Holder::Owner })
    }

    /// Jobs running here.
    pub fn running(&self) -> usize {
        self.state().active.len()
    }

    /// The queue messages held by running jobs (never given back while they run).
    pub fn running_messages(&self) -> Vec<Vec<u8>> {
        self.state().active.values().filter_map(|entry| entry.message.clone().map(String::into_bytes)).collect()
    }

    /// Registers a job that is about to run, under the reservation of its id (so no other job with
    /// that id runs here). `record` is what was written (by the consumer's claim), or is written
    /// now for REST jobs. Fails when Redis refuses a REST job as a duplicate of one elsewhere.
    pub async fn register(
        &self,
        starting: Starting,
        record: JobRecord,
        origin: Origin,
        slot: Slot,
    ) -> Result<ActiveJob, StartError> {
        let job_id = record.job_id.clone();
        debug_assert_eq!(starting.job_id(), job_id, "a job registers under its own id's reservation");
        let (control_tx, control_rx) = mpsc::unbounded_channel();
        let message = match origin {
            Origin::Rest => None,
            Origin::Queue { message } => Some(message),
        };
        {
            let mut state = self.state();
            // A scheduled (or earlier) record of this id is superseded by the running job.
            state.recent.remove(&job_id);
            state.scheduled.remove(&job_id);
            if !state.accepting {
                // Shutdown began while this job was being claimed: it must hear about it.
                let _ = control_tx.send(Control::Shutdown);
            }
            let entry = ActiveEntry {
                record: record.clone(),
                message: message.clone(),
                control: control_tx,
                lost: false,
                fault: None,
                closing: false,
                held: Vec::new(),
                // What the claim (or the REST start, below) writes.
                stored: Some(record.to_fields()),
            };
            state.active.insert(job_id.clone(), entry);
        }
        // Running now: the job itself keeps its id taken.
        drop(starting);
        if message.is_none()
            && let Err(error) = self.persist_rest_start(&record).await
        {
            self.state().active.remove(&job_id);
            return Err(error);
        }
        self.announce(&record);
        Ok(ActiveJob::new(record, message, control_rx, slot))
    }

    fn forget(&self, job_id: &str, last: Option<JobRecord>) {
        let mut state = self.state();
        state.active.remove(job_id);
        if let Some(record) = last {
            state.recent.push(record);
        }
        if state.active.is_empty() {
            self.inner.idle.notify_waiters();
        }
    }

    /// Asks a running job to leave for `reason`; false when no such job runs here.
    pub fn request_leave(&self, job_id: &str, reason: Reason) -> bool {
        self.state().active.get(job_id).is_some_and(|entry| entry.control.send(Control::Leave(reason)).is_ok())
    }

    /// Asks every running job to react to shutdown.
    pub fn broadcast(&self, control: Control) {
        for entry in self.state().active.values() {
            let _ = entry.control.send(control);
        }
    }

    /// Resolves once no job runs.
    pub async fn until_idle(&self) {
        loop {
            let notified = self.inner.idle.notified();
            if self.state().active.is_empty() {
                return;
            }
            notified.await;
        }
    }

    /// A job's record: a running job's from memory, else from Redis or the recent list.
    pub async fn get(&self, job_id: &str) -> Result<Option<JobRecord>, redis::RedisError> {
        let local = {
            let state = self.state();
            match state.active.get(job_id) {
                Some(entry) if !entry.lost => return Ok(Some(entry.record.clone())),
                _ => state.scheduled.get(job_id).or_else(|| state.recent.get(job_id)).cloned(),
            }
        };
        // The stored record is the truth (another worker may have run the job since); this
        // worker's memory of a job it finished answers while Redis is down.
        match self.inner.records.read(job_id).await {
            None => Ok(local),
            Some(Ok(stored)) => Ok(stored.or(local)),
            Some(Err(error)) if local.is_some() => {
                tracing::debug!(%error, "redis unavailable; answering from memory");
                Ok(local)
            }
            Some(Err(error)) => Err(error),
        }
    }

    /// Running jobs, then jobs waiting for their joinAt here, then recently finished ones,
    /// optionally only those in `state`.
    pub fn list(&self, filter: Option<State>) -> Vec<JobRecord> {
        let state = self.state();
        state
            .active
            .values()
            .map(|entry| entry.record.clone())
            .chain(state.scheduled.values().cloned())
            .chain(state.recent.iter().cloned())
            .filter(|record| filter.is_none_or(|wanted| record.state == wanted))
            .collect()
    }
}
