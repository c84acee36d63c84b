//! Keeping what happened once the session is over: the recording is finalized with ffmpeg and
//! stored with `meeting.json` beside it under `<job_id>/`, and the debug artifacts (when taken)
//! under `<job_id>/debug/`, named in `meeting.json`, which a failed job that never got into the
//! call then has too; the spool is removed only after the store confirmed the recording and
//! `meeting.json`. When storing fails for good the local file is moved to this worker's
//! `kept/` folder, and the job fails with `upload_failed` and a detail saying where the file is.
//! When the spool could not be written during the meeting, the job fails with `recording_failed`,
//! and what reached the disk is finalized (in the temp folder when the spool's disk is full) and
//! stored all the same.

use std::path::{Path, PathBuf};

use chrono::Utc;
use serde_json::json;
use tempfile::TempDir;

use crate::{
    artifacts::{Artifacts, Stored},
    config::Config,
    job::{JobRecord, Reason, record::timestamp},
    recorder::{
        Output, Spooled,
        finalize::{self, FinalizeError},
        quality::{self, Quality},
    },
    storage::Storage,
    workdir::WorkDir,
};

use super::timeline::Timeline;

/// How the job ends, as far as the session knows.
#[derive(Debug, Clone, PartialEq)]
pub struct Ending {
    /// Its reason.
    pub reason: Reason,
    /// Its detail.
    pub detail: Option<String>,
    /// The page as the session ended, when `debug.artifacts` wants it kept.
    pub artifacts: Option<Artifacts>,
    /// Whether the job had a browser, so a recording it could have had: a job of a plugin without
    /// one (the test plugins) recorded nothing and keeps no `meeting.json` of its own.
    pub recordable: bool,
}

/// What keeping the recording changed about the job's end.
#[derive(Debug, Clone, PartialEq)]
pub struct Kept {
    /// Where the recording is stored.
    pub recording_url: Option<String>,
    /// Its duration.
    pub duration_secs: Option<f64>,
    /// What the stored file holds (frames, gaps, sizes), as measured on it.
    pub quality: Option<Quality>,
    /// The reason to end with (`upload_failed` when storing failed).
    pub reason: Reason,
    /// The detail to end with.
    pub detail: Option<String>,
    /// Where the debug artifacts are stored.
    pub debug: Option<Stored>,
}

/// What the detail says about a recording the bot stopped before the meeting ended on its own:
/// one it was asked to stop (a client's cancel, the duration rule, a shutdown) is whole up to that
/// moment; one a fault cut short is partial.
fn early_end_note(reason: Reason) -> Option<&'static str> {
    match reason {
        Reason::Cancelled | Reason::MaxDuration | Reason::Shutdown => Some("recorded until the bot was asked to leave"),
        Reason::BrowserCrashed | Reason::PluginCrashed | Reason::RecordingFailed | Reason::InternalError => {
            Some("partial recording kept")
        }
        _ => None,
    }
}

