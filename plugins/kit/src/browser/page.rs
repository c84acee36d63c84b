//! [`MeetingPage`]: one attached page and the operations plugins use on it.

use std::time::Duration;

use chromiumoxide::{
    Browser, Page,
    cdp::{
        browser_protocol::{
            input::{DispatchMouseEventParams, DispatchMouseEventType, InsertTextParams, MouseButton},
            page::NavigateParams,
            target::TargetId,
        },
        js_protocol::runtime::CallFunctionOnParams,
    },
    handler::HandlerConfig,
};
use futures::StreamExt;
use meetbot_plugin_api::BrowserTarget;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use tokio::task::JoinHandle;

use super::Probe;

/// The page-side helper, evaluated as a function for each operation (no global is left behind).
const DOM_JS: &str = include_str!("dom.js");

/// The longest one page-side wait runs before the Rust side re-arms it; keeps every CDP request
/// well under chromiumoxide's request timeout.
const SLICE: Duration = Duration::from_secs(10);

/// Attachments tried before giving up on a page whose sessions keep dying.
const ATTACH_ATTEMPTS: usize = 5;

/// How long a navigation may take to leave about:blank.
const NAVIGATION_START: Duration = Duration::from_secs(15);

/// Browser plumbing failures.
#[derive(Debug, thiserror::Error)]
pub enum KitError {
    /// Talking to the browser failed (it may have died).
    #[error("browser: {0}")]
    Cdp(String),
    /// The page the host opened is not there.
    #[error("page {0} not found in the browser")]
    PageNotFound(String),
    /// The page-side helper returned something unexpected.
    #[error("page script: {0}")]
    Script(String),
}

impl From<chromiumoxide::error::CdpError> for KitError {
    fn from(error: chromiumoxide::error::CdpError) -> Self {
        KitError::Cdp(error.to_string())
    }
}

/// What [`MeetingPage::watch`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Watch {
    /// Index of the probe that appeared, if one did.
    #[serde(deserialize_with = "index")]
    pub matched: Option<usize>,
    /// The count read, if readable.
    pub count: Option<u32>,
}

fn index<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    let raw = i64::deserialize(d)?;
    Ok(usize::try_from(raw).ok())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Request<'a> {
    op: &'a str,
    probes: &'a [Probe],
    timeout_ms: u64,
    count_probe: Option<Probe>,
    last_count: Option<u32>,
}

#[derive(Deserialize)]
struct Point {
    x: f64,
    y: f64,
}

/// The meeting page a session drives.
pub struct MeetingPage {
    _browser: Browser,
    page: Page,
    handler: JoinHandle<()>,
}

impl Drop for MeetingPage {
    fn drop(&mut self) {
        self.handler.abort();
    }
}

impl MeetingPage {
    /// Connects to the host's browser and attaches to the page it opened for this session.
    /// Chromium occasionally drops a fresh DevTools session ("Session with given id not
    /// found"); the session is checked and, if dead, attached again.
    pub async fn attach(target: &BrowserTarget) -> Result<Self, KitError> {
        let mut last = None;
        for _ in 0..ATTACH_ATTEMPTS {
            let page = Self::connect(target).await?;
            match page.page.evaluate_expression("1").await {
                Ok(_) => return Ok(page),
                Err(error) => last = Some(KitError::from(error)),
            }
        }
        Err(last.unwrap_or_else(|| KitError::PageNotFound(target.target_id.to_string())))
    }

