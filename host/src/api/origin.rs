//! The `Origin` allow-list (docs/REFERENCE.md section 4): a request carrying an `Origin` header that is not
//! listed in `api.allowed_origins` is refused with 403, whatever its route or method. Browsers
//! send `Origin` with every cross-origin request and with every POST and DELETE, so no web page a
//! browser visits can start or cancel a bot, nor read anything, even through a DNS-rebinding name
//! that resolves to the worker. Clients that are not browsers (servers, curl, probes) send no
//! `Origin` and are not affected.
//!
//! Listed origins get CORS headers (through `tower-http`), since a browser application served
//! from them cannot use the API without: methods GET, POST and DELETE, headers `Authorization`
//! and `Content-Type`, no credentials (the API authenticates with a bearer token, not cookies).
//! With no origin listed, no CORS header is ever sent.

use std::time::Duration;

use axum::{
    extract::{Request, State},
    http::{HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::{ApiState, error::ApiError};

/// How long a browser may cache a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// Middleware: refuses requests from origins not in `api.allowed_origins`.
pub async fn require_allowed_origin(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    match request.headers().get(header::ORIGIN) {
        Some(origin) if !allowed(&state.app.config.api.allowed_origins, origin) => {
            tracing::debug!(path = %request.uri().path(), ?origin, "request from a web page of a foreign origin refused");
            ApiError::Forbidden("origin not allowed".to_owned()).into_response()
        }
        _ => next.run(request).await,
    }
}

/// Whether `origin` is one of `allowed`: byte for byte, as browsers serialize origins (the
/// configuration is checked to be in that form).
pub fn allowed(allowed: &[String], origin: &HeaderValue) -> bool {
    allowed.iter().any(|listed| listed.as_bytes() == origin.as_bytes())
}

/// CORS for the allowed origins; `None` when none is listed.
pub fn cors(allowed: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = allowed.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()).collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .max_age(PREFLIGHT_MAX_AGE),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exactly_listed_origins_are_allowed() {
        let list = vec!["https://app.example.com".to_owned(), "http://localhost:8080".to_owned()];
        let origin = |value: &str| HeaderValue::from_str(value).expect("header");
        assert!(allowed(&list, &origin("https://app.example.com")));
        assert!(allowed(&list, &origin("http://localhost:8080")));
        for foreign in [
            "https://evil.example",
            "http://app.example.com",
            "https://app.example.com.evil.example",
            "https://app.example.com:443",
            "http://localhost:8081",
            "null",
            "",
        ] {
            assert!(!allowed(&list, &origin(foreign)), "{foreign}");
        }
        assert!(!allowed(&[], &origin("https://app.example.com")), "nothing is allowed by default");
    }

    #[test]
    fn no_cors_without_allowed_origins() {
        assert!(cors(&[]).is_none());
        assert!(cors(&["https://app.example.com".to_owned()]).is_some());
    }
}
