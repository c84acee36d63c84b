//! [`MeetingPage`]: one attached page and the operations plugins use on it.
//!
//! Every operation rides out what a live meeting page does on its own: a document replaced
//! mid-call (redirects, in-app route changes) is simply tried again in the new one, and a
//! DevTools session Chromium dropped is replaced by a fresh attachment to the same page. What
//! reaches the plugin as a [`KitError`] is final.

use std::{
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};

use chromiumoxide::{
    Page,
    cdp::{
        browser_protocol::{
            input::{DispatchMouseEventParams, DispatchMouseEventType, InsertTextParams, MouseButton},
            page::NavigateParams,
        },
        js_protocol::runtime::{CallArgument, CallFunctionOnParams},
    },
};
use meetbot_plugin_api::BrowserTarget;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use tokio::time::Instant;

use super::{
    KitError, Probe,
    connection::{Connection, MAX_WAIT},
    error::{is_between_documents, is_lost_session},
};

/// The page-side helper, evaluated as a function for each operation (no global is left behind).
const DOM_JS: &str = include_str!("dom.js");

/// How long an operation keeps being tried while the page is between two documents.
const BETWEEN_DOCUMENTS: Duration = Duration::from_secs(5);

/// The pause before an operation that found no document is tried again: short, since a
/// navigation's new document usually arrives within a few ms and the join waits for it (a failed
/// try costs one local DevTools round trip).
const BETWEEN_DOCUMENTS_RETRY: Duration = Duration::from_millis(10);

/// Fresh attachments after Chromium dropped the session, per page.
const MAX_REATTACH: u32 = 5;

/// Navigations sent before giving up on a page that stays on `about:blank`.
const NAVIGATION_ATTEMPTS: u32 = 3;

/// How long one navigation may take to leave `about:blank`.
const NAVIGATION_START: Duration = Duration::from_secs(5);

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

/// One call of the page-side helper (see dom.js for the operations).
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct Request<'a> {
    pub(super) op: &'a str,
    pub(super) probes: &'a [Probe],
    pub(super) timeout_ms: u64,
    pub(super) count_probes: &'a [Probe],
    pub(super) last_count: Option<u32>,
    /// For `locate`: the switch inside the element rather than the element.
    pub(super) toggle: bool,
}

#[derive(Deserialize)]
struct Point {
    x: f64,
    y: f64,
}

/// The meeting page a session drives.
pub struct MeetingPage {
    target: BrowserTarget,
    connection: Mutex<Arc<Connection>>,
    /// Fresh attachments so far; the lock also keeps two operations from re-attaching at once.
    reattached: tokio::sync::Mutex<u32>,
}

impl MeetingPage {
    /// Connects to the host's browser and attaches to the page it opened for this session.
    pub async fn attach(target: &BrowserTarget) -> Result<Self, KitError> {
        let connection = Connection::open(target).await?;
        Ok(Self {
            target: target.clone(),
            connection: Mutex::new(Arc::new(connection)),
            reattached: tokio::sync::Mutex::new(0),
        })
    }

