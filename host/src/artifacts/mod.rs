//! Debug artifacts: what the meeting page looked like when the job ended, so a failure can be
//! understood without running it again (docs/REFERENCE.md section 7). The host owns the browser,
//! so the host takes them, at the moment the plugin's session returns and before the browser is
//! closed: `screenshot.png` (the viewport, `Page.captureScreenshot`), `page.html` (the DOM as
//! serialized in an isolated world, which the page's own scripts cannot tamper with) and
//! `console.log` (collected from the job's start, see [`console`]). Everything is bounded in
//! size, the job's secrets are masked in the texts ([`scrub`]), and taking them never delays the
//! job's end by more than [`CAPTURE_TIME`] nor changes how it ends: what fails is logged and left
//! out.

mod console;
mod scrub;

use std::time::Duration;

use base64::Engine;
use chromiumoxide::{
    Page,
    cdp::{
        browser_protocol::{
            emulation::SetDeviceMetricsOverrideParams,
            page::{
                CaptureScreenshotFormat, CaptureScreenshotParams, CreateIsolatedWorldParams, GetLayoutMetricsParams,
            },
        },
        js_protocol::runtime::EvaluateParams,
    },
};

pub use console::{Console, MAX_LINES as MAX_CONSOLE_LINES};
pub use scrub::Scrub;
use serde::Serialize;
use tokio::time::{Instant, timeout_at};

use crate::{browser::JobBrowser, storage::Storage};

/// How long taking the artifacts may take, all three together.
pub const CAPTURE_TIME: Duration = Duration::from_secs(5);
/// The largest `page.html` kept (UTF-8 bytes); a longer document is cut.
pub const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;
/// The largest screenshot kept; a larger PNG is left out.
pub const MAX_SCREENSHOT_BYTES: usize = 16 * 1024 * 1024;
/// The isolated world the HTML is serialized in.
const WORLD: &str = "meetbot-debug";

/// The file names under `<job_id>/debug/`.
pub const SCREENSHOT: &str = "screenshot.png";
/// See [`SCREENSHOT`].
pub const PAGE: &str = "page.html";
/// See [`SCREENSHOT`].
pub const CONSOLE: &str = "console.log";

/// What was taken; a part that could not be taken is `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Artifacts {
    /// The viewport as a PNG.
    pub screenshot: Option<Vec<u8>>,
    /// The document's HTML, secrets masked.
    pub page: Option<String>,
    /// The console log, secrets masked.
    pub console: Option<String>,
}

/// Where the artifacts were stored, for `meeting.json`'s `debug`; a part not stored is left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stored {
    /// `screenshot.png`'s URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screenshot: Option<String>,
    /// `page.html`'s URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// `console.log`'s URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console: Option<String>,
}

impl Stored {
    /// The folder holding them (`.../<job_id>/debug`), from the URL of any stored part.
    pub fn folder(&self) -> Option<String> {
        let any = self.screenshot.as_deref().or(self.page.as_deref()).or(self.console.as_deref())?;
        any.rsplit_once('/').map(|(folder, _)| folder.to_owned())
    }
}

impl Artifacts {
    /// Stores the artifacts under `<job_id>/debug/` (all at once, each retried as recordings
    /// are); where they are, `None` when none could be stored. A part that cannot be stored is
    /// logged and left out: the job ends as it would have without.
    pub async fn store(self, storage: &Storage, job_id: &str) -> Option<Stored> {
        let put = |name: &'static str, bytes: Option<Vec<u8>>| async move {
            let key = format!("{job_id}/debug/{name}");
            match storage.put_bytes(&key, bytes?).await {
                Ok(url) => Some(url),
                Err(error) => {
                    tracing::warn!(%error, "a debug artifact could not be stored");
                    None
                }
            }
        };
        let (screenshot, page, console) = futures::join!(
            put(SCREENSHOT, self.screenshot),
            put(PAGE, self.page.map(String::into_bytes)),
            put(CONSOLE, self.console.map(String::into_bytes)),
        );
        let stored = Stored { screenshot, page, console };
        (stored != Stored::default()).then_some(stored)
    }
}

