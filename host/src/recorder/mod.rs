//! The recorder: once the bot is in the call, the host captures the meeting tab (video and
//! audio, or audio alone with `recording.video = false`), moves the chunks into Rust through a CDP binding every second, appends them to the
//! spool as they arrive, meters the audio level for the silence rule, and on stop finalizes the
//! recording with ffmpeg. A page that navigates during the meeting is captured again into a new
//! segment.
//!
//! The meeting page is not trusted. The capture script runs in an isolated world of its own
//! ([`WORLD`]), the only one the binding is exposed to, so the page's scripts can neither hand the
//! recorder chunks of their own nor stop the capture. What arrives is still checked: bounded
//! sizes and sequence numbers (spool.rs), unknown kinds and unreadable messages ignored (a few
//! logged, the rest counted), a stop confirmation only when a stop was asked for, and only the
//! first few error reports passed on.
//!
//! Every frame of a recording has the configured size (`browser.window_size`), and the page is
//! laid out at that size while it is recorded. Chromium shows a "sharing this tab" bar shortly
//! after capture starts, which takes [`BAR_HEIGHT`] px from the viewport; so the viewport is
//! made that much taller before capturing, and the bar brings it to the recording's size. The
//! viewport is only ever grown, never shrunk, during the call: meeting pages do not all lay
//! themselves out again when they get smaller (a button below the fold cannot be clicked). What
//! still differs is evened out in the page (capture.js): larger frames are cropped, smaller ones
//! scaled up.
//!
//! A sound-only capture ([`Tracks::video`] false) stops the tab's video capture as soon as
//! getDisplayMedia returns (it has no audio-only form), so nothing is composited or encoded for a
//! picture. The sharing bar still comes, so the viewport gets its room all the same: the page keeps
//! the layout it has unrecorded. What only matters for frames is skipped: after a navigation the
//! new document is captured without waiting for the old bar to go. And the window is minimized
//! while the sound is captured (window.rs): the page no longer draws frames nobody records.
//!
//! With `recording.page_frame_rate` set, a page recorded with its picture runs at most that many
//! animation frames a second (frame_budget.rs): put on each captured document once its capture
//! runs. It is the one thing the recorder does in the page's main world, hence opt-in.

pub mod finalize;
mod frame_budget;
mod frames;
mod output;
pub mod quality;
mod spool;
mod window;

use std::{path::Path, time::Duration};

use chromiumoxide::{
    Page,
    cdp::{
        browser_protocol::{
            browser::{GetWindowForTargetParams, SetContentsSizeParams},
            page::{CreateIsolatedWorldParams, EventFrameNavigated},
        },
        js_protocol::runtime::{AddBindingParams, EvaluateParams, EventBindingCalled, ExecutionContextId},
    },
};
use futures::StreamExt;
use serde::Deserialize;
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
    time::Instant,
};

pub use output::Output;
pub use spool::{Spool, SpoolError, Spooled};

use frames::FrameMeter;
use spool::MAX_CHUNK_BASE64;

use crate::browser::JobBrowser;

/// The binding the capture calls with chunks and levels.
const BINDING: &str = "__meetbotRecorder";
/// The isolated world the capture runs in, and the only one the binding is exposed to: the
/// meeting page's own scripts can neither call the binding (and hand the recorder chunks of
/// their own) nor reach the capture's stop function.
const WORLD: &str = "meetbot-recorder";
/// The page-side capture function.
const CAPTURE_JS: &str = include_str!("capture.js");
/// MediaRecorder timeslice: how often a chunk reaches the spool.
const SLICE_MS: u32 = 1000;
/// How long the final chunks may take to arrive after stop; the recording then ends with what
/// arrived.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// How long one call into the page may take inside the recorder task: a page that hangs (a busy
/// script) must not keep the task from handing the spool over.
const PAGE_CALL: Duration = Duration::from_secs(3);
/// How long capturing a new document after a navigation may take, from the navigation.
const RECAPTURE: Duration = Duration::from_secs(7);
/// How long past [`STOP_GRACE`] the recorder task may take to hand over the spool (it may be busy
/// with a re-capture when the stop comes) before it is given up.
const HAND_OVER: Duration = Duration::from_secs(10);
/// Captured frames a second: meetings are mostly talking heads, and the frame rate is most of
/// what recording costs in CPU.
const FRAME_RATE: u32 = 15;
/// VP8 bitrate; plenty for a 1280x720 meeting at 15 frames a second.
const VIDEO_BITS_PER_SECOND: u32 = 800_000;
/// The height of Chromium's "sharing this tab" bar (Chromium 156, device scale factor 1): how
/// much taller than the recording the viewport is made before capturing.
const BAR_HEIGHT: u32 = 57;
/// How long, after a navigation, the previous capture's sharing bar may take to go away (about
/// 0.25 s after the new document committed, measured with Chromium 156).
const OLD_BAR_WAIT: Duration = Duration::from_secs(1);

