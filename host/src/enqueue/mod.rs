//! `meetbot enqueue`: RPUSH one job exactly as a client would, and with `--wait` follow its state
//! changes on `P:events` until it ends.

mod args;

use std::{collections::HashMap, time::Duration};

use futures::StreamExt;
use redis::AsyncCommands;
use serde_json::{Value, json};

pub use args::EnqueueArgs;

use crate::{
    broker::{ClientError, Endpoint, Keys},
    config::Config,
    job::{JobRecord, State},
};

/// Why enqueueing failed.
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    /// `--auto-leave` is not a JSON object.
    #[error("--auto-leave must be a JSON object: {0}")]
    AutoLeave(String),
    /// No client can be built from the configuration.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Redis failed.
    #[error("redis ({url}): {source}")]
    Redis {
        /// The URL, password masked.
        url: String,
        /// The error.
        source: redis::RedisError,
    },
}

/// How the followed job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followed {
    /// Not followed (no `--wait`).
    Pushed,
    /// Ended in this state.
    Ended(State),
}

/// Pushes the job and, with `--wait`, follows it to its end, printing each state change.
pub async fn enqueue(config: &Config, args: &EnqueueArgs) -> Result<Followed, EnqueueError> {
    let url = config.redis_url_masked();
    let redis_error = |source| EnqueueError::Redis { url: url.clone(), source };
    let keys = Keys::new(config);
    let job_id = args.bot_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let message = message(args, &job_id)?;
    let client = Endpoint::open(config)?.client().await.map_err(|e| redis_error(e.into()))?;
    let mut conn = client.get_multiplexed_async_connection().await.map_err(redis_error)?;
    // Subscribe before pushing so no state change can slip by.
    let mut events = if args.wait {
        let mut pubsub = client.get_async_pubsub().await.map_err(redis_error)?;
        pubsub.subscribe(&keys.events).await.map_err(redis_error)?;
        Some(pubsub)
    } else {
        None
    };
    let _: i64 = conn.rpush(&keys.queue, &message).await.map_err(redis_error)?;
    println!("queued job {job_id} on {}", keys.queue);
    let Some(pubsub) = events.as_mut() else {
        return Ok(Followed::Pushed);
    };
    let mut stream = pubsub.on_message();
    let mut last: Option<String> = None;
    loop {
        // Also read the record now and then: a dead-lettered message never publishes an event.
        let next = tokio::time::timeout(Duration::from_secs(2), stream.next()).await;
        let event = match next {
            Ok(Some(msg)) => msg.get_payload::<String>().ok().and_then(|p| serde_json::from_str::<Value>(&p).ok()),
            Ok(None) => return Err(redis_error(redis::RedisError::from(std::io::Error::other("subscription closed")))),
            Err(_) => None,
        };
        let (state, reason, detail) = match event {
            Some(event) if event["job_id"] == job_id.as_str() => (
                event["state"].as_str().unwrap_or_default().to_owned(),
                event["reason"].as_str().map(str::to_owned),
                event["detail"].as_str().map(str::to_owned),
            ),
            Some(_) => continue,
            None => {
                let fields: HashMap<String, String> = conn.hgetall(keys.job(&job_id)).await.map_err(redis_error)?;
                match JobRecord::from_fields(&fields) {
                    Some(record) => {
                        (record.state.as_str().to_owned(), record.reason.map(|r| r.to_string()), record.detail)
                    }
                    None => {
                        if dead_lettered(&mut conn, &keys, &message).await {
                            println!("{}  {job_id}  dead-lettered (see {})", now(), keys.dead);
                            return Ok(Followed::Ended(State::Failed));
                        }
                        continue;
                    }
                }
            }
        };
        let line = format!(
            "{state}{}{}",
            reason.as_deref().map(|r| format!("  reason={r}")).unwrap_or_default(),
            detail.as_deref().filter(|d| !d.is_empty()).map(|d| format!("  detail={d}")).unwrap_or_default()
        );
        if last.as_deref() != Some(line.as_str()) {
            println!("{}  {job_id}  {line}", now());
            last = Some(line);
        }
        if let Ok(state) = state.parse::<State>()
            && state.is_terminal()
        {
            let fields: HashMap<String, String> = conn.hgetall(keys.job(&job_id)).await.unwrap_or_default();
            if let Some(record) = JobRecord::from_fields(&fields) {
                for line in where_kept(&record) {
                    println!("{}  {job_id}  {line}", now());
                }
            }
            return Ok(Followed::Ended(state));
        }
    }
}

