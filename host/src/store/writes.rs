//! Writing a running job's record: its start (REST), its state changes, its end, and giving its
//! message back. Each write names the delivery this worker holds; a write Redis refuses because the
//! job is another worker's now makes this worker let go of it (see `ownership.rs`).
//!
//! Ending a job is retried, but not forever: a job whose end cannot be written is logged loudly
//! with its whole record and forgotten, so it never holds a slot or shutdown. Its message then
//! stays in the processing list and is delivered again later (at-least-once).

use std::time::Duration;

use chrono::Utc;
use tokio::time::Instant;

use super::{JobStore, OwnedDelivery, StartError};
use crate::{
    backoff::Backoff,
    broker::{is_permanent, scripts::Written},
    job::{JobRecord, Reason, State, TransitionError, record::timestamp},
};

/// How long the end of a job is retried while the worker runs.
const END_PATIENCE: Duration = Duration::from_secs(300);
/// How long it is retried once shutdown began: a worker that cannot reach Redis must still exit;
/// what it could not write is recovered from its processing list.
const END_PATIENCE_AT_SHUTDOWN: Duration = Duration::from_secs(10);

/// How writing a job's end went.
enum EndWritten {
    /// Written.
    Ok,
    /// Another worker owns the job: nothing was written.
    Lost,
    /// Redis would not take it within the patience.
    GaveUp,
}

impl JobStore {
    pub(super) async fn persist_rest_start(&self, record: &JobRecord) -> Result<(), StartError> {
        self.end_rest_leftovers().await?;
        if self.inner.records.start_rest(record).await? {
            Ok(())
        } else {
            Err(StartError::Duplicate(record.job_id.clone()))
        }
    }