/// Longest text from the page (an error message) that is logged or kept.
const MAX_PAGE_TEXT: usize = 300;
/// How many ignored page messages are logged one by one; later ones are only counted.
const LOGGED_IGNORED: u32 = 10;
/// How many error reports of the page's capture are passed on to the runner (logged and put on
/// the timeline); later ones are ignored, so a page cannot flood the log or `meeting.json`.
const PASSED_PAGE_ERRORS: u32 = 10;

/// What the recorder tells the runner while recording.
#[derive(Debug, Clone, PartialEq)]
pub enum RecorderEvent {
    /// The meeting's audio level (RMS, 0..1) over the last second.
    Level(f32),
    /// Capture failed or stopped on its own.
    Failed(String),
    /// The spool could not be written (disk full, I/O error): recording stopped for good; what
    /// reached the disk is kept.
    SpoolFailed(String),
}

/// Recorder failures.
#[derive(Debug, thiserror::Error)]
pub enum RecorderError {
    /// DevTools failed.
    #[error("recorder: {0}")]
    Cdp(String),
    /// The page refused to capture.
    #[error("tab capture failed: {0}")]
    Capture(String),
    /// The spool failed.
    #[error(transparent)]
    Spool(#[from] SpoolError),
    /// The recorder task did not hand over; what is in the spool folder is kept.
    #[error("recorder: {0}")]
    Lost(String),
}

impl From<chromiumoxide::error::CdpError> for RecorderError {
    fn from(error: chromiumoxide::error::CdpError) -> Self {
        RecorderError::Cdp(error.to_string())
    }
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Message {
    Chunk {
        seq: u64,
        data: String,
    },
    /// The once-a-second report: the audio level (none without audio) and, where video frames
    /// pass through the page, the frames and gaps since the last report.
    Level {
        rms: Option<f32>,
        frames: Option<f64>,
        gaps: Option<f64>,
    },
    Viewport {
        width: u32,
        height: u32,
    },
    /// `rescaled`: frames that came at another size and were scaled to the recording's; the
    /// frame counts since the last report.
    Stopped {
        rescaled: Option<u64>,
        frames: Option<f64>,
        gaps: Option<f64>,
    },
    Error {
        message: String,
    },
    /// A kind this host does not know: ignored (the page is not trusted).
    #[serde(other)]
    Unknown,
}

/// What the recorder captures of the tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tracks {
    /// The size the page is laid out at while recorded (`browser.window_size`), and every
    /// frame's size.
    pub size: (u32, u32),
    /// Whether the picture is captured (`recording.video`); `false` captures the sound only.
    pub video: bool,
    /// The most animation frames a second the page runs while its picture is captured
    /// (`recording.page_frame_rate`, frame_budget.rs); `None` leaves them to the browser.
    pub page_frame_rate: Option<u32>,
}

impl Tracks {
    /// The frame budget to put on each captured document: only where the picture is recorded (a
    /// sound-only page's window is minimized, which draws fewer frames still).
    fn frame_budget(&self) -> Option<u32> {
        self.page_frame_rate.filter(|_| self.video)
    }
}

/// A running recording.
pub struct Recorder {
    stop: oneshot::Sender<()>,
    pump: JoinHandle<Spooled>,
    dir: std::path::PathBuf,
    page: Page,
    video: bool,
}

impl Recorder {
    /// Starts capturing the job's page into `spool_dir`; `events` receives levels and failures.
    pub async fn start(
        browser: &JobBrowser,
        spool_dir: &Path,
        tracks: Tracks,
        events: mpsc::UnboundedSender<RecorderEvent>,
    ) -> Result<Self, RecorderError> {
        let page = find_page(browser).await?;
        let mut binding = AddBindingParams::new(BINDING);
        binding.execution_context_name = Some(WORLD.to_owned());
        page.execute(binding).await?;
        let page_events = PageEvents {
            calls: page.event_listener::<EventBindingCalled>().await?,
            navigations: page.event_listener::<EventFrameNavigated>().await?,
        };
        let mut spool = Spool::create(spool_dir).await?;
        spool.next_segment().await?;
        let viewport = Viewport { page: page.clone(), size: tracks.size };
        let capture = capture_expression(tracks);
        let world = begin_capture(&page, &capture, &viewport).await?;
        if !tracks.video {
            window::minimize(&page).await;
        }
        if let Some(fps) = tracks.frame_budget() {
            frame_budget::apply(&page, fps).await;
        }
        let (stop, stop_requested) = oneshot::channel();
        let capture = Capture { page: page.clone(), expression: capture, viewport, tracks, world: Some(world) };
        let pump = tokio::spawn(pump(capture, page_events, spool, events, stop_requested));
        Ok(Self { stop, pump, dir: spool_dir.to_owned(), page, video: tracks.video })
    }

