//! The original service's endpoints (`POST /<provider>/join`, `GET /isbusy`), kept byte-compatible
//! so its clients work unchanged against meetbot.

use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    ApiState,
    body::{CompatJobBody, JsonObject},
    error::{ApiError, ErrorBody, JobIds},
};
use crate::job::{JobRecord, JobRequest};

/// `message` of an accepted join, as the original service sent it.
const ACCEPTED: &str = "Meeting join request accepted";

/// Body of an accepted join.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct JoinAccepted {
    /// Always `true`.
    pub success: bool,
    /// `Meeting join request accepted`.
    pub message: String,
    /// The job's ids and status.
    pub data: JoinData,
}

/// The ids of an accepted job and its status.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct JoinData {
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
    /// The job id (`botId`, else `eventId`).
    #[serde(rename = "jobId")]
    pub job_id: String,
    /// Always `processing`: the original service had no finer status here.
    pub status: String,
}

impl JoinAccepted {
    fn of(record: &JobRecord) -> Self {
        Self {
            success: true,
            message: ACCEPTED.to_owned(),
            data: JoinData {
                user_id: record.user_id.clone(),
                team_id: record.team_id.clone(),
                event_id: record.event_id.clone(),
                bot_id: record.bot_id.clone(),
                job_id: record.job_id.clone(),
                status: "processing".to_owned(),
            },
        }
    }
}

/// Body of `GET /isbusy`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BusyBody {
    /// Always `true`.
    pub success: bool,
    /// 1 when this worker takes no new job now (every slot taken, or shutting down), else 0.
    pub data: u8,
}

/// Validates and starts a job for the provider named by the route (shared by the three routes,
/// and by tests with the scripted test provider).
pub(super) async fn join(
    state: ApiState,
    provider: &str,
    body: JsonObject,
) -> Result<(StatusCode, Json<JoinAccepted>), ApiError> {
    let request = JobRequest::from_rest(&body.0, Some(provider)).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let ids = JobIds::of(&request);
    let record = state.app.dispatcher.submit_rest(request).await.map_err(|e| ApiError::from_submit(e, ids))?;
    Ok((StatusCode::ACCEPTED, Json(JoinAccepted::of(&record))))
}

/// Sends a bot into a Google Meet meeting.
#[utoipa::path(post, path = "/google/join", tag = "compat", request_body = CompatJobBody,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Job started", body = JoinAccepted),
        (status = 400, description = "Missing fields, invalid URL or no plugin for the provider", body = ErrorBody),
        (status = 401, description = "Bearer token missing or wrong", body = ErrorBody),
        (status = 409, description = "No free slot, shutting down, or the same job is active", body = ErrorBody),
        (status = 503, description = "Job store unavailable", body = ErrorBody),
    ))]
pub async fn join_google(
    State(state): State<ApiState>,
    body: JsonObject,
) -> Result<(StatusCode, Json<JoinAccepted>), ApiError> {
    join(state, "google", body).await
}

/// Sends a bot into a Microsoft Teams meeting.
#[utoipa::path(post, path = "/microsoft/join", tag = "compat", request_body = CompatJobBody,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Job started", body = JoinAccepted),
        (status = 400, description = "Missing fields, invalid URL or no plugin for the provider", body = ErrorBody),
        (status = 401, description = "Bearer token missing or wrong", body = ErrorBody),
        (status = 409, description = "No free slot, shutting down, or the same job is active", body = ErrorBody),
        (status = 503, description = "Job store unavailable", body = ErrorBody),
    ))]
pub async fn join_microsoft(
    State(state): State<ApiState>,
    body: JsonObject,
) -> Result<(StatusCode, Json<JoinAccepted>), ApiError> {
    join(state, "microsoft", body).await
}

/// Sends a bot into a Zoom meeting.
#[utoipa::path(post, path = "/zoom/join", tag = "compat", request_body = CompatJobBody,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Job started", body = JoinAccepted),
        (status = 400, description = "Missing fields, invalid URL or no plugin for the provider", body = ErrorBody),
        (status = 401, description = "Bearer token missing or wrong", body = ErrorBody),
        (status = 409, description = "No free slot, shutting down, or the same job is active", body = ErrorBody),
        (status = 503, description = "Job store unavailable", body = ErrorBody),
    ))]
pub async fn join_zoom(
    State(state): State<ApiState>,
    body: JsonObject,
) -> Result<(StatusCode, Json<JoinAccepted>), ApiError> {
    join(state, "zoom", body).await
}

/// Whether this worker would refuse a job now.
#[utoipa::path(get, path = "/isbusy", tag = "compat", security(("bearer" = [])),
    responses(
        (status = 200, description = "`data` is 1 when busy, 0 when a job would be taken", body = BusyBody),
        (status = 401, description = "Bearer token missing or wrong", body = ErrorBody),
    ))]
pub async fn is_busy(State(state): State<ApiState>) -> Json<BusyBody> {
    let store = &state.app.store;
    let busy = store.slots().free() == 0 || !store.accepting();
    Json(BusyBody { success: true, data: u8::from(busy) })
}
