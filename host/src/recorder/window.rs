//! The browser window of a sound-only recording is minimized while the sound is captured.
//!
//! Nothing of the picture is recorded then, yet a visible meeting page still renders and
//! composites every frame at 60 Hz (tiles, animations): most of what a sound-only call costs. A
//! minimized window draws no frames (about one animation frame a second is left), while the page
//! goes on as it was: the tab capture keeps it `visible` to its scripts, so its timers are not
//! throttled, its DOM changes and the plugin's watchers run as before, and the sound capture, the
//! level meter and clicks by the plugin work. Measured on Chromium 156 (docs/NOTES.md): a captured
//! page animated at 60 Hz 0.50 → 0.12 cores. A minimized window also loses the focus (the page
//! would see a `blur` and `document.hasFocus()` turn false, which a meeting client may act on), so
//! the page's focus is emulated first: it keeps it.
//!
//! What needs the picture restores the window first: the debug artifacts' screenshot (on a
//! minimized window it waits 2-3 s for a frame), and a new document's capture after a navigation
//! (a minimized window cannot be resized to make room for the sharing bar).

use std::time::Duration;

use chromiumoxide::{
    Page,
    cdp::browser_protocol::{
        browser::{Bounds, GetWindowForTargetParams, SetWindowBoundsParams, WindowState},
        emulation::SetFocusEmulationEnabledParams,
    },
};

/// How long the calls of one change may take: a browser that does not answer must not hold up the
/// recorder or the job's end (a window left as it is costs only CPU).
const WINDOW_CALLS: Duration = Duration::from_secs(3);

/// Minimizes the page's window, the page keeping its focus; a failure is logged and changes
/// nothing else.
pub async fn minimize(page: &Page) {
    let focus = tokio::time::timeout(WINDOW_CALLS, page.execute(SetFocusEmulationEnabledParams::new(true))).await;
    if !matches!(focus, Ok(Ok(_))) {
        tracing::debug!("the page's focus could not be kept; its window stays shown");
        return;
    }
    if set_state(page, WindowState::Minimized).await {
        tracing::info!("window minimized while the sound is recorded");
    }
}

/// Shows the page's window again at its size.
pub async fn restore(page: &Page) {
    set_state(page, WindowState::Normal).await;
}

/// Sets the page's window to `state`; whether it did.
async fn set_state(page: &Page, state: WindowState) -> bool {
    let set = async {
        let window = page.execute(GetWindowForTargetParams::default()).await?;
        let bounds = Bounds { window_state: Some(state.clone()), ..Default::default() };
        page.execute(SetWindowBoundsParams::new(window.result.window_id, bounds)).await
    };
    match tokio::time::timeout(WINDOW_CALLS, set).await {
        Ok(Ok(_)) => true,
        Ok(Err(error)) => {
            tracing::debug!(%error, ?state, "could not change the recorded page's window");
            false
        }
        Err(_) => {
            tracing::debug!(?state, "the browser did not answer a change of the recorded page's window");
            false
        }
    }
}
