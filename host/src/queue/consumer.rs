//! The consumer loop: wait for a free slot, then take messages into this worker's processing
//! list, on a dedicated connection. While the queue may be deep (the last take filled every free
//! slot, or BLMOVE just woke with a message), one `take` script takes as many messages as slots
//! are free, in one round trip; once it comes back empty, the loop waits for the next message in
//! BLMOVE (a script cannot block).
//!
//! A message is never lost between Redis and the worker: both move it server-side, so even a
//! reply the client never reads leaves it in the processing list, and after any failure of the
//! blocking connection the worker hands back every processing entry no running job holds.

use std::time::Duration;

use futures::future::join_all;
use redis::{Direction, aio::MultiplexedConnection};
use tokio::sync::watch;

use super::intake::Intake;
use crate::{
    app::App,
    backoff::Backoff,
    broker::{BLOCK_SECS, Endpoint, Keys, scripts},
};

/// Takes messages from the queue while the worker accepts work.
pub struct Consumer {
    app: App,
    endpoint: Endpoint,
    intake: Intake,
}

impl Consumer {
    /// A consumer for the worker; `endpoint` opens its dedicated blocking connection.
    pub fn new(app: App, endpoint: Endpoint) -> Self {
        let intake = Intake::new(app.clone());
        Self { app, endpoint, intake }
    }

    /// Runs until `stop` turns true. Never exits on a Redis error: it backs off and reconnects.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let Some(redis) = self.app.store.redis().cloned() else {
            return;
        };
        let mut backoff = Backoff::default();
        let mut connection: Option<MultiplexedConnection> = None;
        // An earlier run with this worker id may have left messages in its processing list: they
        // go back to the queue before anything is taken (retried until Redis answers).
        let mut strays = true;
        // Whether the last take may have left messages behind: then the next one is a batch.
        let mut deep = false;
        let mut handling = tokio::task::JoinSet::new();
        tracing::info!(queue = %redis.keys.queue, "queue consumer started");
        while !*stop.borrow() {
            tokio::select! {
                () = self.app.store.slots().until_free() => {}
                _ = stop.changed() => continue,
            }
            if !self.app.store.accepting() {
                break;
            }
            if strays || self.intake.take_stranded() {
                strays = !self.reclaim_strays(&redis).await;
            }
            let conn = match connection.as_mut() {
                Some(conn) => conn,
                None => match self.endpoint.blocking().await {
                    Ok(conn) => connection.insert(conn),
                    Err(error) => {
                        tracing::warn!(%error, "cannot connect to redis; retrying");
                        backoff.wait().await;
                        continue;
                    }
                },
            };
            let free = self.app.store.slots().free().max(1);
            match take(conn, &redis.keys, deep.then_some(free)).await {
                Ok(Taken { messages, deep: more }) => {
                    backoff.reset();
                    deep = more;
                    // In hand before anything else runs, so no reclaim of strays gives them back
                    // while they are being handled.
                    let held: Vec<_> = messages.iter().map(|message| self.intake.in_hand.hold(message)).collect();
                    // The slots are taken here, before the next take, so this loop never takes
                    // more than it can run; the rest of the messages' handling overlaps with it.
                    let batch: Vec<_> = messages
                        .into_iter()
                        .zip(held)
                        .map(|(message, held)| (message, self.app.store.try_reserve(), held))
                        .collect();
                    let intake = self.intake.clone();
                    // One task per batch, its messages polled in queue order: each sends its first
                    // script in that order, as one message per take did.
                    handling.spawn(async move {
                        join_all(batch.into_iter().map(|(message, slot, held)| intake.handle(message, slot, held)))
                            .await
                    });
                    while handling.try_join_next().is_some() {}
                }
                Err(error) => {
                    tracing::warn!(%error, "taking from the queue failed; reconnecting");
                    connection = None;
                    strays = true;
                    deep = false;
                    backoff.wait().await;
                }
            }
        }
        // Shutdown waits for messages in hand to find their home (a job, the queue, the dead list).
        while handling.join_next().await.is_some() {}
        tracing::info!("queue consumer stopped");
    }

    /// Gives back processing entries no running job holds (a take whose reply was lost) and,
    /// once per process, ends the REST jobs an earlier run of this worker id left; true once done.
    async fn reclaim_strays(&self, redis: &crate::store::RedisLink) -> bool {
        let mut running = self.app.store.running_messages();
        running.extend(self.intake.in_hand.messages());
        match tokio::time::timeout(
            Duration::from_secs(5),
            scripts::reclaim_own(&mut redis.conn.clone(), &redis.keys, &running),
        )
        .await
        {
            Ok(Ok(n)) => {
                if n > 0 {
                    tracing::warn!(messages = n, "gave back messages this worker held but no job runs");
                }
                let leftovers = tokio::time::timeout(Duration::from_secs(5), self.app.store.end_rest_leftovers()).await;
                matches!(leftovers, Ok(Ok(())))
            }
            Ok(Err(error)) => {
                tracing::debug!(%error, "cannot reclaim strays yet");
                false
            }
            Err(_) => false,
        }
    }
}

/// What one take brought.
struct Taken {
    /// The messages, oldest first.
    messages: Vec<Vec<u8>>,
    /// Whether the queue may hold more: a batch filled every free slot, or BLMOVE's wait ended
    /// with a message (a burst may be behind it).
    deep: bool,
}

/// Takes messages into this worker's processing list: up to `batch` of them in one `take` script
/// when the queue is deep, else (or when that found none) the next one with BLMOVE, blocking up to
/// `BLOCK_SECS`. Never cancelled mid-flight: a dropped BLMOVE is exactly how messages get lost.
/// Bytes, not text: a message that is not UTF-8 is still a message to dead-letter, never a reason to
/// fail the take (and take it again, forever).
async fn take(conn: &mut MultiplexedConnection, keys: &Keys, batch: Option<usize>) -> redis::RedisResult<Taken> {
    if let Some(most) = batch {
        let messages = scripts::take(conn, keys, most).await?;
        if !messages.is_empty() {
            return Ok(Taken { deep: messages.len() == most, messages });
        }
    }
    let taken: Option<Vec<u8>> = redis::cmd("BLMOVE")
        .arg(&keys.queue)
        .arg(&keys.processing)
        .arg(Direction::Left)
        .arg(Direction::Right)
        .arg(BLOCK_SECS)
        .query_async(conn)
        .await?;
    Ok(Taken { deep: taken.is_some(), messages: taken.into_iter().collect() })
}