/// Takes the artifacts of `browser`'s page, the screenshot at the window's `size`
/// (`browser.window_size`), within [`CAPTURE_TIME`] in all: what the page does not give in time
/// (a page whose scripts hang renders nothing and answers nothing) is left out, and the console,
/// which the host already holds, is kept all the same. `None` when the page never left
/// `about:blank` (the job did not reach the meeting page) or nothing could be taken.
pub async fn capture(
    browser: &JobBrowser,
    console: Option<&Console>,
    scrub: &Scrub,
    size: (u32, u32),
) -> Option<Artifacts> {
    let deadline = Instant::now() + CAPTURE_TIME;
    let Ok(Some(page)) = timeout_at(deadline, browser.page()).await else {
        tracing::warn!("debug artifacts not taken: the page is gone");
        return None;
    };
    let url = timeout_at(deadline, page.url()).await.ok().and_then(Result::ok).flatten().unwrap_or_default();
    if url.is_empty() || url == "about:blank" {
        tracing::debug!("no debug artifacts: the job never reached the meeting page");
        return None;
    }
    let screenshot = within(deadline, "screenshot.png", screenshot(&page, size)).await;
    let html = within(deadline, "page.html", html(&page)).await;
    let artifacts = Artifacts {
        screenshot,
        page: html.map(|html| console::cut(scrub.text(&html), MAX_PAGE_BYTES)),
        console: console.map(Console::text),
    };
    (artifacts != Artifacts::default()).then_some(artifacts)
}

/// What `taking` gave by `deadline`; `None`, logged, when it failed or did not finish in time.
async fn within<T>(deadline: Instant, what: &str, taking: impl Future<Output = Result<T, String>>) -> Option<T> {
    match timeout_at(deadline, taking).await {
        Ok(Ok(taken)) => Some(taken),
        Ok(Err(error)) => {
            tracing::warn!(%error, artifact = what, "a debug artifact could not be taken");
            None
        }
        Err(_) => {
            tracing::warn!(artifact = what, secs = CAPTURE_TIME.as_secs(), "a debug artifact was not taken in time");
            None
        }
    }
}

/// The viewport at `size` as a PNG, when it is not larger than [`MAX_SCREENSHOT_BYTES`].
///
/// Headless Chromium takes the room of a browser window's toolbars from `--window-size` (the
/// viewport of a 1280x720 window is 1280x577 until the recorder sizes it), so a viewport of
/// another size is first made `size` by device-metrics emulation: the page lays itself out again
/// at the size a recording of it has. The session is over, so nothing drives the page any more.
async fn screenshot(page: &Page, (width, height): (u32, u32)) -> Result<Vec<u8>, String> {
    let metrics = page.execute(GetLayoutMetricsParams::default()).await.map_err(|e| e.to_string())?;
    let viewport = &metrics.result.css_layout_viewport;
    if (viewport.client_width, viewport.client_height) != (width.into(), height.into()) {
        let emulate = SetDeviceMetricsOverrideParams::new(width, height, 1.0, false);
        page.execute(emulate).await.map_err(|e| e.to_string())?;
    }
    let params = CaptureScreenshotParams { format: Some(CaptureScreenshotFormat::Png), ..Default::default() };
    let taken = page.execute(params).await.map_err(|e| e.to_string())?;
    let base64: &str = taken.result.data.as_ref();
    // Base64 takes 4 characters for 3 bytes.
    if base64.len() / 4 * 3 > MAX_SCREENSHOT_BYTES {
        return Err(format!("{} bytes of base64, more than kept", base64.len()));
    }
    base64::engine::general_purpose::STANDARD.decode(base64).map_err(|e| e.to_string())
}

/// The document's HTML (its doctype and `outerHTML`), serialized in an isolated world so the
/// page's scripts cannot change what serializing returns, and cut in the page to
/// [`MAX_PAGE_BYTES`] characters so a huge document is not sent whole.
async fn html(page: &Page) -> Result<String, String> {
    let frame = page.mainframe().await.map_err(|e| e.to_string())?.ok_or("the page has no main frame")?;
    let mut world = CreateIsolatedWorldParams::new(frame);
    world.world_name = Some(WORLD.to_owned());
    let world = page.execute(world).await.map_err(|e| e.to_string())?.result.execution_context_id;
    let expression = format!(
        "(() => {{ const d = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : ''; \
         const h = document.documentElement ? document.documentElement.outerHTML : ''; \
         return (d + h).slice(0, {MAX_PAGE_BYTES}); }})()"
    );
    let params = EvaluateParams::builder().expression(expression).context_id(world).return_by_value(true).build()?;
    let result = page.evaluate_expression(params).await.map_err(|e| e.to_string())?;
    result.into_value::<String>().map_err(|e| e.to_string())
}
