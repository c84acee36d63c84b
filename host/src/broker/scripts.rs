//! One thin wrapper per atomic Redis operation. Each operation is a Lua script in `lua/` whose
//! header documents its KEYS and ARGV; shared helpers come from `lua/prelude.lua`.

use std::sync::LazyLock;

use redis::{RedisResult, Script, aio::ConnectionLike};

use super::{Keys, RECORD_TTL_SECS};

macro_rules! script {
    ($name:ident, $file:literal) => {
        static $name: LazyLock<Script> =
            LazyLock::new(|| Script::new(concat!(include_str!("lua/prelude.lua"), "\n", include_str!($file))));
    };
}

script!(CLAIM, "lua/claim.lua");
script!(START_REST, "lua/start_rest.lua");
script!(TRANSITION, "lua/transition.lua");
script!(FINISH, "lua/finish.lua");
script!(GIVE_BACK, "lua/give_back.lua");
script!(REQUEUE, "lua/requeue.lua");
script!(DEAD_LETTER, "lua/dead_letter.lua");
script!(SCHEDULE, "lua/schedule.lua");
script!(PROMOTE, "lua/promote.lua");
script!(CANCEL_SCHEDULED, "lua/cancel_scheduled.lua");
script!(HEARTBEAT, "lua/heartbeat.lua");
script!(RECOVER_PEERS, "lua/recover_peers.lua");
script!(RECLAIM_OWN, "lua/reclaim_own.lua");
script!(END_OWN_REST, "lua/end_own_rest.lua");
script!(RETIRE, "lua/retire.lua");
script!(CHECK_OWNED, "lua/check_owned.lua");
script!(FAIL_UNRUN, "lua/fail_unrun.lua");

/// Record fields as `field, value` pairs, the form every script takes them in.
pub type Fields = Vec<(&'static str, String)>;

/// What `claim` decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The job may run; this is its delivery number and correlation id.
    Run {
        /// Delivery count, from 1.
        attempt: u32,
        /// The job's correlation id (kept across redeliveries).
        correlation_id: String,
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

fn flatten(fields: &Fields) -> Vec<&str> {
    fields.iter().flat_map(|(k, v)| [*k, v.as_str()]).collect()
}

/// Which delivery of a running job this worker holds: scripts that write the job check it (the
/// `owns` helper of `lua/prelude.lua`) and refuse once the job is someone else's.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// The job id.
    pub job_id: &'a str,
    /// The delivery count the record had when this worker claimed the job (1 for REST jobs).
    pub attempt: u32,
    /// The queue message, for queue jobs; `None` for REST jobs.
    pub message: Option<&'a str>,
}

/// Whether a write to a running job went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Written.
    Ok,
    /// Refused: this worker no longer owns the job (a peer took it over, or ended it).
    Lost,
}

impl Written {
    fn from_status(status: &str) -> Self {
        if status == "lost" { Written::Lost } else { Written::Ok }
    }
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
    /// Record fields.
    pub fields: &'a Fields,
}

/// `claim.lua`: counts the delivery and writes the record, or dead-letters the message.
pub async fn claim(conn: &mut impl ConnectionLike, keys: &Keys, args: ClaimArgs<'_>) -> RedisResult<Claim> {
    let (status, attempt, correlation_id): (String, u32, String) = CLAIM
        .key(keys.job(args.job_id))
        .key(&keys.processing)
        .key(&keys.dead)
        .key(&keys.attempts)
        .key(&keys.events)
        .arg(args.message)
        .arg(&keys.worker_id)
        .arg(&keys.heartbeat_prefix)
        .arg(args.max_attempts)
        .arg(args.now)
        .arg(RECORD_TTL_SECS)
        .arg(args.correlation_id)
        .arg(keys.dead_letter_max_len)
        .arg(flatten(args.fields))
        .invoke_async(conn)
        .await?;
    Ok(match status.as_str() {
        "ok" => Claim::Run { attempt, correlation_id },
        "duplicate" => Claim::Duplicate,
        _ => Claim::Exhausted { attempts: attempt, correlation_id },
    })
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
    START_REST
        .key(keys.job(job_id))
        .key(&keys.events)
        .key(&keys.rest_jobs)
        .key(&keys.workers)
        .arg(&keys.worker_id)
        .arg(&keys.heartbeat_prefix)
        .arg(now)
        .arg(RECORD_TTL_SECS)
        .arg(digest)
        .arg(flatten(fields))
        .invoke_async(conn)
        .await
}

