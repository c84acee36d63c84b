//! Starting jobs: checks that are the same for REST and the queue (provider, URL), a slot, the
//! record, and the runner task.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use crate::{
    broker::{
        RECORD_TTL_SECS,
        scripts::{self, ScheduleArgs, Scheduled},
    },
    config::Config,
    job::{JobRecord, JobRequest, Reason, RequestError, State, record::timestamp},
    notify,
    plugins::{LoadedPlugin, Registry},
    runner::{Browsers, ReportTap},
    storage::Storage,
    store::{ActiveJob, JobStore, Origin, StartError},
};

/// A job due within this much runs now rather than waiting in the schedule.
pub const SCHEDULE_SLACK: TimeDelta = TimeDelta::seconds(1);

/// Why a job was not started.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The request is not a valid job.
    #[error("{0}")]
    Invalid(#[from] RequestError),
    /// No loaded plugin serves the provider.
    #[error("unknown provider `{provider}` (loaded: {loaded})")]
    UnknownProvider {
        /// The provider asked for.
        provider: String,
        /// Providers that are loaded, comma-separated.
        loaded: String,
    },
    /// The plugin refused the URL.
    #[error("invalid meeting URL: {0}")]
    InvalidUrl(String),
    /// Every slot is taken.
    #[error("Another meeting is currently being processed. Please try again later.")]
    Busy,
    /// Shutdown has begun.
    #[error("Another meeting is currently being processed. Please try again later.")]
    ShuttingDown,
    /// The same job id is active.
    #[error("a job with id `{0}` is already active")]
    Duplicate(String),
    /// The schedule holds `redis.max_scheduled` jobs.
    #[error("schedule_full: {0} jobs already wait for their joinAt (redis.max_scheduled)")]
    ScheduleFull(u64),
    /// Redis failed.
    #[error("job store unavailable: {0}")]
    Store(String),
}

impl From<StartError> for SubmitError {
    fn from(error: StartError) -> Self {
        match error {
            StartError::Duplicate(id) => SubmitError::Duplicate(id),
            StartError::Redis(e) => SubmitError::Store(e.to_string()),
        }
    }
}

/// Starts jobs; shared by the REST API and the queue consumer.
#[derive(Clone)]
pub struct Dispatcher {
    config: Arc<Config>,
    store: JobStore,
    registry: Arc<Registry>,
    browser: Option<Browsers>,
    storage: Option<Storage>,
    tap: Option<ReportTap>,
}

impl Dispatcher {
    /// A dispatcher over the worker's store and plugins.
    pub fn new(config: Arc<Config>, store: JobStore, registry: Arc<Registry>) -> Self {
        Self { config, store, registry, browser: None, storage: None, tap: None }
    }

    /// The Chromium jobs of browser-based plugins launch, and the folder they work in.
    pub fn with_browser(mut self, browsers: Browsers) -> Self {
        self.browser = Some(browsers);
        self
    }

    /// The plugin for the request's provider, and the request with its URL normalized by it.
    pub fn validate(&self, request: JobRequest) -> Result<(Arc<LoadedPlugin>, JobRequest), SubmitError> {
        let plugin = self.registry.for_provider(&request.provider).ok_or_else(|| SubmitError::UnknownProvider {
            provider: request.provider.clone(),
            loaded: self.registry.providers().join(", "),
        })?;
        let url = plugin
            .normalize_url(&request.provider, &request.url)
            .map_err(|e| SubmitError::InvalidUrl(e.to_string()))?;
        Ok((plugin, request.with_normalized_url(url)))
    }

    /// Starts a job received over REST: validated, given a slot and a record, and running when
    /// this returns. The returned record is the job's first.
    pub async fn submit_rest(&self, request: JobRequest) -> Result<JobRecord, SubmitError> {
        let (plugin, request) = self.validate(request)?;
        let job_id = request.job_id().to_owned();
        if self.store.is_active(&job_id) || self.store.is_scheduled_here(&job_id) {
            return Err(SubmitError::Duplicate(job_id));
        }
        if let Some(due) = request.join_at.filter(|at| *at > Utc::now() + SCHEDULE_SLACK) {
            return self.schedule_rest(request, plugin, job_id, due).await;
        }
        self.start_now(request, plugin, job_id).await
    }

