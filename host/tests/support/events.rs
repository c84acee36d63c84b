//! A tap on the `meetbot:events` channel: a thread that subscribes and collects every event
//! published from the moment [`EventsTap::start`] returns, for tests that check what was (or was
//! not) announced, and by which worker.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::Duration,
};

use serde_json::Value;

use super::{EVENTS, RedisServer};

/// The messages published on `meetbot:events`, collected by a thread from the moment this returns.
pub struct EventsTap {
    events: Arc<Mutex<Vec<Value>>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl EventsTap {
    /// Subscribes (returns once the subscription is in place).
    pub fn start(redis: &RedisServer) -> Self {
        let events = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let mut conn = redis.conn();
        let (sink, stopped) = (events.clone(), stop.clone());
        let thread = thread::spawn(move || {
            let mut pubsub = conn.as_pubsub();
            pubsub.subscribe(EVENTS).expect("SUBSCRIBE meetbot:events");
            pubsub.set_read_timeout(Some(Duration::from_millis(100))).expect("read timeout");
            let _ = ready_tx.send(());
            while !stopped.load(Ordering::SeqCst) {
                match pubsub.get_message() {
                    Ok(message) => {
                        let payload: String = message.get_payload().expect("event payload");
                        let event: Value = serde_json::from_str(&payload).expect("events are JSON");
                        sink.lock().unwrap_or_else(|p| p.into_inner()).push(event);
                    }
                    Err(error) if error.is_timeout() => {}
                    Err(error) => panic!("events subscription failed: {error}"),
                }
            }
        });
        ready.recv_timeout(Duration::from_secs(5)).expect("subscribed to meetbot:events");
        Self { events, stop, thread: Some(thread) }
    }

    /// The events published for `job_id`, in order.
    pub fn of(&self, job_id: &str) -> Vec<Value> {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|e| e["job_id"] == job_id)
            .cloned()
            .collect()
    }

    /// The states published for `job_id`, in order.
    pub fn states(&self, job_id: &str) -> Vec<String> {
        self.of(job_id).iter().filter_map(|e| e["state"].as_str().map(str::to_owned)).collect()
    }
}

impl Drop for EventsTap {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
