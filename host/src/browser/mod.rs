//! Each job's own Chromium: found, launched with the switches that make headless meetings and
//! tab capture work, given camera and microphone, and killed with its whole process tree when the
//! job ends. The plugin drives the page the host opened; the recorder captures the same page.

mod executable;
mod process;
mod spare;
mod switches;

use std::{path::Path, time::Duration};

use chromiumoxide::{
    Browser, Page,
    cdp::browser_protocol::{
        browser::{PermissionDescriptor, PermissionSetting, SetPermissionParams},
        target::{GetTargetsParams, TargetId},
    },
};
use futures::StreamExt;
use tokio::task::JoinHandle;

pub use executable::{BrowserNotFound, find_executable};
pub use process::{BrowserProcess, prepare};
pub use spare::Spare;

use crate::config::BrowserConfig;

/// How long Chromium may take to print its DevTools address.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(20);

/// Why a browser could not be given to a job.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// The process did not start or announce its DevTools address.
    #[error("chromium did not start: {0}")]
    Launch(String),
    /// The DevTools connection failed.
    #[error("chromium DevTools: {0}")]
    Cdp(String),
}

/// A running browser with the page the job's session drives.
pub struct JobBrowser {
    /// The process (killed with its tree on drop).
    pub process: BrowserProcess,
    /// The host's own DevTools connection.
    pub cdp: Browser,
    /// The DevTools websocket the plugin connects to.
    pub websocket_url: String,
    /// The page's target id.
    pub target_id: String,
    _handler: AbortOnDrop,
}

/// The CDP event loop task, stopped with the browser.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl AbortOnDrop {
    /// Stops the task and waits until it has stopped.
    async fn stop(mut self) {
        self.0.abort();
        let _ = (&mut self.0).await;
    }
}

impl JobBrowser {
    /// The host's handle on the job's page, once its DevTools connection has attached to it (within
    /// a second of the launch); `None` when it never did.
    pub async fn page(&self) -> Option<Page> {
        let target = TargetId::from(self.target_id.clone());
        // A lookup in the connection's own state (no DevTools traffic), so it is asked often.
        for _ in 0..200 {
            if let Ok(page) = self.cdp.get_page(target.clone()).await {
                return Some(page);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        None
    }

    /// Ends the browser: the whole process tree is killed and its user-data-dir removed. The
    /// host's DevTools connection is closed first: a browser killed under a live connection makes
    /// chromiumoxide log a connection ERROR although nothing went wrong.
    pub async fn close(self) {
        let JobBrowser { process, cdp, _handler, .. } = self;
        _handler.stop().await;
        drop(cdp);
        process.shutdown().await;
    }
}

/// Launches a browser for one job, its profile in a new folder under `profiles`, and prepares its
/// page.
pub async fn launch(
    config: &BrowserConfig,
    executable: &Path,
    profiles: &Path,
    job_id: &str,
) -> Result<JobBrowser, BrowserError> {
    let process = BrowserProcess::spawn(executable, config, profiles, job_id, LAUNCH_TIMEOUT)
        .await
        .map_err(|e| BrowserError::Launch(e.to_string()))?;
    let websocket_url = process.websocket_url().to_owned();
    let (cdp, mut events) =
        Browser::connect(websocket_url.clone()).await.map_err(|e| BrowserError::Cdp(e.to_string()))?;
    let handler = tokio::spawn(async move { while events.next().await.is_some() {} });
    tracing::debug!(target: "meetbot::join", "join step: CDP connected");
    let cdp_error = |e: chromiumoxide::error::CdpError| BrowserError::Cdp(e.to_string());
    // Meeting pages ask for camera and microphone; granted for every origin, no prompt. The tab
    // Chromium opened at launch becomes the meeting page; its id comes from a plain
    // Target.getTargets (chromiumoxide's `fetch_targets` attaches a second time and can leave the
    // page on a dead session). The three requests are independent: sent at once, one round trip.
    let grant = |permission: &str| {
        cdp.execute(SetPermissionParams::new(PermissionDescriptor::new(permission), PermissionSetting::Granted))
    };
    let (_, _, targets) =
        futures::try_join!(grant("camera"), grant("microphone"), cdp.execute(GetTargetsParams::default()))
            .map_err(cdp_error)?;
    tracing::debug!(target: "meetbot::join", "join step: permissions granted, target listed");
    let target_id = match targets.result.target_infos.into_iter().find(|t| t.r#type == "page") {
        Some(target) => target.target_id.inner().clone(),
        None => cdp.new_page("about:blank").await.map_err(cdp_error)?.target_id().inner().clone(),
    };
    tracing::debug!(target: "meetbot::join", "join step: target found");
    Ok(JobBrowser { process, cdp, websocket_url, target_id, _handler: AbortOnDrop(handler) })
}
