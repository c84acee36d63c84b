//! A job as a client sends it (CONTRACT section 3), parsed and checked before anything runs.

use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::config::AutoLeaveOverrides;

/// Largest message the queue accepts; larger ones are dead-lettered unparsed.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// A value that must never be printed: its `Debug` and `Display` show a mask.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the integrations that need it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"********\"")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

/// A job request that passed the contract's field checks. The URL is not yet validated by a
/// plugin; see [`JobRequest::with_normalized_url`].
#[derive(Debug, Clone, PartialEq)]
pub struct JobRequest {
    /// The meeting link.
    pub url: String,
    /// The platform provider.
    pub provider: String,
    /// The bot's display name.
    pub name: String,
    /// Opaque owner id.
    pub team_id: String,
    /// Opaque owner id.
    pub user_id: String,
    /// Opaque token for integrations; never logged.
    pub bearer_token: Secret,
    /// IANA time zone.
    pub timezone: String,
    /// Client's id of the bot; becomes the job id.
    pub bot_id: Option<String>,
    /// Client's id of the calendar event.
    pub event_id: Option<String>,
    /// When to join.
    pub join_at: Option<DateTime<Utc>>,
    /// Per-job auto-leave overrides.
    pub auto_leave: AutoLeaveOverrides,
}

/// Why a message is not a valid job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// Over [`MAX_MESSAGE_BYTES`].
    #[error("message is {0} bytes, over the 64 KiB limit")]
    TooLarge(usize),
    /// Not a JSON object.
    #[error("message is not a JSON object: {0}")]
    NotJson(String),
    /// Required fields absent or empty.
    #[error("Missing required fields: {}", .0.join(", "))]
    MissingFields(Vec<&'static str>),
    /// A field with the wrong type or an unusable value.
    #[error("invalid field `{field}`: {problem}")]
    InvalidField {
        /// The field's name, as the client spells it.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

impl RequestError {
    /// The dead-letter `error` detail word for the contract's `too_large` case, else the message.
    pub fn detail(&self) -> String {
        match self {
            RequestError::TooLarge(_) => "too_large".to_owned(),
            other => other.to_string(),
        }
    }
}

/// The auto-leave keys a job may override.
const AUTO_LEAVE_KEYS: [&str; 6] = [
    "waiting_room_timeout_secs",
    "no_one_joined_timeout_secs",
    "everyone_left_timeout_secs",
    "silence_timeout_secs",
    "silence_activate_after_secs",
    "max_duration_secs",
];

impl JobRequest {
    /// Parses a raw queue message. `provider` is required in the message.
    pub fn from_message(text: &str) -> Result<Self, RequestError> {
        if text.len() > MAX_MESSAGE_BYTES {
            return Err(RequestError::TooLarge(text.len()));
        }
        let value: Value = serde_json::from_str(text).map_err(|e| RequestError::NotJson(e.to_string()))?;
        match value {
            Value::Object(map) => Self::from_object(&map, None),
            _ => Err(RequestError::NotJson("expected an object".to_owned())),
        }
    }

    /// Parses a REST body. `route_provider` comes from the path (`/google/join`) and wins over any
    /// `provider` field; REST jobs also need a `botId` or an `eventId`.
    pub fn from_rest(map: &Map<String, Value>, route_provider: Option<&str>) -> Result<Self, RequestError> {
        let job = Self::from_object(map, route_provider)?;
        if job.bot_id.is_none() && job.event_id.is_none() {
            return Err(RequestError::MissingFields(vec!["botId or eventId"]));
        }
        Ok(job)
    }

    fn from_object(map: &Map<String, Value>, route_provider: Option<&str>) -> Result<Self, RequestError> {
        let mut missing = Vec::new();
        let mut required = |field: &'static str| -> Result<String, RequestError> {
            match opaque_text(map, field)? {
                Some(value) => Ok(value),
                None => {
                    missing.push(field);
                    Ok(String::new())
                }
            }
        };
        let url = required("url")?;
        let provider = match route_provider {
            Some(provider) => provider.to_owned(),
            None => required("provider")?,
        };
        let name = required("name")?;
        let team_id = required("teamId")?;
        let user_id = required("userId")?;
        let bearer_token = Secret::new(required("bearerToken")?);
        let timezone = required("timezone")?;
        if !missing.is_empty() {
            return Err(RequestError::MissingFields(missing));
        }
        Ok(Self {
            url,
            provider,
            name,
            team_id,
            user_id,
            bearer_token,
            timezone,
            bot_id: opaque_text(map, "botId")?,
            event_id: opaque_text(map, "eventId")?,
            join_at: join_at(map)?,
            auto_leave: auto_leave(map)?,
        })
    }

    /// The job id: `botId`, else `eventId`, else a new UUID.
    pub fn job_id(&self) -> String {
        self.bot_id.clone().or_else(|| self.event_id.clone()).unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
    }

    /// The same request with the URL its plugin normalized.
    pub fn with_normalized_url(mut self, url: String) -> Self {
        self.url = url;
        self
    }

    /// The job as a queue message, bearer token included: what a schedule keeps until the job is
    /// due (like the queue itself, the schedule holds the client's whole message).
    pub fn to_message(&self) -> String {
        let mut message = self.public_json();
        message["bearerToken"] = self.bearer_token.expose().into();
        message.to_string()
    }

    /// The job as JSON for plugins and records: every field but the bearer token.
    pub fn public_json(&self) -> Value {
        serde_json::json!({
            "url": self.url,
            "provider": self.provider,
            "name": self.name,
            "teamId": self.team_id,
            "userId": self.user_id,
            "timezone": self.timezone,
            "botId": self.bot_id,
            "eventId": self.event_id,
            "joinAt": self.join_at.map(|t| t.to_rfc3339()),
            "autoLeave": self.auto_leave,
        })
    }
}

/// An optional opaque id or text: strings as they are, numbers as their decimal text; empty
/// strings count as absent.
fn opaque_text(map: &Map<String, Value>, field: &'static str) -> Result<Option<String>, RequestError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(RequestError::InvalidField { field, problem: format!("expected a string, got {other}") }),
    }
}

