//! Page events: what the author's fake pages say the bot did (`leave_clicked`, `join_asked`).
//!
//! A fake page knows best what the bot clicked, so it tells the test: a same-origin
//! `POST /__testkit/event` with a JSON body `{"kind": "...", "detail": "..."}` (at most
//! [`MAX_BODY`] bytes; any content type, so `navigator.sendBeacon` works too). The site keeps them
//! in order with the instant each arrived; [`crate::Scenario`] checks the Leave click with them.

use std::{
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use axum::{body::Bytes, extract::State, http::StatusCode};
use serde::Deserialize;
use tokio::{sync::watch, time::Instant};

/// The path of the page-event endpoint on every served host.
pub const EVENT_PATH: &str = "/__testkit/event";

/// The largest page-event body accepted.
pub const MAX_BODY: usize = 16 * 1024;

/// One thing a fake page reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageEvent {
    /// What happened (`leave_clicked`, or any kind the page chooses).
    pub kind: String,
    /// Free text the page added (may be empty).
    pub detail: String,
    /// When the site received it.
    pub at: Instant,
}

/// The page events of one site.
#[derive(Debug)]
pub(crate) struct PageEvents {
    events: Mutex<Vec<PageEvent>>,
    arrived: watch::Sender<usize>,
}

impl Default for PageEvents {
    fn default() -> Self {
        Self { events: Mutex::new(Vec::new()), arrived: watch::Sender::new(0) }
    }
}

impl PageEvents {
    fn lock(&self) -> MutexGuard<'_, Vec<PageEvent>> {
        // One push per lock: a poisoned list is still whole.
        self.events.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn all(&self) -> Vec<PageEvent> {
        self.lock().clone()
    }

    fn push(&self, kind: String, detail: String) {
        self.lock().push(PageEvent { kind, detail, at: Instant::now() });
        self.arrived.send_modify(|count| *count += 1);
    }

    /// The first event of `kind` that arrived at or after `since` (one already there counts),
    /// waiting at most `timeout`.
    pub(crate) async fn wait(&self, kind: &str, since: Option<Instant>, timeout: Duration) -> Option<PageEvent> {
        let mut arrived = self.arrived.subscribe();
        let found = async {
            loop {
                let hit = self.lock().iter().find(|e| e.kind == kind && since.is_none_or(|s| e.at >= s)).cloned();
                if hit.is_some() {
                    return hit;
                }
                if arrived.changed().await.is_err() {
                    return None;
                }
            }
        };
        tokio::time::timeout(timeout, found).await.ok().flatten()
    }
}

#[derive(Deserialize)]
struct Posted {
    kind: String,
    #[serde(default)]
    detail: String,
}

/// `POST /__testkit/event`.
pub(crate) async fn record(State(events): State<Arc<PageEvents>>, body: Bytes) -> StatusCode {
    match serde_json::from_slice::<Posted>(&body) {
        Ok(posted) if !posted.kind.is_empty() => {
            events.push(posted.kind, posted.detail);
            StatusCode::NO_CONTENT
        }
        _ => StatusCode::BAD_REQUEST,
    }
}