/// Finalizes and stores the recording (if any) and `meeting.json`. `workdir` is where a recording
/// that cannot be stored is kept.
pub async fn keep(
    config: &Config,
    storage: &Storage,
    workdir: Option<&WorkDir>,
    record: &JobRecord,
    spooled: Option<Spooled>,
    timeline: &mut Timeline,
    ending: Ending,
) -> Kept {
    let mut kept = Kept {
        recording_url: None,
        duration_secs: None,
        quality: None,
        reason: ending.reason,
        detail: ending.detail,
        debug: None,
    };
    let job_id = &record.job_id;
    if let Some(artifacts) = ending.artifacts {
        kept.debug = artifacts.store(storage, job_id).await;
    }
    if let Some(failure) = spooled.as_ref().and_then(|s| s.failure.as_ref()) {
        // The bot left because of it; whatever the session reported, the recording is what failed.
        kept.reason = Reason::RecordingFailed;
        kept.detail = Some(format!("the recording could not be written: {failure}"));
    }
    let mut local_file: Option<PathBuf> = None;
    // Where the recording was finalized when the spool's own disk had no room left for it.
    let mut scratch: Option<TempDir> = None;
    let output = Output::of(&config.recording);
    if let Some(spooled) = &spooled {
        match finalize_spooled(output, spooled, &mut scratch).await {
            Ok((file, duration)) => {
                timeline.recording(format!("finalized: {duration:.1} s"));
                kept.duration_secs = Some(duration);
                match quality::measure(&file, output.video).await {
                    Ok(measured) => {
                        measured.count();
                        kept.quality = Some(measured);
                    }
                    Err(error) => tracing::warn!(%error, "the recording's quality could not be measured"),
                }
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
        let key = format!("{job_id}/{}", output.file_name());
        match storage.put_file(&key, file).await {
            Ok(url) => {
                kept.recording_url = Some(url);
                if let Some(note) = early_end_note(kept.reason) {
                    append(&mut kept.detail, note);
                }
            }
            Err(error) => {
                tracing::error!(%error, file = %file.display(), "recording upload failed; the file stays on disk");
                kept.reason = Reason::UploadFailed;
                // The timeline stays with the kept file, so nothing of the meeting is lost.
                let beside = file.with_file_name("meeting.json");
                kept.detail = Some(error.to_string());
                if let Err(error) = tokio::fs::write(&beside, meeting_json(record, &kept, timeline)).await {
                    tracing::warn!(%error, file = %beside.display(), "meeting.json not written");
                }
                let at = keep_on_disk(workdir, spooled.as_ref(), file, scratch, record);
                append(&mut kept.detail, &format!("the recording is kept at {}", at.display()));
                return kept;
            }
        }
    }
    let recordable = ending.recordable && config.recording.enabled;
    let described = local_file.is_some() || (record.joined_at.is_some() && recordable);
    if !described && kept.debug.is_none() {
        // Nothing recorded, never in the call of a recording worker (one that does not record
        // keeps no meeting.json), no artifacts: there is no meeting to describe.
        remove_spool(workdir, spooled.as_ref());
        return kept;
    }
    let bytes = meeting_json(record, &kept, timeline);
    if let Err(error) = storage.put_bytes(&format!("{job_id}/meeting.json"), bytes).await {
        tracing::error!(%error, "meeting.json upload failed");
        if let Some(file) = &local_file {
            kept.reason = Reason::UploadFailed;
            let at = keep_on_disk(workdir, spooled.as_ref(), file, scratch, record);
            kept.detail = Some(format!("{error}; the recording is kept at {}", at.display()));
            return kept;
        }
    }
    remove_spool(workdir, spooled.as_ref());
    kept
}

/// Finalizes the spooled segments beside them. When the spool ran out of room (its failure), the
/// finalized file has no room there either: it is then written to a folder of its own in the
/// system's temp folder (`scratch`, often another file system), removed once the file is stored.
async fn finalize_spooled(
    output: Output,
    spooled: &Spooled,
    scratch: &mut Option<TempDir>,
) -> Result<(PathBuf, f64), String> {
    let beside = finalize::finalize(&spooled.segments, output, &spooled.dir).await;
    let error = match beside {
        Err(error) if spooled.failure.is_some() && !matches!(error, FinalizeError::Empty) => error,
        other => return other.map_err(|error| error.to_string()),
    };
    let dir = tempfile::Builder::new()
        .prefix("meetbot-finalize-")
        .tempdir()
        .map_err(|io| format!("{error}; no temp folder to finalize in either: {io}"))?;
    tracing::warn!(%error, folder = %dir.path().display(), "no room to finalize beside the spool; finalizing in the temp folder");
    let finalized = finalize::finalize(&spooled.segments, output, dir.path()).await;
    *scratch = Some(dir);
    finalized.map_err(|again| format!("{error}; in the temp folder: {again}"))
}

/// Keeps a recording that could not be stored: the spool folder moves to this worker's `kept/`
/// folder, and a file finalized in `scratch` stays there. The file's path from then on (its old
/// one when the spool folder cannot be moved).
fn keep_on_disk(
    workdir: Option<&WorkDir>,
    spooled: Option<&Spooled>,
    file: &Path,
    scratch: Option<TempDir>,
    record: &JobRecord,
) -> PathBuf {
    let moved = match (workdir, spooled) {
        (Some(workdir), Some(spooled)) => match workdir.keep(&spooled.dir, &record.job_id, record.attempt) {
            Ok(kept) => Some((spooled.dir.clone(), kept)),
            Err(error) => {
                tracing::warn!(%error, "the recording stays in the spool folder");
                None
            }
        },
        _ => None,
    };
    if let Some(scratch) = scratch {
        return scratch.keep().join(file.file_name().unwrap_or_default());
    }
    match moved {
        Some((from, to)) => file.strip_prefix(&from).map_or_else(|_| file.to_owned(), |name| to.join(name)),
        None => file.to_owned(),
    }
}

/// Removes the job's spool folder, only ever inside this worker's folder.
fn remove_spool(workdir: Option<&WorkDir>, spooled: Option<&Spooled>) {
    if let (Some(workdir), Some(spooled)) = (workdir, spooled)
        && let Err(error) = workdir.remove(&spooled.dir)
    {
        tracing::warn!(%error, "spool not removed");
    }
}

/// meeting.json: the job record as it ends, the recording's measured quality (`null` without one),
/// where the debug artifacts are (`null` without them), and the timeline. It is written once the recording is
/// stored, the job's last step: that moment is its `ended_at` (the record's own follows within
/// moments, when the terminal record is written).
fn meeting_json(record: &JobRecord, kept: &Kept, timeline: &Timeline) -> Vec<u8> {
    let mut job = record.clone();
    let ended_at = job.ended_at.take().unwrap_or_else(|| timestamp(Utc::now()));
    job.end(kept.reason, kept.detail.clone(), ended_at);
    job.recording_url = kept.recording_url.clone();
    job.duration_secs = kept.duration_secs;
    let meeting = json!({ "job": job, "recording": kept.quality, "debug": kept.debug, "timeline": timeline });
    serde_json::to_vec_pretty(&meeting).unwrap_or_default()
}

fn append(detail: &mut Option<String>, text: &str) {
    *detail = Some(match detail.take() {
        Some(existing) if !existing.is_empty() => format!("{existing}; {text}"),
        _ => text.to_owned(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_the_bot_was_asked_to_stop_is_not_called_partial() {
        for asked in [Reason::Cancelled, Reason::MaxDuration, Reason::Shutdown] {
            assert_eq!(early_end_note(asked), Some("recorded until the bot was asked to leave"), "{asked:?}");
        }
        for fault in [Reason::BrowserCrashed, Reason::PluginCrashed, Reason::RecordingFailed, Reason::InternalError] {
            assert_eq!(early_end_note(fault), Some("partial recording kept"), "{fault:?}");
        }
        for natural in [Reason::LeftNormally, Reason::EndedByHost, Reason::EveryoneLeft, Reason::Silence] {
            assert_eq!(early_end_note(natural), None, "{natural:?}");
        }
    }

    /// The record of a Meet job `bot_id` (bearer token `secret-token`) in `state`.
    fn record(bot_id: &str, state: crate::job::State) -> JobRecord {
        let request = crate::job::JobRequest::from_message(
            &json!({
                "url": "https://meet.google.com/abc-defg-hij", "provider": "google", "name": "Bot",
                "teamId": "t", "userId": "u", "bearerToken": "secret-token", "timezone": "UTC", "botId": bot_id
            })
            .to_string(),
        )
        .expect("request");
        JobRecord::new(bot_id, &request, "w1", "c1", state)
    }

    #[test]
    fn meeting_json_has_the_jobs_end_time_and_final_state() {
        let record = record("b1", crate::job::State::InCall);
        let kept = Kept {
            recording_url: Some("file:///r/b1/recording.webm".to_owned()),
            duration_secs: Some(12.5),
            quality: None,
            reason: Reason::EndedByHost,
            detail: None,
            debug: None,
        };
        let json: serde_json::Value =
            serde_json::from_slice(&meeting_json(&record, &kept, &Timeline::default())).expect("json");
        let job = &json["job"];
        assert!(job["ended_at"].as_str().is_some_and(|at| at.ends_with('Z')), "{job}");
        assert_eq!((job["state"].as_str(), job["reason"].as_str()), (Some("completed"), Some("ended_by_host")));
        assert_eq!(job["recording_url"], "file:///r/b1/recording.webm");
        assert!(json["debug"].is_null(), "no artifacts: {json}");
        assert!(!json.to_string().contains("secret-token"), "{json}");
    }

    #[test]
    fn meeting_json_names_the_debug_artifacts_that_were_stored() {
        let record = record("b2", crate::job::State::WaitingRoom);
        let debug = Stored {
            screenshot: Some("file:///r/b2/debug/screenshot.png".to_owned()),
            page: None,
            console: Some("file:///r/b2/debug/console.log".to_owned()),
        };
        let kept = Kept {
            recording_url: None,
            duration_secs: None,
            quality: None,
            reason: Reason::DeniedAdmission,
            detail: None,
            debug: Some(debug),
        };
        let json: serde_json::Value =
            serde_json::from_slice(&meeting_json(&record, &kept, &Timeline::default())).expect("json");
        assert_eq!(json["job"]["state"], "failed");
        assert_eq!(
            json["debug"],
            json!({"screenshot": "file:///r/b2/debug/screenshot.png", "console": "file:///r/b2/debug/console.log"}),
            "a part not stored is left out"
        );
    }
}
