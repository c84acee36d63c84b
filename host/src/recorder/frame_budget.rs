//! The page frame budget (`recording.page_frame_rate`): while a meeting page is recorded with its
//! picture, its animation frames run at most that many times a second.
//!
//! Why: a captured tab has every frame the page draws composited (Chromium exempts a captured
//! page from all frame throttling), at 60 Hz, while the recording keeps 15 a second; for a page
//! that draws from `requestAnimationFrame` (a canvas or WebGL stage) most of a recorded call's CPU
//! goes into frames nobody records. Why opt-in: it replaces the page's own `requestAnimationFrame`
//! and `cancelAnimationFrame` in its main world, which a page that looks can tell (frame_budget.js
//! says how, and what the page still gets).
//!
//! It is applied to each document the recorder captures, after its capture started; a failure is
//! logged and the call is recorded as it is.

use std::time::Duration;

use chromiumoxide::{Page, cdp::js_protocol::runtime::EvaluateParams};

/// The page-side budget function.
const BUDGET_JS: &str = include_str!("frame_budget.js");
/// How long putting the budget on may take: a busy page must not hold up the recorder.
const APPLY_CALL: Duration = Duration::from_secs(3);

/// Limits the animation frames of the page's current document to `fps` a second.
pub async fn apply(page: &Page, fps: u32) {
    // No execution context given: DevTools runs it in the main world of the page's main frame,
    // whichever document that is now.
    let params = EvaluateParams::builder().expression(format!("({BUDGET_JS})({fps})")).return_by_value(true).build();
    let params = match params {
        Ok(params) => params,
        Err(error) => return tracing::debug!(%error, "frame budget call not built"),
    };
    match tokio::time::timeout(APPLY_CALL, page.execute(params)).await {
        Ok(Ok(answer)) if answer.result.exception_details.is_none() => {
            // Clipped all the same: a page's setters run while the budget is put on.
            let status =
                super::clipped(answer.result.result.value.as_ref().and_then(|v| v.as_str()).unwrap_or_default());
            tracing::info!(%status, "page frame budget on");
        }
        Ok(Ok(answer)) => {
            let exception = answer.result.exception_details.and_then(|e| e.exception).and_then(|e| e.description);
            let exception = super::clipped(&exception.unwrap_or_default());
            tracing::warn!(%exception, "the page frame budget could not be put on; the page draws as it likes");
        }
        Ok(Err(error)) => tracing::warn!(%error, "the page frame budget could not be put on (page gone?)"),
        Err(_) => tracing::warn!("the page did not answer the frame budget's call; the page draws as it likes"),
    }
}
