//! What the recorder does with messages its capture script did not send.
//!
//! The capture runs in an isolated world of the meeting page, the only one its DevTools binding is
//! exposed to, so the meeting page's own scripts cannot call it (recording.rs shows that with the
//! fake Meet's hostile page). Behind that, the recorder still trusts nothing it receives. This test
//! sends, from inside the recorder's world while it records, what the fake Meet's hostile page
//! (`tests/fixtures/pages/hostile.js`) would send if it could: thousands of messages with sequence
//! numbers out of range, negative, fractional and backwards, chunks that are no base64, viewport
//! sizes beyond any screen, unknown kinds, text that is no JSON, unasked stop confirmations and
//! error reports, and payloads over the size limit. The recorder logs the first few as ignored and
//! counts the rest, passes only the first few error reports on, keeps memory flat, and the
//! recording goes on and finalizes as if nothing had happened.
//!
//! The real parts, no mocks: the job's Chromium launched as the worker launches it, the recorder
//! started as the runner starts it, a page served from here that plays a tone and animates a
//! canvas, and finalize with the real ffmpeg. Needs Chromium and ffmpeg/ffprobe.

#[path = "support/media.rs"]
#[allow(dead_code)] // the harness's media helpers; this test uses a few
mod media;

mod recorder_kit;

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{Router, response::Html, routing::get};
use chromiumoxide::{
    Page,
    cdp::{browser_protocol::page::CreateIsolatedWorldParams, js_protocol::runtime::EvaluateParams},
};
use meetbot_host::{
    browser,
    config::{BrowserConfig, RecordingFormat},
    recorder::{Output, Recorder, RecorderEvent, Tracks, finalize},
};
use tokio::sync::mpsc;

/// The hostile page's script, from the fake meetings.
const HOSTILE_JS: &str = include_str!("../../tests/fixtures/pages/hostile.js");
/// The recording's frame size: `browser.window_size`'s default, as the runner passes it.
const SIZE: (u32, u32) = (1280, 720);
/// How long the recording goes on after the bogus messages.
const AFTER: Duration = Duration::from_secs(4);
/// How much more memory this process may hold once the messages are handled: some 60 MB of
/// oversized payloads are read whole from DevTools and dropped, and the allocator keeps some
/// freed memory for reuse; nothing of the messages may stay.
const GROWTH_KIB: u64 = 128 * 1024;

/// A stand-in meeting page: a tone and a moving ball, as in recorder_navigation.rs.
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
    g.fillStyle = '#2d6a4f';
    g.fillRect(0, 0, 1280, 720);
    g.fillStyle = '#fff';
    g.beginPath();
    g.arc(640 + 400 * Math.sin(now / 500), 360, 80, 0, 2 * Math.PI);
    g.fill();
    requestAnimationFrame(draw);
  };
  requestAnimationFrame(draw);
  audio.resume().then(() => { window.meetingReady = audio.state === 'running'; });
</script>
</body></html>"#;

/// Everything the recorder logs, for the test to read.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status.lines().find(|line| line.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("VmRSS in kB")
}

/// Serves [`PAGE`] on a free local port; its URL.
async fn serve() -> String {
    format!("{}/", recorder_kit::serve(Router::new().route("/", get(|| async { Html(PAGE) }))).await)
}

/// Evaluates `expression` in the page's own world until it is `true`.
async fn wait_until(page: &Page, expression: &str, timeout: Duration) {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(result) = page.evaluate_expression(expression).await
            && result.into_value::<bool>().unwrap_or(false)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("`{expression}` did not become true within {timeout:?}");
}