    /// Takes a slot and starts the job at once.
    async fn start_now(
        &self,
        request: JobRequest,
        plugin: Arc<LoadedPlugin>,
        job_id: String,
    ) -> Result<JobRecord, SubmitError> {
        let slot = match self.store.try_reserve() {
            Some(slot) => slot,
            None if !self.store.accepting() => return Err(SubmitError::ShuttingDown),
            None => return Err(SubmitError::Busy),
        };
        let Some(starting) = self.store.begin_start(&job_id) else {
            return Err(SubmitError::Duplicate(job_id));
        };
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let mut record = JobRecord::new(&job_id, &request, &self.config.worker.id, &correlation_id, State::Joining);
        record.started_at = record.created_at.clone();
        let active = self.store.register(starting, record.clone(), Origin::Rest, slot).await?;
        self.spawn(active, request, plugin);
        Ok(record)
    }

    /// Every job's runner sends a copy of each plugin report to `tap` (`meetbot check-plugin`).
    pub fn with_report_tap(mut self, tap: ReportTap) -> Self {
        self.tap = Some(tap);
        self
    }

    /// Where recordings are stored.
    pub fn with_storage(mut self, storage: Storage) -> Self {
        self.storage = Some(storage);
        self
    }

    /// A REST job due later waits for its joinAt: with Redis in the same schedule as queue jobs
    /// (any worker runs it when due, and it survives restarts), without Redis in this process.
    async fn schedule_rest(
        &self,
        request: JobRequest,
        plugin: Arc<LoadedPlugin>,
        job_id: String,
        due: DateTime<Utc>,
    ) -> Result<JobRecord, SubmitError> {
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let record = JobRecord::new(&job_id, &request, &self.config.worker.id, &correlation_id, State::Scheduled);
        match self.store.redis() {
            Some(redis) => {
                let message = request.to_message();
                let fields = record.to_fields();
                let now = timestamp(Utc::now());
                let args = ScheduleArgs {
                    job_id: &job_id,
                    message: &message,
                    from_queue: false,
                    due_ms: due.timestamp_millis(),
                    record_ttl_secs: record_ttl_until(due),
                    now: &now,
                    correlation_id: &correlation_id,
                    fields: &fields,
                };
                let scheduled = scripts::schedule(&mut redis.conn.clone(), &redis.keys, args)
                    .await
                    .map_err(|e| SubmitError::Store(e.to_string()))?;
                match scheduled {
                    Scheduled::Ok => {}
                    Scheduled::Duplicate => return Err(SubmitError::Duplicate(job_id)),
                    Scheduled::Full => return Err(SubmitError::ScheduleFull(redis.keys.max_scheduled)),
                }
            }
            None => {
                self.store
                    .remember_scheduled(record.clone())
                    .map_err(|full| SubmitError::ScheduleFull(full.0 as u64))?;
                let dispatcher = self.clone();
                let job = record.job_id.clone();
                tokio::spawn(async move { dispatcher.start_when_due(request, plugin, job, due).await });
            }
        }
        tracing::info!(job_id = %record.job_id, correlation_id, join_at = %due.to_rfc3339(), "job scheduled");
        self.store.announce(&record);
        Ok(record)
    }

