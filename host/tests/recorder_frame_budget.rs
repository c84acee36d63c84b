//! The page frame budget (`recording.page_frame_rate`, docs/REFERENCE.md section 7) as the page
//! sees it: once its tab is recorded with the picture, the page's animation frames come at most
//! N times a second (before the recording: as the browser gives them, about 60), and
//! `requestAnimationFrame` still behaves as specified: same name and length, callbacks asked for
//! before a frame run together in order with one timestamp, an exception in one is reported and
//! the others still run, `cancelAnimationFrame` cancels, a callback asking for the next frame waits
//! for the budget's next slot, anything but a function gets the browser's own TypeError. A new
//! document after a navigation gets the budget again. A `<video>` tile (as real Meet draws its
//! participants) is not slowed by it: it still presents all its frames, and the recording has 15
//! frames a second of it while the page's own animation frames come 5 times a second.
//!
//! The real parts: the job's Chromium launched as the worker launches it, the recorder started as
//! the runner starts it, a page served from here, a video made by the real ffmpeg, and the
//! recording finalized by it. Needs Chromium and ffmpeg/ffprobe.

#[path = "support/media.rs"]
#[allow(dead_code)] // the harness's media helpers; this test uses one
mod media;
mod recorder_kit;

use std::time::{Duration, Instant};

use axum::{Router, response::Html, routing::get};
use chromiumoxide::Page;
use meetbot_host::{
    browser,
    config::{BrowserConfig, RecordingFormat},
    recorder::{Output, Recorder, Tracks, finalize},
};
use serde_json::Value;
use tokio::sync::mpsc;

/// The recording's frame size: `browser.window_size`'s default.
const SIZE: (u32, u32) = (1280, 720);
/// The budget under test.
const BUDGET: u32 = 10;
/// One browser recording at a time: the tests' frame rates are the point, and two recordings at
/// once share 2 cores.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How often a count grows a second over `ms`, for the pages' counters: divided by the time that
/// really passed, since a timer may fire late on a busy machine.
const RATE_JS: &str = "window.rateOf = (read, ms) => new Promise((resolve) => {
    const from = read();
    const start = performance.now();
    setTimeout(() => resolve((read() - from) * 1000 / (performance.now() - start)), ms);
  });";

/// A test page: `body` and then `script`, with [`RATE_JS`] before it.
fn page(body: &str, script: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>meeting</title></head>\n\
         <body style=\"margin:0;background:#202124\">{body}<script>{RATE_JS}\n{script}</script></body></html>"
    )
}

/// A page that asks for an animation frame from each one, counting them (as a canvas stage does).
fn stage_page() -> String {
    page(
        "",
        "let drawn = 0;
  const draw = () => { drawn += 1; document.body.style.background = drawn % 2 ? '#202124' : '#212225'; requestAnimationFrame(draw); };
  requestAnimationFrame(draw);
  window.countFrames = (ms) => rateOf(() => drawn, ms);",
    )
}

/// A page with one `<video>` tile playing a 30 frames/s clip in a loop, counting the video frames
/// it presents (`requestVideoFrameCallback`) and its own animation frames.
fn video_page() -> String {
    page(
        r#"<video id="tile" src="/tile.webm" autoplay muted loop playsinline style="width:640px;height:360px"></video>"#,
        "let drawn = 0;
  let presented = 0;
  const draw = () => { drawn += 1; requestAnimationFrame(draw); };
  requestAnimationFrame(draw);
  const tile = document.getElementById('tile');
  const shown = () => { presented += 1; tile.requestVideoFrameCallback(shown); };
  tile.requestVideoFrameCallback(shown);
  window.countFrames = (ms) => rateOf(() => drawn, ms);
  window.countVideoFrames = (ms) => rateOf(() => presented, ms);",
    )
}

