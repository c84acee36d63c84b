//! This worker's own queue chores: handing messages back, dead-lettering, reclaiming strays,
//! the heartbeat, retiring, and timing the queue's head. Every key is known before the call.

use redis::{RedisResult, aio::ConnectionLike};

use super::{DEAD_LETTER, HEARTBEAT, QUEUE_HEAD, RECLAIM_OWN, REQUEUE, RETIRE, TAKE};
use crate::broker::Keys;

/// `take.lua`: moves up to `most` messages from the queue's head into this worker's processing
/// list in one step; the messages, oldest first (none when the queue is empty). Bytes, as BLMOVE
/// takes them: a message that is not UTF-8 is still one to dead-letter.
pub async fn take(conn: &mut impl ConnectionLike, keys: &Keys, most: usize) -> RedisResult<Vec<Vec<u8>>> {
    TAKE.key(&keys.queue).key(&keys.processing).arg(most).invoke_async(conn).await
}

/// `requeue.lua`: a message that never started goes back to the queue's head, uncounted.
pub async fn requeue(conn: &mut impl ConnectionLike, keys: &Keys, message: &str) -> RedisResult<()> {
    REQUEUE.key(&keys.processing).key(&keys.queue).arg(message).invoke_async(conn).await
}

/// `dead_letter.lua`: a message that will never run goes to the dead-letter list. Taken as bytes:
/// a message that is not even UTF-8 must leave the queue too; its entry then carries the text
/// with invalid bytes replaced, and the exact bytes in `message_base64`.
pub async fn dead_letter(
    conn: &mut impl ConnectionLike,
    keys: &Keys,
    message: &[u8],
    reason: &str,
    error: &str,
    now: &str,
) -> RedisResult<()> {
    let mut invocation = DEAD_LETTER.prepare_invoke();
    invocation.key(&keys.processing).key(&keys.dead).key(&keys.attempts);
    invocation.arg(message).arg(reason).arg(error).arg(&keys.worker_id).arg(now).arg(keys.dead_letter_max_len);
    if std::str::from_utf8(message).is_err() {
        use base64::Engine;
        invocation
            .arg(String::from_utf8_lossy(message).into_owned())
            .arg(base64::engine::general_purpose::STANDARD.encode(message));
    }
    invocation.invoke_async(conn).await
}

/// `heartbeat.lua`: refreshes this worker's heartbeat and deadline; returns how many workers have a
/// deadline (the fleet's size).
pub async fn heartbeat(conn: &mut impl ConnectionLike, keys: &Keys, ttl_secs: u64, info: &str) -> RedisResult<u64> {
    HEARTBEAT
        .key(&keys.heartbeat)
        .key(&keys.workers)
        .key(&keys.heartbeats)
        .arg(&keys.worker_id)
        .arg(ttl_secs)
        .arg(info)
        .invoke_async(conn)
        .await
}

/// How many copies of `message` this worker's processing list holds (one command: a read).
pub async fn copies_held(conn: &mut impl ConnectionLike, keys: &Keys, message: &str) -> RedisResult<usize> {
    let positions: Vec<usize> =
        redis::cmd("LPOS").arg(&keys.processing).arg(message).arg("COUNT").arg(0).query_async(conn).await?;
    Ok(positions.len())
}

/// `reclaim_own.lua`: gives back this worker's messages that no running job holds.
pub async fn reclaim_own(conn: &mut impl ConnectionLike, keys: &Keys, running: &[Vec<u8>]) -> RedisResult<u32> {
    RECLAIM_OWN.key(&keys.processing).key(&keys.queue).arg(running).invoke_async(conn).await
}

/// `retire.lua`: gives back what is left and removes this worker's heartbeat.
pub async fn retire(conn: &mut impl ConnectionLike, keys: &Keys) -> RedisResult<u32> {
    RETIRE
        .key(&keys.processing)
        .key(&keys.queue)
        .key(&keys.heartbeat)
        .key(&keys.workers)
        .key(&keys.heartbeats)
        .arg(&keys.worker_id)
        .invoke_async(conn)
        .await
}

/// How long the queue-head hash outlives the last call of [`queue_head`]: longer than any scrape
/// or heartbeat interval, short enough that a message pushed again much later starts a new wait.
pub const QUEUE_HEAD_TTL_SECS: u64 = 600;

/// `queue_head.lua`: how long the message now at the queue's head has been there, as the fleet saw
/// it; `None` when the queue is empty.
pub async fn queue_head(conn: &mut impl ConnectionLike, keys: &Keys) -> RedisResult<Option<std::time::Duration>> {
    let wait_ms: i64 =
        QUEUE_HEAD.key(&keys.queue).key(&keys.queue_head).arg(QUEUE_HEAD_TTL_SECS).invoke_async(conn).await?;
    Ok(u64::try_from(wait_ms).ok().map(std::time::Duration::from_millis))
}
