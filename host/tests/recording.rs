//! Recording a meeting end to end (docs/REFERENCE.md section 7, README "Recordings"): a job taken from the
//! queue joins the fake Google Meet in real Chromium, the host records the tab while the bot is in
//! the call, finalizes with the real ffmpeg and stores under `<job_id>/` in a local folder:
//! - WebM: one VP8 video and one Opus audio stream, audible (the meeting's sound is in it), moving
//!   (video frames through the call), every frame of the configured window size (1280x720; the
//!   "sharing this tab" bar Chromium shows must not shrink it), with a container duration that matches the time in the call
//!   as the meeting itself saw it, seekable (a Cues index, and a frame decodes after seeking to the
//!   middle); `meeting.json` beside it holds the final job record (with its end time), the
//!   recording's quality measured on the file (frames, frame rate, gaps, sizes) and the timeline (each state once,
//!   participant counts); the job's spool folder is gone; the record, the file and the terminal
//!   webhook agree on URL and duration; a meeting the host ended is not "partial";
//! - MP4 (`recording.format = "mp4"`): H.264 + AAC at a real frame rate, with the index first
//!   (faststart); leaving at the job's `max_duration_secs` keeps the recording, "recorded until the
//!   bot was asked to leave" (not partial: nothing was lost);
//! - `DELETE /v1/jobs/{id}` in the call: `completed/cancelled`, the recording so far is stored and
//!   the detail says so, without calling it partial;
//! - the client's results list entry names the stored recording (`blobUrl`, `metadata.duration`);
//! - the silence rule: the bot stays while the meeting is heard, and leaves (`completed/silence`,
//!   Leave clicked) once the audio the recorder meters stays quiet for `silence_timeout_secs`;
//! - a spool whose disk fills up in the call (a small tmpfs in a mount namespace of the worker's
//!   own): the bot leaves, the job ends `failed/recording_failed` with a detail saying the
//!   recording could not be written and why, and what reached the disk is stored and plays
//!   (finalized in the temp folder, since the spool's disk has no room for it);
//! - sound only (`recording.video = false`): `recording.webm` with one Opus stream and no video,
//!   audible, seekable, lasting the call, the page's capture reporting that it stopped the tab's
//!   video capture, no frames counted and no video figures in `meeting.json`; with
//!   `format = "mp4"`, `recording.m4a` with one AAC stream, index first, and the silence rule still
//!   hears the meeting (the meter runs on the sound-only capture);
//! - `recording.page_frame_rate = 10`: the recorded page draws its stage about 10 times a second
//!   (its own telemetry), the recording has about that many frames, and the call goes on as ever;
//! - a hostile meeting page (the fake Meet's `HostileToRecorder` scenario) looks for the
//!   recorder's binding to send it bogus messages: the capture runs in an isolated world, and the
//!   page finds nothing of meetbot's on its window; the recording ends as any other. (What the
//!   recorder does with bogus messages that do reach it is in recorder_hostile.rs.)
//!
//! Needs the Google Meet plugin next to the binary (`cargo build --workspace`), /usr/bin/chromium
//! and ffmpeg/ffprobe.

mod support;

use std::{
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
    process::Command,
    thread,
    time::Duration,
};

use meetbot_fixtures::{ActionKind, MeetingLink, Scenario};
use serde_json::{Value, json};
use support::{
    media::{decode_audio_at, decode_frame_at, mp4_index_first, probe, video_frame_times, volume, webm_has_cues},
    meet::{FIXTURES, meet_job, meet_worker, turn, wait_action},
    platform::{GOOGLE, kinds},
    webhook::WebhookReceiver,
    *,
};
use tempfile::TempDir;

/// How long the bot stays in the call before the test ends it.
const IN_CALL: Duration = Duration::from_secs(6);
/// Joining, the call, leaving, finalizing and storing, with room to spare on a busy machine.
const JOB_TIMEOUT: Duration = Duration::from_secs(45);
/// How far the recording's duration may be from the time the bot spent in the call.
const TOLERANCE_SECS: f64 = 2.0;
/// The frame size of every recording: `browser.window_size`, left at its default.
const FRAME_SIZE: (u64, u64) = (1280, 720);

/// The recording and spool folders of one test.
struct Dirs {
    recordings: TempDir,
    spool: TempDir,
}

impl Dirs {
    fn new() -> Self {
        Self { recordings: tempfile::tempdir().expect("tempdir"), spool: tempfile::tempdir().expect("tempdir") }
    }

    /// `[recording]` and `[storage]` sections storing locally in these folders.
    fn config(&self, format: &str) -> String {
        self.config_with(format, true)
    }

    /// [`Dirs::config`] recording the sound only (`recording.video = false`) unless `video`.
    fn config_with(&self, format: &str, video: bool) -> String {
        format!(
            "[recording]\nenabled = true\nformat = \"{format}\"\nvideo = {video}\nspool_dir = \"{}\"\n\
             [storage]\nkind = \"local\"\n[storage.local]\ndir = \"{}\"\n",
            self.spool.path().display(),
            self.recordings.path().display()
        )
    }