    /// Shows the page's window again if the recording minimized it (sound only), so that a
    /// screenshot shows the page.
    pub async fn show_page(&self) {
        if !self.video {
            window::restore(&self.page).await;
        }
    }

    /// Stops capturing, waits (at most [`STOP_GRACE`]) for the last chunks, and closes the spool:
    /// what was spooled is kept even when the page no longer answers (gone, or between two
    /// captures after a navigation), and even when the recorder task itself failed (then the
    /// segment files found in the spool folder are what was recorded).
    pub async fn stop(self) -> Spooled {
        let _ = self.stop.send(());
        let pump = self.pump;
        let abort = pump.abort_handle();
        let failure = match tokio::time::timeout(STOP_GRACE + HAND_OVER, pump).await {
            Ok(Ok(spooled)) => return spooled,
            Ok(Err(join)) => RecorderError::Lost(format!("the recorder task failed: {join}")),
            Err(_) => {
                abort.abort();
                RecorderError::Lost("the recorder did not hand over the spool in time".to_owned())
            }
        };
        tracing::error!(%failure, "keeping what the spool folder holds");
        Spooled::found_in(&self.dir).await
    }
}

/// Asks the capture running in `world` to stop (it sends its last chunk, then `stopped`).
async fn request_stop(page: &Page, world: Option<ExecutionContextId>) {
    let Some(world) = world else {
        tracing::debug!("no capture to stop (between two documents)");
        return;
    };
    let stop = EvaluateParams::builder()
        .expression(format!("window.{BINDING}Stop && window.{BINDING}Stop()"))
        .context_id(world)
        .build();
    let stop = match stop {
        Ok(stop) => stop,
        Err(error) => return tracing::debug!(%error, "recorder stop call not built"),
    };
    match tokio::time::timeout(PAGE_CALL, page.evaluate_expression(stop)).await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::debug!(%error, "recorder stop call failed (page gone?)"),
        Err(_) => tracing::debug!("the page did not answer the recorder's stop call"),
    }
}

async fn find_page(browser: &JobBrowser) -> Result<Page, RecorderError> {
    browser.page().await.ok_or_else(|| RecorderError::Cdp(format!("page {} not found", browser.target_id)))
}

fn capture_expression(Tracks { size: (width, height), video, .. }: Tracks) -> String {
    let args = serde_json::json!({
        "binding": BINDING,
        "video": video,
        "width": width,
        "height": height,
        "sliceMs": SLICE_MS,
        "frameRate": FRAME_RATE,
        "videoBitsPerSecond": VIDEO_BITS_PER_SECOND,
        "roomHeight": BAR_HEIGHT,
    });
    format!("({CAPTURE_JS})({args})")
}

/// Keeps the page's viewport at the recording's size (see the module comment).
struct Viewport {
    page: Page,
    /// The recording's frame size.
    size: (u32, u32),
}

impl Viewport {
    /// Before capturing: the recording's size plus the room the sharing bar will take.
    async fn make_room(&self) {
        let (width, height) = self.size;
        self.set(width, height + BAR_HEIGHT).await;
    }

