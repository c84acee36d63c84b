//! The project's own job endpoints (`/v1/jobs`): start a job for any loaded provider, read its
//! record, cancel it, list this worker's recent jobs. Responses are the flat job record of
//! docs/REFERENCE.md section 5.

use axum::{
    Json,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use utoipa::{
    IntoParams, ToSchema,
    openapi::{ObjectBuilder, OneOfBuilder, Ref, Schema, Type},
};

use super::{
    ApiState,
    body::{JobBody, JsonObject},
    error::{ApiError, ErrorBody, JobIds},
};
use crate::job::{JobRecord, JobRequest, Reason, State as JobState};

/// Error text for an id no record exists for.
const NOT_FOUND: &str = "job not found";

/// Query of `GET /v1/jobs`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only jobs in this state; absent or empty (`?state=`), every state.
    #[param(schema_with = state_filter)]
    pub state: Option<String>,
}

/// The schema of the `state` filter: a job state, or the empty value, which filters nothing (as a
/// form with an empty field sends it).
fn state_filter() -> Schema {
    OneOfBuilder::new()
        .item(Ref::from_schema_name("State"))
        .item(ObjectBuilder::new().schema_type(Type::String).enum_values(Some([""])))
        .into()
}

/// Body of `GET /v1/jobs`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct JobList {
    /// Running jobs first, then recently finished ones, newest first.
    pub jobs: Vec<JobRecord>,
}

/// Starts a job; the body names its provider.
#[utoipa::path(post, path = "/v1/jobs", tag = "jobs", request_body = JobBody, security(("bearer" = [])),
    responses(
        (status = 202, description = "Job started; its first record", body = JobRecord),
        (status = 400, description = "Missing fields, invalid URL or no plugin for the provider", body = ErrorBody),
        (status = 401, description = "Bearer token missing or wrong", body = ErrorBody),
        (status = 409, description = "No free slot, shutting down, or the same job is active", body = ErrorBody),
        (status = 503, description = "Job store unavailable", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<ApiState>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<JobRecord>), ApiError> {
    // The provider comes from the body; like every REST job it needs a botId or an eventId
    // (docs/REFERENCE.md section 3), so a client can always find its job again.
    let request = JobRequest::from_rest(&body, None).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let ids = JobIds::of(&request);
    let record = state.app.dispatcher.submit_rest(request).await.map_err(|e| ApiError::from_submit(e, ids))?;
    Ok((StatusCode::ACCEPTED, Json(record)))
}

/// A job's record.
#[utoipa::path(get, path = "/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "The job id")),
    responses(
        (status = 200, description = "The job record", body = JobRecord),
        (status = 401, description = "Bearer token missing or wrong", body = ErrorBody),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 503, description = "Job store unavailable", body = ErrorBody),
    ))]
pub async fn get(State(state): State<ApiState>, Path(id): Path<String>) -> Result<Json<JobRecord>, ApiError> {
    let record = state.app.store.get(&id).await?;
    record.map(Json).ok_or_else(|| ApiError::NotFound(NOT_FOUND.to_owned()))
}

/// Asks a running job's bot to leave; the recording is kept and the job ends with reason
/// `cancelled`.
#[utoipa::path(delete, path = "/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "The job id")),
    responses(
        (status = 202, description = "The bot is leaving; the job's current record", body = JobRecord),
        (status = 401, description = "Bearer token missing or wrong", body = ErrorBody),
        (status = 404, description = "No such job running on this worker", body = ErrorBody),
        (status = 409, description = "The job already ended", body = ErrorBody),
        (status = 503, description = "Job store unavailable", body = ErrorBody),
    ))]
pub async fn cancel(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<JobRecord>), ApiError> {
    let store = &state.app.store;
    let asked = store.request_leave(&id, Reason::Cancelled) || store.cancel_scheduled(&id).await?;
    let record = store.get(&id).await?;
    match record {
        Some(record) if asked => Ok((StatusCode::ACCEPTED, Json(record))),
        Some(record) if record.state.is_terminal() => {
            Err(ApiError::Conflict { error: "job already ended".to_owned(), data: None })
        }
        // A live record this worker does not run (another worker's): nothing here can make that
        // bot leave.
        Some(_) => Err(ApiError::NotFound("job is not running on this worker".to_owned())),
        None => Err(ApiError::NotFound(NOT_FOUND.to_owned())),
    }
}

/// This worker's running and recent jobs.
#[utoipa::path(get, path = "/v1/jobs", tag = "jobs", security(("bearer" = [])), params(ListParams),
    responses(
        (status = 200, description = "The jobs", body = JobList),
        (status = 400, description = "Unknown state", body = ErrorBody),
        (status = 401, description = "Bearer token missing or wrong", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<ApiState>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<JobList>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let filter = params
        .state
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(str::parse::<JobState>)
        .transpose()
        .map_err(ApiError::BadRequest)?;
    Ok(Json(JobList { jobs: state.app.store.list(filter) }))
}
