//! The REST API (docs/REFERENCE.md section 4): the original service's endpoints for its existing clients,
//! the project's own `/v1` endpoints, probes, metrics and the OpenAPI document.
//!
//! Safe by default: loopback only unless a token guards it (checked with the configuration),
//! requests from foreign web origins refused (`origin`), JSON bodies only (`body`), and every
//! connection bounded in time and number (`server`).
//!
//! Handlers are thin: parsing and validation live in `job`, starting jobs in `dispatch`, records
//! in `store`; this module maps their results to the contract's status codes and bodies.

pub mod auth;
pub mod body;
pub mod compat;
pub mod error;
pub mod metrics;
pub mod metrics_upkeep;
pub mod openapi;
pub mod origin;
pub mod plugins;
pub mod probes;
pub mod server;
pub mod v1;

#[cfg(test)]
mod tests;

use std::time::Instant;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    middleware,
    response::IntoResponse,
    routing::{get, post},
};
use tower_http::trace::{DefaultMakeSpan, DefaultOnRequest, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::app::App;

/// What every handler sees: the worker's shared parts and when the API started.
#[derive(Clone)]
pub struct ApiState {
    /// The worker.
    pub app: App,
    /// When the router was built, for `/health`'s uptime.
    pub started: Instant,
}

/// The API's routes over `app`. Everything but `/health`, `/readyz` and `/metrics` requires the
/// bearer token when `api.auth_token` is set.
pub fn router(app: App) -> Router {
    let state = ApiState { app, started: Instant::now() };
    let protected = Router::new()
        .route("/google/join", post(compat::join_google))
        .route("/microsoft/join", post(compat::join_microsoft))
        .route("/zoom/join", post(compat::join_zoom))
        .route("/isbusy", get(compat::is_busy))
        .route("/v1/jobs", post(v1::create).get(v1::list))
        .route("/v1/jobs/{id}", get(v1::get).delete(v1::cancel))
        .route("/v1/plugins", get(plugins::list))
        .route("/openapi.json", get(openapi::document))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require_token));
    let open = Router::new()
        .route("/health", get(probes::health))
        .route("/readyz", get(probes::readyz))
        .route("/metrics", get(metrics::render));
    // Request lines at debug level: at info a busy worker's logs would be mostly probes and
    // scrapes. Headers are not recorded, so the bearer token never reaches the logs.
    let trace = TraceLayer::new_for_http()
        .make_span_with(DefaultMakeSpan::new().level(Level::DEBUG))
        .on_request(DefaultOnRequest::new().level(Level::DEBUG))
        .on_response(DefaultOnResponse::new().level(Level::DEBUG));
    let mut routes = protected.merge(open).fallback(not_found).layer(DefaultBodyLimit::max(body::BODY_LIMIT));
    if let Some(cors) = origin::cors(&state.app.config.api.allowed_origins) {
        routes = routes.layer(cors);
    }
    // Outside CORS, so a foreign origin's preflight is refused too rather than answered.
    routes
        .layer(middleware::from_fn_with_state(state.clone(), origin::require_allowed_origin))
        .layer(trace)
        .with_state(state)
}

/// Unknown paths answer in the API's error shape too.
async fn not_found() -> impl IntoResponse {
    error::ApiError::NotFound("no such endpoint".to_owned())
}

/// Serves the API on `listener` within the connection limits of `api.*` until `shutdown`
/// resolves, then lets in-flight requests finish.
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = server::Limits::of(&app.config.api);
    server::serve(router(app), listener, limits, shutdown).await
}
