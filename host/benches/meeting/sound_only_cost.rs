//! The cost of a sound-only recording (part 4, G9 "CPU while recording audio only"): the same call
//! on a worker with `recording.video = false`, CPU of the whole worker tree over
//! [`SOUND_ONLY_WINDOW`] of its recording, printed side by side with the unrecorded call and the
//! recording with video measured earlier in the same run, and what ffprobe finds in its stored file.

use std::{path::Path, process::Command, time::Instant};

use meetbot_fixtures::{FixtureServer, MeetingLink, Scenario};

use crate::common::Redis;
use crate::events::Events;
use crate::proc_tree::CpuTracker;
use crate::stats::breakdown;
use crate::worker::{Recording, Worker, meet_job, post_job};
use crate::{RECORDING_EVERY, SOUND_ONLY_WINDOW, now_ms};

/// Records the call as sound only on a worker of its own and prints its cost next to
/// `(unrecorded, recorded)`, the cores of the unrecorded call and of the recording with video.
pub async fn print_sound_only_cost(
    binary: &Path,
    redis: &Redis,
    fixtures: &FixtureServer,
    events: &mut Events,
    max_call_secs: u64,
    ticks: f64,
    (unrecorded, recorded): (f64, f64),
) {
    let worker = Worker::start(binary, redis.port, fixtures, max_call_secs, Recording::SoundOnly).await;
    let id = "bench-sound-only";
    let link = MeetingLink::meet(Scenario::Instant);
    let posted = now_ms();
    // Through this worker's REST API: the recording worker takes everything from the queue.
    post_job(worker.api(), &meet_job(id, &link.url, None));
    events.state(id, "in_call", &worker).await;
    let (_, status) = worker.wait_logged(id, "recording started", posted).await;
    let mut cpu = CpuTracker::start(worker.pid());
    let begun = Instant::now();
    while begun.elapsed() < SOUND_ONLY_WINDOW {
        tokio::time::sleep(RECORDING_EVERY).await;
        cpu.sample();
    }
    let secs = begun.elapsed().as_secs_f64();
    let (host, browser) = cpu.used(ticks);
    let by_kind = cpu.by_kind(ticks);
    fixtures.end_meeting(&link.id);
    let terminal = events.terminal(id, &worker).await;
    let together = (host + browser) / secs;
    println!(
        "recording sound only (recording.video = false; the page said \"{status}\"), the first {secs:.0} s:\n  \
         CPU: host {:.3} cores, browser tree {:.3} cores, together {together:.3} cores  (goal ≤ 0.35 core)\n  \
         CPU-seconds by process: {}; job ended {}/{}",
        host / secs,
        browser / secs,
        breakdown(&by_kind, " s", 1),
        terminal.state,
        terminal.reason,
    );
    println!(
        "  side by side in this run (whole worker tree, cores = core-hours per meeting-hour): unrecorded {unrecorded:.3}, \
         sound only {together:.3}, with video {recorded:.3}; sound only is {:.2}x the unrecorded call and {:.2}x the \
         recording with video; recording's own share: sound only {:+.3}, with video {:+.3}",
        together / unrecorded.max(0.001),
        together / recorded.max(0.001),
        together - unrecorded,
        recorded - unrecorded,
    );
    let stored = worker.dir().join("recordings").join(id).join("recording.webm");
    match streams(&stored) {
        Some((streams, duration)) => println!("  the stored recording: {streams} in {duration:.1} s"),
        None => println!("  (no stored recording at {})", stored.display()),
    }
    worker.wait_no_children().await;
}

/// `kind codec, ...` of a file's streams and its duration (s), from ffprobe.
fn streams(file: &Path) -> Option<(String, f64)> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_type,codec_name:format=duration", "-of", "json"])
        .arg(file)
        .output()
        .ok()?;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let duration = json["format"]["duration"].as_str()?.parse().ok()?;
    let streams = json["streams"]
        .as_array()?
        .iter()
        .map(|s| format!("{} {}", s["codec_type"].as_str().unwrap_or("?"), s["codec_name"].as_str().unwrap_or("?")))
        .collect::<Vec<_>>()
        .join(", ");
    Some((streams, duration))
}
