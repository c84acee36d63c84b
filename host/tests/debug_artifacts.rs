//! Debug artifacts (docs/REFERENCE.md section 7): when a job that reached the meeting page ends
//! `failed`, the host stores `screenshot.png`, `page.html` and `console.log` of that moment under
//! `<job_id>/debug/` beside where the recording would go, and `meeting.json` names them.
//!
//! End to end through the queue with the real `meetbot` binary, real Chromium and the platform
//! plugins against the fake meetings of `meetbot-fixtures`: on each platform a refused bot (denied
//! from the lobby, or blocked before it) leaves the three files. Whether the screenshot shows the
//! refusal is checked without OCR: the `page.html` taken at the same moment holds the platform's
//! refusal text, and the PNG decodes to the configured window size. The job's bearer token is in
//! none of the files, the link's passcode in neither text artifact (`meeting.json`'s job record
//! keeps the link as given, as the API shows it). `debug.artifacts = "off"` stores none, a job
//! that completes stores none by default, and `"always"` stores them for it too.
//!
//! Then, on a browser of its own (no worker), what the page itself controls: a page that logs
//! secrets and thousands of lines, throws, and grows a document larger than kept; the console log
//! holds its lines masked and bounded, the HTML is cut to its bound. And a page that hangs for
//! good holds the job's end up by the time box at most, and its console is kept.
//!
//! Needs the plugins next to the binary: run `cargo build --workspace` first; Chromium on PATH.

mod recorder_kit;
mod support;

use std::path::{Path, PathBuf};

use axum::{Router, response::Html, routing::get};
use meetbot_fixtures::{MeetingLink, Scenario};
use meetbot_host::{
    artifacts::{self, Console, MAX_PAGE_BYTES, Scrub},
    browser,
    config::BrowserConfig,
};
use serde_json::Value;
use support::{
    platform::{Finished, GOOGLE, JOB_TIMEOUT, MICROSOFT, Platform, ZOOM},
    *,
};

/// The three files, by name.
const FILES: [&str; 3] = ["screenshot.png", "page.html", "console.log"];

/// A worker for `platform` that does not record, with `extra` TOML on top.
fn worker(platform: &'static Platform, redis: &RedisServer, extra: &str) -> Worker {
    platform.worker(redis, &format!("[worker]\nmax_concurrent_jobs = 1\n[recording]\nenabled = false\n{extra}"))
}

/// Runs `link`'s scenario as job `bot_id` to its end on a worker configured with `extra`.
fn run(platform: &'static Platform, link: MeetingLink, bot_id: &str, extra: &str) -> Finished {
    let job = |url: &str| platform.job("Notes Bot", bot_id, url, None);
    Finished::run(link, bot_id, job, |redis| worker(platform, redis, extra), JOB_TIMEOUT)
}

/// Where the worker's storage keeps `job_id`'s `file`.
fn stored(worker: &Worker, job_id: &str, file: &str) -> PathBuf {
    worker.dir().join("recordings").join(job_id).join(file)
}

/// The width and height a PNG declares in its IHDR chunk (bytes 16..24), after checking the
/// signature and that the chunk is IHDR.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.len() > 24, "a PNG of {} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&png[12..16], b"IHDR", "the first chunk is IHDR");
    let word = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    (word(16), word(20))
}

/// The passcode in a meeting link's query (`pwd=` or `p=`), if it has one.
fn passcode(url: &str) -> Option<String> {
    let url = url::Url::parse(url).expect("a meeting link");
    url.query_pairs().find(|(key, _)| key == "pwd" || key == "p").map(|(_, value)| value.into_owned())
}

/// The job's three files are stored, `page.html` shows `refusal`, the screenshot has the window's
/// size, `meeting.json` names them, and no secret is in any of them.
fn assert_artifacts(finished: &Finished, job_id: &str, refusal: &str, window: (u32, u32)) {
    let worker = &finished.worker;
    let log = || tail(&worker.log(), 40);
    for file in FILES {
        let path = stored(worker, job_id, &format!("debug/{file}"));
        assert!(path.is_file(), "{} is missing\n--- worker log ---\n{}", path.display(), log());
    }
    let page = std::fs::read_to_string(stored(worker, job_id, "debug/page.html")).expect("page.html");
    assert!(page.contains(refusal), "page.html lacks {refusal:?}:\n{}", &page[..page.len().min(3000)]);
    let png = std::fs::read(stored(worker, job_id, "debug/screenshot.png")).expect("screenshot.png");
    assert_eq!(png_size(&png), window, "the screenshot's size");

    let text = std::fs::read_to_string(stored(worker, job_id, "meeting.json")).expect("meeting.json");
    let meeting: Value = serde_json::from_str(&text).expect("meeting.json is JSON");
    assert_eq!(meeting["job"]["state"], "failed", "{meeting}");
    for (key, file) in [("screenshot", "screenshot.png"), ("page", "page.html"), ("console", "console.log")] {
        let url = meeting["debug"][key].as_str().unwrap_or_else(|| panic!("meeting.json's debug.{key}: {meeting}"));
        assert!(url.starts_with("file://") && url.ends_with(&format!("/{job_id}/debug/{file}")), "{url}");
    }

    // The job's record says where they are (and `meetbot enqueue --wait` prints it).
    let debug_url = finished.record.get("debug_url").cloned().unwrap_or_default();
    assert!(
        debug_url.starts_with("file://") && debug_url.ends_with(&format!("/{job_id}/debug")),
        "{:?}",
        finished.record
    );

    // meeting.json holds the job record, whose `url` is the link as given (as the API shows it);
    // the bearer token is in none of the files, the passcode in none of the artifacts.
    assert!(!text.contains("tok-test"), "meeting.json carries the bearer token");
    let console = std::fs::read_to_string(stored(worker, job_id, "debug/console.log")).expect("console.log");
    let secrets = ["tok-test".to_owned()].into_iter().chain(passcode(&finished.link.url));
    for secret in secrets {
        for (name, text) in [("page.html", &page), ("console.log", &console)] {
            assert!(!text.contains(&secret), "{name} carries the secret {secret:?}");
        }
    }
}

