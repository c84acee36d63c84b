//! A job as a client sends it (docs/REFERENCE.md section 3), parsed and checked before anything runs.

use std::{collections::BTreeMap, fmt};

use chrono::{DateTime, Datelike, Utc};
use serde_json::{Map, Value};

use super::id;

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
    /// The job id: `botId`, else `eventId`, else derived from the queue message (see
    /// [`id::derived_from`]). Always a valid job id.
    job_id: String,
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

/// Overrides a job may carry in `autoLeave`: any subset of the `[auto_leave]` config keys
/// ([`AUTO_LEAVE_KEYS`]).
pub type AutoLeaveOverrides = BTreeMap<String, u64>;

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
        /// The field's name, as the client spells it (`autoLeave.<key>` inside `autoLeave`).
        field: String,
        /// What is wrong with it (never the value itself: it may be a secret, or huge).
        problem: String,
    },
    /// The id that would become the job id is not one (docs/REFERENCE.md section 3).
    #[error(
        "bad_job_id: `{field}` {problem}; a job id is 1-128 characters of A-Z a-z 0-9 . _ - and does not start with `.`"
    )]
    BadJobId {
        /// `botId` or `eventId`.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl RequestError {
    /// The dead-letter `error` detail: the contract's words `too_large` and `bad_job_id` for those
    /// cases, else the message.
    pub fn detail(&self) -> String {
        match self {
            RequestError::TooLarge(_) => "too_large".to_owned(),
            RequestError::BadJobId { .. } => "bad_job_id".to_owned(),
            other => other.to_string(),
        }
    }

    fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        RequestError::InvalidField { field: field.into(), problem: problem.into() }
    }
}

/// The range of every `autoLeave` value, in seconds (docs/REFERENCE.md section 3).
const AUTO_LEAVE_RANGE: std::ops::RangeInclusive<u64> = 1..=86_400;

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
            Value::Object(map) => Self::from_object(&map, None, || id::derived_from(text)),
            _ => Err(RequestError::NotJson("expected an object".to_owned())),
        }
    }

    /// Parses a REST body. `route_provider` comes from the path (`/google/join`) and wins over any
    /// `provider` field; REST jobs also need a `botId` or an `eventId`.
    pub fn from_rest(map: &Map<String, Value>, route_provider: Option<&str>) -> Result<Self, RequestError> {
        let mut without_id = false;
        let job = Self::from_object(map, route_provider, || {
            without_id = true;
            String::new()
        })?;
        if without_id {
            return Err(RequestError::MissingFields(vec!["botId or eventId"]));
        }
        // A REST job due later waits in the schedule as its queue message, which the queue parses
        // again when it is due: it must fit the queue's limit too. A body just under the limit can
        // grow past it on the way (numbers become strings, absent optional fields appear).
        let message_len = job.to_message().len();
        if message_len > MAX_MESSAGE_BYTES {
            return Err(RequestError::TooLarge(message_len));
        }
        Ok(job)
    }

    /// `derived_id` gives the job id when the job names neither `botId` nor `eventId`.
    fn from_object(
        map: &Map<String, Value>,
        route_provider: Option<&str>,
        derived_id: impl FnOnce() -> String,
    ) -> Result<Self, RequestError> {
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
        let bot_id = opaque_text(map, "botId")?;
        let event_id = opaque_text(map, "eventId")?;
        let job_id = match (&bot_id, &event_id) {
            (Some(bot_id), _) => checked_job_id("botId", bot_id)?,
            (None, Some(event_id)) => checked_job_id("eventId", event_id)?,
            (None, None) => derived_id(),
        };
        Ok(Self {
            job_id,
            url,
            provider,
            name,
            team_id,
            user_id,
            bearer_token,
            timezone,
            bot_id,
            event_id,
            join_at: join_at(map)?,
            auto_leave: auto_leave(map)?,
        })
    }

    /// The job id: `botId`, else `eventId`, else derived from the queue message.
    pub fn job_id(&self) -> &str {
        &self.job_id
    }

    /// The same request with the URL its plugin normalized.
    pub fn with_normalized_url(mut self, url: String) -> Self {
        self.url = url;
        self
    }

    /// The job as a queue message, bearer token included: what a schedule keeps until the job is
    /// due (like the queue itself, the schedule holds the client's whole message). It parses back
    /// into the same job; a job id derived from the client's message (no `botId`, no `eventId`)
    /// is not carried, so only jobs that name their id (every REST job) may travel this way.
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
/// strings count as absent. A value of another type is refused by its type alone: the value is
/// never echoed (it may be the bearer token).
fn opaque_text(map: &Map<String, Value>, field: &'static str) -> Result<Option<String>, RequestError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(RequestError::invalid(field, format!("expected a string, got {}", kind(other)))),
    }
}

