//! Starting jobs: checks that are the same for REST and the queue (provider, URL), a slot, the
//! record, and the runner task.

use std::{path::PathBuf, sync::Arc};

use chrono::{DateTime, TimeDelta, Utc};

use crate::{
    broker::scripts::{self, ScheduleArgs},
    config::Config,
    job::{JobRecord, JobRequest, RequestError, State, record::timestamp},
    plugins::{LoadedPlugin, Registry},
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
    browser: Option<Arc<PathBuf>>,
    storage: Option<Storage>,
}

impl Dispatcher {
    /// A dispatcher over the worker's store and plugins.
    pub fn new(config: Arc<Config>, store: JobStore, registry: Arc<Registry>) -> Self {
        Self { config, store, registry, browser: None, storage: None }
    }

    /// The Chromium executable jobs of browser-based plugins launch.
    pub fn with_browser(mut self, executable: PathBuf) -> Self {
        self.browser = Some(Arc::new(executable));
        self
    }

    /// The plugin for the request's provider, and the request with its URL normalized by it.
    pub fn validate(&self, request: JobRequest) -> Result<(Arc<LoadedPlugin>, JobRequest), SubmitError> {
        let plugin = self.registry.for_provider(&request.provider).ok_or_else(|| SubmitError::UnknownProvider {
            provider: request.provider.clone(),
            loaded: self.registry.providers().join(", "),
        })?;
        let url = plugin.normalize_url(&request.provider, &request.url).map_err(SubmitError::InvalidUrl)?;
        Ok((plugin, request.with_normalized_url(url)))
    }

    /// Starts a job received over REST: validated, given a slot and a record, and running when
    /// this returns. The returned record is the job's first.
    pub async fn submit_rest(&self, request: JobRequest) -> Result<JobRecord, SubmitError> {
        let (plugin, request) = self.validate(request)?;
        let job_id = request.job_id();
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
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let mut record = JobRecord::new(&job_id, &request, &self.config.worker.id, &correlation_id, State::Joining);
        record.started_at = record.created_at.clone();
        let active = self.store.register(record.clone(), Origin::Rest, slot).await?;
        self.spawn(active, request, plugin);
        Ok(record)
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
                    due_ms: due.timestamp_millis(),
                    now: &now,
                    correlation_id: &correlation_id,
                    fields: &fields,
                };
                let scheduled = scripts::schedule(&mut redis.conn.clone(), &redis.keys, args)
                    .await
                    .map_err(|e| SubmitError::Store(e.to_string()))?;
                if !scheduled {
                    return Err(SubmitError::Duplicate(job_id));
                }
            }
            None => {
                self.store.remember(record.clone());
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
        let wait = (due - Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait).await;
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

    /// Runs a registered job in its own task.
    pub fn spawn(&self, active: ActiveJob, request: JobRequest, plugin: Arc<LoadedPlugin>) {
        let runner = crate::runner::Runner::new(
            self.config.clone(),
            self.store.clone(),
            self.browser.clone(),
            self.storage.clone(),
        );
        tokio::spawn(runner.run(active, request, plugin));
    }
}