/// No `debug/` folder for the job, and `meeting.json`, if there is one, names none.
fn assert_no_artifacts(finished: &Finished, job_id: &str) {
    let debug = stored(&finished.worker, job_id, "debug");
    assert!(!debug.exists(), "{} exists", debug.display());
    if let Ok(text) = std::fs::read_to_string(stored(&finished.worker, job_id, "meeting.json")) {
        let meeting: Value = serde_json::from_str(&text).expect("meeting.json is JSON");
        assert!(meeting["debug"].is_null(), "{meeting}");
    }
}

#[test]
fn meet_denied_from_the_lobby_leaves_the_refusal_on_screen_and_in_the_page() {
    // A window size other than the default: the screenshot has the configured one.
    let extra = "[browser]\nwindow_size = \"1024x768\"\n";
    let finished = run(&GOOGLE, MeetingLink::meet(Scenario::LobbyDenied), "dbg-g-denied", extra);
    assert_ended(&finished.record, "failed", "denied_admission");
    assert_artifacts(&finished, "dbg-g-denied", "Someone in the call denied your request to join", (1024, 768));
}

#[test]
fn teams_denied_from_the_lobby_leaves_the_refusal_and_no_passcode() {
    // The `teams.live.com` form carries its passcode in `p=`.
    let finished = run(&MICROSOFT, MeetingLink::teams_live(Scenario::LobbyDenied), "dbg-ms-denied", "");
    assert_ended(&finished.record, "failed", "denied_admission");
    assert_artifacts(&finished, "dbg-ms-denied", "you were denied access to the meeting", (1280, 720));
}

#[test]
fn teams_blocked_before_the_pre_join_screen_leaves_the_block() {
    let finished = run(&MICROSOFT, MeetingLink::teams(Scenario::Blocked), "dbg-ms-blocked", "");
    assert_ended(&finished.record, "failed", "blocked_by_platform");
    assert_artifacts(&finished, "dbg-ms-blocked", "You can't join this meeting", (1280, 720));
}

#[test]
fn zoom_denied_from_the_waiting_room_leaves_the_refusal_and_no_passcode() {
    let finished = run(&ZOOM, MeetingLink::zoom(Scenario::LobbyDenied), "dbg-z-denied", "");
    assert_ended(&finished.record, "failed", "denied_admission");
    assert_artifacts(&finished, "dbg-z-denied", "The host has removed you from the waiting room.", (1280, 720));
}

#[test]
fn artifacts_off_stores_none_for_a_failed_job() {
    let extra = "[debug]\nartifacts = \"off\"\n";
    let finished = run(&ZOOM, MeetingLink::zoom(Scenario::Blocked), "dbg-off", extra);
    assert_ended(&finished.record, "failed", "blocked_by_platform");
    assert_no_artifacts(&finished, "dbg-off");
}

#[test]
fn a_completed_job_stores_none_by_default_and_all_three_with_always() {
    let finished = run(&GOOGLE, MeetingLink::meet(Scenario::EndedByHost), "dbg-completed", "");
    assert_ended(&finished.record, "completed", "ended_by_host");
    assert_no_artifacts(&finished, "dbg-completed");
    drop(finished);

    let extra = "[debug]\nartifacts = \"always\"\n";
    let finished = run(&GOOGLE, MeetingLink::meet(Scenario::EndedByHost), "dbg-always", extra);
    assert_ended(&finished.record, "completed", "ended_by_host");
    let text = std::fs::read_to_string(stored(&finished.worker, "dbg-always", "meeting.json")).expect("meeting.json");
    let meeting: Value = serde_json::from_str(&text).expect("meeting.json is JSON");
    for (key, file) in [("screenshot", "screenshot.png"), ("page", "page.html"), ("console", "console.log")] {
        assert!(meeting["debug"][key].as_str().is_some_and(|url| url.ends_with(file)), "{meeting}");
        assert!(stored(&finished.worker, "dbg-always", &format!("debug/{file}")).is_file(), "{file}");
    }
}

