//! Liveness and readiness probes (`/health`, `/readyz`). Both are open even when auth is on:
//! orchestrators call them without credentials.

use std::time::Duration;

use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

use super::ApiState;
use crate::store::RedisLink;

/// The readiness reason when Redis does not answer. Deliberately without Redis' own error text.
pub const REDIS_DOWN: &str = "redis down";

/// How long readiness waits for Redis before calling it down.
const READY_PING_TIMEOUT: Duration = Duration::from_secs(1);

/// Body of `GET /health`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Health {
    /// Always `healthy`: the process answers.
    pub status: String,
    /// `worker.id`.
    pub worker: String,
    /// Seconds since the API started.
    pub uptime_secs: u64,
    /// Jobs running now.
    pub running: usize,
}

/// Body of `GET /readyz`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Readiness {
    /// Whether the worker can take jobs.
    pub ready: bool,
    /// Why not, when not ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Liveness: 200 while the process runs.
#[utoipa::path(get, path = "/health", tag = "probes",
    responses((status = 200, description = "The process is up", body = Health)))]
pub async fn health(State(state): State<ApiState>) -> Json<Health> {
    Json(Health {
        status: "healthy".to_owned(),
        worker: state.app.config.worker.id.clone(),
        uptime_secs: state.started.elapsed().as_secs(),
        running: state.app.store.running(),
    })
}

/// Readiness: 200 only when plugins are loaded, Redis (if enabled) answers within 1 s, and
/// shutdown has not begun.
#[utoipa::path(get, path = "/readyz", tag = "probes",
    responses(
        (status = 200, description = "Ready to take jobs", body = Readiness),
        (status = 503, description = "Not ready, with the reason: `no plugins loaded`, `shutting down` or `redis down`", body = Readiness),
    ))]
pub async fn readyz(State(state): State<ApiState>) -> (StatusCode, Json<Readiness>) {
    match not_ready_reason(&state).await {
        None => (StatusCode::OK, Json(Readiness { ready: true, reason: None })),
        Some(reason) => (StatusCode::SERVICE_UNAVAILABLE, Json(Readiness { ready: false, reason: Some(reason) })),
    }
}

async fn not_ready_reason(state: &ApiState) -> Option<String> {
    let app = &state.app;
    if app.registry.plugins.is_empty() {
        return Some("no plugins loaded".to_owned());
    }
    if !app.store.accepting() {
        return Some("shutting down".to_owned());
    }
    let redis = app.store.redis()?;
    match ping(redis, READY_PING_TIMEOUT).await {
        Ok(()) => None,
        Err(why) => {
            // Redis' words (addresses, users, ACL rules) stay in the log; probes are open to anyone.
            tracing::debug!(why, "not ready");
            Some(REDIS_DOWN.to_owned())
        }
    }
}

/// PINGs Redis; `Err` says why it did not answer in time, for the log. Shared with the metrics
/// gauges.
pub async fn ping(redis: &RedisLink, within: Duration) -> Result<(), String> {
    let mut conn = redis.conn.clone();
    let answer = tokio::time::timeout(within, redis::cmd("PING").query_async::<String>(&mut conn)).await;
    match answer {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(format!("redis: {error}")),
        Err(_) => Err(format!("redis did not answer within {} ms", within.as_millis())),
    }
}
