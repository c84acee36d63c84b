//! The names of every Redis key meetbot reads or writes (docs/REFERENCE.md section 5), and the bounds of the
//! lists and the schedule under them.

use crate::config::Config;

/// Key names for one worker, and how long its bounded keys may grow. `Q` is `redis.queue`, `P` is
/// `redis.key_prefix`.
#[derive(Debug, Clone)]
pub struct Keys {
    /// `Q`: the pending list clients RPUSH to.
    pub queue: String,
    /// `Q:processing:<worker.id>`: messages this worker holds.
    pub processing: String,
    /// `Q:processing:`: prefix of every worker's processing list.
    pub processing_prefix: String,
    /// `Q:dead`: the dead-letter list.
    pub dead: String,
    /// `P:worker:<worker.id>`: this worker's heartbeat.
    pub heartbeat: String,
    /// `P:worker:`: prefix of every heartbeat.
    pub heartbeat_prefix: String,
    /// `P:workers`: every worker that has a processing list or runs REST jobs.
    pub workers: String,
    /// `P:heartbeats`: each worker's heartbeat deadline (sorted set, Redis' clock in ms), so recovery
    /// reads only the workers that expired.
    pub heartbeats: String,
    /// `P:rest:<worker.id>`: the REST jobs this worker runs (they have no message in a list).
    pub rest_jobs: String,
    /// `P:rest:`: prefix of every worker's REST job set.
    pub rest_jobs_prefix: String,
    /// `P:job:`: prefix of every job record.
    pub job_prefix: String,
    /// `P:events`: state-change channel.
    pub events: String,
    /// `P:events:stream`: the same events, kept (capped) for consumers that replay what they missed.
    pub event_stream: String,
    /// `P:scheduled`: jobs waiting for their `joinAt`.
    pub scheduled: String,
    /// `P:scheduled:index`: message digest -> scheduled message, so a job is cancelled without
    /// reading the whole schedule.
    pub scheduled_index: String,
    /// `P:attempts`: delivery count per message digest.
    pub attempts: String,
    /// `P:queue:head`: the queue head's digest and when it was first seen there (`queue_head.lua`).
    pub queue_head: String,
    /// Completion records for queue clients.
    pub results: String,
    /// Failure records for queue clients.
    pub failures: String,
    /// This worker's id.
    pub worker_id: String,
    /// `redis.max_scheduled`: most jobs in the schedule.
    pub max_scheduled: u64,
    /// `redis.dead_letter_max_len`: newest dead-letter entries kept.
    pub dead_letter_max_len: u64,
    /// `notify.redis_list_max_len`: newest results/failures records kept.
    pub notify_list_max_len: u64,
    /// `notify.event_stream_max_len`: about how many events the durable stream keeps (0: none).
    pub event_stream_max_len: u64,
    /// `metadata.storage` JSON of the failures records scripts write themselves (jobs ended with
    /// no recording when their worker is gone).
    pub failure_storage: String,
}

impl Keys {
    /// The keys for `config` (whose `worker.id` is already resolved).
    pub fn new(config: &Config) -> Self {
        let q = &config.redis.queue;
        let p = &config.redis.key_prefix;
        let worker = &config.worker.id;
        Self {
            queue: q.clone(),
            processing: format!("{q}:processing:{worker}"),
            processing_prefix: format!("{q}:processing:"),
            dead: format!("{q}:dead"),
            heartbeat: format!("{p}:worker:{worker}"),
            heartbeat_prefix: format!("{p}:worker:"),
            workers: format!("{p}:workers"),
            heartbeats: format!("{p}:heartbeats"),
            rest_jobs: format!("{p}:rest:{worker}"),
            rest_jobs_prefix: format!("{p}:rest:"),
            job_prefix: format!("{p}:job:"),
            events: format!("{p}:events"),
            event_stream: format!("{p}:events:stream"),
            scheduled: format!("{p}:scheduled"),
            scheduled_index: format!("{p}:scheduled:index"),
            attempts: format!("{p}:attempts"),
            queue_head: format!("{p}:queue:head"),
            results: config.notify.redis_results_list.clone(),
            failures: config.notify.redis_failures_list.clone(),
            worker_id: worker.clone(),
            max_scheduled: config.redis.max_scheduled,
            dead_letter_max_len: config.redis.dead_letter_max_len,
            notify_list_max_len: config.notify.redis_list_max_len,
            event_stream_max_len: config.notify.event_stream_max_len,
            failure_storage: crate::storage::described(&config.storage, None).to_string(),
        }
    }

    /// `P:job:<job_id>`: a job record.
    pub fn job(&self, job_id: &str) -> String {
        format!("{}{job_id}", self.job_prefix)
    }

    /// `P:worker:<worker>`: any worker's heartbeat.
    pub fn heartbeat_of(&self, worker: &str) -> String {
        format!("{}{worker}", self.heartbeat_prefix)
    }

    /// `Q:processing:<worker>`: any worker's processing list.
    pub fn processing_of(&self, worker: &str) -> String {
        format!("{}{worker}", self.processing_prefix)
    }

    /// `P:rest:<worker>`: any worker's REST job set.
    pub fn rest_jobs_of(&self, worker: &str) -> String {
        format!("{}{worker}", self.rest_jobs_prefix)
    }
}