    /// After a navigation: waits (at most [`OLD_BAR_WAIT`]) until the previous capture's sharing
    /// bar is gone, i.e. the viewport has its room again. Chromium removes that bar a moment after
    /// the new document committed, and a capture started while it is still up gets no bar of its
    /// own: the page would stay laid out taller than the recording, every frame letterboxed.
    async fn wait_for_old_bar(&self) {
        let (_, height) = self.size;
        let start = Instant::now();
        while start.elapsed() < OLD_BAR_WAIT {
            let viewport =
                self.page.evaluate_expression("innerHeight").await.ok().and_then(|r| r.into_value::<u32>().ok());
            if viewport.is_some_and(|viewport| viewport >= height + BAR_HEIGHT) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tracing::debug!("the previous capture's sharing bar is still there; capturing anyway");
    }

    /// The page reports a new viewport size: one smaller than the recording (a taller bar than
    /// expected, or a resize before the room was made) is grown back to it. The page's numbers
    /// are not trusted: the size set is never larger than the recording plus the bar's room.
    async fn changed(&self, width: u32, height: u32) {
        let (want_width, want_height) = self.size;
        if width < want_width || height < want_height {
            tracing::debug!(width, height, "viewport smaller than the recording; growing it");
            self.set(want_width, height.clamp(want_height, want_height + BAR_HEIGHT)).await;
        }
    }

    /// Resizes the window so that its contents (the viewport) are `width` x `height`.
    async fn set(&self, width: u32, height: u32) {
        let resized = async {
            let window = self.page.execute(GetWindowForTargetParams::default()).await?;
            let mut contents = SetContentsSizeParams::new(window.result.window_id);
            contents.width = Some(width.into());
            contents.height = Some(height.into());
            self.page.execute(contents).await
        };
        // A window that cannot be resized (maximized, fullscreen) is recorded at its own size,
        // scaled to the recording's.
        if let Err(error) = resized.await {
            tracing::debug!(%error, width, height, "could not size the viewport");
        }
    }
}

/// Runs the capture function in the isolated world [`WORLD`] of the page's current document
/// (Chromium makes it on the first request and gives a frame one world per name), as a user
/// gesture (getDisplayMedia wants one), with room for the sharing bar; the world's execution
/// context.
async fn begin_capture(
    page: &Page,
    expression: &str,
    viewport: &Viewport,
) -> Result<ExecutionContextId, RecorderError> {
    viewport.make_room().await;
    let frame =
        page.mainframe().await?.ok_or_else(|| RecorderError::Capture("the page has no main frame".to_owned()))?;
    let mut world = CreateIsolatedWorldParams::new(frame);
    world.world_name = Some(WORLD.to_owned());
    let world = page.execute(world).await?.result.execution_context_id;
    let params = EvaluateParams::builder()
        .expression(expression)
        .context_id(world)
        .await_promise(true)
        .user_gesture(true)
        .return_by_value(true)
        .build()
        .map_err(RecorderError::Capture)?;
    let result = page.evaluate_expression(params).await.map_err(|e| RecorderError::Capture(e.to_string()))?;
    let status: String = result.into_value().unwrap_or_default();
    tracing::info!(%status, "recording started");
    Ok(world)
}

/// The running capture: the page, how to start it again on a new document, and the isolated
/// world it runs in now (none between a navigation and the new document's capture).
struct Capture {
    page: Page,
    expression: String,
    viewport: Viewport,
    /// What is captured.
    tracks: Tracks,
    world: Option<ExecutionContextId>,
}

/// What the recorder task listens to on the page: the capture's messages and document changes.
struct PageEvents {
    calls: chromiumoxide::listeners::EventStream<EventBindingCalled>,
    navigations: chromiumoxide::listeners::EventStream<EventFrameNavigated>,
}

/// Moves the page's messages into the spool and the runner until the capture stopped, or until
/// [`STOP_GRACE`] after a stop request when the page does not confirm.
async fn pump(
    mut capture: Capture,
    PageEvents { mut calls, mut navigations }: PageEvents,
    mut spool: Spool,
    events: mpsc::UnboundedSender<RecorderEvent>,
    mut stop_requested: oneshot::Receiver<()>,
) -> Spooled {
    // Set once stop was asked for: no new capture starts after that, and the spool is closed at
    // this moment whether or not the page confirmed.
    let mut give_up_at: Option<Instant> = None;
    let mut ignored = Ignored::default();
    let mut page_errors: u32 = 0;
    let mut failure: Option<SpoolError> = None;
    let mut frames = FrameMeter::new(FRAME_RATE, Instant::now());
    loop {
        tokio::select! {
            _ = &mut stop_requested, if give_up_at.is_none() => {
                give_up_at = Some(Instant::now() + STOP_GRACE);
                request_stop(&capture.page, capture.world).await;
            }
            () = tokio::time::sleep_until(give_up_at.unwrap_or_else(Instant::now)), if give_up_at.is_some() => {
                tracing::warn!("the page did not confirm the end of the capture; keeping what arrived");
                break;
            }
            call = calls.next() => {
                let Some(call) = call else { break };
                if call.name != BINDING {
                    continue;
                }
                if call.payload.len() > MAX_CHUNK_BASE64 + 1024 {
                    ignored.log(&format!("a page message of {} bytes", call.payload.len()));
                    continue;
                }
                match serde_json::from_str::<Message>(&call.payload) {
                    Ok(Message::Chunk { seq, data }) => match spool.append(seq, &data).await {
                        Ok(None) => {}
                        Ok(Some(why)) => ignored.log(&why.to_string()),
                        Err(error) => {
                            tracing::error!(%error, "the spool cannot be written; recording stops, what was spooled is kept");
                            let _ = events.send(RecorderEvent::SpoolFailed(error.to_string()));
                            failure = Some(error);
                            request_stop(&capture.page, capture.world).await;
                            break;
                        }
                    },
                    Ok(Message::Level { rms, frames: count, gaps }) => {
                        frames.report(count, gaps, Instant::now(), true);
                        if let Some(rms) = rms {
                            let rms = if rms.is_finite() { rms.clamp(0.0, 1.0) } else { 0.0 };
                            let _ = events.send(RecorderEvent::Level(rms));
                        }
                    }
                    Ok(Message::Viewport { width, height }) => capture.viewport.changed(width, height).await,
                    // Only the answer to a stop request ends the recording. A capture that ended
                    // on its own has said so (`error`), and a later document is captured again.
                    Ok(Message::Stopped { .. }) if give_up_at.is_none() => {
                        ignored.log("a capture end nobody asked for");
                    }
                    Ok(Message::Stopped { rescaled, frames: count, gaps }) => {
                        frames.report(count, gaps, Instant::now(), false);
                        tracing::debug!(rescaled = rescaled.unwrap_or(0), "capture stopped");
                        break;
                    }
                    Ok(Message::Error { .. }) if page_errors >= PASSED_PAGE_ERRORS => {
                        ignored.log("an error report past the first ones");
                    }
                    Ok(Message::Error { message }) => {
                        page_errors += 1;
                        let _ = events.send(RecorderEvent::Failed(clipped(&message)));
                    }
                    Ok(Message::Unknown) => ignored.log("a message of an unknown kind"),
                    Err(error) => ignored.log(&format!("an unreadable message ({error})")),
                }
            }
            navigation = navigations.next() => {
                let Some(navigation) = navigation else { break };
                if navigation.frame.parent_id.is_some() || give_up_at.is_some() {
                    continue;
                }
                let url = crate::plugins::mask_secrets(&navigation.frame.url);
                tracing::info!(%url, "meeting page changed; recording a new segment");
                if let Err(error) = spool.next_segment().await {
                    tracing::error!(%error, "the spool cannot be written; recording stops, what was spooled is kept");
                    let _ = events.send(RecorderEvent::SpoolFailed(error.to_string()));
                    failure = Some(error);
                    break;
                }
                capture.world = None;
                let recaptured = async {
                    // Only frames suffer from a page laid out taller than the recording. A
                    // minimized window cannot be resized: shown while the new document gets
                    // its room and its capture.
                    if capture.tracks.video {
                        capture.viewport.wait_for_old_bar().await;
                    } else {
                        window::restore(&capture.page).await;
                    }
                    begin_capture(&capture.page, &capture.expression, &capture.viewport).await
                };
                let failure = match tokio::time::timeout(RECAPTURE, recaptured).await {
                    Ok(Ok(world)) => {
                        capture.world = Some(world);
                        if !capture.tracks.video {
                            window::minimize(&capture.page).await;
                        }
                        if let Some(fps) = capture.tracks.frame_budget() {
                            frame_budget::apply(&capture.page, fps).await;
                        }
                        None
                    }
                    Ok(Err(error)) => Some(error.to_string()),
                    Err(_) => Some("the new page did not start capturing in time".to_owned()),
                };
                if let Some(failure) = failure {
                    let _ = events.send(RecorderEvent::Failed(failure));
                }
            }
        }
    }
    ignored.summary();
    spool.close(failure).await
}

/// Page messages the recorder ignored: the first few are logged, the rest only counted, so a
/// hostile page cannot flood the log.
#[derive(Default)]
struct Ignored {
    count: u32,
}

impl Ignored {
    /// Counts one; logs it (clipped: `what` may quote the page) while few were logged.
    fn log(&mut self, what: &str) {
        self.count = self.count.saturating_add(1);
        if self.count <= LOGGED_IGNORED {
            tracing::warn!(what = %clipped(what), "recorder ignored a page message");
        }
    }

    fn summary(&self) {
        if self.count > LOGGED_IGNORED {
            tracing::warn!(count = self.count, "recorder ignored page messages");
        }
    }
}

/// Text from the page (or quoting it), cut to [`MAX_PAGE_TEXT`] characters.
fn clipped(text: &str) -> String {
    text.chars().take(MAX_PAGE_TEXT).collect()
}
