//! Where job records persist beyond the worker's memory: nowhere (a worker without Redis keeps
//! them in the store's registry only) or in Redis, through the Lua scripts of `broker`.
//!
//! The registry (`mod.rs` and its neighbours: slots, running jobs, the recent list) asks this one
//! interface and never looks at which it is. Without Redis every write succeeds at once, nothing
//! is owned by another worker, and there is nothing to read beyond memory.

use chrono::Utc;
use redis::{AsyncCommands, RedisResult};

use super::RedisLink;
use crate::{
    broker::scripts::{self, Change, Changed, Delivery, Fields, Written},
    job::{JobRecord, State, record::timestamp},
};

/// The records' durable home.
pub(super) enum Records {
    /// Memory only: the registry is all there is.
    Memory,
    /// The `P:job:<id>` hashes and the lists and streams around them (boxed: the link is large
    /// and the store holds one).
    Redis(Box<RedisLink>),
}

impl Records {
    pub(super) fn new(redis: Option<RedisLink>) -> Self {
        redis.map_or(Records::Memory, |link| Records::Redis(Box::new(link)))
    }

    /// The Redis link, for the parts of the worker that talk to Redis themselves.
    pub(super) fn link(&self) -> Option<&RedisLink> {
        match self {
            Records::Memory => None,
            Records::Redis(link) => Some(link),
        }
    }

    /// Notes a REST job as running here; false when its id is active on another live worker.
    pub(super) async fn start_rest(&self, record: &JobRecord) -> RedisResult<bool> {
        let Records::Redis(redis) = self else {
            return Ok(true);
        };
        let digest = format!("rest:{}:{}", record.job_id, record.correlation_id);
        let now = timestamp(Utc::now());
        scripts::start_rest(&mut redis.conn.clone(), &redis.keys, &record.job_id, &digest, &now, &record.to_fields())
            .await
    }

    /// Writes a running job's record, now `fields`, to a hash that holds `stored` (the fields of
    /// this worker's last write that went through; `None` when not known: the whole record is
    /// written). `publish` also publishes its state change.
    pub(super) async fn write(
        &self,
        delivery: Delivery<'_>,
        stored: Option<&Fields>,
        record: &JobRecord,
        fields: &Fields,
        publish: bool,
    ) -> RedisResult<Written> {
        let Records::Redis(redis) = self else {
            return Ok(Written::Ok);
        };
        let event = publish.then(|| record.event(&timestamp(Utc::now())));
        let state = record.state.as_str();
        let mut change = changes(stored, fields);
        loop {
            let keys = &redis.keys;
            match scripts::transition(&mut redis.conn.clone(), keys, delivery, state, event.as_deref(), &change).await?
            {
                Changed::Written(written) => return Ok(written),
                Changed::Missing => change = changes(None, fields),
            }
        }
    }

    /// Publishes the state changes `held` since the session ended (as transitions would), and
    /// writes the terminal record (with whatever they changed), its event, the client's results or
    /// failures record (`notify`) and the acknowledgement of its message, in one step. `stored` is
    /// as for [`Records::write`].
    pub(super) async fn finish(
        &self,
        delivery: Delivery<'_>,
        stored: Option<&Fields>,
        held: &[(String, JobRecord)],
        record: &JobRecord,
        notify: Option<String>,
    ) -> RedisResult<Written> {
        let Records::Redis(redis) = self else {
            return Ok(Written::Ok);
        };
        let list = if record.state == State::Completed { &redis.keys.results } else { &redis.keys.failures };
        let event = record.event(&timestamp(Utc::now()));
        let steps: Vec<_> =
            held.iter().map(|(at, step)| scripts::Step { state: step.state.as_str(), event: step.event(at) }).collect();
        let fields = record.to_fields();
        let mut stored = stored;
        loop {
            let change = changes(stored, &fields);
            let args = scripts::FinishArgs {
                delivery,
                state: record.state.as_str(),
                event: &event,
                notify: notify.clone().map(|n| (list.as_str(), n)),
                steps: &steps,
                change: &change,
            };
            match scripts::finish(&mut redis.conn.clone(), &redis.keys, args).await? {
                Changed::Written(written) => return Ok(written),
                Changed::Missing => stored = None,
            }
        }
    }