/// What the page finds of `requestAnimationFrame`'s behaviour, as JSON.
const BEHAVIOUR: &str = r#"(async () => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const found = {
    name: requestAnimationFrame.name,
    length: requestAnimationFrame.length,
    cancelName: cancelAnimationFrame.name,
  };
  let cancelledRan = false;
  cancelAnimationFrame(requestAnimationFrame(() => { cancelledRan = true; }));
  const seen = [];
  let reported = 0;
  addEventListener('error', (event) => {
    if (String(event.message).includes('budget test')) { reported += 1; event.preventDefault(); }
  });
  requestAnimationFrame((t) => seen.push(['a', t]));
  requestAnimationFrame(() => { throw new Error('budget test'); });
  requestAnimationFrame((t) => seen.push(['b', t]));
  await sleep(500);
  found.cancelledRan = cancelledRan;
  found.order = seen.map((s) => s[0]).join('');
  found.oneTimestamp = seen.length === 2 && seen[0][1] === seen[1][1] && seen[0][1] > 0;
  found.reported = reported;
  const times = await new Promise((resolve) => {
    const ts = [];
    const step = (t) => { ts.push(t); if (ts.length < 5) requestAnimationFrame(step); else resolve(ts); };
    requestAnimationFrame(step);
  });
  found.shortestStep = Math.min(...times.slice(1).map((t, i) => t - times[i]));
  try { requestAnimationFrame(42); found.typeError = false; } catch (error) { found.typeError = error instanceof TypeError; }
  return found;
})()"#;

/// Animation frames a second the page ran, counted over `ms` (and divided by the time that really
/// passed: a timer may fire late on a busy machine).
async fn frames_per_second(page: &Page, ms: u32) -> f64 {
    let counted = page.evaluate_expression(format!("countFrames({ms})")).await.expect("count frames");
    counted.into_value().expect("a rate")
}

/// Waits until the page's new document after a navigation runs its script and has the budget on
/// again (fewer than 40 frames a second).
async fn wait_for_budget(page: &Page, timeout: Duration) {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if page.evaluate_expression("typeof countFrames").await.ok().and_then(|r| r.into_value::<String>().ok())
            == Some("function".to_owned())
            && frames_per_second(page, 1000).await < 40.0
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the new document's frames were not budgeted within {timeout:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_page_gets_its_animation_frames_at_the_budgets_rate_and_as_specified() {
    let _turn = TURN.lock().await;
    let base = recorder_kit::serve(Router::new().route("/", get(|| async { Html(stage_page()) }))).await;
    let spool = tempfile::tempdir().expect("spool dir");
    let config = BrowserConfig::default();
    let executable = browser::find_executable(&config.executable).expect("Chromium installed");
    let job_browser = browser::launch(&config, &executable, spool.path(), "frame-budget").await.expect("launch");
    let page = recorder_kit::job_page(&job_browser).await;
    page.goto(format!("{base}/")).await.expect("open the page");

    let unbudgeted = frames_per_second(&page, 1000).await;
    let (events_tx, _events) = mpsc::unbounded_channel();
    let tracks = Tracks { size: SIZE, video: true, page_frame_rate: Some(BUDGET) };
    let recorder = Recorder::start(&job_browser, spool.path(), tracks, events_tx).await.expect("start recording");
    let budgeted = frames_per_second(&page, 2000).await;
    let behaviour: Value = page.evaluate_expression(BEHAVIOUR).await.expect("behaviour").into_value().expect("JSON");

    // A new document (the meeting client reloading) is captured again, and budgeted again.
    page.goto(format!("{base}/")).await.expect("open the page again");
    wait_for_budget(&page, Duration::from_secs(10)).await;
    let after_navigation = frames_per_second(&page, 2000).await;
    recorder.stop().await;
    job_browser.close().await;
    eprintln!(
        "measured: {unbudgeted:.1} frames a second before the recording; {budgeted:.1} recorded with a budget of \
         {BUDGET}; {after_navigation:.1} on the next document; {behaviour}"
    );

    assert!(unbudgeted > 30.0, "before the recording the page runs at the browser's rate: {unbudgeted:.1} a second");
    let budget = f64::from(BUDGET);
    let expected = (budget / 3.0)..=(budget + 1.0);
    assert!(expected.contains(&budgeted), "at most {BUDGET} frames a second: {budgeted:.1}");
    assert!(expected.contains(&after_navigation), "the next document too: {after_navigation:.1} a second");
    assert_eq!(behaviour["name"], "requestAnimationFrame", "{behaviour}");
    assert_eq!(behaviour["length"], 1, "{behaviour}");
    assert_eq!(behaviour["cancelName"], "cancelAnimationFrame", "{behaviour}");
    assert_eq!(behaviour["cancelledRan"], false, "a cancelled callback does not run: {behaviour}");
    assert_eq!(behaviour["order"], "ab", "callbacks run in order, past one that threw: {behaviour}");
    assert_eq!(behaviour["oneTimestamp"], true, "callbacks of one frame share its timestamp: {behaviour}");
    assert_eq!(behaviour["reported"], 1, "the exception is reported as an uncaught one: {behaviour}");
    let step = behaviour["shortestStep"].as_f64().unwrap_or(0.0);
    let slot = 1000.0 / f64::from(BUDGET);
    assert!(step >= slot - 2.0, "a callback asking for the next frame waits for the next slot ({slot} ms): {step}");
    assert_eq!(behaviour["typeError"], true, "a non-function gets the browser's TypeError: {behaviour}");
}

