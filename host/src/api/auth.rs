//! Bearer-token authentication (`api.auth_token`): when a token is configured, protected routes
//! answer 401 unless the request carries `Authorization: Bearer <token>`. Probes and metrics stay
//! open (the router simply does not put this layer on them) so orchestrators and scrapers need no
//! secret.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use subtle::ConstantTimeEq;

use super::{ApiState, error::ApiError};

/// Middleware: lets the request through when no token is configured or the right one is given.
/// The token is never logged, not even when it is wrong.
pub async fn require_token(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    if authorized(&state.app.config.api.auth_token, request.headers()) {
        next.run(request).await
    } else {
        tracing::debug!(path = %request.uri().path(), "request without a valid bearer token refused");
        ApiError::Unauthorized.into_response()
    }
}

/// Whether `headers` satisfy `expected` (an empty `expected` means auth is off).
pub fn authorized(expected: &str, headers: &HeaderMap) -> bool {
    if expected.is_empty() {
        return true;
    }
    let Some(given) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(bearer) else {
        return false;
    };
    // Constant time, so response timing does not reveal how much of a guess was right.
    given.as_bytes().ct_eq(expected.as_bytes()).into()
}

/// The credentials of a `Bearer` authorization value; the scheme is case-insensitive (RFC 7235).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with_auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn no_token_configured_lets_everything_through() {
        assert!(authorized("", &HeaderMap::new()));
    }

    #[test]
    fn only_the_exact_bearer_token_passes() {
        assert!(authorized("s3cret", &with_auth("Bearer s3cret")));
        assert!(authorized("s3cret", &with_auth("bearer s3cret")));
        assert!(!authorized("s3cret", &with_auth("Bearer s3cre")));
        assert!(!authorized("s3cret", &with_auth("Bearer s3cretx")));
        assert!(!authorized("s3cret", &with_auth("Basic s3cret")));
        assert!(!authorized("s3cret", &with_auth("s3cret")));
        assert!(!authorized("s3cret", &HeaderMap::new()));
    }
}