    /// Gives a queue job's message back to the head of the queue.
    pub(super) async fn give_back(&self, delivery: Delivery<'_>, detail: &str) -> RedisResult<Written> {
        let (Records::Redis(redis), Some(message)) = (self, delivery.message) else {
            return Ok(Written::Ok);
        };
        let now = timestamp(Utc::now());
        scripts::give_back(&mut redis.conn.clone(), &redis.keys, delivery, message, &now, detail).await
    }

    /// Writes the failed record of a job that never ran here, and the client's `failure` record.
    pub(super) async fn fail_unrun(&self, record: &JobRecord, failure: &str) -> RedisResult<()> {
        let Records::Redis(redis) = self else {
            return Ok(());
        };
        let now = record.ended_at.clone().unwrap_or_default();
        let fields = record.to_fields();
        scripts::fail_unrun(&mut redis.conn.clone(), &redis.keys, &record.job_id, &now, failure, &fields).await?;
        Ok(())
    }

    /// Cancels a job waiting for its joinAt: `Some(cancelled)` where the schedule lives here, `None`
    /// where it lives in the registry (memory only).
    pub(super) async fn cancel_scheduled(&self, job_id: &str, now: &str) -> RedisResult<Option<bool>> {
        let Records::Redis(redis) = self else {
            return Ok(None);
        };
        scripts::cancel_scheduled(&mut redis.conn.clone(), &redis.keys, job_id, now).await.map(Some)
    }

    /// A job's record as stored: `None` where nothing is stored beyond memory.
    pub(super) async fn read(&self, job_id: &str) -> Option<RedisResult<Option<JobRecord>>> {
        let Records::Redis(redis) = self else {
            return None;
        };
        let fields = redis.conn.clone().hgetall(redis.keys.job(job_id)).await;
        Some(fields.map(|fields| JobRecord::from_fields(&fields)))
    }

    /// Ends the REST jobs an earlier run of this worker id left unfinished (`running` are this
    /// run's own); how many it ended.
    pub(super) async fn end_rest_leftovers(&self, running: &[String]) -> RedisResult<u32> {
        let Records::Redis(redis) = self else {
            return Ok(0);
        };
        let now = timestamp(Utc::now());
        scripts::end_own_rest(&mut redis.conn.clone(), &redis.keys, &now, running).await
    }

    /// The positions in `running` of the deliveries this worker no longer owns.
    pub(super) async fn lost(&self, running: &[Delivery<'_>]) -> RedisResult<Vec<usize>> {
        let Records::Redis(redis) = self else {
            return Ok(Vec::new());
        };
        scripts::check_owned(&mut redis.conn.clone(), &redis.keys, running).await
    }
}

/// What writing `after` changes in a record that holds `before`: the whole record when `before`
/// is not known.
fn changes(before: Option<&Fields>, after: &Fields) -> Change {
    let Some(before) = before else {
        return Change { set: after.clone(), unset: Vec::new(), whole: true };
    };
    Change {
        set: after.iter().filter(|pair| !before.contains(pair)).cloned().collect(),
        unset: before.iter().map(|(field, _)| *field).filter(|field| !after.iter().any(|(f, _)| f == field)).collect(),
        whole: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&'static str, &str)]) -> Fields {
        pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    }

    #[test]
    fn a_write_sends_what_changed_and_removes_what_went() {
        let before = fields(&[("state", "joining"), ("attempt", "1"), ("detail", "x")]);
        let after = fields(&[("state", "in_call"), ("attempt", "1"), ("joined_at", "t")]);
        let change = changes(Some(&before), &after);
        assert_eq!(change.set, fields(&[("state", "in_call"), ("joined_at", "t")]));
        assert_eq!(change.unset, ["detail"]);
        assert!(!change.whole);
        let whole = changes(None, &after);
        assert_eq!((whole.set, whole.unset.len(), whole.whole), (after, 0, true));
    }
}
