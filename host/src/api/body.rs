//! Job request bodies: a JSON object, declared as such, arriving in time; and their documented
//! shape.
//!
//! The body must be sent with `Content-Type: application/json` (parameters such as
//! `; charset=utf-8` allowed), else 415 (docs/REFERENCE.md section 4). This is what keeps web pages out: a
//! page can make a browser send a cross-site POST without asking the API first only with a
//! "simple" content type (`text/plain`, forms), never with `application/json`, which needs a CORS
//! preflight that a foreign origin never passes.

use std::{collections::BTreeMap, time::Duration};

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{HeaderMap, StatusCode, header},
};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{ApiState, error::ApiError};

/// Largest request body accepted: the same limit as a queue message, so a job that is fine over
/// REST is fine on the queue too.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A request body that is a JSON object. Anything else is refused in the API's error shape rather
/// than with axum's plain-text rejections: 415 when not declared as JSON, 408 when it does not
/// arrive within `api.body_timeout_secs`, 413 over [`BODY_LIMIT`], 400 when it is not an object.
#[derive(Debug, Clone)]
pub struct JsonObject(pub Map<String, Value>);

impl FromRequest<ApiState> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &ApiState) -> Result<Self, Self::Rejection> {
        if !declares_json(request.headers()) {
            return Err(ApiError::UnsupportedMediaType("Content-Type must be application/json".to_owned()));
        }
        let within = Duration::from_secs(state.app.config.api.body_timeout_secs);
        let read = tokio::time::timeout(within, Bytes::from_request(request, state)).await;
        let read = read.map_err(|_| {
            ApiError::RequestTimeout(format!("request body not received within {} s", within.as_secs()))
        })?;
        let bytes = read.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(format!("request body is over the {} KiB limit", BODY_LIMIT / 1024))
            } else {
                ApiError::BadRequest(rejection.body_text())
            }
        })?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(ApiError::BadRequest("request body must be a JSON object".to_owned())),
            Err(error) => Err(ApiError::BadRequest(format!("request body is not valid JSON: {error}"))),
        }
    }
}

/// Whether `Content-Type` is `application/json`, in any case, with or without parameters.
/// Suffixed types (`application/ld+json`) are refused too: the contract names one type.
pub fn declares_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// A job for `POST /v1/jobs` (docs/REFERENCE.md section 3). Documentation only: bodies are parsed by
/// `JobRequest`, which reports every missing field at once.
#[derive(Serialize, ToSchema)]
#[schema(as = Job)]
#[serde(rename_all = "camelCase")]
pub struct JobBody {
    /// The meeting link; the provider's plugin validates it.
    pub url: String,
    /// `google`, `microsoft`, `zoom`, or any provider a loaded plugin declares.
    pub provider: String,
    /// The bot's display name.
    pub name: String,
    /// Opaque owner id (string or number).
    pub team_id: String,
    /// Opaque owner id (string or number).
    pub user_id: String,
    /// Opaque token for storage/notify integrations; never logged or echoed.
    pub bearer_token: String,
    /// IANA time zone, used for recording names.
    pub timezone: String,
    /// Becomes the job id when present.
    pub bot_id: Option<String>,
    /// Becomes the job id when present and `botId` is not.
    pub event_id: Option<String>,
    /// RFC 3339 time; a job due later waits in a schedule.
    pub join_at: Option<String>,
    /// Per-job overrides of `auto_leave.*`, e.g. `{"max_duration_secs": 600}`.
    pub auto_leave: Option<BTreeMap<String, u64>>,
}

/// A job for `POST /{google,microsoft,zoom}/join`: the provider comes from the path. At least
/// one of `botId` and `eventId` is required. Documentation only, like [`JobBody`].
#[derive(Serialize, ToSchema)]
#[schema(as = CompatJob)]
#[serde(rename_all = "camelCase")]
pub struct CompatJobBody {
    /// The meeting link; the provider's plugin validates it.
    pub url: String,
    /// The bot's display name.
    pub name: String,
    /// Opaque owner id (string or number).
    pub team_id: String,
    /// Opaque owner id (string or number).
    pub user_id: String,
    /// Opaque token for storage/notify integrations; never logged or echoed.
    pub bearer_token: String,
    /// IANA time zone, used for recording names.
    pub timezone: String,
    /// Becomes the job id when present.
    pub bot_id: Option<String>,
    /// Becomes the job id when present and `botId` is not.
    pub event_id: Option<String>,
    /// RFC 3339 time; a job due later waits in a schedule.
    pub join_at: Option<String>,
    /// Per-job overrides of `auto_leave.*`.
    pub auto_leave: Option<BTreeMap<String, u64>>,
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with_type(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn json_in_any_case_with_parameters_is_json() {
        for value in
            ["application/json", "application/json; charset=utf-8", "Application/JSON", " application/json ;x=y"]
        {
            assert!(declares_json(&with_type(value)), "{value}");
        }
    }

    #[test]
    fn anything_else_is_not() {
        for value in [
            "text/plain",
            "text/plain; charset=utf-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/ld+json",
            "application/jsonx",
            "application/json-seq",
            "",
        ] {
            assert!(!declares_json(&with_type(value)), "{value}");
        }
        assert!(!declares_json(&HeaderMap::new()), "no Content-Type at all");
    }
}
