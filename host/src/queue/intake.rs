//! What happens to one taken message: dead-lettered if it can never run, scheduled if it is due
//! later, handed back if its slot went to a REST job meanwhile, otherwise claimed and started.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use chrono::Utc;

use crate::{
    app::App,
    broker::scripts::{self, Claim, ClaimArgs, ScheduleArgs, Scheduled},
    dispatch::{SubmitError, record_ttl_until},
    job::{JobRecord, JobRequest, Reason, State, record::timestamp},
    notify,
    store::{Holder, Origin, RedisLink, Slot},
};

use super::in_hand::{Held, InHand};

/// A message due within this much is run now rather than scheduled.
const SCHEDULE_SLACK_MS: i64 = 1000;

/// Handles taken messages for the consumer; cheap to clone.
#[derive(Clone)]
pub struct Intake {
    app: App,
    stranded: Arc<AtomicBool>,
    /// The messages being handled.
    pub in_hand: InHand,
}

impl Intake {
    /// Intake for the worker.
    pub fn new(app: App) -> Self {
        Self { app, stranded: Arc::new(AtomicBool::new(false)), in_hand: InHand::default() }
    }

    /// Whether a message may have been left in the processing list unowned since the last call
    /// (Redis failed while handling it); the consumer then reclaims such strays.
    pub fn take_stranded(&self) -> bool {
        self.stranded.swap(false, Ordering::SeqCst)
    }

    /// Handles one message taken into this worker's processing list, with the slot the consumer
    /// reserved for it (none when a REST job took the last one meanwhile).
    pub async fn handle(&self, message: Vec<u8>, slot: Option<Slot>, held: Held) {
        if !self.settle(message, slot).await {
            self.stranded.store(true, Ordering::SeqCst);
        }
        drop(held);
    }

