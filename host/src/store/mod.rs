//! The JobStore: the worker's slots, its running jobs, and their records.
//!
//! Records live in Redis when it is enabled (the `P:job:<id>` hash, written only through the Lua
//! scripts in `broker`), else in memory. A running job's record is also held here, so reads and
//! the state machine never wait for Redis, and a Redis outage only delays persistence.

mod active;
mod rest_leftovers;
mod slots;

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
};

use chrono::Utc;
use redis::{AsyncCommands, aio::ConnectionManager};
use tokio::sync::{Notify, broadcast, mpsc};

pub use active::{ActiveJob, Control};
pub use slots::{Slot, Slots};

use crate::{
    broker::{Backoff, Keys, scripts},
    config::Config,
    job::{JobRecord, Reason, State, TransitionError, record::timestamp},
    notify,
};

/// How many finished jobs `GET /v1/jobs` remembers.
const RECENT_JOBS: usize = 500;

/// Redis, as the store uses it.
#[derive(Clone)]
pub struct RedisLink {
    /// Shared, self-reconnecting connection.
    pub conn: ConnectionManager,
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
    redis: Option<RedisLink>,
    state: Mutex<StoreState>,
    idle: Notify,
    changes: broadcast::Sender<JobRecord>,
    /// Whether [`JobStore::end_rest_leftovers`] ran; held while it runs.
    rest_leftovers_ended: tokio::sync::Mutex<bool>,
}

#[derive(Default)]
struct StoreState {
    accepting: bool,
    active: HashMap<String, ActiveEntry>,
    recent: VecDeque<JobRecord>,
}