    /// Without Redis: at its time, the scheduled job starts as soon as a slot is free, unless it
    /// was cancelled meanwhile.
    async fn start_when_due(&self, request: JobRequest, plugin: Arc<LoadedPlugin>, job_id: String, due: DateTime<Utc>) {
        // A time however far ahead waits in slices tokio's timer can hold.
        while let Some(wait) = (due - Utc::now()).to_std().ok().filter(|wait| !wait.is_zero()) {
            tokio::time::sleep(wait.min(std::time::Duration::from_secs(24 * 3600))).await;
            if !self.store.is_scheduled_here(&job_id) {
                return;
            }
        }
        loop {
            if !self.store.is_scheduled_here(&job_id) {
                return;
            }
            match self.start_now(request.clone(), plugin.clone(), job_id.clone()).await {
                Err(SubmitError::Busy) => self.store.slots().until_free().await,
                Err(SubmitError::Duplicate(_)) => tokio::task::yield_now().await,
                Err(error) => {
                    tracing::error!(job_id, %error, "scheduled job could not start");
                    return;
                }
                Ok(_) => return,
            }
        }
    }

    /// Runs a registered job in its own task, watched: a runner that panics still ends its job
    /// `failed/internal_error` (its slot was freed when the task unwound), so the job never stays
    /// active and shutdown never waits for it.
    pub fn spawn(&self, active: ActiveJob, request: JobRequest, plugin: Arc<LoadedPlugin>) {
        let runner = crate::runner::Runner::new(
            self.config.clone(),
            self.store.clone(),
            self.browser.clone(),
            self.storage.clone(),
        )
        .with_tap(self.tap.clone());
        let job_id = active.job_id().to_owned();
        let running = tokio::spawn(runner.run(active, request, plugin));
        tokio::spawn(watch(self.store.clone(), self.config.clone(), job_id, running));
    }
}

/// Waits for a job's task; if it failed (a panic), ends the job `failed/internal_error`.
async fn watch(store: JobStore, config: Arc<Config>, job_id: String, running: tokio::task::JoinHandle<()>) {
    let Err(error) = running.await else {
        return;
    };
    let detail: String = format!("the job's task failed: {}", panic_text(error)).chars().take(300).collect();
    tracing::error!(job_id, detail, "job task panicked; ending the job");
    let notify = |record: &JobRecord| Some(notify::results::client_record(&config, record, Some(&detail)));
    store.finish(&job_id, Reason::InternalError, Some(detail.clone()), notify).await;
}

/// A task's panic message, as far as it can be read.
fn panic_text(error: tokio::task::JoinError) -> String {
    match error.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned()),
        Err(error) => error.to_string(),
    }
}

/// How long a scheduled job's record lives: until 7 days after it is due (docs/REFERENCE.md section 5).
pub fn record_ttl_until(due: DateTime<Utc>) -> u64 {
    let ahead = (due - Utc::now()).num_seconds().max(0).unsigned_abs();
    RECORD_TTL_SECS.saturating_add(ahead)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_job_whose_task_panics_ends_failed_frees_its_slot_and_never_blocks_shutdown() {
        let store = JobStore::new(1, None, 10);
        let request = JobRequest::from_message(
            r#"{"url":"u","provider":"p","name":"n","teamId":"t","userId":"u1","bearerToken":"b","timezone":"UTC","botId":"boom"}"#,
        )
        .expect("valid");
        let record = JobRecord::new("boom", &request, "w", "c", State::Joining);
        let slot = store.try_reserve().expect("a free slot");
        let starting = store.begin_start("boom").expect("a free id");
        let active = store.register(starting, record, Origin::Rest, slot).await.expect("registered");
        let running = tokio::spawn(async move {
            let _holds_the_slot = active;
            panic!("a bug in the runner");
        });
        watch(store.clone(), Arc::new(Config::default()), "boom".to_owned(), running).await;

        let record = store.get("boom").await.expect("read").expect("a record");
        assert_eq!((record.state, record.reason), (State::Failed, Some(Reason::InternalError)));
        assert!(record.detail.as_deref().is_some_and(|d| d.contains("a bug in the runner")), "{record:?}");
        assert_eq!(store.slots().free(), 1, "the slot is free");
        tokio::time::timeout(std::time::Duration::from_secs(1), store.until_idle()).await.expect("idle at once");
    }
}
