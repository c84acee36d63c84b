//! The cost per meeting side by side (part 5 of the bench; G8 "CPU while recording 1280x720", G9
//! "CPU while recording audio only", G10 "two recorded 1280x720 calls at once on 2 cores"): one
//! run, the same fake Google Meet, the same window for every row: a bare Chromium on
//! `about:blank`, an unrecorded call, a recorded call, a sound-only call, and two recorded calls at
//! once on one worker with two slots. Each row: cores of the whole worker tree (CPU-seconds per
//! process over the window, so other load on the machine does not count), per call, and what that
//! is per meeting-hour; each recording's quality as the worker stored it in `meeting.json`
//! (ffprobe on the stored file: frames per second, longest video gap, audio dropouts).
//!
//! `MEETBOT_BENCH_VARIANTS` (`;`-separated) adds, per variant, a recorded call and two recorded
//! calls at once measured the same way, to weigh one change against the default rows of the same
//! run: a variant is either browser switches (space-separated, after the defaults) or
//! `nice:KIND=N`, which renices the browser processes of that kind (`gpu-process`, `renderer`,
//! `browser`, ...) to nice N once the calls record, or `raf:N`, the worker's page frame budget
//! (`recording.page_frame_rate = N`).

use std::time::{Duration, Instant};

use meetbot_fixtures::{FixtureServer, MeetingLink, Scenario};

use crate::common::Redis;
use crate::events::Events;
use crate::launch::bare_cores;
use crate::proc_tree::{CpuTracker, kind, tree};
use crate::stats::breakdown;
use crate::worker::{Calls, Recording, Worker, meet_job, post_job};
use crate::{RECORDING_EVERY, now_ms};

/// One row: what the worker records, how many calls at once, and what is changed.
struct Setup {
    label: String,
    recording: Recording,
    calls: usize,
    switches: Vec<String>,
    /// Processes of this kind get this nice value once the calls record.
    renice: Option<(String, i32)>,
    /// `recording.page_frame_rate`.
    page_frame_rate: u32,
    /// The goal printed next to the cores per call.
    goal: &'static str,
}

impl Setup {
    fn new(label: &str, recording: Recording, calls: usize, goal: &'static str) -> Self {
        Self { label: label.to_owned(), recording, calls, switches: Vec::new(), renice: None, page_frame_rate: 0, goal }
    }

    /// The same setup with a variant of `MEETBOT_BENCH_VARIANTS` applied.
    fn with_variant(mut self, variant: &str) -> Self {
        self.label = format!("{} [{variant}]", self.label);
        if let Some((kind, nice)) = variant.strip_prefix("nice:").and_then(|v| v.split_once('=')) {
            self.renice = Some((kind.to_owned(), nice.trim().parse().expect("nice:KIND=N")));
        } else if let Some(fps) = variant.strip_prefix("raf:") {
            self.page_frame_rate = fps.trim().parse().expect("raf:N");
        } else {
            self.switches = variant.split_whitespace().map(str::to_owned).collect();
        }
        self
    }
}

/// What the worker stored about one recording (`meeting.json` "recording").
struct Stored {
    fps: Option<f64>,
    video_gap: Option<f64>,
    dropouts: Option<u64>,
    sizes: String,
}

/// Everything the bench needs to run calls on workers of its own.
pub struct Bench<'a> {
    pub binary: &'a std::path::Path,
    pub redis: &'a Redis,
    pub fixtures: &'a FixtureServer,
    pub events: &'a mut Events,
    pub max_call_secs: u64,
    pub ticks: f64,
}

/// Measures every row over `window` each and prints them with their goals.
pub async fn print_cost_per_meeting(bench: &mut Bench<'_>, window: Duration) {
    let load = loadavg();
    let bare = bare_cores(window, bench.ticks);
    let mut rows = vec![
        Setup::new("unrecorded call", Recording::Off, 1, ""),
        Setup::new("recorded call 1280x720", Recording::Video, 1, "≤ 0.8"),
        Setup::new("sound-only call", Recording::SoundOnly, 1, "≤ 0.35"),
        Setup::new("two recorded calls at once (2 slots)", Recording::Video, 2, "≤ 0.8"),
    ];
    let variants = std::env::var("MEETBOT_BENCH_VARIANTS").unwrap_or_default();
    for variant in variants.split(';').map(str::trim).filter(|v| !v.is_empty()) {
        rows.push(Setup::new("recorded call 1280x720", Recording::Video, 1, "≤ 0.8").with_variant(variant));
        rows.push(Setup::new("two recorded calls at once", Recording::Video, 2, "≤ 0.8").with_variant(variant));
    }
    println!(
        "cost per meeting, side by side, {:.0} s each (whole worker tree; cores = core-hours per meeting-hour; \
         load average before: {load}):",
        window.as_secs_f64()
    );
    println!("  bare Chromium on about:blank: {bare:.3} cores");
    for (n, setup) in rows.iter().enumerate() {
        measure(bench, setup, n, window).await;
    }
    println!(
        "  goals: recorded call ≤ 0.8 core, sound only ≤ 0.35 core; two recorded calls each ≥ 14 frames/s, \
         no video gap over 1 s, no audio dropouts (load average after: {})",
        loadavg()
    );
}

