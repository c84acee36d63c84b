//! What every part of a running worker shares.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::{config::Config, dispatch::Dispatcher, plugins::Registry, store::JobStore};

/// The running worker's shared parts; cheap to clone.
#[derive(Clone)]
pub struct App {
    /// Effective configuration (worker.id resolved).
    pub config: Arc<Config>,
    /// Slots, running jobs and records.
    pub store: JobStore,
    /// Loaded plugins.
    pub registry: Arc<Registry>,
    /// Starts jobs.
    pub dispatcher: Dispatcher,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
}
