//! Keeping what happened once the session is over: the recording is finalized with ffmpeg and
//! stored with `meeting.json` beside it under `<job_id>/`; the spool is removed only after the
//! store confirmed both. When storing fails for good the local file stays where it is, and the
//! job fails with `upload_failed` and a detail saying where the file is.

use std::path::PathBuf;

use serde_json::json;

use crate::{
    config::Config,
    job::{JobRecord, Reason},
    recorder::{Spooled, finalize},
    storage::Storage,
};

use super::timeline::Timeline;

/// What keeping the recording changed about the job's end.
#[derive(Debug, Clone, PartialEq)]
pub struct Kept {
    /// Where the recording is stored.
    pub recording_url: Option<String>,
    /// Its duration.
    pub duration_secs: Option<f64>,
    /// The reason to end with (`upload_failed` when storing failed).
    pub reason: Reason,
    /// The detail to end with.
    pub detail: Option<String>,
}

/// Reasons for which the bot left before the meeting's natural end: what was recorded is kept and
/// called partial.
fn leaves_early(reason: Reason) -> bool {
    matches!(
        reason,
        Reason::Cancelled
            | Reason::MaxDuration
            | Reason::Shutdown
            | Reason::BrowserCrashed
            | Reason::PluginCrashed
            | Reason::InternalError
    )
}

/// Finalizes and stores the recording (if any) and `meeting.json`.
pub async fn keep(
    config: &Config,
    storage: &Storage,
    record: &JobRecord,
    spooled: Option<Spooled>,
    timeline: &mut Timeline,
    reason: Reason,
    detail: Option<String>,
) -> Kept {
    let mut kept = Kept { recording_url: None, duration_secs: None, reason, detail };
    let job_id = &record.job_id;
    let mut local_file: Option<PathBuf> = None;
    if let Some(spooled) = &spooled {
        match finalize::finalize(&spooled.segments, config.recording.format, &spooled.dir).await {
            Ok((file, duration)) => {
                timeline.recording(format!("finalized: {duration:.1} s"));
                kept.duration_secs = Some(duration);
                local_file = Some(file);
            }
            Err(error) => {
                tracing::warn!(%error, "no recording to keep");
                timeline.recording(format!("no recording: {error}"));
                append(&mut kept.detail, &format!("no recording: {error}"));
            }
        }
    }
    if let Some(file) = &local_file {
        let key = format!("{job_id}/{}", finalize::file_name(config.recording.format));
        match storage.put_file(&key, file).await {
            Ok(url) => {
                kept.recording_url = Some(url);
                if leaves_early(reason) {
                    append(&mut kept.detail, "partial recording kept");
                }
            }
            Err(error) => {
                tracing::error!(%error, file = %file.display(), "recording upload failed; the file stays on disk");
                kept.reason = Reason::UploadFailed;
                kept.detail = Some(format!("{error}; the recording is kept at {}", file.display()));
                // The timeline stays with the kept file, so nothing of the meeting is lost.
                let beside = file.with_file_name("meeting.json");
                if let Err(error) = tokio::fs::write(&beside, meeting_json(record, &kept, timeline)).await {
                    tracing::warn!(%error, file = %beside.display(), "meeting.json not written");
                }
                return kept;
            }
        }
    }
    if local_file.is_none() && record.joined_at.is_none() {
        // Never in the call and nothing recorded: there is no meeting to describe.
        return kept;
    }
    let bytes = meeting_json(record, &kept, timeline);
    if let Err(error) = storage.put_bytes(&format!("{job_id}/meeting.json"), bytes).await {
        tracing::error!(%error, "meeting.json upload failed");
        if local_file.is_some() {
            kept.reason = Reason::UploadFailed;
            let file = local_file.as_ref().map(|f| f.display().to_string()).unwrap_or_default();
            kept.detail = Some(format!("{error}; the recording is kept at {file}"));
            return kept;
        }
    }
    if let Some(spooled) = spooled
        && let Err(error) = tokio::fs::remove_dir_all(&spooled.dir).await
    {
        tracing::warn!(%error, dir = %spooled.dir.display(), "spool not removed");
    }
    kept
}

/// meeting.json: the job record as it ends, and the timeline.
fn meeting_json(record: &JobRecord, kept: &Kept, timeline: &Timeline) -> Vec<u8> {
    let mut job = record.clone();
    job.state = kept.reason.terminal_state();
    job.reason = Some(kept.reason);
    job.detail = kept.detail.clone();
    job.recording_url = kept.recording_url.clone();
    job.duration_secs = kept.duration_secs;
    serde_json::to_vec_pretty(&json!({ "job": job, "timeline": timeline })).unwrap_or_default()
}

fn append(detail: &mut Option<String>, text: &str) {
    *detail = Some(match detail.take() {
        Some(existing) if !existing.is_empty() => format!("{existing}; {text}"),
        _ => text.to_owned(),
    });
}
