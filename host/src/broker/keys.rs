//! The names of every Redis key meetbot reads or writes (CONTRACT section 5), and the bounds of the
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
    /// `P:rest:<worker.id>`: the REST jobs this worker runs (they have no message in a list).
    pub rest_jobs: String,
    /// `P:rest:`: prefix of every worker's REST job set.
    pub rest_jobs_prefix: String,
    /// `P:job:`: prefix of every job record.
    pub job_prefix: String,
    /// `P:events`: state-change channel.
    pub events: String,
    /// `P:scheduled`: jobs waiting for their `joinAt`.
    pub scheduled: String,
    /// `P:scheduled:index`: message digest -> scheduled message, so a job is cancelled without
    /// reading the whole schedule.
    pub scheduled_index: String,
    /// `P:attempts`: delivery count per message digest.
    pub attempts: String,
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
            rest_jobs: format!("{p}:rest:{worker}"),
            rest_jobs_prefix: format!("{p}:rest:"),
            job_prefix: format!("{p}:job:"),
            events: format!("{p}:events"),
            scheduled: format!("{p}:scheduled"),
            scheduled_index: format!("{p}:scheduled:index"),
            attempts: format!("{p}:attempts"),
            results: config.notify.redis_results_list.clone(),
            failures: config.notify.redis_failures_list.clone(),
            worker_id: worker.clone(),
            max_scheduled: config.redis.max_scheduled,
            dead_letter_max_len: config.redis.dead_letter_max_len,
            notify_list_max_len: config.notify.redis_list_max_len,
        }
    }

    /// `P:job:<job_id>`: a job record.
    pub fn job(&self, job_id: &str) -> String {
        format!("{}{job_id}", self.job_prefix)
    }
}