    /// Gives the message its home; false when Redis failed on the way.
    async fn settle(&self, message: Vec<u8>, slot: Option<Slot>) -> bool {
        let Some(redis) = self.app.store.redis() else {
            return true;
        };
        let message = match String::from_utf8(message) {
            Ok(text) => text,
            Err(error) => {
                let raw = error.into_bytes();
                return self.dead_letter_bytes(redis, &raw, Reason::InvalidMessage, "message is not UTF-8 text").await;
            }
        };
        let request = match JobRequest::from_message(&message) {
            Ok(request) => request,
            Err(error) => {
                return self.dead_letter(redis, &message, Reason::InvalidMessage, &error.detail()).await;
            }
        };
        let (plugin, request) = match self.app.dispatcher.validate(request) {
            Ok(valid) => valid,
            Err(SubmitError::UnknownProvider { provider, loaded }) => {
                let error = format!("no loaded plugin serves provider `{provider}` (loaded: {loaded})");
                return self.dead_letter(redis, &message, Reason::UnknownProvider, &error).await;
            }
            Err(error) => return self.dead_letter(redis, &message, Reason::InvalidUrl, &error.to_string()).await,
        };
        let job_id = request.job_id().to_owned();
        tracing::debug!(target: "meetbot::join", job_id, "join step: message taken");
        match self.app.store.holder_of(&message) {
            // This very message came back: a peer recovered it while this worker was paused or cut
            // off, and it was taken again before anyone else: the job running here still owns it.
            // Unless the processing list now holds it twice: then a client pushed it again.
            Some(Holder::Owner) => match scripts::copies_held(&mut redis.conn.clone(), &redis.keys, &message).await {
                Ok(1) => {
                    tracing::info!(job_id, "a running job's own message came back to this worker; it keeps it");
                    return true;
                }
                Ok(_) => return self.dead_letter(redis, &message, Reason::InvalidMessage, "duplicate").await,
                Err(error) => {
                    tracing::warn!(%error, "cannot count the message's copies yet");
                    return false;
                }
            },
            // The job running here lost it; once that job has let go, the message runs again.
            Some(Holder::Lost) => return self.requeue_when_gone(redis, &job_id, &message).await,
            None => {}
        }
        // Held until the job is registered (or this message finds another home), so a second
        // message for the same job id handled meanwhile is refused here, before any script runs.
        let Some(starting) = self.app.store.begin_start(&job_id) else {
            return self.dead_letter(redis, &message, Reason::InvalidMessage, "duplicate").await;
        };
        let correlation_id = uuid::Uuid::new_v4().to_string();
        if let Some(due) =
            request.join_at.filter(|at| at.timestamp_millis() > Utc::now().timestamp_millis() + SCHEDULE_SLACK_MS)
        {
            let record = JobRecord::new(&job_id, &request, &redis.keys.worker_id, &correlation_id, State::Scheduled);
            let fields = record.to_fields();
            let now = timestamp(Utc::now());
            let args = ScheduleArgs {
                job_id: &job_id,
                message: &message,
                from_queue: true,
                due_ms: due.timestamp_millis(),
                record_ttl_secs: record_ttl_until(due),
                now: &now,
                correlation_id: &correlation_id,
                fields: &fields,
            };
            return match scripts::schedule(&mut redis.conn.clone(), &redis.keys, args).await {
                Ok(Scheduled::Ok) => {
                    tracing::info!(job_id, correlation_id, join_at = %due.to_rfc3339(), "job scheduled");
                    self.app.store.announce(&record);
                    true
                }
                Ok(Scheduled::Duplicate) => {
                    tracing::warn!(job_id, correlation_id, "duplicate job id; dead-lettered");
                    true
                }
                Ok(Scheduled::Full) => {
                    tracing::warn!(job_id, correlation_id, "the schedule is full; dead-lettered (schedule_full)");
                    true
                }
                Err(error) => self.requeue_after_error(redis, &message, error).await,
            };
        }
        let Some(slot) = slot else {
            return self.requeue(redis, &message).await;
        };
        let mut record = JobRecord::new(&job_id, &request, &redis.keys.worker_id, &correlation_id, State::Joining);
        record.started_at = record.created_at.clone();
        let fields = record.to_fields();
        let now = timestamp(Utc::now());
        let event = record.event_before_claim(&now);
        let args = ClaimArgs {
            job_id: &job_id,
            message: &message,
            max_attempts: self.app.config.redis.max_attempts,
            now: &now,
            correlation_id: &correlation_id,
            state: record.state.as_str(),
            event: &event,
            fields: &fields,
        };
        match scripts::claim(&mut redis.conn.clone(), &redis.keys, args).await {
            Ok(Claim::Run { attempt, correlation_id, created_at }) => {
                tracing::debug!(target: "meetbot::join", job_id, "join step: claim written");
                record.attempt = attempt;
                record.correlation_id = correlation_id.clone();
                if created_at.is_some() {
                    record.created_at = created_at;
                }
                match self.app.store.register(starting, record, Origin::Queue { message }, slot).await {
                    Ok(active) => self.app.dispatcher.spawn(active, request, plugin),
                    Err(error) => {
                        tracing::error!(job_id, correlation_id, %error, "claimed job could not be registered");
                    }
                }
            }
            Ok(Claim::Duplicate) => {
                tracing::warn!(job_id, correlation_id, "duplicate of a job active on another worker; dead-lettered");
            }
            Ok(Claim::Exhausted { attempts, correlation_id }) => {
                tracing::error!(
                    job_id,
                    correlation_id,
                    attempts,
                    "delivered too often without finishing; dead-lettered"
                );
                record.correlation_id = correlation_id;
                record.attempt = attempts;
                let detail = "max_attempts exceeded";
                let config = &self.app.config;
                let notify = |record: &JobRecord| notify::results::client_record(config, record, Some(detail));
                self.app.store.record_failure(record, Reason::InternalError, detail, notify).await;
            }
            Err(error) => return self.requeue_after_error(redis, &message, error).await,
        }
        true
    }

    async fn dead_letter(&self, redis: &RedisLink, message: &str, reason: Reason, error: &str) -> bool {
        self.dead_letter_bytes(redis, message.as_bytes(), reason, error).await
    }

    async fn dead_letter_bytes(&self, redis: &RedisLink, message: &[u8], reason: Reason, error: &str) -> bool {
        tracing::warn!(%reason, error, "message dead-lettered");
        let now = timestamp(Utc::now());
        match scripts::dead_letter(&mut redis.conn.clone(), &redis.keys, message, reason.as_str(), error, &now).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "cannot dead-letter yet; the message stays in the processing list");
                false
            }
        }
    }

    /// Gives `message` back to the queue once the job `job_id` running here (which lost it) has
    /// ended; true once done.
    async fn requeue_when_gone(&self, redis: &RedisLink, job_id: &str, message: &str) -> bool {
        tracing::info!(job_id, "the message of a job this worker lost came back; it runs again once the bot here left");
        while self.app.store.is_active(job_id) {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.requeue(redis, message).await
    }

    async fn requeue_after_error(&self, redis: &RedisLink, message: &str, error: redis::RedisError) -> bool {
        tracing::warn!(%error, "redis failed while starting a message; handing it back");
        self.requeue(redis, message).await
    }

    async fn requeue(&self, redis: &RedisLink, message: &str) -> bool {
        match scripts::requeue(&mut redis.conn.clone(), &redis.keys, message).await {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(%error, "cannot hand the message back yet; it stays in the processing list");
                false
            }
        }
    }
}
