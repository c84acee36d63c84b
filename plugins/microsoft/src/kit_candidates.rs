//! Page helpers the kit does not have yet, kept small and platform-free so they can move into
//! `meetbot-plugin-kit` as they are (see the plugin's report). They run their own page-side script
//! (`kit_candidates.js`) over a second DevTools connection to the same page, because
//! [`meetbot_plugin_kit::MeetingPage`] does not expose script evaluation.
//!
//! What they add over the kit:
//! - **counts that live in a badge**: the kit reads the first number of an element's aria-label and
//!   only looks at its text when there is no aria-label; Teams' People button is labelled "People"
//!   and shows the count in a badge inside it, so the kit reads nothing there;
//! - **switches**: reading and flipping Fluent UI switches, whose native checkbox is drawn with
//!   opacity 0 over the track (the kit treats it as invisible, and cannot read checked state);
//! - **buttons inside a dialog**, so "Leave" in a confirmation is not confused with the toolbar's;
//! - **waiting for texts to go away** (the lobby message disappearing);
//! - **an attach that keeps one session**: chromiumoxide 0.9's `fetch_targets`, which the kit's
//!   attach calls, attaches a second time and may leave the page on an unusable session; the
//!   navigation to the meeting goes over this connection for that reason.

use std::time::Duration;

use chromiumoxide::{
    Browser, Page,
    cdp::{
        browser_protocol::{page::NavigateParams, target::TargetId},
        js_protocol::runtime::{CallArgument, CallFunctionOnParams},
    },
    handler::HandlerConfig,
    layout::Point,
};
use futures::StreamExt;
use meetbot_plugin_api::BrowserTarget;
use meetbot_plugin_kit::KitError;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use tokio::task::JoinHandle;

/// The page-side helper.
const SCRIPT_JS: &str = include_str!("kit_candidates.js");

/// The longest one page-side wait runs before it is re-armed from Rust; keeps every DevTools call
/// well under the request timeout.
const SLICE: Duration = Duration::from_secs(10);

/// Elements found by stable attributes, or by role and accessible name.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// CSS selectors (e.g. `[data-tid="roster-button"]`).
    pub selectors: Vec<&'static str>,
    /// Parts of the accessible name (any language), matched on elements of `roles`.
    pub labels: Vec<&'static str>,
    /// A CSS selector for the kinds of element the labels apply to.
    pub roles: &'static str,
}

/// What a switch shows.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Switch {
    /// On (`true`), off, or `None` when the control shows no state.
    pub on: Option<bool>,
    x: f64,
    y: f64,
}

/// What a count watch saw.
#[derive(Debug, Deserialize)]
struct CountSeen {
    count: Option<u32>,
    #[serde(default, rename = "timedOut")]
    timed_out: bool,
}

#[derive(Debug, Deserialize)]
struct Spot {
    x: f64,
    y: f64,
}

/// A second handle on the session's page for the helpers above.
pub struct PageScript {
    _browser: Browser,
    page: Page,
    handler: JoinHandle<()>,
}

impl Drop for PageScript {
    fn drop(&mut self) {
        self.handler.abort();
    }
}

impl PageScript {
    /// Connects to the host's browser and attaches to the session's page.
    ///
    /// Unlike the kit's attach this does not call chromiumoxide's `fetch_targets`: in 0.9 that
    /// attaches to every existing target a second time (once without `flatten`) and the page may
    /// end up with the session id of the wrong attachment, after which commands hang or fail with
    /// "Session with given id not found". `Target.setDiscoverTargets`, sent on connect, already
    /// announces existing targets and chromiumoxide attaches to each once.
    pub async fn attach(target: &BrowserTarget) -> Result<Self, KitError> {
        let mut last = KitError::PageNotFound(target.target_id.to_string());
        for _ in 0..3 {
            let script = Self::connect(target).await?;
            // One cheap call proves the session works.
            match tokio::time::timeout(Duration::from_millis(1500), script.call::<Option<u32>>(&probe_request())).await
            {
                Ok(Ok(_)) => return Ok(script),
                Ok(Err(error)) => last = error,
                Err(_) => last = KitError::Cdp("the page did not answer".to_owned()),
            }
        }
        Err(last)
    }