    fn current(&self) -> Arc<Connection> {
        Arc::clone(&self.connection.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Replaces a connection whose session Chromium dropped (unless another operation already did).
    async fn reattach(&self, stale: &Arc<Connection>, why: &str) -> Result<(), KitError> {
        let mut reattached = self.reattached.lock().await;
        if !Arc::ptr_eq(&self.current(), stale) {
            return Ok(());
        }
        if *reattached >= MAX_REATTACH {
            return Err(KitError::Cdp(format!("{why} (after {MAX_REATTACH} fresh attachments)")));
        }
        *reattached += 1;
        let fresh = Arc::new(Connection::open(&self.target).await?);
        *self.connection.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        Ok(())
    }

    /// Runs `op` on the page, again in the new document when the page was between two, and on a
    /// fresh attachment when Chromium dropped the session.
    async fn with_page<T, F, Fut>(&self, op: F) -> Result<T, KitError>
    where
        F: Fn(Page) -> Fut,
        Fut: Future<Output = Result<T, KitError>>,
    {
        let until = Instant::now() + BETWEEN_DOCUMENTS;
        loop {
            let connection = self.current();
            match op(connection.page.clone()).await {
                Err(KitError::Cdp(message)) if is_lost_session(&message) => {
                    self.reattach(&connection, &message).await?;
                }
                Err(KitError::Cdp(message)) if is_between_documents(&message) && Instant::now() < until => {
                    tokio::time::sleep(BETWEEN_DOCUMENTS_RETRY).await;
                }
                other => return other,
            }
        }
    }

    /// Runs one page-side operation.
    pub(super) async fn run<T: DeserializeOwned>(&self, request: &Request<'_>) -> Result<T, KitError> {
        self.with_page(|page| async move { call(&page, request).await }).await
    }

    /// Starts navigating to `url` and returns once the page has left `about:blank` (the target,
    /// a redirect or an error page), without waiting for the load event (meeting apps never stop
    /// loading); wait for what you need with [`MeetingPage::wait_for`]. A navigation the browser
    /// did not start is sent again; a page that stays blank is [`KitError::NavigationStalled`].
    pub async fn goto(&self, url: &str) -> Result<(), KitError> {
        for _ in 0..NAVIGATION_ATTEMPTS {
            if self.with_page(|page| async move { navigate(&page, url).await }).await? {
                return Ok(());
            }
        }
        Err(KitError::NavigationStalled(url.to_owned()))
    }

    /// The page's current address as the browser connection knows it (it can lag a moment behind
    /// a navigation; a [`Probe::url`] asks the document itself).
    pub async fn url(&self) -> Result<String, KitError> {
        self.with_page(|page| async move { Ok(page.url().await?.unwrap_or_default()) }).await
    }

    /// Waits until any of `probes` is present; the index of the first one found, or `None` when
    /// `deadline` passes first.
    pub async fn wait_for(&self, probes: &[Probe], deadline: Duration) -> Result<Option<usize>, KitError> {
        let until = Instant::now() + deadline;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            let slice = left.min(MAX_WAIT);
            let found: i64 =
                self.run(&Request { op: "wait", probes, timeout_ms: millis(slice), ..Request::default() }).await?;
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

    /// Waits up to `deadline` (at most 10 s) until one of `probes` appears or the number the
    /// first readable of `count` shows differs from `last_count`.
    pub async fn watch(
        &self,
        probes: &[Probe],
        count: &[Probe],
        last_count: Option<u32>,
        deadline: Duration,
    ) -> Result<Watch, KitError> {
        let timeout_ms = millis(deadline.min(MAX_WAIT));
        self.run(&Request { op: "watch", probes, timeout_ms, count_probes: count, last_count, ..Request::default() })
            .await
    }

    /// The number the first of `probes` that shows one reads: its `data-avatar-count`, the first
    /// number in its aria-label or title, a badge inside it (an element holding just a number),
    /// its text, or a badge right beside it. `None` when none shows a number.
    pub async fn read_count(&self, probes: &[Probe]) -> Result<Option<u32>, KitError> {
        self.run(&Request { op: "count", count_probes: probes, ..Request::default() }).await
    }

    /// Clicks the first present probe with real mouse events at its centre (which count as user
    /// activation, unlike a script click); false when none is present.
    pub async fn click(&self, probes: &[Probe]) -> Result<bool, KitError> {
        self.click_located(&Request { op: "locate", probes, ..Request::default() }).await
    }

    /// Clicks where a `locate` request points; false when it found nothing.
    pub(super) async fn click_located(&self, request: &Request<'_>) -> Result<bool, KitError> {
        self.with_page(|page| async move {
            let Some(point) = call::<Option<Point>>(&page, request).await? else {
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
                page.execute(event).await?;
            }
            Ok(true)
        })
        .await
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
        let request = Request { op: "focus", probes, ..Request::default() };
        self.with_page(|page| {
            let request = &request;
            async move {
                if !call::<bool>(&page, request).await? {
                    return Ok(false);
                }
                page.execute(InsertTextParams::new(text)).await?;
                Ok(true)
            }
        })
        .await
    }

    /// Waits up to `deadline` (at most 10 s) until none of `probes` is present (a lobby message
    /// going away); false when one is still there at the deadline.
    pub async fn wait_gone(&self, probes: &[Probe], deadline: Duration) -> Result<bool, KitError> {
        self.run(&Request { op: "gone", probes, timeout_ms: millis(deadline.min(MAX_WAIT)), ..Request::default() })
            .await
    }

    /// Evaluates a JavaScript expression in the page (awaiting a promise) and returns its value;
    /// for the rare platform detail no probe expresses.
    pub async fn evaluate<T: DeserializeOwned>(&self, expression: &str) -> Result<T, KitError> {
        self.with_page(|page| async move {
            let result = page.evaluate_expression(expression).await?;
            from_value(result.value().cloned())
        })
        .await
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

/// Calls the page-side helper once.
async fn call<T: DeserializeOwned>(page: &Page, request: &Request<'_>) -> Result<T, KitError> {
    let argument = serde_json::to_value(request).map_err(|e| KitError::Script(e.to_string()))?;
    let params = CallFunctionOnParams::builder()
        .function_declaration(DOM_JS)
        .argument(CallArgument::builder().value(argument).build())
        .await_promise(true)
        .return_by_value(true)
        .build()
        .map_err(KitError::Script)?;
    let result = page.evaluate_function(params).await?;
    from_value(result.value().cloned())
}

/// A script's answer; `null` has no value in chromiumoxide's eyes, but it is still an answer.
fn from_value<T: DeserializeOwned>(value: Option<serde_json::Value>) -> Result<T, KitError> {
    serde_json::from_value(value.unwrap_or(serde_json::Value::Null)).map_err(|e| KitError::Script(e.to_string()))
}

/// Sends one navigation; whether the page left `about:blank` within [`NAVIGATION_START`].
///
/// chromiumoxide drops a navigation sent before it knows the page's main frame, and answers
/// `Page.navigate` only at the load event (which a meeting app may never reach): so this waits
/// for the frame first, then for whichever comes first of the answer and the document leaving
/// about:blank.
async fn navigate(page: &Page, url: &str) -> Result<bool, KitError> {
    let until = Instant::now() + NAVIGATION_START;
    while page.url().await?.unwrap_or_default().is_empty() && Instant::now() < until {
        // chromiumoxide's own state, no DevTools traffic.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let left_blank = async {
        let probes = [Probe::url("://")];
        loop {
            let timeout_ms = millis(until.saturating_duration_since(Instant::now()));
            match call::<i64>(page, &Request { op: "wait", probes: &probes, timeout_ms, ..Request::default() }).await {
                Ok(found) => return Ok(found >= 0),
                // A document being replaced is a navigation under way; look again in the new one.
                Err(KitError::Cdp(message)) if is_between_documents(&message) && Instant::now() < until => {
                    tokio::time::sleep(BETWEEN_DOCUMENTS_RETRY).await;
                }
                Err(error) => return Err(error),
            }
        }
    };
    tokio::select! {
        sent = page.execute(NavigateParams::new(url)) => sent.map(|_| true).map_err(KitError::from),
        left = left_blank => left,
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
