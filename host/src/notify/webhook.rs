//! Lifecycle webhooks: every state change of every job is POSTed to `notify.webhook_url` as JSON,
//! signed with HMAC-SHA256 over `"<timestamp>.<body>"` with `notify.webhook_secret`, and retried
//! with exponential backoff for a bounded time. Deliveries run on their own tasks and never hold a
//! job up; failures are logged and counted (`meetbot_webhook_failures_total`).
//!
//! Headers: `X-Meetbot-Event` (the state), `X-Meetbot-Timestamp` (unix seconds),
//! `X-Meetbot-Signature` (`sha256=<hex>`, absent when no secret is set).
//!
//! Redirects are never followed: following one would send the body and its signature to whatever
//! host the answer names. A redirect answer fails the delivery at once, without retries (the same
//! URL will redirect again; the operator has to configure the final one), logged as an error with
//! the status but not the `Location` (it may carry a token).

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::{sync::broadcast, task::JoinSet};

use crate::{config::NotifyConfig, job::JobRecord, store::JobStore};

/// First retry delay; doubled on each attempt.
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// Attempts per event before giving up (about a minute in all).
const ATTEMPTS: u32 = 8;
/// One request's limit.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The webhook sender.
#[derive(Clone)]
pub struct Webhooks {
    client: webhook_client::Client,
    url: String,
    secret: String,
}

impl Webhooks {
    /// Webhooks as configured; `None` when no URL is set.
    pub fn from_config(config: &NotifyConfig) -> Option<Self> {
        if config.webhook_url.is_empty() {
            return None;
        }
        let client = webhook_client::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .redirect(webhook_client::redirect::Policy::none())
            .build()
            .ok()?;
        Some(Self { client, url: config.webhook_url.clone(), secret: config.webhook_secret.clone() })
    }

    /// Sends every change the store announces until `stop` resolves; deliveries still retrying
    /// then get a few seconds to finish.
    pub async fn run(self, store: JobStore, stop: impl Future<Output = ()>) {
        let mut changes = store.subscribe();
        let mut deliveries = JoinSet::new();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                change = changes.recv() => match change {
                    Ok(record) => {
                        let hooks = self.clone();
                        deliveries.spawn(async move { hooks.deliver(&record).await });
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "webhook sender fell behind; events dropped");
                        metrics::counter!("meetbot_webhook_failures_total").increment(missed);
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                Some(_) = deliveries.join_next(), if !deliveries.is_empty() => {}
                () = &mut stop => break,
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), async { while deliveries.join_next().await.is_some() {} })
            .await;
    }

    async fn deliver(&self, record: &JobRecord) {
        let body = event(record).to_string();
        let mut delay = FIRST_RETRY;
        for attempt in 1..=ATTEMPTS {
            let timestamp = chrono::Utc::now().timestamp().to_string();
            let mut request = self
                .client
                .post(&self.url)
                .header("content-type", "application/json")
                .header("x-meetbot-event", record.state.as_str())
                .header("x-meetbot-timestamp", &timestamp)
                .body(body.clone());
            if !self.secret.is_empty() {
                request = request.header("x-meetbot-signature", sign(&self.secret, &timestamp, &body));
            }
            let failure = match request.send().await {
                Ok(response) if response.status().is_success() => return,
                Ok(response) if response.status().is_redirection() => {
                    metrics::counter!("meetbot_webhook_failures_total").increment(1);
                    tracing::error!(job_id = %record.job_id, state = %record.state, attempt,
                        status = response.status().as_u16(),
                        "webhook answered with a redirect, which is not followed: delivery given up; \
                         set notify.webhook_url to the final URL");
                    return;
                }
                Ok(response) => format!("HTTP {}", response.status()),
                Err(error) => error.without_url().to_string(),
            };
            metrics::counter!("meetbot_webhook_failures_total").increment(1);
            tracing::warn!(job_id = %record.job_id, state = %record.state, attempt, failure, "webhook delivery failed");
            if attempt < ATTEMPTS {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
        tracing::error!(job_id = %record.job_id, state = %record.state, "webhook given up after {ATTEMPTS} attempts");
    }
}

/// The event a webhook carries: the same fields as the `P:events` messages.
pub fn event(record: &JobRecord) -> serde_json::Value {
    serde_json::json!({
        "job_id": record.job_id,
        "state": record.state,
        "reason": record.reason,
        "detail": record.detail,
        "at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "worker": record.worker,
        "correlation_id": record.correlation_id,
        "attempt": record.attempt,
        "provider": record.provider,
        "botId": record.bot_id,
        "eventId": record.event_id,
        "teamId": record.team_id,
        "userId": record.user_id,
        "recording_url": record.recording_url,
        "duration_secs": record.duration_secs,
    })
}

/// `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
pub fn sign(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_openssl() {
        // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            sign("secret", "1700000000", r#"{"a":1}"#),
            "sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
        );
        assert_ne!(sign("secret", "1700000000", "x"), sign("other", "1700000000", "x"));
    }
}
