//! The recorder survives a main-frame navigation during the call.
//!
//! Meeting clients sometimes replace the whole document while the bot is in the call (a reload,
//! a move to another room URL). The recorder's answer (docs/NOTES.md, "Browser, recording,
//! storage") is to start a new spool segment on every main-frame navigation, capture the new
//! document again, and let finalize join the segments into one recording. This test proves that
//! with the real parts, no mocks: the job's Chromium launched as the worker launches it, the
//! recorder started as the runner starts it, a page served from here that plays a tone and
//! animates a canvas, a `location.assign` halfway through, and finalize with the real ffmpeg.
//!
//! It asserts that the spool holds a segment per document, each with moving video and audible
//! sound; that the new document is laid out at the recording's size like the first (Chromium's
//! "sharing this tab" bar took its room again; a taller page would be letterboxed in every frame);
//! that the finalized WebM has one video and one audio stream, lasts about as long as the
//! recorder ran (only the moments of the page change itself are missing), has frames right up to
//! its end and from the second document well past the join, and is not silent; and that the
//! audio meter (the silence rule's input) reports sound again after the page change.
//!
//! A second test: when the page changes to one that hangs (it never answers again, so it neither
//! captures nor confirms a stop), stopping still hands over, in bounded time, what was recorded
//! before.
//!
//! Needs Chromium (`chromium` on PATH) and ffmpeg/ffprobe.

#[path = "support/media.rs"]
#[allow(dead_code)] // the harness's media helpers; this test uses a few
mod media;

mod recorder_kit;

use std::{
    path::Path,
    time::{Duration, Instant},
};

use axum::{Router, response::Html, routing::get};
use chromiumoxide::{
    Page,
    cdp::{
        browser_protocol::page::CreateIsolatedWorldParams,
        js_protocol::runtime::{EvaluateParams, ExecutionContextId},
    },
};
use meetbot_host::{
    browser::{self, JobBrowser},
    config::{BrowserConfig, RecordingFormat},
    recorder::{Output, Recorder, RecorderEvent, Spooled, Tracks, finalize},
};
use tokio::sync::mpsc;

/// How long each document is recorded.
const PART: Duration = Duration::from_secs(4);
/// The recording's frame size: `browser.window_size`'s default, as the runner passes it.
const SIZE: (u32, u32) = (1280, 720);
/// The least the joined recording may last of the ~8 s the two documents were captured.
const MIN_DURATION_SECS: f64 = 6.5;
/// How much shorter than the time the two documents were captured the recording may be: what
/// the old document had not yet handed over when it went away is lost with it (the unfinished
/// 1 s timeslice, and on a busy machine what the encoder still held).
const TOLERANCE_SECS: f64 = 2.0;
/// `volumedetect` mean above this: the tone is in the recording, not silence.
const AUDIBLE_DB: f64 = -60.0;
/// The level the runner counts as sound for the silence rule (runner/meeting.rs `SOUND_LEVEL`).
const SOUND_LEVEL: f32 = 0.005;

/// A stand-in meeting page: audible (a tone through the page's AudioContext, which tab capture
/// records, as the fake meetings in tests/fixtures do) and moving (a ball drawn on a canvas every
/// frame, so tab capture keeps sending frames; the rest of the picture stands still, which keeps
/// encoding cheap on a busy machine). `window.meetingReady` turns true once both run.
const PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>meeting</title></head>
<body style="margin:0;overflow:hidden;background:#202124">
<canvas id="stage" width="1280" height="720" style="display:block;width:100vw;height:100vh"></canvas>
<script>
  window.meetingReady = false;
  const audio = new AudioContext();
  const tone = audio.createOscillator();
  tone.frequency.value = 440;
  const volume = audio.createGain();
  volume.gain.value = 0.2;
  tone.connect(volume).connect(audio.destination);
  tone.start();
  const g = document.getElementById('stage').getContext('2d');
  const draw = (now) => {
    const t = now / 1000;
    g.fillStyle = location.pathname === '/a' ? '#2d6a4f' : '#1d4e89';
    g.fillRect(0, 0, 1280, 720);
    g.fillStyle = '#fff';
    g.beginPath();
    g.arc(640 + 400 * Math.sin(t * 2), 360, 80, 0, 2 * Math.PI);
    g.fill();
    g.font = '48px sans-serif';
    g.fillText(location.pathname, 40, 80);
    requestAnimationFrame(draw);
  };
  requestAnimationFrame(draw);
  audio.resume().then(() => { window.meetingReady = audio.state === 'running'; });