/// Runs one row's calls on a worker of its own and prints its line.
async fn measure(bench: &mut Bench<'_>, setup: &Setup, row: usize, window: Duration) {
    let calls = Calls {
        recording: setup.recording,
        slots: setup.calls,
        switches: &setup.switches,
        page_frame_rate: setup.page_frame_rate,
    };
    let worker = Worker::start_with(bench.binary, bench.redis.port, bench.fixtures, bench.max_call_secs, calls).await;
    let calls: Vec<(String, MeetingLink)> =
        (0..setup.calls).map(|n| (format!("bench-cost-{row}-{n}"), MeetingLink::meet(Scenario::Instant))).collect();
    let posted = now_ms();
    // Through this worker's REST API: the bench's main worker takes everything from the queue.
    for (id, link) in &calls {
        post_job(worker.api(), &meet_job(id, &link.url, None));
    }
    for (id, _) in &calls {
        bench.events.state(id, "in_call", &worker).await;
        if setup.recording != Recording::Off {
            worker.wait_logged(id, "recording started", posted).await;
        }
    }
    // As long after in_call as the recording-cost part waits.
    tokio::time::sleep(Duration::from_millis(300)).await;
    if let Some((which, by)) = &setup.renice {
        renice(worker.pid(), which, *by);
    }
    let mut cpu = CpuTracker::start(worker.pid());
    let begun = Instant::now();
    while begun.elapsed() < window {
        tokio::time::sleep(RECORDING_EVERY).await;
        cpu.sample();
    }
    let secs = begun.elapsed().as_secs_f64();
    let (host, browser) = cpu.used(bench.ticks);
    let by_kind = cpu.by_kind(bench.ticks);
    for (_, link) in &calls {
        bench.fixtures.end_meeting(&link.id);
    }
    let mut outcomes = Vec::new();
    for (id, _) in &calls {
        let terminal = bench.events.terminal(id, &worker).await;
        outcomes.push(format!("{}/{}", terminal.state, terminal.reason));
    }
    worker.wait_no_children().await;
    let cores = (host + browser) / secs;
    let per_call = cores / setup.calls as f64;
    let goal = if setup.goal.is_empty() { String::new() } else { format!(" (goal {})", setup.goal) };
    println!(
        "  {}: {cores:.3} cores, {per_call:.3} per call{goal} = {per_call:.3} core-h per meeting-hour, {:.1} calls per core; \
         CPU-s by process: {}; ended {}",
        setup.label,
        1.0 / per_call.max(0.001),
        breakdown(&by_kind, " s", 1),
        outcomes.join(", ")
    );
    if setup.recording == Recording::Off {
        return;
    }
    for (id, _) in &calls {
        match stored(&worker, id) {
            Some(s) => println!(
                "    {id}: {} frames/s, longest video gap {} s, audio dropouts {}, frames {}",
                s.fps.map_or("-".to_owned(), |f| format!("{f:.1}")),
                s.video_gap.map_or("-".to_owned(), |g| format!("{g:.2}")),
                s.dropouts.map_or("-".to_owned(), |d| d.to_string()),
                if s.sizes.is_empty() { "none (sound only)" } else { &s.sizes }
            ),
            None => println!("    {id}: no meeting.json with a \"recording\" section"),
        }
    }
}

/// The "recording" section of a job's stored `meeting.json`.
fn stored(worker: &Worker, id: &str) -> Option<Stored> {
    let file = worker.dir().join("recordings").join(id).join("meeting.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
    let quality = json.get("recording").filter(|q| q.is_object())?;
    let sizes = quality["frame_sizes"]
        .as_array()
        .map(|s| s.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(" → "))
        .unwrap_or_default();
    Some(Stored {
        fps: quality["frames_per_second"].as_f64(),
        video_gap: quality["longest_video_gap_secs"].as_f64(),
        dropouts: quality["audio_dropouts"].as_u64(),
        sizes,
    })
}

/// Sets the nice value of every thread of every process of `which` kind under `root`.
fn renice(root: u32, which: &str, by: i32) {
    let mut reniced = 0;
    for pid in tree(root).into_iter().filter(|&pid| kind(pid, root) == which) {
        // Each Chromium thread is its own scheduling entity: renice them all.
        for task in std::fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten() {
            let Some(tid) = task.file_name().to_str().and_then(|t| t.parse::<libc::id_t>().ok()) else { continue };
            // libc calls are unsafe; the workspace denies unsafe code, so it is allowed for this one.
            // SAFETY: setpriority(2) only changes a thread's nice value; no memory is touched.
            #[allow(unsafe_code)]
            let set = unsafe { libc::setpriority(libc::PRIO_PROCESS, tid, by) };
            if set == 0 {
                reniced += 1;
            }
        }
    }
    assert!(reniced > 0, "no {which} process under the worker to renice");
}

/// `/proc/loadavg`'s three averages.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