    async fn connect(target: &BrowserTarget) -> Result<Self, KitError> {
        let config = HandlerConfig { request_timeout: SLICE * 3, ..HandlerConfig::default() };
        let (browser, mut events) = Browser::connect_with_config(target.websocket_url.as_str(), config)
            .await
            .map_err(|e| KitError::Cdp(e.to_string()))?;
        let handler = tokio::spawn(async move { while events.next().await.is_some() {} });
        let target_id = TargetId::from(target.target_id.to_string());
        let until = tokio::time::Instant::now() + Duration::from_secs(3);
        loop {
            if let Ok(page) = browser.get_page(target_id.clone()).await {
                return Ok(Self { _browser: browser, page, handler });
            }
            if tokio::time::Instant::now() >= until {
                handler.abort();
                return Err(KitError::PageNotFound(target.target_id.to_string()));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn call<T: DeserializeOwned>(&self, request: &serde_json::Value) -> Result<T, KitError> {
        let mut last = String::new();
        // A navigation destroys the document mid-call; the operation is tried in the new one.
        for _ in 0..20 {
            let params = CallFunctionOnParams::builder()
                .function_declaration(SCRIPT_JS)
                .argument(CallArgument::builder().value(request.clone()).build())
                .await_promise(true)
                .return_by_value(true)
                .build()
                .map_err(KitError::Script)?;
            match self.page.evaluate_function(params).await {
                // A script returning null comes back without a value, which chromiumoxide's
                // `into_value` treats as an error.
                Ok(result) => {
                    let value = result.value().cloned().unwrap_or(serde_json::Value::Null);
                    return serde_json::from_value(value).map_err(|e| KitError::Script(e.to_string()));
                }
                Err(e) if is_transient(&e.to_string()) => {
                    last = e.to_string();
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => return Err(KitError::Cdp(e.to_string())),
            }
        }
        Err(KitError::Cdp(last))
    }

    /// Starts navigating to `url` (answered once the navigation commits). Goes over this
    /// connection because the kit's page may hold the wrong session (see [`PageScript::attach`]),
    /// in which case its `goto` is never answered and the page stays blank.
    pub async fn goto(&self, url: &str) -> Result<(), KitError> {
        self.page.execute(NavigateParams::new(url)).await.map_err(|e| KitError::Cdp(e.to_string()))?;
        Ok(())
    }

    /// The count `target` shows now.
    pub async fn count(&self, target: &Target) -> Result<Option<u32>, KitError> {
        self.call(&serde_json::json!({ "op": "count", "target": target })).await
    }

    /// Waits up to `deadline` (at most one slice) for the count to become readable and differ
    /// from `last`; the new count, or `None` when it did not change.
    pub async fn count_change(
        &self,
        target: &Target,
        last: Option<u32>,
        deadline: Duration,
    ) -> Result<Option<u32>, KitError> {
        let request = serde_json::json!({
            "op": "watchCount", "target": target, "last": last, "timeoutMs": millis(deadline.min(SLICE)),
        });
        let seen: CountSeen = self.call(&request).await?;
        Ok(if seen.timed_out { None } else { seen.count })
    }

    /// The switches' states, waiting up to `deadline` until all are present.
    pub async fn switches(&self, targets: &[Target], deadline: Duration) -> Result<Vec<Option<Switch>>, KitError> {
        self.switches_until(targets, "found", deadline).await
    }

    /// Clicks every switch that is on, then waits up to `deadline` until none is; the states
    /// before and after.
    pub async fn turn_off(
        &self,
        targets: &[Target],
        before: &[Option<Switch>],
        deadline: Duration,
    ) -> Result<Vec<Option<Switch>>, KitError> {
        for switch in before.iter().flatten().filter(|s| s.on == Some(true)) {
            self.click_at(switch.x, switch.y).await?;
        }
        self.switches_until(targets, "off", deadline).await
    }

    async fn switches_until(
        &self,
        targets: &[Target],
        until: &str,
        deadline: Duration,
    ) -> Result<Vec<Option<Switch>>, KitError> {
        let request = serde_json::json!({
            "op": "switches", "targets": targets, "until": until, "timeoutMs": millis(deadline.min(SLICE)),
        });
        self.call(&request).await
    }

    /// Clicks the first button inside an open dialog whose name contains one of `labels`; false
    /// when there is none.
    pub async fn click_dialog_button(&self, labels: &[&str]) -> Result<bool, KitError> {
        let spot: Option<Spot> = self.call(&serde_json::json!({ "op": "dialogButton", "labels": labels })).await?;
        match spot {
            Some(spot) => {
                self.click_at(spot.x, spot.y).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Waits up to `deadline` (at most one slice) until none of `texts` is visible; true when
    /// they are gone.
    pub async fn texts_gone(&self, texts: &[&str], deadline: Duration) -> Result<bool, KitError> {
        let request = serde_json::json!({ "op": "absent", "texts": texts, "timeoutMs": millis(deadline.min(SLICE)) });
        self.call(&request).await
    }

    /// A real mouse click (input events count as user activation, unlike a script click).
    async fn click_at(&self, x: f64, y: f64) -> Result<(), KitError> {
        self.page.click(Point { x, y }).await.map_err(|e| KitError::Cdp(e.to_string()))?;
        Ok(())
    }
}

/// A request that touches the page but finds nothing.
fn probe_request() -> serde_json::Value {
    serde_json::json!({ "op": "count", "target": { "selectors": [], "labels": [], "roles": "" } })
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Errors that mean "the document changed under us", not "the browser is gone".
fn is_transient(message: &str) -> bool {
    [
        "Execution context was destroyed",
        "Cannot find context",
        "Inspected target navigated",
        "context with specified id",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}
