//! Where a new job goes: claimed to run, started over REST, scheduled, promoted when due, or
//! cancelled while it waits. Claim, start and schedule refuse a duplicate of a job active on
//! another worker, with that worker's keys fetched as `owner` describes.

use redis::{RedisResult, aio::ConnectionLike};

use super::{
    CANCEL_SCHEDULED, CLAIM, Fields, PROMOTE, SCHEDULE, START_REST, flatten,
    owner::{NEED_OWNER, OwnerKeys},
};
use crate::broker::{Keys, RECORD_TTL_SECS};

/// What `claim` decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The job may run; this is its delivery number, correlation id and creation time.
    Run {
        /// Delivery count, from 1.
        attempt: u32,
        /// The job's correlation id (kept across redeliveries).
        correlation_id: String,
        /// When the job was created, when its record was kept (a redelivery or a scheduled job):
        /// the record keeps it.
        created_at: Option<String>,
    },
    /// Another worker runs the same job id; the message was dead-lettered.
    Duplicate,
    /// Delivered `max_attempts` times already; the message was dead-lettered.
    Exhausted {
        /// Deliveries made.
        attempts: u32,
        /// The job's correlation id.
        correlation_id: String,
    },
}

/// Arguments of [`claim`] that describe the job.
pub struct ClaimArgs<'a> {
    /// The job id.
    pub job_id: &'a str,
    /// The message as taken.
    pub message: &'a str,
    /// `redis.max_attempts`.
    pub max_attempts: u32,
    /// RFC 3339 now.
    pub now: &'a str,
    /// Correlation id for a new job.
    pub correlation_id: &'a str,
    /// The state the record is claimed in.
    pub state: &'a str,
    /// The claim's event (JSON) without `correlation_id` and `attempt`, which the script adds.
    pub event: &'a str,
    /// Record fields.
    pub fields: &'a Fields,
}

/// `claim.lua`: counts the delivery and writes the record, or dead-letters the message.
pub async fn claim(conn: &mut impl ConnectionLike, keys: &Keys, args: ClaimArgs<'_>) -> RedisResult<Claim> {
    let mut owner = OwnerKeys::default();
    loop {
        let mut invocation = CLAIM.prepare_invoke();
        invocation
            .key(keys.job(args.job_id))
            .key(&keys.processing)
            .key(&keys.dead)
            .key(&keys.attempts)
            .key(&keys.events)
            .key(&keys.event_stream);
        owner.add_keys(&mut invocation, keys, true);
        invocation
            .arg(args.message)
            .arg(&keys.worker_id)
            .arg(owner.id())
            .arg(args.max_attempts)
            .arg(args.now)
            .arg(RECORD_TTL_SECS)
            .arg(args.correlation_id)
            .arg(keys.dead_letter_max_len)
            .arg(keys.event_stream_max_len)
            .arg(args.job_id)
            .arg(args.state)
            .arg(args.event)
            .arg(flatten(args.fields));
        let (status, attempt, detail, created_at): (String, u32, String, String) =
            invocation.invoke_async(conn).await?;
        match status.as_str() {
            NEED_OWNER => owner.ask_for(detail, args.job_id)?,
            "ok" => {
                let created_at = Some(created_at).filter(|at| !at.is_empty());
                return Ok(Claim::Run { attempt, correlation_id: detail, created_at });
            }
            "duplicate" => return Ok(Claim::Duplicate),
            _ => return Ok(Claim::Exhausted { attempts: attempt, correlation_id: detail }),
        }
    }
}

/// `start_rest.lua`: writes the record of a REST job; false for a duplicate.
pub async fn start_rest(
    conn: &mut impl ConnectionLike,
    keys: &Keys,
    job_id: &str,
    digest: &str,
    now: &str,
    fields: &Fields,
) -> RedisResult<bool> {
    let mut owner = OwnerKeys::default();
    loop {
        let mut invocation = START_REST.prepare_invoke();
        invocation
            .key(keys.job(job_id))
            .key(&keys.events)
            .key(&keys.rest_jobs)
            .key(&keys.workers)
            .key(&keys.event_stream)
            .key(&keys.heartbeats);
        owner.add_keys(&mut invocation, keys, false);
        invocation
            .arg(&keys.worker_id)
            .arg(owner.id())
            .arg(now)
            .arg(RECORD_TTL_SECS)
            .arg(digest)
            .arg(keys.event_stream_max_len)
            .arg(flatten(fields));
        let answer: Vec<String> = invocation.invoke_async(conn).await?;
        match answer.as_slice() {
            [status, needed] if status == NEED_OWNER => owner.ask_for(needed.clone(), job_id)?,
            [status, ..] => return Ok(status == "ok"),
            [] => return Ok(false),
        }
    }
}

