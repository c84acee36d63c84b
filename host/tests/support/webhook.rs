//! A webhook receiver for the tests: a small axum server on a free local port that records every
//! request (headers, raw body, when it came, what it was answered) and answers each with the
//! status a test-supplied rule picks, optionally after a delay; or one that answers every request
//! with a redirect to another URL.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::RT;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The request method.
    pub method: String,
    /// The request path.
    pub path: String,
    /// Headers, names lower-cased (the last value of each).
    pub headers: HashMap<String, String>,
    /// The raw body.
    pub body: String,
    /// When it arrived.
    pub at: Instant,
    /// The status it was answered with.
    pub status: u16,
    /// How many earlier requests carried the same job id and event (0 for the first).
    pub nth: usize,
}

impl Delivery {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// `X-Meetbot-Event`.
    pub fn event(&self) -> &str {
        self.header("x-meetbot-event").unwrap_or_default()
    }

    /// The body as JSON (panics when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("webhook body is not JSON ({e}): {:?}", self.body))
    }

    /// The body's `job_id`.
    pub fn job_id(&self) -> String {
        serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|v| v["job_id"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// What the receiver answers a request with: `(status, delay before answering)`.
pub type Rule = dyn Fn(&Delivery) -> (u16, Duration) + Send + Sync;

struct Shared {
    deliveries: Mutex<Vec<Delivery>>,
    rule: Box<Rule>,
    /// The `Location` sent with every answer, when set.
    location: Option<String>,
}

/// The running receiver; stops when dropped.
pub struct WebhookReceiver {
    /// Its port.
    pub port: u16,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl WebhookReceiver {
    /// A receiver that answers 200 to everything.
    pub fn start() -> Self {
        Self::with_rule(|_| (200, Duration::ZERO))
    }

    /// A receiver that answers as `rule` says.
    pub fn with_rule(rule: impl Fn(&Delivery) -> (u16, Duration) + Send + Sync + 'static) -> Self {
        Self::serve(Box::new(rule), None)
    }

    /// A receiver that answers every request with `status` (a 3xx) and `Location: <location>`.
    pub fn redirecting(status: u16, location: String) -> Self {
        Self::serve(Box::new(move |_| (status, Duration::ZERO)), Some(location))
    }

    fn serve(rule: Box<Rule>, location: Option<String>) -> Self {
        let shared = Arc::new(Shared { deliveries: Mutex::new(Vec::new()), rule, location });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let listener = RT
            .block_on(tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))))
            .expect("bind the webhook receiver");
        let port = listener.local_addr().expect("local addr").port();
        let app = Router::new().fallback(receive).with_state(shared.clone());
        RT.spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Self { port, shared, stop: Some(stop) }
    }

    /// The URL to configure as `notify.webhook_url`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/meetbot", self.port)
    }

    /// Everything received so far, in arrival order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.deliveries.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Everything received so far about one job.
    pub fn of_job(&self, job_id: &str) -> Vec<Delivery> {
        self.deliveries().into_iter().filter(|d| d.job_id() == job_id).collect()
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn receive(
    State(shared): State<Arc<Shared>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap) {
    let headers: HashMap<String, String> = headers
        .iter()
        .map(|(name, value)| {
            (name.as_str().to_ascii_lowercase(), String::from_utf8_lossy(value.as_bytes()).into_owned())
        })
        .collect();
    let mut delivery = Delivery {
        method: method.to_string(),
        path: uri.path().to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
        status: 0,
        nth: 0,
    };
    let (status, delay) = {
        let mut deliveries = shared.deliveries.lock().unwrap_or_else(|p| p.into_inner());
        let (job, event) = (delivery.job_id(), delivery.event().to_owned());
        delivery.nth = deliveries.iter().filter(|d| d.job_id() == job && d.event() == event).count();
        let answer = (shared.rule)(&delivery);
        delivery.status = answer.0;
        deliveries.push(delivery);
        answer
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut answer_headers = HeaderMap::new();
    if let Some(location) = shared.location.as_deref().and_then(|l| HeaderValue::from_str(l).ok()) {
        answer_headers.insert(header::LOCATION, location);
    }
    (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), answer_headers)
}

/// `sha256=` + hex HMAC-SHA256 of `"<timestamp>.<body>"` keyed with `secret`, computed here
/// independently of the worker's code.
pub fn expected_signature(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Checks a delivery's signature with `secret` in constant time, as a receiver should.
pub fn signature_valid(delivery: &Delivery, secret: &str) -> bool {
    let (Some(timestamp), Some(signature)) =
        (delivery.header("x-meetbot-timestamp"), delivery.header("x-meetbot-signature"))
    else {
        return false;
    };
    let Some(hex) = signature.strip_prefix("sha256=") else { return false };
    let Some(given) = decode_hex(hex) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(delivery.body.as_bytes());
    mac.verify_slice(&given).is_ok()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}
