//! The jobs' state-change events, subscribed to on `meetbot:events` and stamped on arrival, kept
//! per job so a phase can wait for the first event of a job that matches.

use std::collections::HashMap;

use futures::StreamExt;
use tokio::sync::mpsc;

use crate::common::Redis;
use crate::worker::Worker;
use crate::{EVENTS, WAIT, now_ms};

/// One state-change event, stamped (wall clock, ms) on arrival.
#[derive(Clone)]
pub struct Event {
    pub state: String,
    pub reason: String,
    pub at: f64,
}

impl Event {
    pub fn terminal(&self) -> bool {
        self.state == "completed" || self.state == "failed"
    }
}

/// State-change events from `meetbot:events`, kept per job id in arrival order.
pub struct Events {
    pub rx: mpsc::UnboundedReceiver<(String, Event)>,
    pub seen: HashMap<String, Vec<Event>>,
    pub task: tokio::task::JoinHandle<()>,
}

impl Events {
    pub async fn subscribe(redis: &Redis) -> Self {
        let mut pubsub = redis.client.get_async_pubsub().await.expect("pub/sub connection");
        pubsub.subscribe(EVENTS).await.expect("SUBSCRIBE");
        let mut stream = pubsub.into_on_message();
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Some(message) = stream.next().await {
                let at = now_ms();
                let Ok(payload) = message.get_payload::<String>() else { continue };
                let Ok(event) = serde_json::from_str::<serde_json::Value>(&payload) else { continue };
                let field = |name: &str| event.get(name).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                let parsed = Event { state: field("state"), reason: field("reason"), at };
                if tx.send((field("job_id"), parsed)).is_err() {
                    break;
                }
            }
        });
        Self { rx, seen: HashMap::new(), task }
    }

    /// The first event of this job that matches `wanted`.
    pub async fn wait(&mut self, job_id: &str, what: &str, worker: &Worker, wanted: impl Fn(&Event) -> bool) -> Event {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(event) = self.seen.get(job_id).and_then(|events| events.iter().find(|e| wanted(e))) {
                return event.clone();
            }
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some((id, event))) => self.seen.entry(id).or_default().push(event),
                Ok(None) => panic!("the pub/sub subscription ended"),
                Err(_) => panic!(
                    "no {what} event for job {job_id} within {} s; worker log:\n{}",
                    WAIT.as_secs(),
                    worker.log_tail()
                ),
            }
        }
    }

    pub async fn state(&mut self, job_id: &str, state: &str, worker: &Worker) -> Event {
        let ended = |e: &Event| e.terminal() && state != e.state;
        let event = self.wait(job_id, &format!("`{state}`"), worker, |e| e.state == state || ended(e)).await;
        assert!(
            event.state == state,
            "job {job_id} ended ({} / {}) before `{state}`; worker log:\n{}",
            event.state,
            event.reason,
            worker.log_tail()
        );
        event
    }

    pub async fn terminal(&mut self, job_id: &str, worker: &Worker) -> Event {
        self.wait(job_id, "terminal", worker, Event::terminal).await
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        self.task.abort();
    }
}