/// Arguments of [`schedule`].
pub struct ScheduleArgs<'a> {
    /// The job id.
    pub job_id: &'a str,
    /// The message: as taken from the queue, or built from a REST job.
    pub message: &'a str,
    /// Whether the message was taken from the queue (then a refusal dead-letters it).
    pub from_queue: bool,
    /// When it is due, unix milliseconds.
    pub due_ms: i64,
    /// How long the record lives: until 7 days after the job is due.
    pub record_ttl_secs: u64,
    /// RFC 3339 now.
    pub now: &'a str,
    /// Correlation id for a new job.
    pub correlation_id: &'a str,
    /// Record fields.
    pub fields: &'a Fields,
}

/// What `schedule` decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduled {
    /// The job waits in the schedule.
    Ok,
    /// A job with the same id is active; a queue message was dead-lettered.
    Duplicate,
    /// The schedule holds `redis.max_scheduled` jobs; a queue message was dead-lettered.
    Full,
}

/// `schedule.lua`: moves a message to the schedule, or refuses it.
pub async fn schedule(conn: &mut impl ConnectionLike, keys: &Keys, args: ScheduleArgs<'_>) -> RedisResult<Scheduled> {
    let mut owner = OwnerKeys::default();
    loop {
        let mut invocation = SCHEDULE.prepare_invoke();
        invocation
            .key(keys.job(args.job_id))
            .key(&keys.events)
            .key(&keys.processing)
            .key(&keys.scheduled)
            .key(&keys.dead)
            .key(&keys.scheduled_index)
            .key(&keys.attempts)
            .key(&keys.event_stream);
        owner.add_keys(&mut invocation, keys, true);
        invocation
            .arg(args.message)
            .arg(&keys.worker_id)
            .arg(owner.id())
            .arg(args.due_ms)
            .arg(args.now)
            .arg(args.record_ttl_secs)
            .arg(args.correlation_id)
            .arg(if args.from_queue { "1" } else { "0" })
            .arg(keys.max_scheduled)
            .arg(keys.dead_letter_max_len)
            .arg(keys.event_stream_max_len)
            .arg(flatten(args.fields));
        let answer: Vec<String> = invocation.invoke_async(conn).await?;
        match answer.as_slice() {
            [status, needed] if status == NEED_OWNER => owner.ask_for(needed.clone(), args.job_id)?,
            [status, ..] if status == "ok" => return Ok(Scheduled::Ok),
            [status, ..] if status == "full" => return Ok(Scheduled::Full),
            _ => return Ok(Scheduled::Duplicate),
        }
    }
}

/// `promote.lua`: moves due scheduled messages to the queue's head; returns how many.
pub async fn promote(conn: &mut impl ConnectionLike, keys: &Keys, now_ms: i64) -> RedisResult<u32> {
    PROMOTE
        .key(&keys.scheduled)
        .key(&keys.queue)
        .key(&keys.scheduled_index)
        .arg(now_ms)
        .arg(100)
        .invoke_async(conn)
        .await
}

/// `cancel_scheduled.lua`: cancels a job waiting for its joinAt; false when it was not scheduled.
pub async fn cancel_scheduled(
    conn: &mut impl ConnectionLike,
    keys: &Keys,
    job_id: &str,
    now: &str,
) -> RedisResult<bool> {
    CANCEL_SCHEDULED
        .key(keys.job(job_id))
        .key(&keys.scheduled)
        .key(&keys.events)
        .key(&keys.scheduled_index)
        .key(&keys.event_stream)
        .arg(now)
        .arg(RECORD_TTL_SECS)
        .arg(keys.event_stream_max_len)
        .invoke_async(conn)
        .await
}
