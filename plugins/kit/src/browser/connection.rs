//! [`Connection`]: one DevTools connection to the host's browser, attached to the session's page.

use std::time::Duration;

use chromiumoxide::{Browser, Page, cdp::browser_protocol::target::TargetId, handler::HandlerConfig};
use futures::StreamExt;
use meetbot_plugin_api::BrowserTarget;
use tokio::task::JoinHandle;

use super::KitError;

/// The longest one page-side wait runs before the Rust side re-arms it; keeps every CDP request
/// well under chromiumoxide's request timeout. [`super::MeetingPage::watch`] and
/// [`super::MeetingPage::wait_gone`] wait at most this long.
pub const MAX_WAIT: Duration = Duration::from_secs(10);

/// How long the page may take to show up among the browser's targets after connecting.
const FIND_PAGE: Duration = Duration::from_secs(5);

/// How long a fresh session may take to answer its first call; a session that hangs instead of
/// failing is as dead as one that fails.
const FIRST_ANSWER: Duration = Duration::from_secs(2);

/// Attachments tried before giving up on a page whose sessions keep dying.
const ATTACH_ATTEMPTS: usize = 5;

/// A connection and the page handle on it; dropping it stops the connection's event loop.
pub(super) struct Connection {
    _browser: Browser,
    pub(super) page: Page,
    handler: JoinHandle<()>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.handler.abort();
    }
}

impl Connection {
    /// Connects and attaches to `target`, checking that the session answers: Chromium
    /// occasionally drops a fresh DevTools session, so a dead one is replaced by a new attachment.
    pub(super) async fn open(target: &BrowserTarget) -> Result<Self, KitError> {
        let mut last = None;
        for _ in 0..ATTACH_ATTEMPTS {
            let connection = Self::connect(target).await?;
            match tokio::time::timeout(FIRST_ANSWER, connection.page.evaluate_expression("1")).await {
                Ok(Ok(_)) => return Ok(connection),
                Ok(Err(error)) => last = Some(KitError::from(error)),
                Err(_) => last = Some(KitError::Cdp(format!("the page did not answer within {FIRST_ANSWER:?}"))),
            }
        }
        Err(last.unwrap_or_else(|| KitError::PageNotFound(target.target_id.to_string())))
    }

    async fn connect(target: &BrowserTarget) -> Result<Self, KitError> {
        let config = HandlerConfig { request_timeout: MAX_WAIT * 3, ..HandlerConfig::default() };
        let (browser, mut events) = Browser::connect_with_config(target.websocket_url.as_str(), config).await?;
        let handler = tokio::spawn(async move { while events.next().await.is_some() {} });
        let target_id = TargetId::from(target.target_id.to_string());
        // Connecting makes Chromium announce the existing tabs, and chromiumoxide attaches to them
        // by itself. `fetch_targets` must not be used: it attaches a second time and can leave
        // the page on a dead session.
        let until = tokio::time::Instant::now() + FIND_PAGE;
        loop {
            if let Ok(page) = browser.get_page(target_id.clone()).await {
                return Ok(Self { _browser: browser, page, handler });
            }
            if tokio::time::Instant::now() >= until {
                handler.abort();
                return Err(KitError::PageNotFound(target.target_id.to_string()));
            }
            // A lookup in chromiumoxide's own state (no DevTools traffic): asked often, since the
            // whole join waits for it.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