    /// Where storage puts a job's file.
    fn stored(&self, job_id: &str, file: &str) -> PathBuf {
        self.recordings.path().canonicalize().expect("recordings dir").join(job_id).join(file)
    }
}

fn secs(record: &HashMap<String, String>, field: &str) -> f64 {
    let text = record.get(field).unwrap_or_else(|| panic!("record has no `{field}`: {record:?}"));
    text.parse().unwrap_or_else(|_| panic!("`{field}` = {text:?} is not a number"))
}

/// Seconds from the record's `joined_at` to its `ended_at` (which is stamped after finalizing
/// and storing).
fn joined_to_ended(record: &HashMap<String, String>) -> f64 {
    (time(record, "ended_at") - time(record, "joined_at")).num_milliseconds() as f64 / 1000.0
}

/// Seconds the bot was in the call as the meeting itself saw it: from its admission to `end`
/// (the host ending the call, or the bot clicking "Leave call"), on the page's clock.
fn meeting_span(link: &MeetingLink, end: ActionKind) -> f64 {
    let admitted = wait_action(&link.id, ActionKind::Admitted, Duration::from_secs(1));
    let ended = wait_action(&link.id, end, Duration::from_secs(1));
    ended.at_ms.saturating_sub(admitted.at_ms) as f64 / 1000.0
}

/// How many frames the meeting page's stage drew in its last 2 s report before `end` (the page's
/// own telemetry: about 120 while its window is shown, a few while it is minimized), and whether
/// the page had the focus then.
fn frames_drawn_before(link: &MeetingLink, end: ActionKind) -> (u32, bool) {
    let ended = wait_action(&link.id, end, Duration::from_secs(1));
    let actions = FIXTURES.actions(&link.id);
    let last = actions.iter().rev().find(|a| a.kind == ActionKind::FramesDrawn && a.at_ms < ended.at_ms);
    let last = last.unwrap_or_else(|| panic!("no frames_drawn report before {end}: {:?}", kinds(&actions)));
    (last.count.unwrap_or(0), last.text.as_deref() == Some("focused"))
}

/// Fewer frames than this in 2 s means the page is not drawing (its window is minimized).
const FEW_FRAMES: u32 = 10;

/// The file behind a `file://` recording URL; it must be `expected`.
fn file_of(record: &HashMap<String, String>, expected: &Path) -> PathBuf {
    let url = record.get("recording_url").unwrap_or_else(|| panic!("no recording_url: {record:?}"));
    let path = PathBuf::from(url.strip_prefix("file://").unwrap_or_else(|| panic!("not a file:// URL: {url}")));
    assert_eq!(path, expected, "recording_url points at <storage.local.dir>/<job_id>/<file>");
    assert!(path.is_file(), "{} does not exist", path.display());
    path
}

/// How many video frames of each size (width, height) the file holds, decoded frame by frame.
fn video_frame_sizes(file: &Path) -> BTreeMap<(u64, u64), usize> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_frames", "-show_entries", "frame=width,height"])
        .args(["-of", "csv=p=0"])
        .arg(file)
        .output()
        .expect("run ffprobe");
    assert!(out.status.success(), "ffprobe frames {}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    let mut sizes = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut fields = line.trim().trim_end_matches(',').split(',').map(|f| f.trim().parse::<u64>());
        if let (Some(Ok(width)), Some(Ok(height))) = (fields.next(), fields.next()) {
            *sizes.entry((width, height)).or_insert(0) += 1;
        }
    }
    sizes
}

