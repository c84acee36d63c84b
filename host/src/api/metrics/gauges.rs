//! The gauges a scrape samples: this worker's slots and spool disk, and what Redis says about the
//! queue and the fleet. The Redis part costs three round trips whatever the queue's or the fleet's
//! size: list lengths, the schedule's size, the number of heartbeat deadlines and Redis' clock in
//! one pipeline, the queue head's wait (`queue_head.lua`, fleet-wide), then the deadlines that
//! passed (normally none: recovery forgets those workers). Values keep their last sample when Redis
//! does not answer, so a blip does not draw a drop to zero on dashboards.

use std::{path::Path, time::Duration};

use crate::{api::probes::ping, app::App, broker::scripts, store::RedisLink};

/// How long a scrape waits for Redis; a scrape must stay fast even when Redis is not.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

/// How long a scrape waits for the spool's file system to answer (a hung network mount must not
/// hang the scrape).
const DISK_TIMEOUT: Duration = Duration::from_millis(500);

/// Most expired heartbeat deadlines read per scrape (the gauge of live workers is exact below this).
const EXPIRED_READ: isize = 1000;

/// What one Redis sample says.
struct FleetSample {
    queue: u64,
    dead: u64,
    /// How long the queue's head message has waited (`None`: the queue is empty).
    head_wait: Option<Duration>,
    scheduled: u64,
    known: u64,
    alive: u64,
}

/// Sets every sampled gauge.
pub async fn sample(app: &App) {
    let slots = app.store.slots();
    metrics::gauge!("meetbot_jobs_running").set(app.store.running() as f64);
    metrics::gauge!("meetbot_slots_free").set(slots.free() as f64);
    sample_spool(&app.config.recording.spool_dir).await;
    let Some(redis) = app.store.redis() else {
        metrics::gauge!("meetbot_redis_up").set(0.0);
        return;
    };
    let up = ping(redis, REDIS_TIMEOUT).await.is_ok();
    metrics::gauge!("meetbot_redis_up").set(if up { 1.0 } else { 0.0 });
    if !up {
        return;
    }
    let sample = match tokio::time::timeout(REDIS_TIMEOUT, fleet(redis)).await {
        Ok(Ok(sample)) => sample,
        Ok(Err(error)) => {
            tracing::debug!(%error, "queue and fleet gauges not sampled");
            return;
        }
        Err(_) => {
            tracing::debug!("queue and fleet gauges not sampled: redis too slow");
            return;
        }
    };
    metrics::gauge!("meetbot_queue_depth").set(sample.queue as f64);
    metrics::gauge!("meetbot_dead_letter_depth").set(sample.dead as f64);
    metrics::gauge!("meetbot_queue_head_wait_seconds").set(sample.head_wait.unwrap_or_default().as_secs_f64());
    metrics::gauge!("meetbot_scheduled_jobs").set(sample.scheduled as f64);
    metrics::gauge!("meetbot_workers_known").set(sample.known as f64);
    metrics::gauge!("meetbot_workers_alive").set(sample.alive as f64);
}

/// The queue and the fleet, in three round trips.
async fn fleet(redis: &RedisLink) -> redis::RedisResult<FleetSample> {
    let keys = &redis.keys;
    let mut conn = redis.conn.clone();
    let (queue, dead, scheduled, known, (secs, micros)): (u64, u64, u64, u64, (u64, u64)) = redis::pipe()
        .llen(&keys.queue)
        .llen(&keys.dead)
        .zcard(&keys.scheduled)
        .zcard(&keys.heartbeats)
        .cmd("TIME")
        .query_async(&mut conn)
        .await?;
    let head_wait = scripts::queue_head(&mut conn, keys).await?;
    // Deadlines on Redis' clock, as the heartbeat script writes them.
    let now_ms = secs * 1000 + micros / 1000;
    let expired: Vec<String> = redis::cmd("ZRANGEBYSCORE")
        .arg(&keys.heartbeats)
        .arg("-inf")
        .arg(now_ms)
        .arg("LIMIT")
        .arg(0)
        .arg(EXPIRED_READ)
        .query_async(&mut conn)
        .await?;
    let alive = known.saturating_sub(expired.len() as u64);
    Ok(FleetSample { queue, dead, head_wait, scheduled, known, alive })
}

/// Sets the spool's free and total bytes; leaves them as they were when the file system does not
/// answer.
async fn sample_spool(dir: &Path) {
    let dir = dir.to_owned();
    let space = tokio::time::timeout(DISK_TIMEOUT, tokio::task::spawn_blocking(move || disk_space(&dir))).await;
    match space {
        Ok(Ok(Ok(space))) => {
            metrics::gauge!("meetbot_spool_free_bytes").set(space.free as f64);
            metrics::gauge!("meetbot_spool_size_bytes").set(space.size as f64);
        }
        Ok(Ok(Err(error))) => tracing::debug!(%error, "spool disk space not sampled"),
        Ok(Err(error)) => tracing::debug!(%error, "spool disk space not sampled"),
        Err(_) => tracing::debug!("spool disk space not sampled: the file system did not answer"),
    }
}

/// A file system's size and the bytes free for an unprivileged user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DiskSpace {
    free: u64,
    size: u64,
}

/// `statvfs(2)` of the file system holding `path`.
fn disk_space(path: &Path) -> std::io::Result<DiskSpace> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(path.as_os_str().as_bytes())?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // libc calls are unsafe; the workspace denies unsafe code, so it is allowed for this one.
    // SAFETY: `path` is a NUL-terminated string and `stat` a buffer of the right type, both alive
    // for the call; statvfs writes only into `stat`.
    #[allow(unsafe_code)]
    let stat = unsafe {
        if libc::statvfs(path.as_ptr(), stat.as_mut_ptr()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        stat.assume_init()
    };
    let unit = stat.f_frsize;
    Ok(DiskSpace { free: stat.f_bavail.saturating_mul(unit), size: stat.f_blocks.saturating_mul(unit) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_space_of_a_folder_is_plausible() {
        let dir = tempfile::tempdir().expect("tempdir");
        let space = disk_space(dir.path()).expect("statvfs");
        assert!(space.size > 0 && space.free <= space.size, "{space:?}");
    }

    #[test]
    fn disk_space_of_a_missing_folder_is_an_error() {
        assert!(disk_space(Path::new("/nonexistent/meetbot/spool")).is_err());
    }
}