struct ActiveEntry {
    record: JobRecord,
    message: Option<String>,
    control: mpsc::UnboundedSender<Control>,
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
    /// A store with `slots` slots; records go to Redis when `redis` is given.
    pub fn new(slots: usize, redis: Option<RedisLink>) -> Self {
        Self {
            inner: Arc::new(Inner {
                slots: Slots::new(slots),
                redis,
                state: Mutex::new(StoreState { accepting: true, ..StoreState::default() }),
                idle: Notify::new(),
                changes: broadcast::channel(1024).0,
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
        self.inner.redis.as_ref()
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

    /// Whether a job with this id runs here.
    pub fn is_active(&self, job_id: &str) -> bool {
        self.state().active.contains_key(job_id)
    }

    /// Jobs running here.
    pub fn running(&self) -> usize {
        self.state().active.len()
    }

    /// The queue messages held by running jobs (never given back while they run).
    pub fn running_messages(&self) -> Vec<String> {
        self.state().active.values().filter_map(|entry| entry.message.clone()).collect()
    }

    /// Registers a job that is about to run. `record` is what was written (by the consumer's
    /// claim), or is written now for REST jobs. Fails for a duplicate job id.
    pub async fn register(&self, record: JobRecord, origin: Origin, slot: Slot) -> Result<ActiveJob, StartError> {
        let job_id = record.job_id.clone();
        let (control_tx, control_rx) = mpsc::unbounded_channel();
        let message = match origin {
            Origin::Rest => None,
            Origin::Queue { message } => Some(message),
        };
        {
            let mut state = self.state();
            if state.active.contains_key(&job_id) {
                return Err(StartError::Duplicate(job_id));
            }
            // A scheduled (or earlier) record of this id is superseded by the running job.
            state.recent.retain(|r| r.job_id != job_id);
            if !state.accepting {
                // Shutdown began while this job was being claimed: it must hear about it.
                let _ = control_tx.send(Control::Shutdown);
            }
            state.active.insert(
                job_id.clone(),
                ActiveEntry { record: record.clone(), message: message.clone(), control: control_tx },
            );
        }
        if message.is_none()
            && let Err(error) = self.persist_rest_start(&record).await
        {
            self.state().active.remove(&job_id);
            return Err(error);
        }
        self.announce(&record);
        Ok(ActiveJob::new(record, message, control_rx, slot))
    }

    async fn persist_rest_start(&self, record: &JobRecord) -> Result<(), StartError> {
        let Some(redis) = self.redis() else {
            return Ok(());
        };
        self.end_rest_leftovers().await?;
        let digest = format!("rest:{}:{}", record.job_id, record.correlation_id);
        let started = scripts::start_rest(
            &mut redis.conn.clone(),
            &redis.keys,
            &record.job_id,
            &digest,
            &timestamp(Utc::now()),
            &record.to_fields(),
        )
        .await?;
        if started { Ok(()) } else { Err(StartError::Duplicate(record.job_id.clone())) }
    }

    /// Moves a running job to `state`, applying `change` to its record first. Illegal state
    /// changes are refused and leave the record as it was.
    pub async fn transition(
        &self,
        job_id: &str,
        next: State,
        change: impl FnOnce(&mut JobRecord),
    ) -> Result<(), TransitionError> {
        let record = {
            let mut state = self.state();
            let Some(entry) = state.active.get_mut(job_id) else {
                return Ok(());
            };
            let from = entry.record.state;
            if from == next {
                // Already there (the claim wrote `joining` before the plugin said so): nothing to
                // persist or publish.
                return Ok(());
            }
            if !from.can_become(next) {
                return Err(TransitionError { from, to: next });
            }
            change(&mut entry.record);
            entry.record.state = next;
            entry.record.clone()
        };
        self.announce(&record);
        if let Some(redis) = self.redis() {
            let written = scripts::transition(
                &mut redis.conn.clone(),
                &redis.keys,
                job_id,
                &timestamp(Utc::now()),
                true,
                &record.to_fields(),
            )
            .await;
            if let Err(error) = written {
                tracing::warn!(%error, state = %next, "job record not written to redis; kept in memory");
            }
        }
        Ok(())
    }

    /// Changes fields of a running job's record without changing its state (nothing is
    /// published).
    pub async fn update(&self, job_id: &str, change: impl FnOnce(&mut JobRecord)) {
        let record = {
            let mut state = self.state();
            let Some(entry) = state.active.get_mut(job_id) else {
                return;
            };
            change(&mut entry.record);
            entry.record.clone()
        };
        if let Some(redis) = self.redis() {
            let now = timestamp(Utc::now());
            let fields = record.to_fields();
            if let Err(error) =
                scripts::transition(&mut redis.conn.clone(), &redis.keys, job_id, &now, false, &fields).await
            {
                tracing::warn!(%error, "job record not written to redis; kept in memory");
            }
        }
    }

    /// Ends a running job: the terminal record, its event, the client's results/failures record
    /// and the acknowledgement of its message are written in one step, retried until Redis takes
    /// them (the message stays safe in the processing list meanwhile).
    pub async fn finish(
        &self,
        job: &ActiveJob,
        reason: Reason,
        detail: Option<String>,
        notify: Option<String>,
    ) -> JobRecord {
        let record = {
            let mut state = self.state();
            let mut record =
                state.active.get(job.job_id()).map(|e| e.record.clone()).unwrap_or_else(|| job.record().clone());
            record.state = reason.terminal_state();
            record.reason = Some(reason);
            record.detail = detail;
            record.ended_at = Some(timestamp(Utc::now()));
            if let Some(entry) = state.active.get_mut(job.job_id()) {
                entry.record = record.clone();
            }
            record
        };
        if let Some(redis) = self.redis() {
            let list = if record.state == State::Completed { &redis.keys.results } else { &redis.keys.failures };
            let fields = record.to_fields();
            let mut backoff = Backoff::default();
            loop {
                let args = scripts::FinishArgs {
                    job_id: &record.job_id,
                    now: record.ended_at.as_deref().unwrap_or_default(),
                    message: job.message(),
                    notify: notify.clone().map(|n| (list.as_str(), n)),
                    fields: &fields,
                };
                match scripts::finish(&mut redis.conn.clone(), &redis.keys, args).await {
                    Ok(_) => break,
                    Err(error) => {
                        tracing::warn!(%error, "cannot write the end of the job to redis yet; retrying");
                        backoff.wait().await;
                    }
                }
            }
        }
        self.announce(&record);
        self.forget(job.job_id(), Some(record.clone()));
        record
    }

    /// Writes the terminal record of a job that never ran here (its message was already
    /// dead-lettered, e.g. after too many deliveries).
    pub async fn record_failure(&self, config: &Config, mut record: JobRecord, reason: Reason, detail: &str) {
        record.state = reason.terminal_state();
        record.reason = Some(reason);
        record.detail = Some(detail.to_owned());
        record.ended_at = Some(timestamp(Utc::now()));
        if let Some(redis) = self.redis() {
            let fields = record.to_fields();
            let list = if record.state == State::Completed { &redis.keys.results } else { &redis.keys.failures };
            let client_record = notify::results::client_record(config, &record, Some(detail));
            let args = scripts::FinishArgs {
                job_id: &record.job_id,
                now: record.ended_at.as_deref().unwrap_or_default(),
                message: None,
                notify: Some((list.as_str(), client_record)),
                fields: &fields,
            };
            if let Err(error) = scripts::finish(&mut redis.conn.clone(), &redis.keys, args).await {
                tracing::warn!(%error, job_id = %record.job_id, "cannot write the failed record");
            }
        }
        self.announce(&record);
        self.forget(&record.job_id.clone(), Some(record));
    }

    /// Gives a job's message back to the head of the queue (shutdown before admission).
    pub async fn give_back(&self, job: &ActiveJob, detail: &str) {
        if let (Some(redis), Some(message)) = (self.redis(), job.message()) {
            let mut backoff = Backoff::default();
            loop {
                let now = timestamp(Utc::now());
                match scripts::give_back(&mut redis.conn.clone(), &redis.keys, job.job_id(), message, &now, detail)
                    .await
                {
                    Ok(()) => break,
                    Err(error) => {
                        tracing::warn!(%error, "cannot give the message back yet; retrying");
                        backoff.wait().await;
                    }
                }
            }
        }
        let mut record = job.record().clone();
        record.state = State::Queued;
        record.detail = Some(detail.to_owned());
        self.announce(&record);
        self.forget(job.job_id(), Some(record));
    }

    fn forget(&self, job_id: &str, last: Option<JobRecord>) {
        let mut state = self.state();
        state.active.remove(job_id);
        if let Some(record) = last {
            state.recent.retain(|r| r.job_id != record.job_id);
            state.recent.push_front(record);
            state.recent.truncate(RECENT_JOBS);
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
                Some(entry) => return Ok(Some(entry.record.clone())),
                None => state.recent.iter().find(|r| r.job_id == job_id).cloned(),
            }
        };
        let Some(redis) = self.redis() else {
            return Ok(local);
        };
        // Redis is the truth (another worker may have run the job since); this worker's memory of
        // a job it finished answers while Redis is down.
        match redis.conn.clone().hgetall::<_, HashMap<String, String>>(redis.keys.job(job_id)).await {
            Ok(fields) => Ok(JobRecord::from_fields(&fields).or(local)),
            Err(error) if local.is_some() => {
                tracing::debug!(%error, "redis unavailable; answering from memory");
                Ok(local)
            }
            Err(error) => Err(error),
        }
    }

    /// Keeps a record of a job that is not running here (a REST job waiting for its joinAt
    /// without Redis), so it can be read and cancelled.
    pub fn remember(&self, record: JobRecord) {
        self.forget(&record.job_id.clone(), Some(record));
    }

    /// Cancels a job waiting for its joinAt; false when no such job waits.
    pub async fn cancel_scheduled(&self, job_id: &str) -> Result<bool, redis::RedisError> {
        let now = timestamp(Utc::now());
        if let Some(redis) = self.redis() {
            return scripts::cancel_scheduled(&mut redis.conn.clone(), &redis.keys, job_id, &now).await;
        }
        let mut state = self.state();
        let Some(record) = state.recent.iter_mut().find(|r| r.job_id == job_id && r.state == State::Scheduled) else {
            return Ok(false);
        };
        record.state = State::Completed;
        record.reason = Some(Reason::Cancelled);
        record.detail = Some("cancelled before its joinAt".to_owned());
        record.ended_at = Some(now);
        let record = record.clone();
        drop(state);
        self.announce(&record);
        Ok(true)
    }

    /// Whether a job is waiting for its joinAt in this worker's memory (no Redis).
    pub fn is_scheduled_here(&self, job_id: &str) -> bool {
        self.state().recent.iter().any(|r| r.job_id == job_id && r.state == State::Scheduled)
    }

    /// Running jobs, then recently finished ones, optionally only those in `state`.
    pub fn list(&self, filter: Option<State>) -> Vec<JobRecord> {
        let state = self.state();
        state
            .active
            .values()
            .map(|entry| entry.record.clone())
            .chain(state.recent.iter().cloned())
            .filter(|record| filter.is_none_or(|wanted| record.state == wanted))
            .collect()
    }
}