fn join_at(map: &Map<String, Value>) -> Result<Option<DateTime<Utc>>, RequestError> {
    match opaque_text(map, "joinAt")? {
        None => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(&text).map(|t| Some(t.with_timezone(&Utc))).map_err(|e| {
            RequestError::InvalidField { field: "joinAt", problem: format!("not an RFC 3339 time ({e})") }
        }),
    }
}

fn auto_leave(map: &Map<String, Value>) -> Result<AutoLeaveOverrides, RequestError> {
    let invalid = |problem: String| RequestError::InvalidField { field: "autoLeave", problem };
    let Some(value) = map.get("autoLeave").filter(|v| !v.is_null()) else {
        return Ok(AutoLeaveOverrides::new());
    };
    let Value::Object(entries) = value else {
        return Err(invalid("expected an object".to_owned()));
    };
    let mut overrides = AutoLeaveOverrides::new();
    for (key, value) in entries {
        if !AUTO_LEAVE_KEYS.contains(&key.as_str()) {
            return Err(invalid(format!("unknown key `{key}` (known: {})", AUTO_LEAVE_KEYS.join(", "))));
        }
        let secs = value.as_u64().ok_or_else(|| invalid(format!("`{key}` must be a whole number of seconds")))?;
        overrides.insert(key.clone(), secs);
    }
    Ok(overrides)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Value {
        serde_json::json!({
            "url": "https://meet.google.com/abc-defg-hij",
            "provider": "google",
            "name": "Notes Bot",
            "teamId": "t1",
            "userId": 42,
            "bearerToken": "tok-secret",
            "timezone": "Europe/Berlin",
            "botId": "bot-1",
            "extra": "ignored"
        })
    }

    #[test]
    fn parses_a_complete_message() {
        let job = JobRequest::from_message(&full().to_string()).expect("valid");
        assert_eq!(job.provider, "google");
        assert_eq!(job.user_id, "42");
        assert_eq!(job.job_id(), "bot-1");
        assert_eq!(job.bearer_token.expose(), "tok-secret");
        assert!(!format!("{job:?}").contains("tok-secret"));
        assert!(!job.public_json().to_string().contains("tok-secret"));
    }

    #[test]
    fn lists_every_missing_field() {
        let err = JobRequest::from_message(r#"{"url":"x","name":""}"#).expect_err("invalid");
        assert_eq!(err.to_string(), "Missing required fields: provider, name, teamId, userId, bearerToken, timezone");
    }

    #[test]
    fn refuses_non_json_and_oversize() {
        assert!(matches!(JobRequest::from_message("not json"), Err(RequestError::NotJson(_))));
        assert!(matches!(JobRequest::from_message("[1]"), Err(RequestError::NotJson(_))));
        let big = "x".repeat(MAX_MESSAGE_BYTES + 1);
        let err = JobRequest::from_message(&big).expect_err("too large");
        assert_eq!(err.detail(), "too_large");
    }

    #[test]
    fn rest_needs_bot_or_event_id_and_takes_provider_from_route() {
        let mut body = full();
        let map = body.as_object_mut().expect("object");
        map.remove("provider");
        let job = JobRequest::from_rest(map, Some("zoom")).expect("valid");
        assert_eq!(job.provider, "zoom");
        map.remove("botId");
        assert!(JobRequest::from_rest(map, Some("zoom")).is_err());
    }

    #[test]
    fn parses_join_at_and_auto_leave() {
        let mut body = full();
        body["joinAt"] = "2030-01-02T03:04:05+01:00".into();
        body["autoLeave"] = serde_json::json!({"max_duration_secs": 600});
        let job = JobRequest::from_message(&body.to_string()).expect("valid");
        assert_eq!(job.join_at.map(|t| t.to_rfc3339()).as_deref(), Some("2030-01-02T02:04:05+00:00"));
        assert_eq!(job.auto_leave.get("max_duration_secs"), Some(&600));
        body["autoLeave"] = serde_json::json!({"max_duraton_secs": 600});
        assert!(JobRequest::from_message(&body.to_string()).is_err());
    }
}
