//! `meetbot run`: assembling the worker, running it, and shutting it down gracefully
//! (docs/REFERENCE.md section 6).

use std::{sync::Arc, time::Duration};

use tokio::{sync::watch, task::JoinHandle};

use crate::{
    api,
    app::App,
    backoff::Backoff,
    broker::{
        ClientError, Connections, Endpoint, Keys,
        permissions::Needs,
        preflight::{self, LaterCheck, Refused},
        scripts,
    },
    browser::{self, BrowserNotFound, Spare, find_executable},
    config::{ArtifactsWhen, Config},
    dispatch::Dispatcher,
    leftovers,
    notify::webhook::Webhooks,
    plugins::Registry,
    queue::{Consumer, FleetSize, Heartbeat, Promoter},
    recorder::Output,
    runner::Browsers,
    shutdown::Signals,
    storage::{Storage, StorageError},
    store::{Control, JobStore, RedisLink},
    workdir::{WorkDir, WorkDirError},
};

/// Why the worker could not start.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// `api.listen` could not be bound.
    #[error("cannot listen on `api.listen` = {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// No Redis client can be built from `redis.url` and the `redis.tls_*` files.
    #[error(transparent)]
    RedisClient(#[from] ClientError),
    /// Redis refuses this worker: credentials, certificates or permissions.
    #[error(transparent)]
    RedisRefused(Box<Refused>),
    /// The metrics recorder could not be installed.
    #[error("cannot install the metrics recorder: {0}")]
    Metrics(String),
    /// A plugin needs a browser and none was found.
    #[error(transparent)]
    Browser(#[from] BrowserNotFound),
    /// The recording store is unusable.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Signal handlers could not be installed.
    #[error("cannot install signal handlers: {0}")]
    Signals(std::io::Error),
    /// This worker's folder under `recording.spool_dir` is unusable.
    #[error(transparent)]
    WorkDir(#[from] WorkDirError),
}

impl From<Refused> for WorkerError {
    fn from(refused: Refused) -> Self {
        Self::RedisRefused(Box::new(refused))
    }
}

impl WorkerError {
    /// Whether the configuration is at fault (Redis URL, TLS files, credentials, permissions): the
    /// process then exits 2, as for a bad config file, and restarting it cannot help.
    pub fn is_configuration(&self) -> bool {
        matches!(self, Self::RedisClient(_) | Self::RedisRefused(_))
    }
}

/// Runs the worker until SIGTERM or SIGINT, then shuts down gracefully. Also shuts down, and
/// returns the refusal, when Redis was down at start-up and refuses this worker once it answers.
pub async fn run(config: Config) -> Result<(), WorkerError> {
    let config = Arc::new(config);
    // TLS for rediss://, S3 and webhooks, all on one crypto provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut signals = Signals::install().map_err(WorkerError::Signals)?;
    let registry = Arc::new(Registry::load(&config.plugins.dirs));
    registry.log_summary();
    let metrics =
        crate::metrics_catalog::install(&config.worker.id).map_err(|e| WorkerError::Metrics(e.to_string()))?;

    let connections = if config.redis.enabled { Some(connect_redis(&config)?) } else { None };
    let mut later_check = match &connections {
        Some(c) => preflight::at_start_up(&c.endpoint, Needs::for_worker(&config), &config.redis).await?,
        None => LaterCheck::default(),
    };
    let redis = connections.as_ref().map(|c| RedisLink { conn: c.shared.clone(), keys: Keys::new(&config) });
    let max_scheduled = usize::try_from(config.redis.max_scheduled).unwrap_or(usize::MAX);
    let store = JobStore::new(config.worker.max_concurrent_jobs, redis.clone(), max_scheduled);
    let mut dispatcher = Dispatcher::new(config.clone(), store.clone(), registry.clone());
    let workdir = WorkDir::open(&config.recording.spool_dir, &config.worker.id)?;
    let tidy = workdir.clone();
    // Recordings and debug artifacts go to the same storage; it is set up when either is wanted.
    let stores = config.recording.enabled || config.debug.artifacts != ArtifactsWhen::Off;
    let storage = if stores { Some(Storage::from_config(&config.storage)?) } else { None };
    leftovers::recover(&workdir, storage.as_ref(), Output::of(&config.recording)).await;
    let mut spare = None;
    if registry.plugins.iter().any(|plugin| plugin.needs_browser) {
        let executable = find_executable(&config.browser.executable)?;
        tracing::info!(browser = %executable.display(), "browser found");
        // The browser's version (for the user agent) is asked now, not when the first job launches.
        tokio::spawn(browser::prepare(executable.clone()));
        let executable = Arc::new(executable);
        if config.browser.spare {
            spare = Some(Spare::start(config.browser.clone(), Arc::clone(&executable), workdir.browsers()));
        }
        dispatcher = dispatcher.with_browser(Browsers { executable, workdir, spare: spare.clone() });
    }
    if let Some(storage) = storage {
        dispatcher = dispatcher.with_storage(storage);
    }
    let app = App { config: config.clone(), store: store.clone(), registry, dispatcher, metrics };

    let (stop_intake_tx, stop_intake) = watch::channel(false);
    let (stop_background_tx, stop_background) = watch::channel(false);
    let (stop_heartbeat_tx, stop_heartbeat) = watch::channel(false);
    let (stop_api_tx, mut stop_api) = watch::channel(false);
    let api_task = start_api(&app, async move {
        let _ = stop_api.wait_for(|stop| *stop).await;
    })
    .await?;

    let upkeep = api::metrics_upkeep::run(app.metrics.clone(), api::metrics_upkeep::EVERY, stop_background.clone());
    let mut background: Vec<JoinHandle<()>> = vec![tokio::spawn(upkeep)];
    if let Some(webhooks) = Webhooks::from_config(&config.notify) {
        let mut stop = stop_background.clone();
        let stopped = async move {
            let _ = stop.wait_for(|stop| *stop).await;
        };
        background.push(tokio::spawn(webhooks.run(store.clone(), stopped)));
    }
    let mut consumer_task = None;
    let mut heartbeat_task = None;
    if let (Some(connections), Some(redis)) = (connections, redis.clone()) {
        let fleet = FleetSize::default();
        let heartbeat = Heartbeat::new(redis.clone(), store.clone(), config.worker.heartbeat_ttl_secs, fleet.clone());
        heartbeat_task = Some(tokio::spawn(heartbeat.run(stop_heartbeat)));
        background.push(tokio::spawn(Promoter::new(redis, fleet).run(stop_background.clone())));
        consumer_task = Some(tokio::spawn(Consumer::new(app.clone(), connections.endpoint).run(stop_intake)));
    }
    tracing::info!(worker = %config.worker.id, slots = config.worker.max_concurrent_jobs,
        redis = config.redis.enabled, "worker running");

    let refused = tokio::select! {
        () = signals.next() => None,
        refused = later_check.refused() => {
            tracing::error!(%refused, "shutting down: redis refuses this worker");
            Some(refused)
        }
    };
    tracing::info!("shutdown: no new work; running meetings may finish");
    store.stop_accepting();
    if let Some(spare) = &spare {
        spare.close().await;
    }
    let _ = stop_intake_tx.send(true);
    store.broadcast(Control::Shutdown);
    if let Some(task) = consumer_task {
        let _ = task.await;
    }
    loop {
        tokio::select! {
            () = store.until_idle() => break,
            () = signals.next() => {
                tracing::warn!("second signal: running meetings leave now");
                store.broadcast(Control::Shutdown);
            }
        }
    }
    // The heartbeat ends before retiring: a beat after `retire` would bring back the heartbeat and
    // membership it removes. A beat in flight may finish (briefly: Redis may be unreachable).
    let _ = stop_heartbeat_tx.send(true);
    if let Some(mut task) = heartbeat_task
        && tokio::time::timeout(Duration::from_secs(2), &mut task).await.is_err()
    {
        task.abort();
    }
    if let Some(redis) = store.redis() {
        // Redis that refuses this worker will not let it retire either: one try, no retries.
        retire(redis, if refused.is_some() { 1 } else { 10 }).await;
    }
    let _ = stop_background_tx.send(true);
    for task in background {
        let _ = task.await;
    }
    let _ = stop_api_tx.send(true);
    if let Some(task) = api_task {
        let _ = task.await;
    }
    tidy.tidy();
    tracing::info!("shutdown complete");
    refused.map_or(Ok(()), |refused| Err(refused.into()))
}

/// The Redis endpoint and its shared connection; nothing waits for the server to be up.
fn connect_redis(config: &Config) -> Result<Connections, WorkerError> {
    let endpoint = Endpoint::open(config)?;
    let shared = endpoint.shared().map_err(|source| ClientError::Url { url: config.redis_url_masked(), source })?;
    Ok(Connections { endpoint, shared })
}

async fn start_api(
    app: &App,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<Option<JoinHandle<()>>, WorkerError> {
    if !app.config.api.enabled {
        return Ok(None);
    }
    let addr = app.config.api.listen.clone();
    let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|source| WorkerError::Listen { addr, source })?;
    if let Ok(local) = listener.local_addr() {
        tracing::info!(listen = %local, "REST API listening");
        let api = &app.config.api;
        if !local.ip().to_canonical().is_loopback() && api.auth_token.is_empty() {
            // Only reachable with `api.allow_unauthenticated = true`: validation refuses it otherwise.
            tracing::warn!(listen = %local, "REST API reachable from other hosts without a token \
                (api.allow_unauthenticated = true): whatever is in front of it must authenticate");
        }
    }
    let app = app.clone();
    Ok(Some(tokio::spawn(async move {
        if let Err(error) = api::serve(app, listener, stop).await {
            tracing::error!(%error, "REST API failed");
        }
    })))
}

/// Gives back whatever is left in this worker's processing list and removes its heartbeat, in at
/// most `attempts` tries.
async fn retire(redis: &RedisLink, attempts: u32) {
    let mut backoff = Backoff::with_cap(Duration::from_secs(2));
    for _ in 0..attempts {
        match scripts::retire(&mut redis.conn.clone(), &redis.keys).await {
            Ok(0) => return,
            Ok(n) => {
                tracing::info!(messages = n, "gave back unstarted messages");
                return;
            }
            Err(error) => tracing::warn!(%error, "cannot retire from redis yet"),
        }
        backoff.wait().await;
    }
    tracing::error!("could not reach redis at exit; peers will recover this worker's messages");
}