/// Checks what every stored recording must be, for a call of `span` seconds; returns the probed
/// duration.
fn assert_recording(
    file: &Path,
    record: &HashMap<String, String>,
    (video_codec, audio_codec): (&str, &str),
    span: f64,
) -> f64 {
    let probe = probe(file);
    let video = probe.of_kind("video");
    let audio = probe.of_kind("audio");
    assert_eq!(video.len(), 1, "one video stream: {probe:?}");
    assert_eq!(audio.len(), 1, "one audio stream: {probe:?}");
    assert_eq!(video[0].codec, video_codec, "{probe:?}");
    assert_eq!(audio[0].codec, audio_codec, "{probe:?}");
    let duration = probe.duration.unwrap_or_else(|| panic!("no container duration: {probe:?}"));
    let recorded = secs(record, "duration_secs");
    assert!((duration - recorded).abs() < 0.2, "duration_secs {recorded} vs the file's {duration}");

    let job_span = joined_to_ended(record);
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let (mean, max) = volume(file);
    let frames = video_frame_times(file);
    let last_frame = frames.last().copied().unwrap_or(0.0);
    let longest_gap = frames.windows(2).map(|w| w[1] - w[0]).fold(frames.first().copied().unwrap_or(0.0), f64::max);
    eprintln!(
        "measured {}: {size} bytes, {duration:.2} s recorded; in the call {span:.2} s (the meeting's view), \
         joined_at to ended_at {job_span:.2} s; video {:?} {}, {} frames, last at {last_frame:.2} s, longest \
         gap {longest_gap:.2} s; audio {}, mean volume {mean} dB, max {max} dB",
        file.display(),
        video[0].size,
        video[0].codec,
        frames.len(),
        audio[0].codec
    );
    assert!(
        (duration - span).abs() <= TOLERANCE_SECS,
        "the recording lasts {duration:.2} s, the bot was in the call {span:.2} s"
    );
    assert!(
        duration <= job_span + 0.5,
        "the recording ({duration:.2} s) is longer than the bot's time from joined_at to ended_at ({job_span:.2} s)"
    );
    let sizes = video_frame_sizes(file);
    assert_eq!(
        sizes.keys().copied().collect::<Vec<_>>(),
        vec![FRAME_SIZE],
        "every video frame is the configured window size; frames per (width, height): {sizes:?}"
    );
    assert_eq!(video[0].size, Some(FRAME_SIZE), "the stream's frame size: {probe:?}");
    let fps = frames.len() as f64 / duration;
    assert!(fps <= 61.0, "{} video frames in {duration:.2} s: {fps:.0} frames a second", frames.len());
    // The picture moves through the call (the fake meeting animates its stage every frame); once
    // the bot has left, the page stands still and tab capture sends no more frames.
    assert!(
        fps >= 2.0 && last_frame >= span.min(duration) - 2.5,
        "the video covers the call: {} frames, the last at {last_frame:.2} s of a {span:.2} s call",
        frames.len()
    );
    assert!(mean > -60.0, "the meeting's audio is in the recording: mean volume {mean} dB (max {max} dB)");
    decode_frame_at(file, duration / 2.0).unwrap_or_else(|e| panic!("seeking to the middle failed: {e}"));
    duration
}

/// The stored `meeting.json`: the final record, a timeline with the call in it, and the quality
/// of a recording with a picture.
fn assert_meeting_json(path: &Path, record: &HashMap<String, String>) -> Value {
    let meeting = assert_meeting_json_of_any_recording(path, record);
    let quality = &meeting["recording"];
    assert!(quality["video_frames"].as_u64().is_some_and(|n| n > 0), "{quality}");
    assert!(quality["frames_per_second"].as_f64().is_some_and(|fps| fps > 0.0), "{quality}");
    assert_eq!(quality["frame_sizes"], serde_json::json!(["1280x720"]), "every frame of the window's size: {quality}");
    assert_eq!(quality["frame_size_changed"], false, "{quality}");
    meeting
}

/// What `meeting.json` holds whether the recording has a picture or not: the final record, a
/// timeline with the call in it, and the recording's audio quality.
fn assert_meeting_json_of_any_recording(path: &Path, record: &HashMap<String, String>) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let meeting: Value = serde_json::from_str(&text).expect("meeting.json is JSON");
    let job = &meeting["job"];
    assert_eq!(job["job_id"], record["job_id"], "{job}");
    assert_eq!(job["state"], record["state"], "{job}");
    assert_eq!(job["reason"], record["reason"], "{job}");
    assert_eq!(job["recording_url"], record["recording_url"], "{job}");
    assert!(!text.contains("tok-test"), "meeting.json carries the bearer token");
    let timeline = meeting["timeline"].as_array().unwrap_or_else(|| panic!("no timeline: {meeting}"));
    let states: Vec<&str> =
        timeline.iter().filter(|e| e["type"] == "state").filter_map(|e| e["state"].as_str()).collect();
    assert!(states.contains(&"in_call"), "timeline states: {states:?}");
    let counts: Vec<u64> =
        timeline.iter().filter(|e| e["type"] == "participants").filter_map(|e| e["count"].as_u64()).collect();
    assert!(counts.contains(&2), "participant counts (the host and the bot): {counts:?}");
    assert!(timeline.iter().all(|e| e["at"].as_str().is_some()), "every entry has a time: {timeline:?}");
    assert_eq!(states.iter().filter(|s| **s == "joining").count(), 1, "each state once: {states:?}");
    assert!(job["ended_at"].as_str().is_some(), "meeting.json says when the job ended: {job}");
    // The recording's quality, measured on the stored file.
    let quality = &meeting["recording"];
    assert!(quality["longest_audio_gap_secs"].as_f64().is_some(), "{quality}");
    assert!(quality["audio_dropouts"].as_u64().is_some(), "{quality}");
    meeting
}

