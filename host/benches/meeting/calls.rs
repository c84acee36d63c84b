//! One recorded call followed from the queue into the meeting and ended by the host (the memory and
//! recording-cost parts), the same call on a worker with recording off (the floor of the recording
//! cost), and what ffprobe says about the stored recording.

use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use meetbot_fixtures::{FixtureServer, MeetingLink, Scenario};
use redis::AsyncCommands;

use crate::common::Redis;
use crate::events::{Event, Events};
use crate::proc_tree::{CpuTracker, Peaks, memory};
use crate::stats::{breakdown, mib, mib_or};
use crate::worker::{Recording, Worker, meet_job, post_job};
use crate::{FLOOR_WINDOW, QUEUE, RECORDING_EVERY, now_ms};

/// A job pushed and followed into its call, with recording running.
pub struct InCall {
    pub id: String,
    pub link: MeetingLink,
    pub recording_started: f64,
}

/// Pushes a Meet job for an instant-admission meeting and waits until it records.
pub async fn start_call(
    conn: &mut redis::aio::MultiplexedConnection,
    events: &mut Events,
    worker: &Worker,
    id: &str,
) -> InCall {
    let link = MeetingLink::meet(Scenario::Instant);
    let pushed = now_ms();
    let _: usize = conn.rpush(QUEUE, meet_job(id, &link.url, None)).await.expect("RPUSH");
    events.state(id, "in_call", worker).await;
    let (recording_started, _) = worker.wait_logged(id, "recording started", pushed).await;
    InCall { id: id.to_owned(), link, recording_started }
}

/// Ends the meeting from the host's side and waits for the job's terminal event.
pub async fn end_call(fixtures: &FixtureServer, events: &mut Events, worker: &Worker, call: &InCall) -> (f64, Event) {
    let ended = now_ms();
    fixtures.end_meeting(&call.link.id);
    let terminal = events.terminal(&call.id, worker).await;
    (ended, terminal)
}

/// The floor of the recording cost: CPU of a worker with recording off and its browser over
/// [`FLOOR_WINDOW`] of the same call (the page's own rendering, audio and compositing); in cores.
pub async fn unrecorded_call(
    binary: &Path,
    redis: &Redis,
    fixtures: &FixtureServer,
    events: &mut Events,
    max_call_secs: u64,
    ticks: f64,
) -> f64 {
    let worker = Worker::start(binary, redis.port, fixtures, max_call_secs, Recording::Off).await;
    let id = "bench-unrecorded";
    let link = MeetingLink::meet(Scenario::Instant);
    // Through this worker's REST API: the recording worker takes everything from the queue.
    post_job(worker.api(), &meet_job(id, &link.url, None));
    events.state(id, "in_call", &worker).await;
    // As long after in_call as the recorded call's window starts after its recording.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut cpu = CpuTracker::start(worker.pid());
    // Memory too: the unrecorded call is the sizing figure for deployments with recording off.
    let mut peaks = Peaks::default();
    let begun = Instant::now();
    while begun.elapsed() < FLOOR_WINDOW {
        tokio::time::sleep(RECORDING_EVERY).await;
        cpu.sample();
        peaks.add(memory(worker.pid()));
    }
    let secs = begun.elapsed().as_secs_f64();
    let (host, browser) = cpu.used(ticks);
    let by_kind = cpu.by_kind(ticks);
    fixtures.end_meeting(&link.id);
    let terminal = events.terminal(id, &worker).await;
    println!(
        "the same call unrecorded (recording.enabled = false; the floor of the recording cost), {secs:.0} s:\n  \
         CPU: host {:.3} cores, browser tree {:.3} cores, together {:.3} cores; CPU-seconds by process: {}; \
         job ended {}/{}\n  peak PSS host + browser {}, peak RSS host + browser (sum) {:.1} MiB, peak host RSS {:.1} MiB \
         (sampled every {} ms)",
        host / secs,
        browser / secs,
        (host + browser) / secs,
        breakdown(&by_kind, " s", 1),
        terminal.state,
        terminal.reason,
        mib_or(peaks.total_pss),
        mib(peaks.total_rss),
        mib(peaks.host_rss),
        RECORDING_EVERY.as_millis()
    );
    worker.wait_no_children().await;
    (host + browser) / secs
}

/// Frames, duration (s) and `WxH ×count` frame sizes of a stored recording, from ffprobe.
pub fn recorded_frames(file: &Path) -> Option<(usize, f64, String)> {
    let duration = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .ok()?;
    let duration: f64 = String::from_utf8_lossy(&duration.stdout).trim().parse().ok()?;
    let frames = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_frames", "-show_entries", "frame=width,height"])
        .args(["-of", "csv=p=0"])
        .arg(file)
        .output()
        .ok()?;
    let mut sizes: Vec<(String, usize)> = Vec::new();
    let text = String::from_utf8_lossy(&frames.stdout);
    for size in text.lines().map(|l| l.trim().trim_end_matches(',').replace(',', "x")).filter(|l| !l.is_empty()) {
        match sizes.iter_mut().find(|(s, _)| *s == size) {
            Some((_, n)) => *n += 1,
            None => sizes.push((size, 1)),
        }
    }
    let count = sizes.iter().map(|(_, n)| n).sum();
    let sizes = sizes.iter().map(|(s, n)| format!("{s} ×{n}")).collect::<Vec<_>>().join(", ");
    Some((count, duration, sizes))
}
