//! Writes to a running job: its transitions, its end, a give-back, and the check that this worker
//! still owns it. Every key is known before the call: the job's record and this worker's own lists.

use redis::{RedisResult, aio::ConnectionLike};

use super::{
    CHECK_OWNED, Change, Changed, Delivery, FAIL_UNRUN, FINISH, Fields, GIVE_BACK, TRANSITION, Written, flatten,
};
use crate::broker::{Keys, RECORD_TTL_SECS};

/// `transition.lua`: applies `change` to a running job's record, unless this worker no longer owns
/// it, and publishes `event` (the JSON of its change to `state`) when given.
pub async fn transition(
    conn: &mut impl ConnectionLike,
    keys: &Keys,
    delivery: Delivery<'_>,
    state: &str,
    event: Option<&str>,
    change: &Change,
) -> RedisResult<Changed> {
    let mut invocation = TRANSITION.prepare_invoke();
    invocation
        .key(keys.job(delivery.job_id))
        .key(&keys.events)
        .key(&keys.processing)
        .key(&keys.rest_jobs)
        .key(&keys.event_stream)
        .arg(RECORD_TTL_SECS)
        .arg(&keys.worker_id)
        .arg(delivery.attempt)
        .arg(delivery.message.unwrap_or(""))
        .arg(delivery.job_id)
        .arg(keys.event_stream_max_len)
        .arg(state)
        .arg(event.unwrap_or(""))
        .arg(if change.whole { "1" } else { "0" });
    change.add_args(&mut invocation);
    let status: String = invocation.invoke_async(conn).await?;
    Ok(Changed::from_status(&status))
}

/// A state change reported as the session ended, published with the job's end (its fields are
/// in the end's change).
#[derive(Debug, Clone)]
pub struct Step {
    /// The state it changed to.
    pub state: &'static str,
    /// Its event (JSON).
    pub event: String,
}

/// Arguments of [`finish`].
pub struct FinishArgs<'a> {
    /// The delivery that ends (its queue message is acknowledged).
    pub delivery: Delivery<'a>,
    /// The terminal state.
    pub state: &'a str,
    /// The terminal event (JSON).
    pub event: &'a str,
    /// The results or failures list, and the record to append to it.
    pub notify: Option<(&'a str, String)>,
    /// State changes reported as the session ended, not written yet, oldest first. Published
    /// before the end, in the same script.
    pub steps: &'a [Step],
    /// What the end (and the steps before it) change in the record last written.
    pub change: &'a Change,
}

/// `finish.lua`: terminal record, event, client record and acknowledgement in one step, unless
/// this worker no longer owns the job.
pub async fn finish(conn: &mut impl ConnectionLike, keys: &Keys, args: FinishArgs<'_>) -> RedisResult<Changed> {
    let (notify_list, notify_record) = args.notify.unwrap_or((&keys.results, String::new()));
    let mut invocation = FINISH.prepare_invoke();
    invocation
        .key(keys.job(args.delivery.job_id))
        .key(&keys.events)
        .key(&keys.processing)
        .key(&keys.attempts)
        .key(notify_list)
        .key(&keys.rest_jobs)
        .key(&keys.event_stream)
        .arg(args.state)
        .arg(RECORD_TTL_SECS)
        .arg(args.delivery.message.unwrap_or(""))
        .arg(notify_record)
        .arg(keys.notify_list_max_len)
        .arg(&keys.worker_id)
        .arg(args.delivery.attempt)
        .arg(args.delivery.job_id)
        .arg(keys.event_stream_max_len)
        .arg(args.event)
        .arg(if args.change.whole { "1" } else { "0" })
        .arg(args.steps.len());
    for step in args.steps {
        invocation.arg(step.state).arg(&step.event);
    }
    args.change.add_args(&mut invocation);
    let status: String = invocation.invoke_async(conn).await?;
    Ok(Changed::from_status(&status))
}

/// `fail_unrun.lua`: ends failed the job of a message dead-lettered before it ran; false when its
/// record had already ended.
pub async fn fail_unrun(
    conn: &mut impl ConnectionLike,
    keys: &Keys,
    job_id: &str,
    now: &str,
    failure: &str,
    fields: &Fields,
) -> RedisResult<bool> {
    FAIL_UNRUN
        .key(keys.job(job_id))
        .key(&keys.events)
        .key(&keys.failures)
        .key(&keys.event_stream)
        .arg(now)
        .arg(RECORD_TTL_SECS)
        .arg(failure)
        .arg(keys.notify_list_max_len)
        .arg(keys.event_stream_max_len)
        .arg(flatten(fields))
        .invoke_async(conn)
        .await
}

/// `give_back.lua`: the message of a job whose bot was not admitted goes back to the queue's head,
/// unless this worker no longer owns the job.
pub async fn give_back(
    conn: &mut impl ConnectionLike,
    keys: &Keys,
    delivery: Delivery<'_>,
    message: &str,
    now: &str,
    detail: &str,
) -> RedisResult<Written> {
    let status: String = GIVE_BACK
        .key(keys.job(delivery.job_id))
        .key(&keys.events)
        .key(&keys.processing)
        .key(&keys.queue)
        .key(&keys.attempts)
        .key(&keys.rest_jobs)
        .key(&keys.event_stream)
        .arg(now)
        .arg(RECORD_TTL_SECS)
        .arg(message)
        .arg(detail)
        .arg(&keys.worker_id)
        .arg(delivery.attempt)
        .arg(delivery.job_id)
        .arg(keys.event_stream_max_len)
        .invoke_async(conn)
        .await?;
    Ok(Written::from_status(&status))
}

/// `check_owned.lua`: which of `running` this worker no longer owns (positions in `running`).
pub async fn check_owned(
    conn: &mut impl ConnectionLike,
    keys: &Keys,
    running: &[Delivery<'_>],
) -> RedisResult<Vec<usize>> {
    if running.is_empty() {
        return Ok(Vec::new());
    }
    let mut invocation = CHECK_OWNED.prepare_invoke();
    invocation.key(&keys.processing).key(&keys.rest_jobs);
    invocation.arg(&keys.worker_id);
    for delivery in running {
        invocation.key(keys.job(delivery.job_id));
        invocation.arg(delivery.attempt).arg(delivery.message.unwrap_or("")).arg(delivery.job_id);
    }
    let lost: Vec<usize> = invocation.invoke_async(conn).await?;
    Ok(lost.into_iter().filter_map(|position| position.checked_sub(1)).collect())
}