/// No worker folder under the spool folder (`<spool_dir>/<worker.id>/jobs/<job_id>.<attempt>`)
/// holds a spool of the job any more.
fn assert_spool_gone(dirs: &Dirs, job_id: &str) {
    let spools: Vec<PathBuf> = std::fs::read_dir(dirs.spool.path())
        .expect("read the spool folder")
        .flatten()
        .flat_map(|worker| std::fs::read_dir(worker.path().join("jobs")).into_iter().flatten().flatten())
        .map(|spool| spool.path())
        .filter(|spool| spool.file_name().is_some_and(|name| name.to_string_lossy().starts_with(&format!("{job_id}."))))
        .collect();
    assert!(spools.is_empty(), "the spool of the job is still there: {spools:?}");
}

#[test]
fn webm_recording_of_a_meeting_the_host_ends() {
    let _turn = turn();
    let dirs = Dirs::new();
    let hooks = WebhookReceiver::start();
    let redis = RedisServer::start();
    let webhook = format!("[notify]\nwebhook_url = \"{}\"\n", hooks.url());
    let worker = meet_worker(&redis, &format!("{}{webhook}", dirs.config("webm")));
    let link = MeetingLink::meet(Scenario::Instant);
    redis.push(&meet_job("rec-webm", &link.url, None));

    wait_for_state(&redis, "rec-webm", "in_call", Duration::from_secs(30));
    thread::sleep(IN_CALL);
    FIXTURES.end_meeting(&link.id);
    let record = wait_for_end(&redis, "rec-webm", JOB_TIMEOUT);
    assert_ended(&record, "completed", "ended_by_host");
    let detail = record.get("detail").cloned().unwrap_or_default();
    assert!(!detail.contains("partial"), "the meeting ended on its own, nothing is partial: {detail}");

    let file = file_of(&record, &dirs.stored("rec-webm", "recording.webm"));
    let span = meeting_span(&link, ActionKind::EndedByHost);
    let (drawn, focused) = frames_drawn_before(&link, ActionKind::EndedByHost);
    assert!(drawn > FEW_FRAMES, "a page recorded with its picture draws its frames: {drawn} in 2 s");
    assert!(focused, "the meeting page has the focus");
    let duration = assert_recording(&file, &record, ("vp8", "opus"), span);
    assert!(probe(&file).format.contains("webm"), "{:?}", probe(&file));
    assert!(webm_has_cues(&file), "the WebM has a seek index (Cues)");

    assert_meeting_json(&dirs.stored("rec-webm", "meeting.json"), &record);
    assert_spool_gone(&dirs, "rec-webm");

    // The join and the frames the page counted reach /metrics.
    let metrics = worker.get("/metrics").body;
    let value = |series: &str| {
        metrics.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse::<f64>().ok()).unwrap_or(0.0)
    };
    assert_eq!(value("meetbot_joins_total{provider=\"google\",outcome=\"admitted\"}"), 1.0, "{metrics}");
    assert_eq!(value("meetbot_join_seconds_count{provider=\"google\"}"), 1.0, "{metrics}");
    assert!(value("meetbot_recording_frames_total") > 0.0, "frames counted: {metrics}");
    assert!(value("meetbot_recording_frame_rate_count") > 0.0, "frame rate observed: {metrics}");

    wait_until(Duration::from_secs(10), "the `completed` webhook", || {
        hooks.of_job("rec-webm").iter().any(|d| d.event() == "completed")
    });
    let completed = hooks.of_job("rec-webm").into_iter().find(|d| d.event() == "completed").expect("completed").json();
    assert_eq!(completed["recording_url"], record["recording_url"], "{completed}");
    let hooked = completed["duration_secs"].as_f64().unwrap_or_default();
    assert!((hooked - duration).abs() < 0.2, "webhook duration_secs {hooked} vs {duration}");
}

/// `recording.page_frame_rate`: the fake Meet draws its stage from animation frames, so with a
/// budget of 10 its page draws about 20 frames in 2 s instead of 120 while recorded, and the
/// recording holds about 10 frames a second of the moving stage; the call itself goes on as ever.
#[test]
fn a_page_frame_budget_slows_what_a_recorded_page_draws_and_the_call_goes_on() {
    let _turn = turn();
    let dirs = Dirs::new();
    let redis = RedisServer::start();
    let config = dirs.config("webm").replace("[recording]\n", "[recording]\npage_frame_rate = 10\n");
    let worker = meet_worker(&redis, &config);
    let link = MeetingLink::meet(Scenario::Instant);
    redis.push(&meet_job("rec-budget", &link.url, None));

    wait_for_state(&redis, "rec-budget", "in_call", Duration::from_secs(30));
    thread::sleep(IN_CALL);
    FIXTURES.end_meeting(&link.id);
    let record = wait_for_end(&redis, "rec-budget", JOB_TIMEOUT);
    assert_ended(&record, "completed", "ended_by_host");

    let (drawn, focused) = frames_drawn_before(&link, ActionKind::EndedByHost);
    assert!(
        (6..=30).contains(&drawn),
        "a page under a budget of 10 frames a second draws about 20 in its 2 s report (120 without): {drawn}"
    );
    assert!(focused, "the meeting page has the focus");
    let file = file_of(&record, &dirs.stored("rec-budget", "recording.webm"));
    assert_recording(&file, &record, ("vp8", "opus"), meeting_span(&link, ActionKind::EndedByHost));
    let meeting = assert_meeting_json(&dirs.stored("rec-budget", "meeting.json"), &record);
    let fps = meeting["recording"]["frames_per_second"].as_f64().unwrap_or_else(|| panic!("{meeting}"));
    assert!(fps <= 12.0, "the recording has the frames the page drew, about 10 a second: {fps}");
    let log = worker.log();
    assert!(log.contains("page animation frames limited to 10 a second"), "{log}");
}

