//! The job record (docs/REFERENCE.md section 5): the `P:job:<id>` hash and the API's job object.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::{JobRequest, Reason, State};

/// What is known about one job. Field names are the contract's, in the hash and in JSON alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobRecord {
    /// The job id.
    pub job_id: String,
    /// Current state.
    pub state: State,
    /// Why it ended (terminal records only).
    pub reason: Option<Reason>,
    /// Free text about the end.
    pub detail: Option<String>,
    /// Platform provider.
    pub provider: String,
    /// Meeting link (normalized).
    pub url: String,
    /// Bot display name.
    pub name: String,
    /// Owner id.
    #[serde(rename = "teamId")]
    pub team_id: String,
    /// Owner id.
    #[serde(rename = "userId")]
    pub user_id: String,
    /// Client's bot id.
    #[serde(rename = "botId")]
    pub bot_id: Option<String>,
    /// Client's event id.
    #[serde(rename = "eventId")]
    pub event_id: Option<String>,
    /// The worker running (or last running) the job.
    pub worker: String,
    /// Ties log lines and records together.
    pub correlation_id: String,
    /// Delivery count, from 1.
    pub attempt: u32,
    /// When the job was accepted.
    pub created_at: Option<String>,
    /// When the bot started joining.
    pub started_at: Option<String>,
    /// When the bot was admitted.
    pub joined_at: Option<String>,
    /// When the job ended.
    pub ended_at: Option<String>,
    /// Where the recording is stored.
    pub recording_url: Option<String>,
    /// Recording duration.
    pub duration_secs: Option<f64>,
    /// The folder of the debug artifacts (`.../<job_id>/debug`: screenshot.png, page.html,
    /// console.log) when they were stored.
    pub debug_url: Option<String>,
}

/// A state-change event (docs/REFERENCE.md section 5, "Events") as the scripts publish it: built
/// here from the worker's record, which is the stored record while this worker owns the job (its
/// claim rewrote the hash from it), so the scripts need not read the hash back to publish.
#[derive(Serialize)]
struct Event<'a> {
    job_id: &'a str,
    state: &'static str,
    reason: Option<&'static str>,
    detail: Option<&'a str>,
    at: &'a str,
    worker: &'a str,
    /// Left out only before the claim, which adds it (it keeps a redelivered job's own).
    #[serde(skip_serializing_if = "Option::is_none")]
    correlation_id: Option<&'a str>,
    /// Left out only before the claim, which adds it (it counts the delivery).
    #[serde(skip_serializing_if = "Option::is_none")]
    attempt: Option<u32>,
    provider: &'a str,
    #[serde(rename = "botId")]
    bot_id: Option<&'a str>,
    recording_url: Option<&'a str>,
}