/// A JSON value's kind, for errors that must not show the value.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn checked_job_id(field: &'static str, value: &str) -> Result<String, RequestError> {
    match id::problem(value) {
        None => Ok(value.to_owned()),
        Some(problem) => Err(RequestError::BadJobId { field, problem }),
    }
}

/// `joinAt`, in UTC. Its UTC form must be an RFC 3339 time too (years 0000 to 9999): it is what
/// records show and what a scheduled job's message carries, parsed again when the job is due.
fn join_at(map: &Map<String, Value>) -> Result<Option<DateTime<Utc>>, RequestError> {
    let Some(text) = opaque_text(map, "joinAt")? else { return Ok(None) };
    let time = DateTime::parse_from_rfc3339(&text)
        .map_err(|e| RequestError::invalid("joinAt", format!("not an RFC 3339 time ({e})")))?
        .with_timezone(&Utc);
    if !(0..=9999).contains(&time.year()) {
        return Err(RequestError::invalid("joinAt", "is outside the years 0000 to 9999 in UTC"));
    }
    Ok(Some(time))
}

fn auto_leave(map: &Map<String, Value>) -> Result<AutoLeaveOverrides, RequestError> {
    let Some(value) = map.get("autoLeave").filter(|v| !v.is_null()) else {
        return Ok(AutoLeaveOverrides::new());
    };
    let Value::Object(entries) = value else {
        return Err(RequestError::invalid("autoLeave", format!("expected an object, got {}", kind(value))));
    };
    let mut overrides = AutoLeaveOverrides::new();
    for (key, value) in entries {
        let Some(known) = AUTO_LEAVE_KEYS.iter().find(|known| **known == key.as_str()) else {
            return Err(RequestError::invalid(
                "autoLeave",
                format!("unknown key (known: {})", AUTO_LEAVE_KEYS.join(", ")),
            ));
        };
        let secs = value.as_u64().filter(|secs| AUTO_LEAVE_RANGE.contains(secs)).ok_or_else(|| {
            RequestError::invalid(
                format!("autoLeave.{known}"),
                format!("must be an integer from {} to {}", AUTO_LEAVE_RANGE.start(), AUTO_LEAVE_RANGE.end()),
            )
        })?;
        overrides.insert((*known).to_owned(), secs);
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

    fn refusal(body: &Value) -> RequestError {
        JobRequest::from_message(&body.to_string()).expect_err("refused")
    }

    #[test]
    fn auto_leave_values_outside_one_second_to_one_day_are_refused_naming_the_key() {
        for bad in [
            serde_json::json!(0),
            serde_json::json!(86_401),
            serde_json::json!(18_446_744_073_709_551_615u64),
            serde_json::json!(-5),
            serde_json::json!(1.5),
            serde_json::json!("60"),
        ] {
            let mut body = full();
            body["autoLeave"] = serde_json::json!({ "waiting_room_timeout_secs": bad });
            let error = refusal(&body).detail();
            assert!(error.contains("autoLeave.waiting_room_timeout_secs"), "{error}");
        }
        let mut body = full();
        body["autoLeave"] = serde_json::json!({"max_duration_secs": 86_400, "silence_timeout_secs": 1});
        assert!(JobRequest::from_message(&body.to_string()).is_ok());
    }

    #[test]
    fn an_id_that_could_name_a_file_is_refused_as_bad_job_id() {
        for (field, id) in [("botId", ".."), ("botId", "/srv/x"), ("botId", "a'b\nc"), ("eventId", "../../etc")] {
            let mut body = full();
            body.as_object_mut().expect("object").remove("botId");
            body[field] = id.into();
            assert_eq!(refusal(&body).detail(), "bad_job_id", "{field} = {id:?}");
        }
        let mut body = full();
        body["botId"] = "x".repeat(300).into();
        assert_eq!(refusal(&body).detail(), "bad_job_id");
    }

    #[test]
    fn the_event_id_is_only_checked_when_it_becomes_the_job_id() {
        let mut body = full();
        body["eventId"] = "calendar/event 1".into();
        assert_eq!(JobRequest::from_message(&body.to_string()).expect("valid").job_id(), "bot-1");
    }

    #[test]
    fn a_message_without_ids_keeps_one_job_id_across_deliveries() {
        let mut body = full();
        body.as_object_mut().expect("object").remove("botId");
        let text = body.to_string();
        let first = JobRequest::from_message(&text).expect("valid");
        let again = JobRequest::from_message(&text).expect("valid");
        assert_eq!(first.job_id(), again.job_id());
        assert!(crate::job::id::is_valid(first.job_id()));
    }

    #[test]
    fn a_join_at_whose_utc_time_leaves_the_years_0000_to_9999_is_refused() {
        // Broke the fuzz targets' round-trip property (fuzz/src/job.rs): their UTC form
        // ("-0001-12-31T23:00:00+00:00", "+10000-...") is no RFC 3339 time, so a scheduled job's
        // message would not parse again.
        for bad in ["0000-01-01T00:00:00+01:00", "9999-12-31T23:30:00-01:00"] {
            let mut body = full();
            body["joinAt"] = bad.into();
            assert!(refusal(&body).to_string().contains("joinAt"), "{bad}");
        }
        for good in ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59+00:00", "0000-01-01T01:00:00+01:00"] {
            let mut body = full();
            body["joinAt"] = good.into();
            let job = JobRequest::from_message(&body.to_string()).expect(good);
            let again = JobRequest::from_message(&job.to_message()).expect("its message parses again");
            assert_eq!(again.join_at, job.join_at, "{good}");
        }
    }

    #[test]
    fn a_rest_job_whose_queue_message_would_pass_the_limit_is_refused_as_too_large() {
        // Broke the job_rest fuzz target's round-trip property: a body within the 64 KiB limit
        // whose queue message (numbers as strings, absent fields added) is over it would be
        // scheduled, then dead-lettered as too_large when due.
        let mut body = full();
        body["userId"] = 42.into();
        body["joinAt"] = "2030-01-02T03:04:05+01:00".into();
        body["name"] = "".into();
        let room = MAX_MESSAGE_BYTES - body.to_string().len();
        body["name"] = "n".repeat(room).into();
        assert_eq!(body.to_string().len(), MAX_MESSAGE_BYTES);
        let error = JobRequest::from_rest(body.as_object().expect("object"), None).expect_err("too large");
        assert_eq!(error.detail(), "too_large");

        body["name"] = "n".repeat(room - 100).into();
        let job = JobRequest::from_rest(body.as_object().expect("object"), None).expect("fits");
        assert!(job.to_message().len() <= MAX_MESSAGE_BYTES);
        assert_eq!(JobRequest::from_message(&job.to_message()).expect("parses again"), job);
    }

    #[test]
    fn a_bearer_token_of_the_wrong_type_is_never_echoed() {
        let mut body = full();
        body["bearerToken"] = serde_json::json!({"secret": "tok-LEAK"});
        let error = refusal(&body);
        assert!(!error.to_string().contains("tok-LEAK"), "{error}");
        assert!(error.to_string().contains("bearerToken"), "{error}");
    }
}
