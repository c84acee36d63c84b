//! Job request bodies: reading them as a JSON object whatever the client's `Content-Type` (the
//! original service's clients are not consistent about it), and their documented shape.

use std::collections::BTreeMap;

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::StatusCode,
};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::error::ApiError;

/// Largest request body accepted: the same limit as a queue message, so a job that is fine over
/// REST is fine on the queue too.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A request body that is a JSON object. Anything else is refused with a 400 in the API's error
/// shape rather than axum's plain-text rejections.
#[derive(Debug, Clone)]
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
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

/// A job for `POST /v1/jobs` (CONTRACT section 3). Documentation only: bodies are parsed by
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
