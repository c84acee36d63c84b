//! `meetbot status`: the fleet as Redis sees it, for an operator at a terminal or a script. It
//! reads only (the commands are listed in the README), never lists keys (only the known ones: the
//! worker set names every worker's keys), and every part is bounded: at most [`MAX_WORKERS`]
//! workers with at most [`MAX_JOBS`] jobs each, and the newest [`DEAD_READ`] dead letters.

mod render;

use std::collections::{BTreeMap, HashMap};

use redis::aio::MultiplexedConnection;
use serde::Serialize;

pub use render::human;

use crate::{
    broker::{ClientError, Endpoint, Keys},
    config::Config,
    job::{JobRequest, id},
};

/// Most workers shown (the worker set is sorted by id; the rest are only counted).
pub const MAX_WORKERS: usize = 200;
/// Most jobs shown per worker.
pub const MAX_JOBS: usize = 20;
/// Newest dead letters read to count them by reason.
pub const DEAD_READ: usize = 1000;

/// Why the status could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// No client can be built from the configuration.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Redis failed.
    #[error("redis ({url}): {source}")]
    Redis {
        /// The URL, password masked.
        url: String,
        /// The error.
        source: redis::RedisError,
    },
}

/// The fleet at one moment.
#[derive(Debug, Serialize)]
pub struct FleetStatus {
    /// Redis' clock when read (unix ms): every age below is measured on it.
    pub now_ms: u64,
    /// The queue.
    pub queue: QueueStatus,
    /// The schedule.
    pub scheduled: ScheduledStatus,
    /// The dead-letter list.
    pub dead_letters: DeadLetterStatus,
    /// Workers in the worker set.
    pub workers_known: usize,
    /// Of them, those whose heartbeat key lives (among those shown).
    pub workers_alive: usize,
    /// The first [`MAX_WORKERS`] workers by id.
    pub workers: Vec<WorkerStatus>,
}

/// The pending queue.
#[derive(Debug, Serialize)]
pub struct QueueStatus {
    /// Messages waiting.
    pub depth: u64,
    /// How long the message at the head has waited, as the fleet timed it (`queue_head.lua`);
    /// `None` when the queue is empty or no worker has seen this head yet.
    pub oldest_wait_secs: Option<f64>,
}

/// The schedule of jobs waiting for their `joinAt`.
#[derive(Debug, Serialize)]
pub struct ScheduledStatus {
    /// Jobs scheduled.
    pub count: u64,
    /// The next one due.
    pub next: Option<ScheduledJob>,
}

/// One scheduled job.
#[derive(Debug, Serialize)]
pub struct ScheduledJob {
    /// Its job id.
    pub job_id: String,
    /// When it is due (unix ms).
    pub due_ms: u64,
}

/// The dead-letter list.
#[derive(Debug, Serialize)]
pub struct DeadLetterStatus {
    /// Entries in the list.
    pub depth: u64,
    /// Entries read (the newest, at most [`DEAD_READ`]).
    pub read: usize,
    /// The entries read, counted by reason (`unreadable` for an entry that is not the JSON the
    /// workers write).
    pub by_reason: BTreeMap<String, u64>,
}

/// One worker of the worker set.
#[derive(Debug, Serialize)]
pub struct WorkerStatus {
    /// Its id.
    pub id: String,
    /// Whether its heartbeat key lives.
    pub alive: bool,
    /// Its process id, from the heartbeat.
    pub pid: Option<u64>,
    /// When its process started, from the heartbeat.
    pub started_at: Option<String>,
    /// Jobs it holds: messages in its processing list and REST jobs.
    pub jobs_total: u64,
    /// The first [`MAX_JOBS`] of them.
    pub jobs: Vec<HeldJob>,
}

/// A job a worker holds.
#[derive(Debug, Serialize)]
pub struct HeldJob {
    /// The job id.
    pub job_id: String,
    /// `queue` (a message in the processing list) or `rest`.
    pub source: &'static str,
    /// Its record's state (none when the record is gone).
    pub state: Option<String>,
    /// Its record's provider.
    pub provider: Option<String>,
    /// Its record's delivery count.
    pub attempt: Option<String>,
    /// When the bot started joining.
    pub started_at: Option<String>,
}

/// Reads the fleet's status from the Redis of `config`.
pub async fn read(config: &Config) -> Result<FleetStatus, StatusError> {
    let url = config.redis_url_masked();
    let redis_error = |source| StatusError::Redis { url: url.clone(), source };
    let client = Endpoint::open(config)?.client().await.map_err(|e| redis_error(e.into()))?;
    let mut conn = client.get_multiplexed_async_connection().await.map_err(redis_error)?;
    gather(&mut conn, &Keys::new(config)).await.map_err(redis_error)
}