/// A timestamp as records carry it.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl JobRecord {
    /// Ends the job: its terminal state follows from `reason`; `ended_at` is when it ended. The
    /// one place a record becomes terminal in this process (the Lua scripts that end jobs without
    /// the worker, a recovered or cancelled-while-scheduled one, write the same four fields).
    pub fn end(&mut self, reason: Reason, detail: Option<String>, ended_at: String) {
        self.state = reason.terminal_state();
        self.reason = Some(reason);
        self.detail = detail;
        self.ended_at = Some(ended_at);
    }

    /// A fresh record for a job about to run or wait.
    pub fn new(job_id: &str, request: &JobRequest, worker: &str, correlation_id: &str, state: State) -> Self {
        Self {
            job_id: job_id.to_owned(),
            state,
            reason: None,
            detail: None,
            provider: request.provider.clone(),
            url: request.url.clone(),
            name: request.name.clone(),
            team_id: request.team_id.clone(),
            user_id: request.user_id.clone(),
            bot_id: request.bot_id.clone(),
            event_id: request.event_id.clone(),
            worker: worker.to_owned(),
            correlation_id: correlation_id.to_owned(),
            attempt: 1,
            created_at: Some(timestamp(Utc::now())),
            started_at: None,
            joined_at: None,
            ended_at: None,
            recording_url: None,
            duration_secs: None,
            debug_url: None,
        }
    }

    /// The event of this record's state at `at`, as JSON.
    pub fn event(&self, at: &str) -> String {
        self.event_json(at, true)
    }

    /// The event of a record about to be claimed, without `correlation_id` and `attempt`:
    /// `claim.lua` knows them only once it ran, and adds them.
    pub fn event_before_claim(&self, at: &str) -> String {
        self.event_json(at, false)
    }

    fn event_json(&self, at: &str, claimed: bool) -> String {
        let event = Event {
            job_id: &self.job_id,
            state: self.state.as_str(),
            reason: self.reason.map(Reason::as_str),
            detail: self.detail.as_deref(),
            at,
            worker: &self.worker,
            correlation_id: claimed.then_some(self.correlation_id.as_str()),
            attempt: claimed.then_some(self.attempt),
            provider: &self.provider,
            bot_id: self.bot_id.as_deref(),
            recording_url: self.recording_url.as_deref(),
        };
        serde_json::to_string(&event).expect("an event of strings and numbers serializes")
    }

    /// The record as hash fields; absent values are left out so `HSET` never blanks a field
    /// another writer set.
    pub fn to_fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("job_id", self.job_id.clone()),
            ("state", self.state.as_str().to_owned()),
            ("provider", self.provider.clone()),
            ("url", self.url.clone()),
            ("name", self.name.clone()),
            ("teamId", self.team_id.clone()),
            ("userId", self.user_id.clone()),
            ("worker", self.worker.clone()),
            ("correlation_id", self.correlation_id.clone()),
            ("attempt", self.attempt.to_string()),
        ];
        let optional = [
            ("reason", self.reason.map(|r| r.as_str().to_owned())),
            ("detail", self.detail.clone()),
            ("botId", self.bot_id.clone()),
            ("eventId", self.event_id.clone()),
            ("created_at", self.created_at.clone()),
            ("started_at", self.started_at.clone()),
            ("joined_at", self.joined_at.clone()),
            ("ended_at", self.ended_at.clone()),
            ("recording_url", self.recording_url.clone()),
            ("duration_secs", self.duration_secs.map(|d| d.to_string())),
            ("debug_url", self.debug_url.clone()),
        ];
        fields.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
        fields
    }

    /// Reads a record back from its hash; `None` when the hash is empty or unreadable.
    pub fn from_fields(fields: &HashMap<String, String>) -> Option<Self> {
        let text = |key: &str| fields.get(key).cloned().unwrap_or_default();
        let optional = |key: &str| fields.get(key).filter(|v| !v.is_empty()).cloned();
        Some(Self {
            job_id: fields.get("job_id")?.clone(),
            state: fields.get("state")?.parse().ok()?,
            reason: optional("reason").and_then(|r| r.parse().ok()),
            detail: optional("detail"),
            provider: text("provider"),
            url: text("url"),
            name: text("name"),
            team_id: text("teamId"),
            user_id: text("userId"),
            bot_id: optional("botId"),
            event_id: optional("eventId"),
            worker: text("worker"),
            correlation_id: text("correlation_id"),
            attempt: text("attempt").parse().unwrap_or(1),
            created_at: optional("created_at"),
            started_at: optional("started_at"),
            joined_at: optional("joined_at"),
            ended_at: optional("ended_at"),
            recording_url: optional("recording_url"),
            duration_secs: optional("duration_secs").and_then(|d| d.parse().ok()),
            debug_url: optional("debug_url"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A job with the required fields only.
    fn minimal_request() -> JobRequest {
        JobRequest::from_message(
            r#"{"url":"u","provider":"p","name":"n","teamId":"t","userId":"u1","bearerToken":"b","timezone":"UTC"}"#,
        )
        .expect("valid")
    }

    #[test]
    fn ending_a_job_sets_its_terminal_state_from_the_reason() {
        let request = minimal_request();
        let mut record = JobRecord::new("x", &request, "w1", "c1", State::InCall);
        record.end(Reason::DeniedAdmission, Some("denied".to_owned()), "2026-12-03T10:00:00Z".to_owned());
        assert_eq!(
            (record.state, record.reason, record.detail.as_deref(), record.ended_at.as_deref()),
            (State::Failed, Some(Reason::DeniedAdmission), Some("denied"), Some("2026-12-03T10:00:00Z"))
        );
        record.end(Reason::Cancelled, None, "2026-12-03T10:00:01Z".to_owned());
        assert_eq!((record.state, record.detail), (State::Completed, None), "a later end replaces the detail too");
    }

    #[test]
    fn hash_fields_round_trip() {
        let request = JobRequest::from_message(
            r#"{"url":"u","provider":"p","name":"n","teamId":"t","userId":"u1","bearerToken":"b","timezone":"UTC","botId":"x"}"#,
        )
        .expect("valid");
        let mut record = JobRecord::new("x", &request, "w1", "c1", State::Joining);
        record.reason = Some(Reason::Cancelled);
        record.duration_secs = Some(12.5);
        record.debug_url = Some("file:///r/x/debug".to_owned());
        let fields: HashMap<String, String> = record.to_fields().into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        assert_eq!(JobRecord::from_fields(&fields), Some(record));
        assert!(!fields.values().any(|v| v == "b"), "the bearer token is never part of a record");
    }

    #[test]
    fn an_event_has_the_contract_fields_and_nulls_for_absent_values() {
        let request = minimal_request();
        let mut record = JobRecord::new("x", &request, "w1", "c1", State::Joining);
        record.attempt = 2;
        let event: serde_json::Value = serde_json::from_str(&record.event("2026-12-04T10:00:00.000Z")).expect("json");
        assert_eq!(
            event,
            serde_json::json!({
                "job_id": "x", "state": "joining", "reason": null, "detail": null, "at": "2026-12-04T10:00:00.000Z",
                "worker": "w1", "correlation_id": "c1", "attempt": 2, "provider": "p", "botId": null,
                "recording_url": null
            })
        );
        record.end(Reason::DeniedAdmission, Some("said \"no\"".to_owned()), "later".to_owned());
        let event: serde_json::Value = serde_json::from_str(&record.event("t")).expect("json");
        assert_eq!(
            (&event["state"], &event["reason"], &event["detail"]),
            (&"failed".into(), &"denied_admission".into(), &"said \"no\"".into())
        );
        let before: serde_json::Value = serde_json::from_str(&record.event_before_claim("t")).expect("json");
        assert!(before.get("correlation_id").is_none() && before.get("attempt").is_none(), "{before}");
        assert_eq!(before.as_object().map(|o| o.len()), Some(9), "{before}");
    }

    #[test]
    fn json_uses_contract_names() {
        let request = minimal_request();
        let json = serde_json::to_value(JobRecord::new("id", &request, "w", "c", State::Queued)).expect("json");
        for key in ["job_id", "state", "teamId", "userId", "botId", "eventId", "correlation_id", "recording_url"] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
    }
}