/// Where an ended job left what it kept: the recording (with its length), `meeting.json` beside
/// it, and the debug artifacts of what the bot saw.
fn where_kept(record: &JobRecord) -> Vec<String> {
    let debug = record.debug_url.as_deref().filter(|u| !u.is_empty());
    let mut lines = Vec::new();
    match record.recording_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => {
            let length = record.duration_secs.map(|secs| format!(" ({secs:.1} s)")).unwrap_or_default();
            let folder = url.rsplit_once('/').map_or(url, |(folder, _)| folder);
            lines.push(format!("recording: {url}{length}"));
            lines.push(format!("meeting.json: {folder}/meeting.json"));
        }
        None => {
            lines.push("recording: none".to_owned());
            // Without a recording, meeting.json is kept beside the artifacts, in the job's folder.
            if let Some((job_folder, _)) = debug.and_then(|d| d.rsplit_once('/')) {
                lines.push(format!("meeting.json: {job_folder}/meeting.json"));
            }
        }
    }
    if let Some(debug) = debug {
        lines.push(format!("debug artifacts: {debug}/ (screenshot.png, page.html, console.log)"));
    }
    lines
}

fn message(args: &EnqueueArgs, job_id: &str) -> Result<String, EnqueueError> {
    let mut job = json!({
        "provider": args.provider,
        "url": args.url,
        "name": args.name,
        "teamId": args.team_id,
        "userId": args.user_id,
        "bearerToken": args.bearer_token,
        "timezone": args.timezone,
        "botId": job_id,
    });
    if let Some(event_id) = &args.event_id {
        job["eventId"] = event_id.clone().into();
    }
    if let Some(join_at) = &args.join_at {
        job["joinAt"] = join_at.clone().into();
    }
    if let Some(auto_leave) = &args.auto_leave {
        let value: Value = serde_json::from_str(auto_leave).map_err(|e| EnqueueError::AutoLeave(e.to_string()))?;
        if !value.is_object() {
            return Err(EnqueueError::AutoLeave("not an object".to_owned()));
        }
        job["autoLeave"] = value;
    }
    Ok(job.to_string())
}

async fn dead_lettered(conn: &mut redis::aio::MultiplexedConnection, keys: &Keys, message: &str) -> bool {
    let entries: Vec<String> = conn.lrange(&keys.dead, -50, -1).await.unwrap_or_default();
    entries.iter().filter_map(|e| serde_json::from_str::<Value>(e).ok()).any(|e| e["message"] == message)
}

fn now() -> String {
    chrono::Utc::now().format("%H:%M:%S%.3f").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(recording_url: Option<&str>, duration_secs: Option<f64>) -> JobRecord {
        let mut fields = HashMap::from([
            ("job_id".to_owned(), "b1".to_owned()),
            ("state".to_owned(), "completed".to_owned()),
            ("provider".to_owned(), "google".to_owned()),
            ("url".to_owned(), "https://meet.google.com/abc-defg-hij".to_owned()),
        ]);
        if let Some(url) = recording_url {
            fields.insert("recording_url".to_owned(), url.to_owned());
        }
        if let Some(secs) = duration_secs {
            fields.insert("duration_secs".to_owned(), secs.to_string());
        }
        JobRecord::from_fields(&fields).expect("record")
    }

    #[test]
    fn an_ended_job_names_its_recording_and_the_meeting_json_beside_it() {
        assert_eq!(
            where_kept(&record(Some("file:///srv/rec/b1/recording.webm"), Some(12.34))),
            ["recording: file:///srv/rec/b1/recording.webm (12.3 s)", "meeting.json: file:///srv/rec/b1/meeting.json"]
        );
        assert_eq!(
            where_kept(&record(Some("s3://bucket/meetings/b1/recording.mp4"), None)),
            ["recording: s3://bucket/meetings/b1/recording.mp4", "meeting.json: s3://bucket/meetings/b1/meeting.json"]
        );
        assert_eq!(where_kept(&record(None, None)), ["recording: none"]);
        let mut failed = record(None, None);
        failed.debug_url = Some("s3://bucket/b1/debug".to_owned());
        assert_eq!(
            where_kept(&failed),
            [
                "recording: none",
                "meeting.json: s3://bucket/b1/meeting.json",
                "debug artifacts: s3://bucket/b1/debug/ (screenshot.png, page.html, console.log)"
            ]
        );
    }
}