#[test]
fn mp4_recording_until_the_jobs_max_duration() {
    let _turn = turn();
    let dirs = Dirs::new();
    let redis = RedisServer::start();
    let _worker = meet_worker(&redis, &dirs.config("mp4"));
    let link = MeetingLink::meet(Scenario::Instant);
    let max = json!({"max_duration_secs": IN_CALL.as_secs()});
    redis.push(&meet_job("rec-mp4", &link.url, Some(max)));

    let record = wait_for_end(&redis, "rec-mp4", Duration::from_secs(60));
    assert_ended(&record, "completed", "max_duration");
    let detail = record.get("detail").cloned().unwrap_or_default();
    assert!(detail.contains("recorded until the bot was asked to leave"), "the bot left as told: {detail}");
    assert!(!detail.contains("partial"), "a recording the bot was asked to stop is whole: {detail}");

    let file = file_of(&record, &dirs.stored("rec-mp4", "recording.mp4"));
    assert!(!dirs.stored("rec-mp4", "recording.webm").exists(), "only the MP4 is stored");
    let span = meeting_span(&link, ActionKind::LeaveClicked);
    assert_recording(&file, &record, ("h264", "aac"), span);
    assert!(probe(&file).format.contains("mp4"), "{:?}", probe(&file));
    assert!(mp4_index_first(&file), "the MP4 index (moov) comes before the media (faststart)");
    let finalizing = joined_to_ended(&record) - span;
    assert!(finalizing < 10.0, "leaving, transcoding 6 s and storing took {finalizing:.1} s");

    let meeting = assert_meeting_json(&dirs.stored("rec-mp4", "meeting.json"), &record);
    assert_eq!(meeting["job"]["detail"], record["detail"], "{}", meeting["job"]);
    assert_spool_gone(&dirs, "rec-mp4");
}

#[test]
fn cancelling_in_the_call_keeps_what_was_recorded_without_calling_it_partial() {
    let _turn = turn();
    let dirs = Dirs::new();
    let redis = RedisServer::start();
    let worker = meet_worker(&redis, &dirs.config("webm"));
    let link = MeetingLink::meet(Scenario::Instant);
    redis.push(&meet_job("rec-cancel", &link.url, None));

    wait_for_state(&redis, "rec-cancel", "in_call", Duration::from_secs(30));
    thread::sleep(Duration::from_secs(4));
    let response = worker.delete("/v1/jobs/rec-cancel");
    assert!(response.status < 300, "DELETE /v1/jobs/rec-cancel: {response:?}");
    let record = wait_for_end(&redis, "rec-cancel", JOB_TIMEOUT);
    assert_ended(&record, "completed", "cancelled");
    let detail = record.get("detail").cloned().unwrap_or_default();
    assert!(detail.contains("recorded until the bot was asked to leave"), "{record:?}");
    assert!(!detail.contains("partial"), "{record:?}");

    let file = file_of(&record, &dirs.stored("rec-cancel", "recording.webm"));
    let span = meeting_span(&link, ActionKind::LeaveClicked);
    let duration = assert_recording(&file, &record, ("vp8", "opus"), span);
    assert!(duration > 3.0, "the 4 s in the call are recorded: {duration} s");
    assert_meeting_json(&dirs.stored("rec-cancel", "meeting.json"), &record);
    assert_spool_gone(&dirs, "rec-cancel");
}