    async fn connect(target: &BrowserTarget) -> Result<Self, KitError> {
        let config = HandlerConfig { request_timeout: SLICE * 3, ..HandlerConfig::default() };
        let (browser, mut events) = Browser::connect_with_config(target.websocket_url.as_str(), config).await?;
        let handler = tokio::spawn(async move { while events.next().await.is_some() {} });
        let target_id = TargetId::from(target.target_id.to_string());
        // Connecting makes Chromium announce the existing tabs, and chromiumoxide attaches to them
        // by itself. `fetch_targets` must not be used: it attaches a second time and can leave
        // the page on a dead session.
        for _ in 0..250 {
            if let Ok(page) = browser.get_page(target_id.clone()).await {
                return Ok(Self { _browser: browser, page, handler });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        handler.abort();
        Err(KitError::PageNotFound(target.target_id.to_string()))
    }

    /// Starts navigating to `url` and returns once the page has left `about:blank` (the target,
    /// a redirect or an error page), without waiting for the load event (meeting apps never stop
    /// loading); wait for what you need with [`MeetingPage::wait_for`].
    pub async fn goto(&self, url: &str) -> Result<(), KitError> {
        let until = tokio::time::Instant::now() + NAVIGATION_START;
        // chromiumoxide drops a navigation sent before it knows the page's main frame, and
        // answers Page.navigate only at the load event: so wait for the frame first, then for
        // the page to leave about:blank, whichever of that and the answer comes first.
        while self.page.url().await?.unwrap_or_default().is_empty() && tokio::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let left_blank = [Probe::url("://")];
        let left = self.wait_for(&left_blank, until.saturating_duration_since(tokio::time::Instant::now()));
        tokio::select! {
            sent = self.page.execute(NavigateParams::new(url)) => sent.map(|_| ()).map_err(KitError::from),
            left = left => left.map(|_| ()),
        }
    }

    /// The page's current address.
    pub async fn url(&self) -> Result<String, KitError> {
        Ok(self.page.url().await?.unwrap_or_default())
    }

    async fn call<T: DeserializeOwned>(&self, request: &Request<'_>) -> Result<T, KitError> {
        let params = CallFunctionOnParams::builder()
            .function_declaration(DOM_JS)
            .argument(
                chromiumoxide::cdp::js_protocol::runtime::CallArgument::builder()
                    .value(serde_json::to_value(request).map_err(|e| KitError::Script(e.to_string()))?)
                    .build(),
            )
            .await_promise(true)
            .return_by_value(true)
            .build()
            .map_err(KitError::Script)?;
        let result = self.page.evaluate_function(params).await?;
        // A script answering null has no value in chromiumoxide's eyes; it is still an answer.
        let value = result.value().cloned().unwrap_or(serde_json::Value::Null);
        serde_json::from_value(value).map_err(|e| KitError::Script(e.to_string()))
    }

    /// Runs one page-side operation, riding out navigations: a page that is replaced mid-call
    /// (redirects, in-app route changes) destroys the execution context, and the operation is
    /// simply tried again in the new document.
    async fn call_retrying<T: DeserializeOwned>(&self, request: &Request<'_>) -> Result<T, KitError> {
        let mut last = None;
        for _ in 0..20 {
            match self.call(request).await {
                Ok(value) => return Ok(value),
                Err(KitError::Cdp(message)) if is_transient(&message) => {
                    last = Some(message);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(other) => return Err(other),
            }
        }
        Err(KitError::Cdp(last.unwrap_or_default()))
    }

    /// Waits until any of `probes` is present; the index of the first one found, or `None` when
    /// `deadline` passes first.
    pub async fn wait_for(&self, probes: &[Probe], deadline: Duration) -> Result<Option<usize>, KitError> {
        let until = tokio::time::Instant::now() + deadline;
        loop {
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            let slice = left.min(SLICE);
            let request =
                Request { op: "wait", probes, timeout_ms: millis(slice), count_probe: None, last_count: None };
            let found: i64 = self.call_retrying(&request).await?;
            if let Ok(index) = usize::try_from(found) {
                return Ok(Some(index));
            }
            if left <= slice {
                return Ok(None);
            }
        }
    }

    /// Whether any of `probes` is present now.
    pub async fn is_present(&self, probes: &[Probe]) -> Result<bool, KitError> {
        Ok(self.wait_for(probes, Duration::ZERO).await?.is_some())
    }

    /// Waits up to `deadline` until one of `probes` appears or the number `count` reads differs
    /// from `last_count`.
    pub async fn watch(
        &self,
        probes: &[Probe],
        count: Option<Probe>,
        last_count: Option<u32>,
        deadline: Duration,
    ) -> Result<Watch, KitError> {
        let request =
            Request { op: "watch", probes, timeout_ms: millis(deadline.min(SLICE)), count_probe: count, last_count };
        self.call_retrying(&request).await
    }

    /// The number the first present probe shows (`data-avatar-count`, or the first number in its
    /// aria-label or text).
    pub async fn read_count(&self, probe: Probe) -> Result<Option<u32>, KitError> {
        let request = Request { op: "count", probes: &[], timeout_ms: 0, count_probe: Some(probe), last_count: None };
        self.call_retrying(&request).await
    }

    /// Clicks the first present probe with real mouse events at its centre; false when none is
    /// present.
    pub async fn click(&self, probes: &[Probe]) -> Result<bool, KitError> {
        let request = Request { op: "locate", probes, timeout_ms: 0, count_probe: None, last_count: None };
        let Some(point) = self.call_retrying::<Option<Point>>(&request).await? else {
            return Ok(false);
        };
        for kind in [
            DispatchMouseEventType::MouseMoved,
            DispatchMouseEventType::MousePressed,
            DispatchMouseEventType::MouseReleased,
        ] {
            let event = DispatchMouseEventParams::builder()
                .r#type(kind.clone())
                .x(point.x)
                .y(point.y)
                .button(MouseButton::Left)
                .click_count(if kind == DispatchMouseEventType::MouseMoved { 0 } else { 1 })
                .build()
                .map_err(KitError::Script)?;
            self.page.execute(event).await?;
        }
        Ok(true)
    }

    /// Waits up to `deadline` for any of `probes`, then clicks it; false when none appeared.
    pub async fn click_when_present(&self, probes: &[Probe], deadline: Duration) -> Result<bool, KitError> {
        if self.wait_for(probes, deadline).await?.is_none() {
            return Ok(false);
        }
        self.click(probes).await
    }

    /// Replaces the content of the first present input with `text`, typed through the browser's
    /// input pipeline (so the app's own handlers see it); false when none is present.
    pub async fn fill(&self, probes: &[Probe], text: &str) -> Result<bool, KitError> {
        let request = Request { op: "focus", probes, timeout_ms: 0, count_probe: None, last_count: None };
        if !self.call_retrying::<bool>(&request).await? {
            return Ok(false);
        }
        self.page.execute(InsertTextParams::new(text)).await?;
        Ok(true)
    }

    /// Waits until none of `probes` is present (a lobby message going away); false when one is
    /// still there at the deadline.
    pub async fn wait_gone(&self, probes: &[Probe], deadline: Duration) -> Result<bool, KitError> {
        let request = Request {
            op: "gone",
            probes,
            timeout_ms: millis(deadline.min(SLICE)),
            count_probe: None,
            last_count: None,
        };
        self.call_retrying(&request).await
    }

    /// Evaluates a JavaScript expression in the page (awaiting a promise) and returns its value;
    /// for the rare platform detail no probe expresses.
    pub async fn evaluate<T: DeserializeOwned>(&self, expression: &str) -> Result<T, KitError> {
        let result = self.page.evaluate_expression(expression).await?;
        let value = result.value().cloned().unwrap_or(serde_json::Value::Null);
        serde_json::from_value(value).map_err(|e| KitError::Script(e.to_string()))
    }

    /// Clicks away every dialog among `dismissers` that is present (e.g. "Got it", "Dismiss");
    /// returns how many were clicked.
    pub async fn dismiss(&self, dismissers: &[Probe]) -> Result<usize, KitError> {
        let mut clicked = 0;
        for probe in dismissers {
            if self.click(std::slice::from_ref(probe)).await? {
                clicked += 1;
            }
        }
        Ok(clicked)
    }
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
        // Right after a cross-site redirect the new document has no context yet.
        "Either objectId or executionContextId",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}
