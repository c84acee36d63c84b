//! The results/failures list records, in the original service's shape (docs/REFERENCE.md section 5), so
//! its queue clients keep working.

use serde_json::json;

use crate::{
    config::Config,
    job::{JobRecord, State},
    storage,
};

/// The JSON record appended to `notify.redis_results_list` (completed) or
/// `notify.redis_failures_list` (failed) when a queue or REST job ends.
pub fn client_record(config: &Config, record: &JobRecord, detail: Option<&str>) -> String {
    let storage = storage::described(&config.storage, record.recording_url.as_deref());
    let reason = record.reason.map(|r| r.as_str());
    let mut value = json!({
        "recordingId": record.job_id,
        "meetingLink": record.url,
        "status": record.state.as_str(),
        "blobUrl": record.recording_url,
        "timestamp": record.ended_at,
        "reason": reason,
        "metadata": {
            "userId": record.user_id,
            "teamId": record.team_id,
            "botId": record.bot_id,
            "eventId": record.event_id,
            "provider": record.provider,
            "duration": record.duration_secs,
            "storage": storage,
        },
    });
    if record.state == State::Failed {
        value["error"] = json!({"type": reason, "message": detail.unwrap_or_default()});
    }
    value.to_string()
}