#[test]
fn the_results_list_names_the_stored_recording() {
    let _turn = turn();
    let dirs = Dirs::new();
    let redis = RedisServer::start();
    let _worker = meet_worker(&redis, &dirs.config("webm"));
    let link = MeetingLink::meet(Scenario::Instant);
    redis.push(&meet_job("rec-results", &link.url, Some(json!({"max_duration_secs": 3}))));
    let record = wait_for_end(&redis, "rec-results", JOB_TIMEOUT);
    assert_ended(&record, "completed", "max_duration");
    let url = record.get("recording_url").cloned().unwrap_or_else(|| panic!("no recording_url: {record:?}"));

    let results = redis.results();
    assert_eq!(results.len(), 1, "{results:?}");
    let entry = &results[0];
    assert_eq!(entry["recordingId"], "rec-results", "{entry}");
    assert_eq!(entry["blobUrl"], url.as_str(), "{entry}");
    assert_eq!(entry["metadata"]["storage"]["type"], "local", "{entry}");
    assert_eq!(entry["metadata"]["storage"]["url"], url.as_str(), "{entry}");
    let duration = entry["metadata"]["duration"].as_f64().unwrap_or_else(|| panic!("no duration: {entry}"));
    assert!((duration - secs(&record, "duration_secs")).abs() < 0.01, "{entry} vs {record:?}");
}

#[test]
fn the_silence_rule_leaves_once_the_meeting_goes_quiet() {
    let _turn = turn();
    let dirs = Dirs::new();
    let redis = RedisServer::start();
    let _worker = meet_worker(&redis, &dirs.config("webm"));
    let link = MeetingLink::meet(Scenario::Instant);
    let rules = json!({"silence_timeout_secs": 3, "silence_activate_after_secs": 1});
    redis.push(&meet_job("rec-silence", &link.url, Some(rules)));

    wait_for_state(&redis, "rec-silence", "in_call", Duration::from_secs(30));
    // The meeting talks: several silence timeouts pass without the rule firing.
    thread::sleep(Duration::from_secs(7));
    let state = redis.job("rec-silence").get("state").cloned().unwrap_or_default();
    assert_eq!(state, "in_call", "the bot must stay while the meeting is heard");

    FIXTURES.set_silence(&link.id, true);
    let quiet_from = std::time::Instant::now();
    let record = wait_for_end(&redis, "rec-silence", JOB_TIMEOUT);
    let waited = quiet_from.elapsed();
    assert_ended(&record, "completed", "silence");
    assert!(waited >= Duration::from_secs(3), "left {waited:?} after the meeting went quiet, before the 3 s timeout");
    wait_action(&link, ActionKind::LeaveClicked, Duration::from_secs(5));
    let file = file_of(&record, &dirs.stored("rec-silence", "recording.webm"));
    assert_recording(&file, &record, ("vp8", "opus"), meeting_span(&link, ActionKind::LeaveClicked));
}

/// The size of the full-spool test's tmpfs: the first seconds of a call (~0.1 MB a second at
/// 800 kbit/s), the first segment's start with room to spare, then full.
const SMALL_SPOOL_KIB: u32 = 640;

#[test]
fn a_spool_that_fills_up_ends_the_job_recording_failed_and_keeps_what_was_recorded() {
    let _turn = turn();
    let dirs = Dirs::new();
    let redis = RedisServer::start();
    // The worker's spool (`<spool_dir>/<worker.id>/jobs`, where segments are written) is a small
    // tmpfs, mounted in a mount namespace of the worker's own: no mount outlives the test, and
    // the rest of the worker's folder (browser profiles) is on the ordinary disk.
    // Its temp folder, where the recording is finalized when the spool has no room, is one of the
    // test's own, to see that nothing stays there.
    let jobs = dirs.spool.path().join("full-spool").join("jobs");
    let temp = dirs.spool.path().join("temp");
    std::fs::create_dir_all(&jobs).expect("create the spool folder");
    std::fs::create_dir_all(&temp).expect("create the temp folder");
    let mount = format!("mount -t tmpfs -o size={SMALL_SPOOL_KIB}k meetbot-small-spool \"$SPOOL\" && exec \"$@\"",);
    let (spool_var, temp_var) = (format!("SPOOL={}", jobs.display()), format!("TMPDIR={}", temp.display()));
    let wrapper: Vec<String> = ["env", &spool_var, &temp_var, "unshare", "--mount"]
        .into_iter()
        .chain(["--propagation", "private", "sh", "-c", &mount, "sh"])
        .map(str::to_owned)
        .collect();
    let config = format!("[worker]\nid = \"full-spool\"\n{}", dirs.config("webm"));
    let _worker = GOOGLE.worker_wrapped(&redis, &config, &wrapper);
    let link = MeetingLink::meet(Scenario::Instant);
    redis.push(&meet_job("rec-full", &link.url, None));

    // Nothing ends the call but the full disk.
    wait_for_state(&redis, "rec-full", "in_call", Duration::from_secs(30));
    let record = wait_for_end(&redis, "rec-full", Duration::from_secs(60));
    assert_ended(&record, "failed", "recording_failed");
    let detail = record.get("detail").cloned().unwrap_or_default();
    assert!(detail.contains("the recording could not be written"), "the detail says what failed: {detail}");
    assert!(detail.contains("No space left on device"), "the detail says why: {detail}");
    assert!(detail.contains("partial recording kept"), "the detail says the recording is kept: {detail}");
    wait_action(&link, ActionKind::LeaveClicked, Duration::from_secs(5));

    let file = file_of(&record, &dirs.stored("rec-full", "recording.webm"));
    let probe = probe(&file);
    assert_eq!((probe.of_kind("video").len(), probe.of_kind("audio").len()), (1, 1), "{probe:?}");
    let duration = probe.duration.unwrap_or_else(|| panic!("no container duration: {probe:?}"));
    let span = meeting_span(&link, ActionKind::LeaveClicked);
    eprintln!("measured: {duration:.2} s recorded of {span:.2} s in the call before the spool was full");
    assert!(duration > 1.0, "what reached the disk plays: {duration:.2} s");
    assert!(duration < span, "the recording stops where the disk filled up: {duration:.2} s of {span:.2} s");
    assert!((secs(&record, "duration_secs") - duration).abs() < 0.2, "{record:?}");
    decode_frame_at(&file, duration / 2.0).unwrap_or_else(|e| panic!("seeking to the middle failed: {e}"));
    let meeting = assert_meeting_json(&dirs.stored("rec-full", "meeting.json"), &record);
    assert_eq!(meeting["job"]["detail"], record["detail"], "{}", meeting["job"]);
    // (Chromium keeps folders of its own there.)
    let left: Vec<_> = std::fs::read_dir(&temp)
        .expect("read the temp folder")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.file_name().is_some_and(|name| name.to_string_lossy().starts_with("meetbot-")))
        .collect();
    assert!(left.is_empty(), "the recording finalized in the temp folder is removed once stored: {left:?}");
}