</script>
</body></html>"#;

/// One browser at a time: two recordings at once on a 2-core machine starve each other's capture.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A document whose script never returns: the renderer answers nothing once it is loaded.
const HANGING_PAGE: &str = "<!doctype html><html><body><script>for (;;) {}</script></body></html>";

/// Serves [`PAGE`] at `/a` and `/b`, and [`HANGING_PAGE`] at `/hang`, on a free local port; the
/// base URL.
async fn serve() -> String {
    let app = Router::new()
        .route("/a", get(|| async { Html(PAGE) }))
        .route("/b", get(|| async { Html(PAGE) }))
        .route("/hang", get(|| async { Html(HANGING_PAGE) }));
    recorder_kit::serve(app).await
}

/// Evaluates `expression` until it is `true`; how long that took. Errors count as "not yet":
/// during a navigation the old document is gone before the new one answers.
async fn wait_until(page: &Page, expression: &str, timeout: Duration) -> Duration {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(result) = page.evaluate_expression(expression).await
            && result.into_value::<bool>().unwrap_or(false)
        {
            return start.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("`{expression}` did not become true within {timeout:?}");
}

/// Waits until the recorder captures the page's current document: its capture script defined
/// `__meetbotRecorderStop` in the recorder's isolated world (`meetbot-recorder`; the page's own
/// scripts do not see it). Chromium gives a frame one world per name, so the test's request for a
/// world of that name lands in the recorder's.
async fn wait_until_captured(page: &Page, timeout: Duration) {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(Some(world)) = recorder_world(page).await {
            let check = EvaluateParams::builder()
                .expression("typeof window.__meetbotRecorderStop === 'function'")
                .context_id(world)
                .return_by_value(true)
                .build()
                .expect("evaluate params");
            if let Ok(result) = page.evaluate_expression(check).await
                && result.into_value::<bool>().unwrap_or(false)
            {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the recorder did not capture the new document within {timeout:?}");
}

/// The execution context of the recorder's isolated world in the page's current document.
async fn recorder_world(page: &Page) -> Result<Option<ExecutionContextId>, chromiumoxide::error::CdpError> {
    let Some(frame) = page.mainframe().await? else { return Ok(None) };
    let mut world = CreateIsolatedWorldParams::new(frame);
    world.world_name = Some("meetbot-recorder".to_owned());
    Ok(Some(page.execute(world).await?.result.execution_context_id))
}

/// The size the page is laid out at (its viewport), `[width, height]`.
async fn layout(page: &Page) -> Vec<u32> {
    let result = page.evaluate_expression("[innerWidth, innerHeight]").await.expect("read the viewport");
    result.into_value().expect("two numbers")
}

/// The span (seconds) from the first to the last video frame of a file.
fn video_span(file: &Path) -> (usize, f64) {
    let frames = media::video_frame_times(file);
    let span = frames.last().zip(frames.first()).map(|(last, first)| last - first).unwrap_or(0.0);
    (frames.len(), span)
}

/// Navigates the recorded page to `path` the way a meeting client replaces itself (a main-frame
/// navigation the page starts, deferred so the evaluation returns before its document goes away),
/// and waits until the recorder captures the new document (capture.js defines
/// `__meetbotRecorderStop` in the recorder's world once it captures one).
async fn change_page(page: &Page, path: &str) {
    page.evaluate_expression(format!("setTimeout(() => location.assign('{path}'), 0)")).await.expect("navigate");
    let arrived = format!("location.pathname === '{path}' && window.meetingReady === true");
    wait_until(page, &arrived, Duration::from_secs(10)).await;
    wait_until_captured(page, Duration::from_secs(10)).await;
}

/// Moves what the recorder reported so far into `levels` and `failures`.
fn drain(events: &mut mpsc::UnboundedReceiver<RecorderEvent>, levels: &mut Vec<f32>, failures: &mut Vec<String>) {
    while let Ok(event) = events.try_recv() {
        match event {
            RecorderEvent::Level(rms) => levels.push(rms),
            RecorderEvent::Failed(message) | RecorderEvent::SpoolFailed(message) => failures.push(message),
        }
    }
}

/// A job's browser on `/a`, recorded (its picture too when `video`).
struct Call {
    job_browser: JobBrowser,
    page: Page,
    recorder: Recorder,
    events: mpsc::UnboundedReceiver<RecorderEvent>,
    /// The spool folder, removed when the test ends.
    spool: tempfile::TempDir,
}

/// Launches the job's browser as the runner does (the default `[browser]` section), opens `/a` of
/// a fresh server, and starts the recorder as the runner does once the bot is in the call; with
/// `video` false as `recording.video = false` has it (sound only).
async fn record_a(job_id: &str, video: bool) -> Call {
    let base = serve().await;
    let spool = tempfile::tempdir().expect("spool dir");
    let config = BrowserConfig::default();
    let executable = browser::find_executable(&config.executable).expect("Chromium installed");
    let job_browser = browser::launch(&config, &executable, spool.path(), job_id).await.expect("launch Chromium");
    let page = recorder_kit::job_page(&job_browser).await;
    page.goto(format!("{base}/a")).await.expect("open /a");
    wait_until(&page, "window.meetingReady === true", Duration::from_secs(10)).await;
    let (events_tx, events) = mpsc::unbounded_channel();
    let recorder =
        Recorder::start(&job_browser, spool.path(), Tracks { size: SIZE, video, page_frame_rate: None }, events_tx)
            .await
            .expect("start recording");
    Call { job_browser, page, recorder, events, spool }
}

/// What a recording across a page change left: the spool, the layouts and levels on either side,
/// the recorder's failures, and when (seconds since recording began) the page changed, was captured
/// again and the recording stopped; `captured` leaves out the moments between the two captures.
struct PageChanged {
    spooled: Spooled,
    /// The spool folder, removed when the test ends.
    _spool: tempfile::TempDir,
    layout_before: Vec<u32>,
    layout_after: Vec<u32>,
    levels_before: Vec<f32>,
    levels_after: Vec<f32>,
    failures: Vec<String>,
    navigated: Duration,
    recaptured: Duration,
    wall: f64,
    captured: f64,
}

/// Records [`PART`] of one document, lets the page replace itself (as a meeting client does),
/// records [`PART`] of the new one, then stops; the spool took every chunk.
async fn change_page_while_recording(name: &str, video: bool) -> PageChanged {
    let Call { job_browser, page, recorder, mut events, spool } = record_a(name, video).await;
    let started = Instant::now();
    tokio::time::sleep(PART).await;
    let layout_before = layout(&page).await;
    let navigated = started.elapsed();
    change_page(&page, "/b").await;
    let recaptured = started.elapsed();
    // What the recorder reported until now; all that comes later is from the new document.
    let (mut failures, mut levels_before) = (Vec::new(), Vec::new());
    drain(&mut events, &mut levels_before, &mut failures);
    tokio::time::sleep(PART).await;
    let layout_after = layout(&page).await;
    let wall = started.elapsed().as_secs_f64();
    let captured = wall - (recaptured - navigated).as_secs_f64();
    let spooled = recorder.stop().await;
    assert_eq!(spooled.failure, None, "the spool took every chunk");
    let mut levels_after = Vec::new();
    drain(&mut events, &mut levels_after, &mut failures);
    job_browser.close().await;
    PageChanged {
        spooled,
        _spool: spool,
        layout_before,
        layout_after,
        levels_before,
        levels_after,
        failures,
        navigated,
        recaptured,
        wall,
        captured,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_change_in_the_call_is_recorded_into_one_file() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "meetbot_host=info".to_owned()))
        .try_init();
    let _one = ONE_BROWSER.lock().await;
    let PageChanged {
        spooled,
        _spool,
        layout_before,
        layout_after,
        levels_before,
        levels_after,
        failures,
        navigated,
        recaptured,
        wall,
        captured,
    } = change_page_while_recording("recorder-navigation", true).await;

    // One segment per document, each with video and audible sound.
    eprintln!(
        "navigated at {:.2} s, captured again at {:.2} s, stopped at {wall:.2} s; {} bytes in {} segments",
        navigated.as_secs_f64(),
        recaptured.as_secs_f64(),
        spooled.bytes,
        spooled.segments.len()
    );
    assert!(failures.is_empty(), "the recorder reported problems: {failures:?}");
    // The new document is laid out at the recording's size, as the first one was (the sharing
    // bar took its room): not taller, which would letterbox every frame of the second part.
    eprintln!("viewport: {layout_before:?} on /a, {layout_after:?} on /b");
    assert_eq!(layout_before, [SIZE.0, SIZE.1], "the first document is laid out at the recording's size");
    assert_eq!(layout_after, layout_before, "the second document is laid out as the first one was");
    assert!(spooled.segments.len() >= 2, "a segment per document: {:?}", spooled.segments);
    let mut spans = Vec::new();
    for (i, segment) in spooled.segments.iter().enumerate() {
        let (frames, span) = video_span(segment);
        let (mean, max) = media::volume(segment);
        eprintln!("segment {i}: {frames} frames over {span:.2} s, mean volume {mean} dB, max {max} dB");
        assert!(frames >= 5, "segment {i} has video: {frames} frames over {span:.2} s");
        assert!(mean > AUDIBLE_DB, "segment {i} is audible: mean volume {mean} dB");
        spans.push(span);
    }
    // The new document is captured all along, not just for a moment after the change.
    let (first_part, last_part) = (spans[0], spans[spans.len() - 1]);
    assert!(
        last_part >= PART.as_secs_f64() - 1.5,
        "the new document's video runs until the stop: {last_part:.2} s of the {:.2} s after it was captured",
        wall - recaptured.as_secs_f64()
    );
    // The silence rule keeps hearing the meeting: the new document's audio is metered too.
    let heard = |levels: &[f32]| levels.iter().filter(|&&rms| rms > SOUND_LEVEL).count();
    assert!(
        heard(&levels_before) >= 2 && heard(&levels_after) >= 2,
        "the meter hears the meeting before and after the page change: {levels_before:?}, then {levels_after:?}"
    );

    // Finalized as the runner does (keep.rs): one file with both documents in it.
    let (file, duration) =
        finalize::finalize(&spooled.segments, Output { format: RecordingFormat::Webm, video: true }, &spooled.dir)
            .await
            .expect("finalize");
    let probe = media::probe(&file);
    let (video, audio) = (probe.of_kind("video"), probe.of_kind("audio"));
    assert_eq!((video.len(), audio.len()), (1, 1), "one video and one audio stream: {probe:?}");
    assert_eq!((video[0].codec.as_str(), audio[0].codec.as_str()), ("vp8", "opus"), "{probe:?}");
    let frames = media::video_frame_times(&file);
    let last_frame = frames.last().copied().unwrap_or(0.0);
    // Frames from the second document: past the first segment's span, with room for where the
    // join puts its first frame.
    let second_part = frames.iter().filter(|&&t| t > first_part + 0.5).count();
    let (mean, max) = media::volume(&file);
    eprintln!(
        "{}: {duration:.2} s of {captured:.2} s recorded; {} frames, last at {last_frame:.2} s, {second_part} after \
         {first_part:.2} s; mean volume {mean} dB, max {max} dB",
        file.display(),
        frames.len()
    );
    assert!(
        duration >= MIN_DURATION_SECS && duration <= captured + 0.5 && duration >= captured - TOLERANCE_SECS,
        "the recording covers both documents: {duration:.2} s of the {captured:.2} s they were captured"
    );
    assert!(last_frame >= duration - 2.0, "video to the end: the last frame at {last_frame:.2} of {duration:.2} s");
    assert!(second_part >= 10, "video after the page change: {second_part} frames after {first_part:.2} s");
    assert!(mean > AUDIBLE_DB, "the recording is audible: mean volume {mean} dB (max {max} dB)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_after_a_change_to_a_hanging_page_keeps_what_was_recorded() {
    let _one = ONE_BROWSER.lock().await;
    let Call { job_browser, page, recorder, mut events, spool: _spool } = record_a("recorder-hang", true).await;
    tokio::time::sleep(PART).await;
    page.evaluate_expression("setTimeout(() => location.assign('/hang'), 0)").await.expect("navigate to /hang");
    tokio::time::sleep(Duration::from_secs(1)).await;

    let stopping = Instant::now();
    let spooled = recorder.stop().await;
    let took = stopping.elapsed();
    job_browser.close().await;
    let (mut levels, mut failures) = (Vec::new(), Vec::new());
    drain(&mut events, &mut levels, &mut failures);
    eprintln!("stopped in {took:.2?}; {} segments; recorder reported {failures:?}", spooled.segments.len());
    assert!(took < Duration::from_secs(20), "stopping is bounded even when the page hangs: {took:?}");
    assert_eq!(spooled.segments.len(), 1, "only the first document was captured: {:?}", spooled.segments);
    let (file, duration) =
        finalize::finalize(&spooled.segments, Output { format: RecordingFormat::Webm, video: true }, &spooled.dir)
            .await
            .expect("finalize");
    let (mean, _) = media::volume(&file);
    assert!(duration >= PART.as_secs_f64() - TOLERANCE_SECS, "the first document's {PART:?} are kept: {duration:.2} s");
    assert!(mean > AUDIBLE_DB, "the kept recording is audible: mean volume {mean} dB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_change_during_a_sound_only_recording_is_recorded_into_one_file() {
    let _one = ONE_BROWSER.lock().await;
    let PageChanged {
        spooled,
        _spool,
        layout_before,
        layout_after,
        levels_before,
        levels_after,
        failures,
        navigated,
        recaptured,
        wall,
        captured,
    } = change_page_while_recording("recorder-navigation-sound", false).await;

    eprintln!(
        "navigated at {:.2} s, captured again at {:.2} s, stopped at {wall:.2} s; {} bytes in {} segments; \
         viewport {layout_before:?} on /a, {layout_after:?} on /b",
        navigated.as_secs_f64(),
        recaptured.as_secs_f64(),
        spooled.bytes,
        spooled.segments.len()
    );
    assert!(failures.is_empty(), "the recorder reported problems: {failures:?}");
    // The sharing bar comes for a sound-only capture too; the page keeps the room it has unrecorded.
    assert_eq!(layout_before, [SIZE.0, SIZE.1], "the page is laid out as it is unrecorded");
    assert!(
        layout_after[0] == SIZE.0 && layout_after[1] >= SIZE.1,
        "the new document is laid out no smaller: {layout_after:?}"
    );
    assert!(spooled.segments.len() >= 2, "a segment per document: {:?}", spooled.segments);
    for (i, segment) in spooled.segments.iter().enumerate() {
        let probe = media::probe(segment);
        let (mean, _) = media::volume(segment);
        eprintln!("segment {i}: {probe:?}, mean volume {mean} dB");
        assert!(probe.of_kind("video").is_empty(), "segment {i}: the page recorded no picture: {probe:?}");
        assert_eq!(probe.of_kind("audio").len(), 1, "segment {i}: {probe:?}");
        assert!(mean > AUDIBLE_DB, "segment {i} is audible: mean volume {mean} dB");
    }
    let heard = |levels: &[f32]| levels.iter().filter(|&&rms| rms > SOUND_LEVEL).count();
    assert!(
        heard(&levels_before) >= 2 && heard(&levels_after) >= 2,
        "the meter hears the meeting before and after the page change: {levels_before:?}, then {levels_after:?}"
    );

    let output = Output { format: RecordingFormat::Webm, video: false };
    let (file, duration) = finalize::finalize(&spooled.segments, output, &spooled.dir).await.expect("finalize");
    let probe = media::probe(&file);
    let (mean, max) = media::volume(&file);
    eprintln!(
        "{}: {duration:.2} s of {captured:.2} s recorded; {probe:?}; mean volume {mean} dB, max {max} dB",
        file.display()
    );
    assert!(probe.of_kind("video").is_empty(), "no video stream: {probe:?}");
    let audio = probe.of_kind("audio");
    assert_eq!((audio.len(), audio[0].codec.as_str()), (1, "opus"), "one Opus stream: {probe:?}");
    assert!(
        duration >= MIN_DURATION_SECS && duration <= captured + 0.5 && duration >= captured - TOLERANCE_SECS,
        "the recording covers both documents: {duration:.2} s of the {captured:.2} s they were captured"
    );
    assert!(mean > AUDIBLE_DB, "the recording is audible: mean volume {mean} dB (max {max} dB)");
}
