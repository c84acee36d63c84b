//! The API's error responses: one type, so every handler answers failures with the same
//! `{"success":false,"error":...}` shape the original service's clients parse.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{dispatch::SubmitError, job::JobRequest};

/// The text clients of the original service match on when the worker is busy; also sent during
/// shutdown, because to them both mean "try another worker later".
pub const BUSY: &str = "Another meeting is currently being processed. Please try again later.";

/// The 503 text when Redis fails. Redis' own message stays in the log: it describes the
/// worker's infrastructure (addresses, users, ACL rules), which is none of an API client's business.
pub const STORE_DOWN: &str = "job store unavailable";

/// Body of every error response.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Always `false`.
    pub success: bool,
    /// What went wrong, for people.
    pub error: String,
    /// The job's ids, on refusals of an otherwise valid job (409).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<JobIds>,
}

/// The ids a client gave a job, echoed so it can match a refusal to its request.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct JobIds {
    /// Owner id.
    #[serde(rename = "userId")]
    pub user_id: String,
    /// Owner id.
    #[serde(rename = "teamId")]
    pub team_id: String,
    /// Client's event id, `null` when absent.
    #[serde(rename = "eventId")]
    pub event_id: Option<String>,
    /// Client's bot id, `null` when absent.
    #[serde(rename = "botId")]
    pub bot_id: Option<String>,
}

impl JobIds {
    /// The ids of a parsed request.
    pub fn of(request: &JobRequest) -> Self {
        Self {
            user_id: request.user_id.clone(),
            team_id: request.team_id.clone(),
            event_id: request.event_id.clone(),
            bot_id: request.bot_id.clone(),
        }
    }
}

/// A failed request, by the HTTP status it maps to.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or names something unusable (400).
    #[error("{0}")]
    BadRequest(String),
    /// Missing or wrong bearer token (401).
    #[error("unauthorized")]
    Unauthorized,
    /// The request comes from a web page whose origin is not in `api.allowed_origins` (403).
    #[error("{0}")]
    Forbidden(String),
    /// No such resource (404).
    #[error("{0}")]
    NotFound(String),
    /// The request is valid but cannot be served now (409).
    #[error("{error}")]
    Conflict {
        /// What is in the way.
        error: String,
        /// The refused job's ids.
        data: Option<JobIds>,
    },
    /// The body did not arrive within `api.body_timeout_secs` (408).
    #[error("{0}")]
    RequestTimeout(String),
    /// The body is over the limit (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The body is not declared as JSON (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A dependency (Redis) failed (503).
    #[error("{0}")]
    Unavailable(String),
}

impl ApiError {
    /// Maps a refused submission to its response; `ids` come back in 409 bodies.
    pub fn from_submit(error: SubmitError, ids: JobIds) -> Self {
        match error {
            SubmitError::Invalid(_) | SubmitError::UnknownProvider { .. } | SubmitError::InvalidUrl(_) => {
                ApiError::BadRequest(error.to_string())
            }
            SubmitError::Busy | SubmitError::ShuttingDown => {
                ApiError::Conflict { error: BUSY.to_owned(), data: Some(ids) }
            }
            SubmitError::Duplicate(_) => {
                // Name the id the client actually sent: the job id is its botId, else its eventId.
                let field = if ids.bot_id.is_some() { "botId" } else { "eventId" };
                ApiError::Conflict { error: format!("A job with this {field} is already active"), data: Some(ids) }
            }
            SubmitError::ScheduleFull(_) => ApiError::Conflict { error: error.to_string(), data: Some(ids) },
            SubmitError::Store(_) => {
                tracing::warn!(%error, "a REST job was refused: the job store failed");
                ApiError::Unavailable(STORE_DOWN.to_owned())
            }
        }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The response body of this error.
    pub fn body(&self) -> ErrorBody {
        let data = match self {
            ApiError::Conflict { data, .. } => data.clone(),
            _ => None,
        };
        ErrorBody { success: false, error: self.to_string(), data }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body())).into_response();
        match self {
            // RFC 6750: tell the client which scheme is expected.
            ApiError::Unauthorized => {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            // The rest of the body may still be on its way: the connection cannot be reused.
            ApiError::RequestTimeout(_) => {
                response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        response
    }
}

impl From<redis::RedisError> for ApiError {
    fn from(error: redis::RedisError) -> Self {
        tracing::warn!(%error, "a REST request failed: the job store failed");
        ApiError::Unavailable(STORE_DOWN.to_owned())
    }
}
