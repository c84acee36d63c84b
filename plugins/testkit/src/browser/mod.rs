//! [`TestBrowser`]: a headless Chromium set up as the worker sets up a job's browser, with the
//! fake site's switches added.
//!
//! What a plugin depends on is what the worker gives it, so this does the same: the worker's
//! switches ([`switches`]), a profile of its own, camera and microphone granted to every origin,
//! and the tab Chromium opened at launch (`about:blank`) as the session's page, handed over as a
//! [`BrowserTarget`] (DevTools websocket and target id). The plugin attaches and navigates
//! itself. Like the worker, the testkit keeps its own DevTools connection open beside the
//! plugin's.

mod executable;
mod process;
pub mod switches;

use std::{sync::Mutex, time::Duration};

use chromiumoxide::{
    Browser,
    cdp::browser_protocol::{
        browser::{PermissionDescriptor, PermissionSetting, SetPermissionParams},
        target::GetTargetsParams,
    },
};
pub use executable::{CHROMIUM_VARIABLE, find_chromium};
use futures::StreamExt;
use meetbot_plugin_api::BrowserTarget;
use process::ChromiumProcess;
use tokio::task::JoinHandle;

use crate::{FakeSite, TestkitError};

/// How long Chromium may take to announce its DevTools address.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(20);

/// A running test browser. Killed, with every process it started, on [`TestBrowser::close`] or
/// drop.
pub struct TestBrowser {
    /// `None` once closed.
    process: Option<ChromiumProcess>,
    websocket_url: String,
    cdp: Option<Browser>,
    handler: JoinHandle<()>,
    /// The launch tab, until a session takes it.
    launch_tab: Mutex<Option<String>>,
}

impl TestBrowser {
    /// Launches Chromium (see [`find_chromium`]) with the worker's switches and `site`'s.
    pub async fn launch(site: &FakeSite) -> Result<Self, TestkitError> {
        Self::launch_with(&site.chromium_args()).await
    }

    /// Launches Chromium with the worker's switches and `extra` ones (before the blank page).
    pub async fn launch_with(extra: &[String]) -> Result<Self, TestkitError> {
        let executable = find_chromium()?;
        let process = ChromiumProcess::spawn(&executable, extra, LAUNCH_TIMEOUT).await?;
        let cdp_error = |e: chromiumoxide::error::CdpError| TestkitError::Browser(e.to_string());
        let websocket_url = process.websocket_url().to_owned();
        let (cdp, mut events) = Browser::connect(websocket_url.clone()).await.map_err(cdp_error)?;
        let handler = tokio::spawn(async move { while events.next().await.is_some() {} });
        // From here on, a failure drops `browser`, which kills the process.
        let mut browser =
            Self { process: Some(process), websocket_url, cdp: Some(cdp), handler, launch_tab: Mutex::new(None) };
        let cdp = browser.cdp()?;
        for permission in ["camera", "microphone"] {
            let grant = SetPermissionParams::new(PermissionDescriptor::new(permission), PermissionSetting::Granted);
            cdp.execute(grant).await.map_err(cdp_error)?;
        }
        // The launch tab's id from a plain Target.getTargets, as the worker reads it
        // (chromiumoxide's `fetch_targets` would attach a second time).
        let targets = cdp.execute(GetTargetsParams::default()).await.map_err(cdp_error)?;
        let tab =
            targets.result.target_infos.into_iter().find(|t| t.r#type == "page").map(|t| t.target_id.inner().clone());
        browser.launch_tab = Mutex::new(tab);
        Ok(browser)
    }

    fn cdp(&self) -> Result<&Browser, TestkitError> {
        self.cdp.as_ref().ok_or_else(|| TestkitError::Browser("the browser was closed".to_owned()))
    }

    /// The DevTools websocket URL.
    pub fn websocket_url(&self) -> &str {
        &self.websocket_url
    }

    /// A blank page for one session, exactly what the worker hands a plugin: the launch tab the
    /// first time (as the worker does), a new `about:blank` tab after that.
    pub async fn blank_page(&self) -> Result<BrowserTarget, TestkitError> {
        let launch_tab = self.launch_tab.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        let target_id = match launch_tab {
            Some(tab) => tab,
            None => self
                .cdp()?
                .new_page("about:blank")
                .await
                .map_err(|e| TestkitError::Browser(e.to_string()))?
                .target_id()
                .inner()
                .clone(),
        };
        Ok(BrowserTarget { websocket_url: self.websocket_url().into(), target_id: target_id.into() })
    }

    /// Ends the browser: closes the testkit's DevTools connection first (a browser killed under a
    /// live connection makes chromiumoxide log an error although nothing went wrong), then kills
    /// the process tree and removes the profile.
    pub async fn close(mut self) {
        self.handler.abort();
        let _ = (&mut self.handler).await;
        self.cdp.take();
        if let Some(process) = self.process.take() {
            process.shutdown().await;
        }
    }
}

impl Drop for TestBrowser {
    fn drop(&mut self) {
        self.handler.abort();
    }
}
