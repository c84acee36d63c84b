//! Taking over what a worker left: the messages and REST jobs of peers whose heartbeat expired,
//! and the REST jobs an earlier process with this worker id left unfinished. The REST jobs' records
//! are keys the scripts must be given, so the wrappers read the REST set first (SMEMBERS) and pass
//! them; a script ends only the passed jobs still in the set.

use redis::{RedisResult, aio::ConnectionLike};

use super::{END_OWN_REST, EXPIRED_PEERS, RECOVER_PEER};
use crate::broker::Keys;

/// Most dead workers one [`recover_peers`] call recovers: the work of one call stays bounded when
/// many workers die at once (the rest go on the next calls).
const RECOVER_BATCH: u32 = 16;

/// Most `recover_peer.lua` calls per dead worker in one [`recover_peers`]: each reads its REST set
/// again, which grows only while the worker is in fact alive; what is left waits for the next beat.
const PASSES_PER_PEER: usize = 3;

/// Gives back the messages of workers whose heartbeat expired and ends their REST jobs as failed,
/// telling queue clients on the failures list: `expired_peers.lua` names them, then one
/// `recover_peer.lua` call per worker takes it over. Returns the number of messages given back.
pub async fn recover_peers(conn: &mut impl ConnectionLike, keys: &Keys, now: &str) -> RedisResult<u32> {
    let peers: Vec<String> =
        EXPIRED_PEERS.key(&keys.heartbeats).arg(&keys.worker_id).arg(RECOVER_BATCH).invoke_async(conn).await?;
    let mut moved = 0;
    for peer in &peers {
        moved += recover_peer(conn, keys, peer, now).await?;
    }
    Ok(moved)
}

/// `recover_peer.lua` for one worker whose deadline passed, again while it answers that REST jobs
/// it was not given remain; returns the number of messages given back.
async fn recover_peer(conn: &mut impl ConnectionLike, keys: &Keys, peer: &str, now: &str) -> RedisResult<u32> {
    let rest_jobs = keys.rest_jobs_of(peer);
    let mut moved = 0;
    for _ in 0..PASSES_PER_PEER {
        let job_ids: Vec<String> = redis::cmd("SMEMBERS").arg(&rest_jobs).query_async(conn).await?;
        let mut invocation = RECOVER_PEER.prepare_invoke();
        invocation
            .key(keys.heartbeat_of(peer))
            .key(keys.processing_of(peer))
            .key(&rest_jobs)
            .key(&keys.workers)
            .key(&keys.heartbeats)
            .key(&keys.queue)
            .key(&keys.events)
            .key(&keys.failures)
            .key(&keys.event_stream);
        invocation
            .arg(peer)
            .arg(now)
            .arg(keys.notify_list_max_len)
            .arg(&keys.failure_storage)
            .arg(keys.event_stream_max_len);
        for job_id in &job_ids {
            invocation.key(keys.job(job_id)).arg(job_id);
        }
        let (status, messages): (String, u32) = invocation.invoke_async(conn).await?;
        moved += messages;
        if status != "again" {
            break;
        }
    }
    Ok(moved)
}

/// `end_own_rest.lua`: ends failed the REST jobs an earlier process with this worker id left
/// unfinished (every noted one but `running`); returns how many.
pub async fn end_own_rest(
    conn: &mut impl ConnectionLike,
    keys: &Keys,
    now: &str,
    running: &[String],
) -> RedisResult<u32> {
    let noted: Vec<String> = redis::cmd("SMEMBERS").arg(&keys.rest_jobs).query_async(conn).await?;
    let left: Vec<&String> = noted.iter().filter(|job_id| !running.contains(job_id)).collect();
    if left.is_empty() {
        return Ok(0);
    }
    let mut invocation = END_OWN_REST.prepare_invoke();
    invocation.key(&keys.rest_jobs).key(&keys.events).key(&keys.failures).key(&keys.event_stream);
    invocation
        .arg(&keys.worker_id)
        .arg(now)
        .arg(keys.notify_list_max_len)
        .arg(&keys.failure_storage)
        .arg(keys.event_stream_max_len);
    for job_id in left {
        invocation.key(keys.job(job_id)).arg(job_id);
    }
    invocation.invoke_async(conn).await
}