/// `transition.lua`: updates a running job's record, unless this worker no longer owns it.
pub async fn transition(
    conn: &mut impl ConnectionLike,
    keys: &Keys,
    delivery: Delivery<'_>,
    now: &str,
    publish: bool,
    fields: &Fields,
) -> RedisResult<Written> {
    let status: String = TRANSITION
        .key(keys.job(delivery.job_id))
        .key(&keys.events)
        .key(&keys.processing)
        .key(&keys.rest_jobs)
        .arg(now)
        .arg(RECORD_TTL_SECS)
        .arg(if publish { "1" } else { "0" })
        .arg(&keys.worker_id)
        .arg(delivery.attempt)
        .arg(delivery.message.unwrap_or(""))
        .arg(delivery.job_id)
        .arg(flatten(fields))
        .invoke_async(conn)
        .await?;
    Ok(Written::from_status(&status))
}

/// Arguments of [`finish`].
pub struct FinishArgs<'a> {
    /// The delivery that ends (its queue message is acknowledged).
    pub delivery: Delivery<'a>,
    /// RFC 3339 now.
    pub now: &'a str,
    /// The results or failures list, and the record to append to it.
    pub notify: Option<(&'a str, String)>,
    /// Terminal record fields.
    pub fields: &'a Fields,
}