#[test]
fn a_meeting_page_cannot_reach_the_recorder() {
    let _turn = turn();
    let dirs = Dirs::new();
    let redis = RedisServer::start();
    let worker = meet_worker(&redis, &dirs.config("webm"));
    let link = MeetingLink::meet(Scenario::HostileToRecorder);
    redis.push(&meet_job("rec-hostile", &link.url, None));

    // The page looks for the recorder's binding (and anything else of meetbot's) on its window
    // while the bot records, to call it with bogus chunks, stops and errors: there is nothing.
    wait_for_state(&redis, "rec-hostile", "in_call", Duration::from_secs(30));
    let harassed = wait_action(&link, ActionKind::RecorderHarassed, Duration::from_secs(30));
    assert_eq!(harassed.count, Some(0), "the page sent the recorder nothing: {harassed:?}");
    let text = harassed.text.clone().unwrap_or_default();
    assert!(text.contains("no recorder binding") && text.ends_with("seen: none"), "{text}");
    thread::sleep(IN_CALL);
    FIXTURES.end_meeting(&link.id);
    let record = wait_for_end(&redis, "rec-hostile", JOB_TIMEOUT);
    assert_ended(&record, "completed", "ended_by_host");

    let file = file_of(&record, &dirs.stored("rec-hostile", "recording.webm"));
    assert_recording(&file, &record, ("vp8", "opus"), meeting_span(&link, ActionKind::EndedByHost));
    let log = worker.log();
    assert!(!log.contains("recorder ignored"), "nothing but the capture called the recorder");
}

/// Checks what every sound-only recording must be, for a call of `span` seconds: one `codec`
/// audio stream and no video, audible, seekable, as long as the call; the probed duration.
fn assert_sound_only_recording(file: &Path, record: &HashMap<String, String>, codec: &str, span: f64) -> f64 {
    let probe = probe(file);
    let audio = probe.of_kind("audio");
    assert!(probe.of_kind("video").is_empty(), "no video stream: {probe:?}");
    assert_eq!(probe.streams.len(), 1, "one stream and nothing else: {probe:?}");
    assert_eq!(audio[0].codec, codec, "{probe:?}");
    let duration = probe.duration.unwrap_or_else(|| panic!("no container duration: {probe:?}"));
    let recorded = secs(record, "duration_secs");
    assert!((duration - recorded).abs() < 0.2, "duration_secs {recorded} vs the file's {duration}");
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let (mean, max) = volume(file);
    eprintln!(
        "measured {}: {size} bytes, {duration:.2} s recorded; in the call {span:.2} s; {probe:?}; \
         mean volume {mean} dB, max {max} dB",
        file.display()
    );
    assert!(
        (duration - span).abs() <= TOLERANCE_SECS,
        "the recording lasts {duration:.2} s, the bot was in the call {span:.2} s"
    );
    assert!(duration <= joined_to_ended(record) + 0.5, "no longer than the job's time in the call");
    assert!(mean > -60.0, "the meeting's audio is in the recording: mean volume {mean} dB (max {max} dB)");
    decode_audio_at(file, duration / 2.0).unwrap_or_else(|e| panic!("seeking to the middle failed: {e}"));
    duration
}