/// A 3 s, 30 frames/s VP8 clip of ffmpeg's test pattern.
fn tile_clip(dir: &std::path::Path) -> Vec<u8> {
    let clip = dir.join("tile.webm");
    let made = std::process::Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=30", "-t", "3"])
        .args(["-c:v", "libvpx", "-b:v", "400k"])
        .arg(&clip)
        .status()
        .expect("run ffmpeg");
    assert!(made.success(), "ffmpeg made the clip");
    std::fs::read(&clip).expect("read the clip")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_video_tile_is_not_slowed_by_the_budget_and_the_recording_keeps_its_frames() {
    let _turn = TURN.lock().await;
    let spool = tempfile::tempdir().expect("spool dir");
    let clip = tile_clip(spool.path());
    let app = Router::new().route("/", get(|| async { Html(video_page()) })).route(
        "/tile.webm",
        get(move || {
            let clip = clip.clone();
            async move { ([("content-type", "video/webm")], clip) }
        }),
    );
    let base = recorder_kit::serve(app).await;
    let config = BrowserConfig::default();
    let executable = browser::find_executable(&config.executable).expect("Chromium installed");
    let job_browser = browser::launch(&config, &executable, spool.path(), "frame-budget-video").await.expect("launch");
    let page = recorder_kit::job_page(&job_browser).await;
    page.goto(format!("{base}/")).await.expect("open the page");

    let (events_tx, _events) = mpsc::unbounded_channel();
    let tracks = Tracks { size: SIZE, video: true, page_frame_rate: Some(5) };
    let recorder = Recorder::start(&job_browser, spool.path(), tracks, events_tx).await.expect("start recording");
    let started = Instant::now();
    let (drawn, presented) = tokio::join!(frames_per_second(&page, 2000), async {
        let counted = page.evaluate_expression("countVideoFrames(2000)").await.expect("count video frames");
        counted.into_value::<f64>().expect("a rate")
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    let wall = started.elapsed().as_secs_f64();
    let spooled = recorder.stop().await;
    job_browser.close().await;
    let output = Output { format: RecordingFormat::Webm, video: true };
    let (file, duration) = finalize::finalize(&spooled.segments, output, &spooled.dir).await.expect("finalize");
    let frames = media::video_frame_times(&file);
    let fps = frames.len() as f64 / duration;
    eprintln!(
        "measured: the page ran {drawn:.1} animation frames a second and its video tile presented {presented:.1}; \
         the recording: {} frames in {duration:.2} s ({fps:.1} a second) of {wall:.2} s",
        frames.len()
    );

    // Measured on a quiet machine: 5.5, 29.5 and 15.0; the bounds leave room for a busy one while
    // staying well clear of the budget's 5.
    assert!(drawn <= 6.0, "the page's own animation frames are budgeted to 5 a second: {drawn:.1}");
    assert!(presented >= 15.0, "the video tile still presents its 30 frames a second: {presented:.1}");
    assert!(fps >= 9.0, "the recording keeps the tile's frames (15 a second captured): {fps:.1} a second");
}