/// `finish.lua`: terminal record, event, client record and acknowledgement in one step, unless
/// this worker no longer owns the job.
pub async fn finish(conn: &mut impl ConnectionLike, keys: &Keys, args: FinishArgs<'_>) -> RedisResult<Written> {
    let (notify_list, notify_record) = args.notify.unwrap_or((&keys.results, String::new()));
    let status: String = FINISH
        .key(keys.job(args.delivery.job_id))
        .key(&keys.events)
        .key(&keys.processing)
        .key(&keys.attempts)
        .key(notify_list)
        .key(&keys.rest_jobs)
        .arg(args.now)
        .arg(RECORD_TTL_SECS)
        .arg(args.delivery.message.unwrap_or(""))
        .arg(notify_record)
        .arg(keys.notify_list_max_len)
        .arg(&keys.worker_id)
        .arg(args.delivery.attempt)
        .arg(args.delivery.job_id)
        .arg(flatten(args.fields))
        .invoke_async(conn)
        .await?;
    Ok(Written::from_status(&status))
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
        .arg(now)
        .arg(RECORD_TTL_SECS)
        .arg(failure)
        .arg(keys.notify_list_max_len)
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
        .arg(now)
        .arg(RECORD_TTL_SECS)
        .arg(message)
        .arg(detail)
        .arg(&keys.worker_id)
        .arg(delivery.attempt)
        .arg(delivery.job_id)
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

/// `requeue.lua`: a message that never started goes back to the queue's head, uncounted.
pub async fn requeue(conn: &mut impl ConnectionLike, keys: &Keys, message: &str) -> RedisResult<()> {
    REQUEUE.key(&keys.processing).key(&keys.queue).arg(message).invoke_async(conn).await
}

/// `dead_letter.lua`: a message that will never run goes to the dead-letter list. Taken as bytes:
/// a message that is not even UTF-8 must leave the queue too; its entry then carries the text
/// with invalid bytes replaced, and the exact bytes in `message_base64`.
pub async fn dead_letter(
    conn: &mut impl ConnectionLike,
    keys: &Keys,
    message: &[u8],
    reason: &str,
    error: &str,
    now: &str,
) -> RedisResult<()> {
    let mut invocation = DEAD_LETTER.prepare_invoke();
    invocation.key(&keys.processing).key(&keys.dead).key(&keys.attempts);
    invocation.arg(message).arg(reason).arg(error).arg(&keys.worker_id).arg(now).arg(keys.dead_letter_max_len);
    if std::str::from_utf8(message).is_err() {
        use base64::Engine;
        invocation
            .arg(String::from_utf8_lossy(message).into_owned())
            .arg(base64::engine::general_purpose::STANDARD.encode(message));
    }
    invocation.invoke_async(conn).await
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
    let status: String = SCHEDULE
        .key(keys.job(args.job_id))
        .key(&keys.events)
        .key(&keys.processing)
        .key(&keys.scheduled)
        .key(&keys.dead)
        .key(&keys.scheduled_index)
        .key(&keys.attempts)
        .arg(args.message)
        .arg(&keys.worker_id)
        .arg(&keys.heartbeat_prefix)
        .arg(args.due_ms)
        .arg(args.now)
        .arg(args.record_ttl_secs)
        .arg(args.correlation_id)
        .arg(if args.from_queue { "1" } else { "0" })
        .arg(keys.max_scheduled)
        .arg(keys.dead_letter_max_len)
        .arg(flatten(args.fields))
        .invoke_async(conn)
        .await?;
    Ok(match status.as_str() {
        "ok" => Scheduled::Ok,
        "full" => Scheduled::Full,
        _ => Scheduled::Duplicate,
    })
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
        .arg(now)
        .arg(RECORD_TTL_SECS)
        .invoke_async(conn)
        .await
}

/// `heartbeat.lua`: refreshes this worker's heartbeat.
pub async fn heartbeat(conn: &mut impl ConnectionLike, keys: &Keys, ttl_secs: u64, info: &str) -> RedisResult<()> {
    HEARTBEAT
        .key(&keys.heartbeat)
        .key(&keys.workers)
        .arg(&keys.worker_id)
        .arg(ttl_secs)
        .arg(info)
        .invoke_async(conn)
        .await
}

/// `recover_peers.lua`: gives back the messages of workers whose heartbeat expired and ends their
/// REST jobs as failed.
pub async fn recover_peers(conn: &mut impl ConnectionLike, keys: &Keys, now: &str) -> RedisResult<u32> {
    RECOVER_PEERS
        .key(&keys.workers)
        .key(&keys.queue)
        .key(&keys.events)
        .arg(&keys.processing_prefix)
        .arg(&keys.heartbeat_prefix)
        .arg(&keys.worker_id)
        .arg(&keys.rest_jobs_prefix)
        .arg(&keys.job_prefix)
        .arg(now)
        .invoke_async(conn)
        .await
}

/// How many copies of `message` this worker's processing list holds (one command: a read).
pub async fn copies_held(conn: &mut impl ConnectionLike, keys: &Keys, message: &str) -> RedisResult<usize> {
    let positions: Vec<usize> =
        redis::cmd("LPOS").arg(&keys.processing).arg(message).arg("COUNT").arg(0).query_async(conn).await?;
    Ok(positions.len())
}

/// `reclaim_own.lua`: gives back this worker's messages that no running job holds.
pub async fn reclaim_own(conn: &mut impl ConnectionLike, keys: &Keys, running: &[Vec<u8>]) -> RedisResult<u32> {
    RECLAIM_OWN.key(&keys.processing).key(&keys.queue).arg(running).invoke_async(conn).await
}

/// `end_own_rest.lua`: ends failed the REST jobs an earlier process with this worker id left
/// unfinished (every noted one but `running`); returns how many.
pub async fn end_own_rest(
    conn: &mut impl ConnectionLike,
    keys: &Keys,
    now: &str,
    running: &[String],
) -> RedisResult<u32> {
    END_OWN_REST
        .key(&keys.rest_jobs)
        .key(&keys.events)
        .arg(&keys.job_prefix)
        .arg(&keys.worker_id)
        .arg(now)
        .arg(running)
        .invoke_async(conn)
        .await
}

/// `retire.lua`: gives back what is left and removes this worker's heartbeat.
pub async fn retire(conn: &mut impl ConnectionLike, keys: &Keys) -> RedisResult<u32> {
    RETIRE
        .key(&keys.processing)
        .key(&keys.queue)
        .key(&keys.heartbeat)
        .key(&keys.workers)
        .arg(&keys.worker_id)
        .invoke_async(conn)
        .await
}