/// `meeting.json` of a sound-only recording: the record and timeline, the audio's figures, and
/// none of a picture's.
fn assert_sound_only_meeting_json(path: &Path, record: &HashMap<String, String>) {
    let meeting = assert_meeting_json_of_any_recording(path, record);
    let timeline = meeting["timeline"].as_array().map(Vec::as_slice).unwrap_or_default();
    let started = timeline.iter().find(|e| e["type"] == "recording").map(|e| e["detail"].clone());
    assert_eq!(started, Some(json!("started (sound only)")), "the timeline says what was recorded: {timeline:?}");
    let quality = meeting["recording"].as_object().unwrap_or_else(|| panic!("no quality: {meeting}"));
    for picture in ["video_frames", "frames_per_second", "longest_video_gap_secs", "frame_sizes", "frame_size_changed"]
    {
        assert!(!quality.contains_key(picture), "no `{picture}` without a picture: {quality:?}");
    }
}

#[test]
fn sound_only_webm_recording_of_a_meeting_the_host_ends() {
    let _turn = turn();
    let dirs = Dirs::new();
    let redis = RedisServer::start();
    let worker = meet_worker(&redis, &dirs.config_with("webm", false));
    let link = MeetingLink::meet(Scenario::Instant);
    redis.push(&meet_job("rec-sound", &link.url, None));

    wait_for_state(&redis, "rec-sound", "in_call", Duration::from_secs(30));
    thread::sleep(IN_CALL);
    FIXTURES.end_meeting(&link.id);
    let record = wait_for_end(&redis, "rec-sound", JOB_TIMEOUT);
    assert_ended(&record, "completed", "ended_by_host");

    let file = file_of(&record, &dirs.stored("rec-sound", "recording.webm"));
    assert_sound_only_recording(&file, &record, "opus", meeting_span(&link, ActionKind::EndedByHost));
    // The window is minimized while the sound is recorded: the page draws next to no frames.
    let (drawn, focused) = frames_drawn_before(&link, ActionKind::EndedByHost);
    assert!(drawn <= FEW_FRAMES, "a sound-only call's page draws no frames nobody records: {drawn} in 2 s");
    assert!(focused, "the page keeps the focus while its window is minimized");
    assert!(probe(&file).format.contains("webm"), "{:?}", probe(&file));
    assert!(webm_has_cues(&file), "the WebM has a seek index (Cues)");
    assert_sound_only_meeting_json(&dirs.stored("rec-sound", "meeting.json"), &record);
    assert_spool_gone(&dirs, "rec-sound");

    // The page stopped the tab's video capture (its status, logged when the recording started),
    // and no frame was counted.
    let log = worker.log();
    assert!(log.contains("recording sound only: 1 audio, video capture stopped"), "{log}");
    assert!(log.contains("window minimized while the sound is recorded"), "{log}");
    let metrics = worker.get("/metrics").body;
    let frames = metrics
        .lines()
        .find_map(|l| l.strip_prefix("meetbot_recording_frames_total ")?.parse::<f64>().ok())
        .unwrap_or(0.0);
    assert_eq!(frames, 0.0, "no video frames counted: {metrics}");
}

#[test]
fn sound_only_mp4_is_an_aac_m4a_and_the_silence_rule_still_hears_the_meeting() {
    let _turn = turn();
    let dirs = Dirs::new();
    let redis = RedisServer::start();
    let _worker = meet_worker(&redis, &dirs.config_with("mp4", false));
    let link = MeetingLink::meet(Scenario::Instant);
    let rules = json!({"silence_timeout_secs": 3, "silence_activate_after_secs": 1});
    redis.push(&meet_job("rec-m4a", &link.url, Some(rules)));

    wait_for_state(&redis, "rec-m4a", "in_call", Duration::from_secs(30));
    // The meeting talks: several silence timeouts pass without the rule firing.
    thread::sleep(Duration::from_secs(7));
    let state = redis.job("rec-m4a").get("state").cloned().unwrap_or_default();
    assert_eq!(state, "in_call", "the bot must stay while the meeting is heard");
    FIXTURES.set_silence(&link.id, true);
    let record = wait_for_end(&redis, "rec-m4a", JOB_TIMEOUT);
    assert_ended(&record, "completed", "silence");

    let file = file_of(&record, &dirs.stored("rec-m4a", "recording.m4a"));
    for other in ["recording.mp4", "recording.webm"] {
        assert!(!dirs.stored("rec-m4a", other).exists(), "only the M4A is stored, not {other}");
    }
    // The meeting went quiet before the end: the sound of the call as a whole is what is heard.
    assert_sound_only_recording(&file, &record, "aac", meeting_span(&link, ActionKind::LeaveClicked));
    assert!(probe(&file).format.contains("m4a"), "{:?}", probe(&file));
    assert!(mp4_index_first(&file), "the M4A index (moov) comes before the media (faststart)");
    assert_sound_only_meeting_json(&dirs.stored("rec-m4a", "meeting.json"), &record);
    assert_spool_gone(&dirs, "rec-m4a");
}