    /// Moves a running job to `state`, applying `change` to its record first. Illegal state
    /// changes are refused and leave the record as it was.
    pub async fn transition(
        &self,
        job_id: &str,
        next: State,
        change: impl FnOnce(&mut JobRecord),
    ) -> Result<(), TransitionError> {
        let (record, delivery) = {
            let mut state = self.state();
            let Some(entry) = state.active.get_mut(job_id).filter(|entry| !entry.lost) else {
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
            if entry.closing {
                entry.held.push((timestamp(Utc::now()), entry.record.clone()));
            }
            (entry.record.clone(), (!entry.closing).then(|| entry.delivery()))
        };
        self.announce(&record);
        if let Some(delivery) = delivery {
            self.persist(&delivery, &record, true).await;
        }
        Ok(())
    }

    /// The job's session ended: state changes it reports from now on are held in memory (and
    /// announced at once) and written with its end by the same script, so a job that reports its
    /// last states as it ends costs one round trip for them all. Any other write first writes what
    /// is held, in order.
    pub fn closing(&self, job_id: &str) {
        if let Some(entry) = self.state().active.get_mut(job_id) {
            entry.closing = true;
        }
    }

    /// Writes the state changes held since the session ended, in order, and holds no more: what
    /// comes before the job's end is no longer immediate (a browser to close, a recording to store).
    pub async fn write_held(&self, job_id: &str) {
        let (held, delivery) = {
            let mut state = self.state();
            let Some(entry) = state.active.get_mut(job_id).filter(|entry| !entry.lost) else {
                return;
            };
            entry.closing = false;
            (std::mem::take(&mut entry.held), entry.delivery())
        };
        for (_, record) in &held {
            self.persist(&delivery, record, true).await;
        }
    }

    /// Changes fields of a running job's record without changing its state (nothing is
    /// published).
    pub async fn update(&self, job_id: &str, change: impl FnOnce(&mut JobRecord)) {
        self.write_held(job_id).await;
        let (record, delivery) = {
            let mut state = self.state();
            let Some(entry) = state.active.get_mut(job_id).filter(|entry| !entry.lost) else {
                return;
            };
            change(&mut entry.record);
            (entry.record.clone(), entry.delivery())
        };
        self.persist(&delivery, &record, false).await;
    }

    /// Writes a running job's record. While Redis is unreachable the record stays in memory (the
    /// next write carries it); a write Redis refuses for good means the job cannot go on: it is
    /// asked to leave and ends `internal_error`.
    async fn persist(&self, delivery: &OwnedDelivery, record: &JobRecord, publish: bool) {
        let fields = record.to_fields();
        let stored = self.state().active.get_mut(&delivery.job_id).and_then(|entry| entry.stored.take());
        match self.inner.records.write(delivery.as_delivery(), stored.as_ref(), record, &fields, publish).await {
            Ok(Written::Ok) => {
                // Answers come in the order Redis ran the writes: the last one is what it holds.
                if let Some(entry) = self.state().active.get_mut(&delivery.job_id) {
                    entry.stored = Some(fields);
                }
            }
            Ok(Written::Lost) => self.lose(&delivery.job_id, delivery.attempt, "redis refused a write to its record"),
            Err(error) if is_permanent(&error) => {
                tracing::error!(%error, "the job record cannot be written; the job cannot go on");
                self.fault(&delivery.job_id, format!("the job record could not be written: {error}"));
            }
            Err(error) => {
                tracing::warn!(%error, state = %record.state, "job record not written to redis yet; kept in memory")
            }
        }
    }

    /// Ends a running job: the terminal record, its event, the client's results/failures record
    /// (`notify` builds it from the terminal record) and the acknowledgement of its message are
    /// written in one step. A job that is another worker's now ends here without a write. `None`
    /// when no such job runs.
    pub async fn finish(
        &self,
        job_id: &str,
        reason: Reason,
        detail: Option<String>,
        notify: impl FnOnce(&JobRecord) -> Option<String>,
    ) -> Option<JobRecord> {
        let (record, delivery, lost, held, stored) = {
            let mut state = self.state();
            let entry = state.active.get_mut(job_id)?;
            let detail = match (detail, entry.fault.take()) {
                (Some(detail), Some(fault)) => Some(format!("{fault}; {detail}")),
                (detail, fault) => fault.or(detail),
            };
            entry.record.end(reason, detail, timestamp(Utc::now()));
            let record = entry.record.clone();
            (record, entry.delivery(), entry.lost, std::mem::take(&mut entry.held), entry.stored.take())
        };
        if lost {
            tracing::warn!(state = %record.state, %reason, "job ended here after another worker took it over; nothing recorded");
            self.forget(job_id, None);
            return Some(record);
        }
        let notify = notify(&record);
        let records = &self.inner.records;
        let finish = || records.finish(delivery.as_delivery(), stored.as_ref(), &held, &record, notify.clone());
        match self.write_end(finish).await {
            EndWritten::Ok => {}
            EndWritten::Lost => {
                tracing::warn!("another worker took the job over; its end here is not recorded");
                self.forget(job_id, None);
                return Some(record);
            }
            EndWritten::GaveUp => tracing::error!(
                record = %serde_json::to_string(&record).unwrap_or_default(),
                "gave up writing the end of the job to redis; its message stays in the processing list and will be delivered again"
            ),
        }
        self.announce(&record);
        self.forget(job_id, Some(record.clone()));
        Some(record)
    }

    /// Gives a running job's message back to the head of the queue (shutdown before admission).
    pub async fn give_back(&self, job_id: &str, detail: &str) {
        self.write_held(job_id).await;
        let Some((mut record, delivery, lost)) =
            self.state().active.get(job_id).map(|entry| (entry.record.clone(), entry.delivery(), entry.lost))
        else {
            return;
        };
        if !lost {
            let records = &self.inner.records;
            if let EndWritten::GaveUp = self.write_end(|| records.give_back(delivery.as_delivery(), detail)).await {
                tracing::error!("gave up giving the message back; peers recover it once this worker is gone");
            }
        }
        record.state = State::Queued;
        record.detail = Some(detail.to_owned());
        if !lost {
            self.announce(&record);
        }
        self.forget(job_id, Some(record).filter(|_| !lost));
    }

    /// Writes the failed record of a job whose message was dead-lettered before it ran here (it was
    /// delivered too often). `notify` is the client's failure record.
    pub async fn record_failure(
        &self,
        mut record: JobRecord,
        reason: Reason,
        detail: &str,
        notify: impl FnOnce(&JobRecord) -> String,
    ) {
        record.end(reason, Some(detail.to_owned()), timestamp(Utc::now()));
        if let Err(error) = self.inner.records.fail_unrun(&record, &notify(&record)).await {
            tracing::warn!(%error, job_id = %record.job_id, "cannot write the failed record");
        }
        self.announce(&record);
        self.forget(&record.job_id.clone(), Some(record));
    }

    /// Retries `write` (one end-of-job script) until Redis takes it, refuses it because the job is
    /// another worker's, fails for good, or the patience runs out.
    async fn write_end<F, Fut>(&self, mut write: F) -> EndWritten
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = redis::RedisResult<Written>>,
    {
        let started = Instant::now();
        let mut backoff = Backoff::default();
        loop {
            match write().await {
                Ok(Written::Ok) => return EndWritten::Ok,
                Ok(Written::Lost) => return EndWritten::Lost,
                Err(error) => {
                    let patience = if self.accepting() { END_PATIENCE } else { END_PATIENCE_AT_SHUTDOWN };
                    if is_permanent(&error) || started.elapsed() >= patience {
                        tracing::error!(%error, "cannot write the end of the job to redis");
                        return EndWritten::GaveUp;
                    }
                    tracing::warn!(%error, "cannot write the end of the job to redis yet; retrying");
                    backoff.wait().await;
                }
            }
        }
    }
}
