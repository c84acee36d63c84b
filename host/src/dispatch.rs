//! Starting jobs: checks that are the same for REST and the queue (provider, URL), a slot, the
//! record, and the runner task.

use std::{path::PathBuf, sync::Arc};

use crate::{
    config::Config,
    job::{JobRecord, JobRequest, RequestError},
    plugins::{LoadedPlugin, Registry},
    storage::Storage,
    store::{ActiveJob, JobStore, Origin, StartError},
};

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
        if self.store.is_active(&job_id) {
            return Err(SubmitError::Duplicate(job_id));
        }
        let slot = match self.store.try_reserve() {
            Some(slot) => slot,
            None if !self.store.accepting() => return Err(SubmitError::ShuttingDown),
            None => return Err(SubmitError::Busy),
        };
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let mut record =
            JobRecord::new(&job_id, &request, &self.config.worker.id, &correlation_id, crate::job::State::Joining);
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

    /// Runs a registered job in its own task.
    pub fn spawn(&self, active: ActiveJob, request: JobRequest, plugin: Arc<LoadedPlugin>) {
        let runner =
            crate::runner::Runner::new(self.config.clone(), self.store.clone(), self.browser.clone(), self.storage.clone());
        tokio::spawn(runner.run(active, request, plugin));
    }
}
