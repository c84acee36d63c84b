//! A `requestAnimationFrame` budget for the meeting page, as an experiment of the cost per meeting
//! (variant `raf:N`): the bench connects its own CDP client to each of a worker's browsers (their
//! DevTools port is in the profile's `DevToolsActivePort`) and makes the meeting page's main world
//! run at most N animation frames a second, so what a page budget would save is measured before
//! the host does it.

use std::path::{Path, PathBuf};

use chromiumoxide::Browser;
use futures::StreamExt;

/// Wraps `requestAnimationFrame` so callbacks run no more often than every `1000 / fps` ms.
fn budget_script(fps: u32) -> String {
    format!(
        "(() => {{ const raf = window.requestAnimationFrame.bind(window); const every = 1000 / {fps}; let last = 0; \
         window.requestAnimationFrame = (callback) => raf(function tick(now) {{ \
           if (now - last >= every - 2) {{ last = now; callback(now); }} else {{ raf(tick); }} }}); }})()"
    )
}

/// Applies the budget to every meeting page of every browser under `worker_dir`; how many pages.
pub async fn cap_page_frames(worker_dir: &Path, fps: u32) -> usize {
    let mut capped = 0;
    for file in active_ports(worker_dir) {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        let mut lines = text.lines();
        let (Some(port), Some(path)) = (lines.next(), lines.next()) else { continue };
        let Ok((mut browser, mut handler)) = Browser::connect(format!("ws://127.0.0.1:{port}{path}")).await else {
            continue;
        };
        let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
        let _ = browser.fetch_targets().await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        for page in browser.pages().await.unwrap_or_default() {
            let url = page.url().await.ok().flatten().unwrap_or_default();
            if url.contains("meet.google.com") && page.evaluate_expression(budget_script(fps)).await.is_ok() {
                capped += 1;
            }
        }
        // Dropping the client detaches it; the wrapped function stays in the page.
        drop(browser);
        events.abort();
    }
    capped
}

/// Every `DevToolsActivePort` file below `dir`.
fn active_ports(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.file_name().is_some_and(|n| n == "DevToolsActivePort") {
                found.push(path);
            }
        }
    }
    found
}