/// A page that logs a secret among thousands of lines, throws, and grows a document larger than
/// `page.html` keeps.
const NOISY_PAGE: &str = r#"<!doctype html><html><body><h1>Noisy</h1><script>
  for (let i = 0; i < 5000; i++) console.log('line ' + i);
  console.log('joining https://us05web.zoom.us/wc/join/85123456789?pwd=S3cretPassc0de.1 with', 'tok-noisy-bearer');
  console.warn({ answer: 42 }, 7, null);
  const big = document.createElement('pre');
  big.textContent = 'x'.repeat(3 * 1024 * 1024);
  document.body.appendChild(big);
  console.error('the last line');
  setTimeout(() => { throw new Error('uncaught at the end'); }, 0);
</script></body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_page_logs_and_holds_is_kept_bounded_and_masked() {
    let base = recorder_kit::serve(Router::new().route("/noisy", get(|| async { Html(NOISY_PAGE) }))).await;
    let profiles = tempfile::tempdir().expect("profiles folder");
    let config = BrowserConfig::default();
    let executable = Path::new("/usr/bin/chromium");
    let browser = browser::launch(&config, executable, profiles.path(), "dbg-noisy").await.expect("launch");
    let scrub = Scrub::new("https://us05web.zoom.us/j/85123456789?pwd=S3cretPassc0de.1", "tok-noisy-bearer");
    let page = recorder_kit::job_page(&browser).await;
    let console = Console::collect(page.clone(), scrub.clone());
    // Subscribing takes a moment right after the launch; in a job the plugin's own connection
    // takes as long before it navigates (artifacts/console.rs).
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    page.goto(format!("{base}/noisy")).await.expect("open the page");
    // The page's last word is the exception its timer throws.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !console.text().contains("uncaught at the end") && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let taken = artifacts::capture(&browser, Some(&console), &scrub, config.window_size()).await.expect("artifacts");
    browser.close().await;
    let log = taken.console.expect("console.log");
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines.len() <= artifacts::MAX_CONSOLE_LINES + 1, "{} lines", lines.len());
    assert!(lines[0].ends_with("earlier lines not kept)"), "{}", lines[0]);
    assert!(log.contains("[error] console: the last line"), "{}", &log[log.len().saturating_sub(2000)..]);
    assert!(log.contains("uncaught at the end"), "the uncaught exception: {}", &log[log.len().saturating_sub(2000)..]);
    assert!(
        log.contains("[log] console: joining https://us05web.zoom.us/wc/join/85123456789?pwd=******** with ********"),
        "{}",
        &log[log.len().saturating_sub(2000)..]
    );
    assert!(log.contains("[warning] console: Object 7 null"), "{}", &log[log.len().saturating_sub(2000)..]);
    assert!(!log.contains("S3cretPassc0de") && !log.contains("tok-noisy-bearer"), "secrets in the log");
    let html = taken.page.expect("page.html");
    assert!(html.starts_with("<!DOCTYPE html><html><head></head><body><h1>Noisy</h1>"), "{}", &html[..200]);
    assert!(html.len() <= MAX_PAGE_BYTES, "{} bytes", html.len());
    assert!(!html.contains("S3cretPassc0de") && !html.contains("tok-noisy-bearer"), "secrets in the HTML");
    assert_eq!(png_size(&taken.screenshot.expect("screenshot")), (1280, 720));
}

/// A page that logs, then hangs for good: its main thread never answers again.
const HANGING_PAGE: &str = r#"<!doctype html><html><body><h1>Hanging</h1><script>
  console.log('about to hang');
  setTimeout(() => { for (;;) {} }, 300);
</script></body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_hangs_delays_the_end_by_the_time_box_at_most_and_its_console_is_kept() {
    let base = recorder_kit::serve(Router::new().route("/hang", get(|| async { Html(HANGING_PAGE) }))).await;
    let profiles = tempfile::tempdir().expect("profiles folder");
    let config = BrowserConfig::default();
    let browser =
        browser::launch(&config, Path::new("/usr/bin/chromium"), profiles.path(), "dbg-hang").await.expect("launch");
    let page = recorder_kit::job_page(&browser).await;
    let console = Console::collect(page.clone(), Scrub::default());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    page.goto(format!("{base}/hang")).await.expect("open the page");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;

    let started = std::time::Instant::now();
    let taken = artifacts::capture(&browser, Some(&console), &Scrub::default(), config.window_size()).await;
    let took = started.elapsed();
    browser.close().await;
    assert!(took < artifacts::CAPTURE_TIME + std::time::Duration::from_secs(1), "took {took:?}");
    let taken = taken.expect("the console at least");
    assert!(taken.console.as_deref().is_some_and(|log| log.contains("about to hang")), "{:?}", taken.console);
    eprintln!("hanging page: {took:?}; screenshot {}, page.html {}", taken.screenshot.is_some(), taken.page.is_some());
}