/// Runs the hostile page's script inside the recorder's isolated world (Chromium gives a frame one
/// world per name), calling the recorder's binding; what the script reported.
async fn harass_from_the_recorders_world(page: &Page) -> serde_json::Value {
    let frame = page.mainframe().await.expect("main frame").expect("a main frame");
    let mut world = CreateIsolatedWorldParams::new(frame);
    world.world_name = Some("meetbot-recorder".to_owned());
    let world = page.execute(world).await.expect("the recorder's world").result.execution_context_id;
    let script = format!(
        "(async () => {{\n\
           const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));\n\
           let report = null;\n\
           const conn = {{ log: (kind, extra) => {{ report = {{ kind, ...extra }}; }} }};\n\
           {HOSTILE_JS}\n\
           await harassRecorder(conn, window.__meetbotRecorder);\n\
           return report;\n\
         }})()"
    );
    let evaluate = EvaluateParams::builder()
        .expression(script)
        .context_id(world)
        .await_promise(true)
        .return_by_value(true)
        .build()
        .expect("evaluate params");
    page.evaluate_expression(evaluate).await.expect("run the hostile script").into_value().expect("a report")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_the_capture_did_not_send_are_ignored_and_the_recording_goes_on() {
    let logs = Logs::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_env_filter("meetbot_host=info")
        .init();
    let base = serve().await;
    let spool = tempfile::tempdir().expect("spool dir");
    let config = BrowserConfig::default();
    let executable = browser::find_executable(&config.executable).expect("Chromium installed");
    let job_browser = browser::launch(&config, &executable, spool.path(), "recorder-hostile").await.expect("launch");
    let page = recorder_kit::job_page(&job_browser).await;
    page.goto(base).await.expect("open the page");
    wait_until(&page, "window.meetingReady === true", Duration::from_secs(10)).await;
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let recorder = Recorder::start(
        &job_browser,
        spool.path(),
        Tracks { size: SIZE, video: true, page_frame_rate: None },
        events_tx,
    )
    .await
    .expect("start recording");
    let started = Instant::now();

    let before = rss_kib();
    let report = harass_from_the_recorders_world(&page).await;
    let sent = report["count"].as_u64().unwrap_or(0);
    assert!(sent > 4000, "the script sent its messages: {report}");
    assert!(report["text"].as_str().unwrap_or("").contains(", 0 refused"), "{report}");
    tokio::time::sleep(AFTER).await;
    let after = rss_kib();
    let wall = started.elapsed().as_secs_f64();
    let spooled = recorder.stop().await;
    job_browser.close().await;
    eprintln!("measured: test process RSS {before} KiB while recording, {after} KiB after {sent} bogus messages");
    assert!(after.saturating_sub(before) < GROWTH_KIB, "memory grew from {before} to {after} KiB");

    // A few messages logged one by one, then a count; only the first error reports passed on.
    let mut reported = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let RecorderEvent::Failed(message) = event {
            reported.push(message);
        }
    }
    let log = logs.text();
    let logged = log.lines().filter(|line| line.contains("recorder ignored a page message")).count();
    let summary = log.lines().find(|line| line.contains("recorder ignored page messages")).expect("a count");
    let count: u64 = summary
        .split("count=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {summary}"));
    eprintln!("{logged} logged, {count} counted, {} error reports passed on, of {sent}", reported.len());
    assert_eq!(logged, 10, "the first ten are logged one by one");
    assert!(reported.len() <= 10 && reported.iter().all(|m| m.len() <= 300), "{reported:?}");
    // All but the harmless ones: the passed-on errors, a level, and 102 viewport sizes (one too
    // large to act on, 101 too small, each answered by sizing the viewport to the recording).
    assert!(count + reported.len() as u64 + 103 >= sent, "{count} ignored of {sent}: {summary}");
    let longest = log.lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 2000, "a log line of {longest} bytes quotes the page");

    // The recording went on through it all and stopped only when asked.
    assert_eq!(spooled.failure, None);
    assert_eq!(spooled.segments.len(), 1, "{:?}", spooled.segments);
    let (file, duration) =
        finalize::finalize(&spooled.segments, Output { format: RecordingFormat::Webm, video: true }, &spooled.dir)
            .await
            .expect("finalize");
    let (mean, _) = media::volume(&file);
    eprintln!("measured: {duration:.2} s recorded of {wall:.2} s");
    assert!(duration >= wall - 3.0 && duration <= wall + 0.5, "{duration:.2} s recorded of {wall:.2} s");
    assert!(mean > -60.0, "the recording is audible: mean volume {mean} dB");
}