/// Everything, in three round trips whatever the fleet's size: the queue, schedule, dead letters and
/// worker set; each shown worker's heartbeat and jobs; the jobs' records.
async fn gather(conn: &mut MultiplexedConnection, keys: &Keys) -> redis::RedisResult<FleetStatus> {
    #[allow(clippy::type_complexity)]
    let ((secs, micros), depth, head, seen, scheduled, next, dead_depth, dead, mut workers): (
        (u64, u64),
        u64,
        Vec<String>,
        (Option<String>, Option<u64>),
        u64,
        Vec<(String, f64)>,
        u64,
        Vec<String>,
        Vec<String>,
    ) = redis::pipe()
        .cmd("TIME")
        .llen(&keys.queue)
        .lrange(&keys.queue, 0, 0)
        .hmget(&keys.queue_head, &["digest", "since_ms"])
        .zcard(&keys.scheduled)
        .zrange_withscores(&keys.scheduled, 0, 0)
        .llen(&keys.dead)
        .lrange(&keys.dead, -(DEAD_READ as isize), -1)
        .smembers(&keys.workers)
        .query_async(conn)
        .await?;
    let now_ms = secs * 1000 + micros / 1000;
    let oldest_wait_secs = head.first().and_then(|message| match seen {
        (Some(digest), Some(since)) if digest == sha1_smol::Sha1::from(message).digest().to_string() => {
            Some(now_ms.saturating_sub(since) as f64 / 1000.0)
        }
        _ => None,
    });
    let next =
        next.into_iter().next().map(|(message, due)| ScheduledJob { job_id: job_id(&message), due_ms: due as u64 });
    workers.sort();
    let workers_known = workers.len();
    workers.truncate(MAX_WORKERS);
    let workers = read_workers(conn, keys, &workers).await?;
    Ok(FleetStatus {
        now_ms,
        queue: QueueStatus { depth, oldest_wait_secs },
        scheduled: ScheduledStatus { count: scheduled, next },
        dead_letters: DeadLetterStatus { depth: dead_depth, read: dead.len(), by_reason: by_reason(&dead) },
        workers_known,
        workers_alive: workers.iter().filter(|w| w.alive).count(),
        workers,
    })
}

/// Each worker's heartbeat and held jobs (one pipeline), then the jobs' records (another).
async fn read_workers(
    conn: &mut MultiplexedConnection,
    keys: &Keys,
    ids: &[String],
) -> redis::RedisResult<Vec<WorkerStatus>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for worker in ids {
        let processing = format!("{}{worker}", keys.processing_prefix);
        // A worker's REST set holds at most its slots' worth of jobs: read whole.
        let rest = format!("{}{worker}", keys.rest_jobs_prefix);
        pipe.get(format!("{}{worker}", keys.heartbeat_prefix))
            .llen(&processing)
            .lrange(&processing, 0, MAX_JOBS as isize - 1)
            .scard(&rest)
            .smembers(&rest);
    }
    // Per worker: heartbeat, processing list length and head, REST set size and members.
    type Held = (Option<String>, u64, Vec<String>, u64, Vec<String>);
    let held: Vec<Held> = pipe.query_async(conn).await?;
    let mut workers = Vec::with_capacity(ids.len());
    let mut records = redis::pipe();
    for (id, (heartbeat, queued, messages, rest_count, mut rest)) in ids.iter().zip(held) {
        let info: HashMap<String, serde_json::Value> =
            heartbeat.as_deref().and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
        rest.sort();
        let jobs: Vec<HeldJob> = messages
            .iter()
            .map(|message| held_job(job_id(message), "queue"))
            .chain(rest.into_iter().map(|job| held_job(job, "rest")))
            .take(MAX_JOBS)
            .collect();
        for job in &jobs {
            records.hmget(keys.job(&job.job_id), &["state", "provider", "attempt", "started_at"]);
        }
        workers.push(WorkerStatus {
            id: id.clone(),
            alive: heartbeat.is_some(),
            pid: info.get("pid").and_then(serde_json::Value::as_u64),
            started_at: info.get("started_at").and_then(|v| v.as_str()).map(str::to_owned),
            jobs_total: queued + rest_count,
            jobs,
        });
    }
    type Fields = (Option<String>, Option<String>, Option<String>, Option<String>);
    let fields: Vec<Fields> = if records.is_empty() { Vec::new() } else { records.query_async(conn).await? };
    let mut fields = fields.into_iter();
    for job in workers.iter_mut().flat_map(|w| w.jobs.iter_mut()) {
        if let Some((state, provider, attempt, started_at)) = fields.next() {
            (job.state, job.provider, job.attempt, job.started_at) = (state, provider, attempt, started_at);
        }
    }
    Ok(workers)
}

fn held_job(job_id: String, source: &'static str) -> HeldJob {
    HeldJob { job_id, source, state: None, provider: None, attempt: None, started_at: None }
}

/// The job id of a queue message, as a worker would derive it.
fn job_id(message: &str) -> String {
    JobRequest::from_message(message).map_or_else(|_| id::derived_from(message), |request| request.job_id().to_owned())
}

/// Dead-letter entries counted by their `reason`.
fn by_reason(entries: &[String]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for entry in entries {
        let reason = serde_json::from_str::<serde_json::Value>(entry)
            .ok()
            .and_then(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_owned))
            .unwrap_or_else(|| "unreadable".to_owned());
        *counts.entry(reason).or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_letters_count_by_reason() {
        let entries = [
            r#"{"reason":"duplicate","message":"x"}"#.to_owned(),
            r#"{"reason":"duplicate"}"#.to_owned(),
            r#"{"reason":"invalid_message"}"#.to_owned(),
            "not json".to_owned(),
        ];
        let counts = by_reason(&entries);
        assert_eq!(counts.get("duplicate"), Some(&2));
        assert_eq!(counts.get("invalid_message"), Some(&1));
        assert_eq!(counts.get("unreadable"), Some(&1));
    }

    #[test]
    fn a_message_without_ids_gets_the_derived_job_id() {
        assert_eq!(job_id("not a job"), id::derived_from("not a job"));
    }
}
