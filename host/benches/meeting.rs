//! Meeting benchmark (docs/NOTES.md, goals G1 "job taken → name typed / asked to join", G2
//! "admitted → `in_call` reported", G3 "admitted → recording running", G4 "host ends the call →
//! job ends", G8 "CPU while recording 1280x720", G11 "memory during a call, host + browser", G12
//! "idle worker", G16 "memory across a 1 h recording", G6 "denied → job ends", G7 "You can't join
//! this video call / Check your meeting code / sign-in wall → job ends, each with its own
//! reason", G5 "everyone left → bot leaves after `everyone_left_timeout_secs`, clicking Leave"). Prints figures next to their floor, a bare
//! Chromium launch measured in the same run; it never fails on a threshold, since these machines
//! are noisy.
//!
//! 1. The floor: a bare headless Chromium launch until it prints "DevTools listening on".
//! 2. Join speed of the real `meetbot` binary with the Google Meet plugin against the fake Google
//!    Meet of `meetbot-fixtures` (instant admission), one job at a time: RPUSH → `joining` event,
//!    job taken → the page's `name_typed` / `join_asked`, the page's `admitted` → `in_call` event
//!    and → the worker's "recording started" log line, `end_meeting` → the job's terminal event.
//! 3. Memory during a recorded call: the worker and all its descendants sampled every 200 ms
//!    (RSS, and PSS from `smaps_rollup`), and the idle worker's RSS before any job.
//! 4. Recording cost: CPU of the worker and of the browser tree over 60 s of recording at the
//!    default 1280x720, and the worker's RSS at the start and end of a long recording
//!    (`MEETBOT_BENCH_LONG_SECS`, default 600). Its floor: the same call on a worker with
//!    recording off (CPU and peak memory), so the figure splits into the page's own cost and the
//!    recording's, and sizes deployments that do not record.
//!    `MEETBOT_BENCH_BROWSER_ARGS` (space-separated) adds switches to the worker's `browser.args`,
//!    to weigh a switch against the defaults.
//! 5. Jobs the meeting ends, a few of each on the fake Meet: lobby denial (the page's `denied` →
//!    the terminal event), refusals before asking (blocked, not found, sign-in wall: job taken →
//!    the terminal event), and everyone leaving (the count dropping to 1 plus the job's
//!    `everyone_left_timeout_secs` → the page's `leave_clicked`).
//!
//! Times on both sides are wall-clock (ms since the UNIX epoch): events are stamped on arrival,
//! the fake pages stamp their actions with `Date.now()` (the same machine's clock), and the
//! worker's JSON log lines carry their own timestamp.
//!
//! Needs `redis-server`, `/usr/bin/chromium`, and the worker binary plus the Google Meet plugin
//! built first: `cargo build --workspace --release && cargo bench -p meetbot-host --bench meeting`.

mod common;

use common::{Redis, free_port, health, pss, rss, worker_command};

use std::{
    collections::HashMap,
    fs,
    io::{BufRead, BufReader},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc as std_mpsc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use futures::StreamExt;
use meetbot_fixtures::{Action, ActionKind, FixtureServer, MeetingLink, Scenario};
use redis::AsyncCommands;
use tokio::sync::mpsc;

const QUEUE: &str = "jobs:meetbot:list";
const EVENTS: &str = "meetbot:events";
const CHROMIUM: &str = "/usr/bin/chromium";

/// Bare Chromium launches.
const LAUNCH_ROUNDS: usize = 5;
/// Meetings joined one at a time for the join figures.
const JOIN_ROUNDS: usize = 5;
/// How long each of those stays in the call once recording runs, before the host ends it.
const JOIN_CALL: Duration = Duration::from_secs(2);
/// The call whose memory is sampled.
const MEMORY_CALL: Duration = Duration::from_secs(20);
/// Memory sampling period during that call.
const MEMORY_EVERY: Duration = Duration::from_millis(200);
/// The recording whose CPU is measured.
const CPU_WINDOW: Duration = Duration::from_secs(60);
/// Sampling period during the recording-cost meeting (CPU deltas per process, RSS, PSS).
const RECORDING_EVERY: Duration = Duration::from_secs(1);
/// How long the unrecorded call (the floor of the recording cost) is measured.
const FLOOR_WINDOW: Duration = Duration::from_secs(20);
/// How long any one awaited condition may take before the bench gives up.
const WAIT: Duration = Duration::from_secs(60);
/// Jobs per scenario for the ending figures.
const ENDING_ROUNDS: usize = 3;
/// The `everyone_left_timeout_secs` the everyone-leaves jobs carry in their `autoLeave`.
const EVERYONE_LEFT: Duration = Duration::from_secs(1);
/// How long after a job's terminal event a page report may still arrive (the page stamps it
/// before the bot closes the browser, the report may land after).
const REPORT_GRACE: Duration = Duration::from_secs(2);

/// Wall-clock milliseconds since the UNIX epoch (the clock the fake pages stamp actions with).
fn now_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64() * 1000.0).unwrap_or_default()
}

/// Signals a process (negative pid: a process group).
fn signal(pid: i32, sig: i32) {
    // libc calls are unsafe; the workspace denies unsafe code, so it is allowed for this one.
    // SAFETY: kill(2) only sends a signal; no memory is touched.
    #[allow(unsafe_code)]
    unsafe {
        libc::kill(pid, sig);
    }
}

// ---------------------------------------------------------------------------------------------
// /proc
// ---------------------------------------------------------------------------------------------

/// What `/proc/<pid>/stat` says about a process.
struct Stat {
    ppid: u32,
    /// utime + stime, in clock ticks.
    cpu_ticks: u64,
    /// Start time after boot, in clock ticks: with the pid, identifies the process.
    start: u64,
}

fn stat(pid: u32) -> Option<Stat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name: state is field 3, ppid 4, utime 14, stime 15,
    // starttime 22.
    let after = text.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok());
    Some(Stat { ppid: u32::try_from(field(1)?).ok()?, cpu_ticks: field(11)? + field(12)?, start: field(19)? })
}

/// `root` and every process below it, root first.
fn tree(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        if let Some(stat) = stat(pid) {
            children.entry(stat.ppid).or_default().push(pid);
        }
    }
    let mut all = vec![root];
    let mut next = 0;
    while next < all.len() {
        if let Some(kids) = children.get(&all[next]) {
            all.extend(kids);
        }
        next += 1;
    }
    all
}

/// What a process of the tree is, for the per-process figures: `host` (the worker), Chromium's
/// process type (`browser`, `renderer`, `gpu-process`, `zygote`, utilities by service:
/// `network`, `audio`, `storage`), or the command name (ffmpeg while finalizing).
fn kind(pid: u32, root: u32) -> String {
    if pid == root {
        return "host".to_owned();
    }
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    // Chromium rewrites its command line into one space-separated string.
    let args: Vec<String> =
        String::from_utf8_lossy(&cmdline).split(['\0', ' ']).filter(|a| !a.is_empty()).map(str::to_owned).collect();
    let value = |name: &str| args.iter().find_map(|a| a.strip_prefix(name).map(str::to_owned));
    if let Some(service) = value("--utility-sub-type=") {
        // `network.mojom.NetworkService` -> `network`
        return service.split('.').next().unwrap_or("utility").to_owned();
    }
    if let Some(kind) = value("--type=") {
        return kind;
    }
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_owned();
    if comm.contains("chrom") { "browser".to_owned() } else { comm }
}

/// `name value, name value, ...` of a per-kind breakdown, largest first.
fn breakdown(values: &HashMap<String, f64>, unit: &str, precision: usize) -> String {
    let mut sorted: Vec<(&String, &f64)> = values.iter().filter(|(_, v)| **v > 0.0).collect();
    sorted.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
    sorted.iter().map(|(k, v)| format!("{k} {v:.precision$}{unit}")).collect::<Vec<_>>().join(", ")
}

/// Memory of the worker and its descendants at one moment.
#[derive(Default, Clone)]
struct Memory {
    host_rss: u64,
    host_pss: Option<u64>,
    total_rss: u64,
    /// `None` when some process's `smaps_rollup` could not be read.
    total_pss: Option<u64>,
    processes: usize,
    /// PSS per process kind (see [`kind`]), bytes.
    pss_by_kind: HashMap<String, u64>,
}

fn memory(root: u32) -> Memory {
    let pids = tree(root);
    let mut sample =
        Memory { host_rss: rss(root).unwrap_or(0), host_pss: pss(root), total_pss: Some(0), ..Memory::default() };
    for pid in pids {
        // A process that exits between the walk and the read is skipped.
        let Some(resident) = rss(pid) else { continue };
        sample.processes += 1;
        sample.total_rss += resident;
        let own = pss(pid);
        if let Some(own) = own {
            *sample.pss_by_kind.entry(kind(pid, root)).or_default() += own;
        }
        sample.total_pss = match (sample.total_pss, own) {
            (Some(total), Some(own)) => Some(total + own),
            _ => None,
        };
    }
    sample
}

/// Peaks over a series of [`Memory`] samples.
#[derive(Default)]
struct Peaks {
    host_rss: u64,
    total_rss: u64,
    total_pss: Option<u64>,
    processes: usize,
    samples: usize,
    pss_missing: usize,
    /// PSS per process kind in the sample with the highest total PSS.
    pss_by_kind_at_peak: HashMap<String, u64>,
}

impl Peaks {
    fn add(&mut self, sample: Memory) {
        self.samples += 1;
        self.host_rss = self.host_rss.max(sample.host_rss);
        self.total_rss = self.total_rss.max(sample.total_rss);
        self.processes = self.processes.max(sample.processes);
        match sample.total_pss {
            Some(pss) => {
                if self.total_pss.is_none_or(|peak| pss > peak) {
                    self.pss_by_kind_at_peak = sample.pss_by_kind;
                }
                self.total_pss = Some(self.total_pss.unwrap_or(0).max(pss));
            }
            None => self.pss_missing += 1,
        }
    }

    /// `renderer 123.4 MiB, gpu-process ...` at the PSS peak.
    fn pss_breakdown(&self) -> String {
        let mib_by_kind = self.pss_by_kind_at_peak.iter().map(|(k, v)| (k.clone(), mib(*v))).collect();
        breakdown(&mib_by_kind, " MiB", 1)
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn mib_or(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "n/a (smaps_rollup not readable)".to_owned(), |b| format!("{:.1} MiB", mib(b)))
}

/// CPU seconds this bench process has used so far.
fn own_cpu(ticks_per_sec: f64) -> f64 {
    stat(std::process::id()).map_or(0.0, |s| s.cpu_ticks as f64 / ticks_per_sec)
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU ticks per process of a tree, followed over time: each process's ticks since it was first
/// seen (or since it started, when it started later), so processes that come and go count too.
/// A process that exits loses at most one sampling period.
struct CpuTracker {
    root: u32,
    baseline: HashMap<(u32, u64), u64>,
    latest: HashMap<(u32, u64), u64>,
    /// What each process is (see [`kind`]).
    kinds: HashMap<(u32, u64), String>,
}

impl CpuTracker {
    fn start(root: u32) -> Self {
        let mut tracker = Self { root, baseline: HashMap::new(), latest: HashMap::new(), kinds: HashMap::new() };
        for pid in tree(root) {
            if let Some(stat) = stat(pid) {
                tracker.baseline.insert((pid, stat.start), stat.cpu_ticks);
                tracker.kinds.insert((pid, stat.start), kind(pid, root));
            }
        }
        tracker.latest = tracker.baseline.clone();
        tracker
    }

    fn sample(&mut self) {
        for pid in tree(self.root) {
            if let Some(stat) = stat(pid) {
                self.latest.insert((pid, stat.start), stat.cpu_ticks);
                self.kinds.entry((pid, stat.start)).or_insert_with(|| kind(pid, self.root));
            }
        }
    }

    /// CPU seconds per process kind since the start.
    fn by_kind(&self, ticks_per_sec: f64) -> HashMap<String, f64> {
        let mut seconds: HashMap<String, f64> = HashMap::new();
        for (key, latest) in &self.latest {
            let delta = latest.saturating_sub(self.baseline.get(key).copied().unwrap_or(0));
            let kind = self.kinds.get(key).cloned().unwrap_or_else(|| "?".to_owned());
            *seconds.entry(kind).or_default() += delta as f64 / ticks_per_sec;
        }
        seconds
    }

    /// (root's CPU seconds, everything below it) since the start.
    fn used(&self, ticks_per_sec: f64) -> (f64, f64) {
        let (mut root, mut rest) = (0u64, 0u64);
        for (key, latest) in &self.latest {
            let delta = latest.saturating_sub(self.baseline.get(key).copied().unwrap_or(0));
            if key.0 == self.root {
                root += delta;
            } else {
                rest += delta;
            }
        }
        (root as f64 / ticks_per_sec, rest as f64 / ticks_per_sec)
    }
}

/// Frames, duration (s) and `WxH ×count` frame sizes of a stored recording, from ffprobe.
fn recorded_frames(file: &Path) -> Option<(usize, f64, String)> {
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

// ---------------------------------------------------------------------------------------------
// Bare Chromium
// ---------------------------------------------------------------------------------------------

/// Launches Chromium as a bare `about:blank` and times it until it prints its DevTools address;
/// then ends its whole process group.
fn bare_launch() -> Duration {
    let profile = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let mut child = Command::new(CHROMIUM)
        .args(["--headless", "--no-sandbox", "--remote-debugging-port=0"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("start {CHROMIUM}: {e}"));
    let group = i32::try_from(child.id()).expect("pid fits i32");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = std_mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains("DevTools listening on") {
                let _ = tx.send(Ok(Instant::now()));
            }
            seen.push(line);
        }
        let _ = tx.send(Err(seen.join("\n")));
    });
    let result = rx.recv_timeout(Duration::from_secs(30));
    // The whole group: the browser and its zygotes, renderers and helpers.
    signal(-group, libc::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(-group, libc::SIGKILL);
    let _ = child.wait();
    let _ = reader.join();
    match result {
        Ok(Ok(at)) => at.duration_since(started),
        Ok(Err(stderr)) => panic!("Chromium exited without a DevTools address; its stderr:\n{stderr}"),
        Err(_) => panic!("Chromium printed no DevTools address within 30 s"),
    }
}

// ---------------------------------------------------------------------------------------------
// Redis, the worker, events
// ---------------------------------------------------------------------------------------------

/// A private, non-persistent Redis on a free port.
/// `target/<profile>/meetbot` and the Google Meet plugin next to it, as hard links (or copies) in
/// a folder of their own, `target/<profile>/meetbot-bench-meeting/<pid>/`: a worker also loads the
/// plugins in its executable's folder, and from there it finds exactly the Google Meet plugin.
fn worker_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current executable");
    let profile_dir = exe.parent().and_then(Path::parent).expect("bench executable lives in target/<profile>/deps");
    let profile = profile_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let flag = if profile == "release" { " --release" } else { "" };
    let binary = profile_dir.join("meetbot");
    let plugin = profile_dir.join("libmeetbot_plugin_google.so");
    for (file, what) in [(&binary, "the worker"), (&plugin, "the Google Meet plugin")] {
        assert!(file.is_file(), "{} ({what}) is missing: run `cargo build --workspace{flag}` first", file.display());
    }
    let root = profile_dir.join("meetbot-bench-meeting");
    // Folders of earlier bench processes that are gone.
    for entry in fs::read_dir(&root).into_iter().flatten().flatten() {
        let pid = entry.file_name().to_string_lossy().parse::<u32>().ok();
        if pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
    let dir = root.join(std::process::id().to_string());
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create the worker's folder");
    // The worker refuses plugin folders and files other users can write, whatever the umask.
    let owner_only = || std::os::unix::fs::PermissionsExt::from_mode(0o755);
    fs::set_permissions(&dir, owner_only()).expect("chmod the worker's folder");
    for file in [&binary, &plugin] {
        let link = dir.join(file.file_name().expect("file name"));
        if fs::hard_link(file, &link).is_err() {
            fs::copy(file, &link).unwrap_or_else(|e| panic!("copy {}: {e}", file.display()));
        }
        fs::set_permissions(&link, owner_only()).expect("chmod");
    }
    dir.join("meetbot")
}

/// A running `meetbot run` with the Google Meet plugin, its own config and working folder.
struct Worker {
    child: Child,
    dir: tempfile::TempDir,
    api: String,
}

impl Worker {
    /// A worker; `recording` false gives the floor of the recording cost (the call alone).
    async fn start(
        binary: &Path,
        redis_port: u16,
        fixtures: &FixtureServer,
        max_call_secs: u64,
        recording: bool,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let api = format!("127.0.0.1:{}", free_port());
        let path = |name: &str| toml::Value::String(dir.path().join(name).display().to_string());
        let extra = std::env::var("MEETBOT_BENCH_BROWSER_ARGS").unwrap_or_default();
        let args = fixtures.chromium_args().into_iter().chain(extra.split_whitespace().map(str::to_owned));
        let args = toml::Value::Array(args.map(toml::Value::String).collect());
        let config = format!(
            "[worker]\nid = \"bench-meeting-{recording}\"\nmax_concurrent_jobs = 1\nheartbeat_ttl_secs = 15\n\
             drain_timeout_secs = 2\n\n\
             [api]\nlisten = \"{api}\"\n\n\
             [redis]\nenabled = true\nurl = \"redis://127.0.0.1:{redis_port}\"\n\n\
             [log]\nlevel = \"info\"\nformat = \"json\"\n\n\
             [plugins]\ndirs = [{plugins}]\n\n\
             [browser]\nexecutable = \"{CHROMIUM}\"\nargs = {args}\n\n\
             [recording]\nenabled = {recording}\nspool_dir = {spool}\n\n\
             [storage.local]\ndir = {storage}\n\n\
             [auto_leave]\nwaiting_room_timeout_secs = 20\nno_one_joined_timeout_secs = 30\n\
             everyone_left_timeout_secs = 5\nsilence_timeout_secs = {max_call_secs}\n\
             silence_activate_after_secs = {max_call_secs}\nmax_duration_secs = {max_call_secs}\n",
            plugins = path("plugins"),
            spool = path("spool"),
            storage = path("recordings"),
        );
        let config_path = dir.path().join("meetbot.toml");
        fs::write(&config_path, config).expect("write config");
        let log = fs::File::create(dir.path().join("worker.log")).expect("create worker log");
        let mut command = worker_command(binary, &config_path, dir.path());
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let mut worker = Self { child, dir, api };
        worker.wait_healthy().await;
        worker
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the worker exited during start-up ({status}); its log:\n{}", self.log_tail());
            }
            if health(&self.api) {
                return;
            }
            assert!(Instant::now() < deadline, "GET /health did not answer within 20 s; log:\n{}", self.log_tail());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("worker.log")).unwrap_or_default()
    }

    fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// When the worker logged `message` for `job_id` (a JSON line's own timestamp, ms since the
    /// epoch), the first such line not before `after_ms`; with the line's `status` field.
    fn logged(&self, job_id: &str, message: &str, after_ms: f64) -> Option<(f64, String)> {
        self.log().lines().filter(|line| line.starts_with('{')).find_map(|line| {
            let entry: serde_json::Value = serde_json::from_str(line).ok()?;
            if entry.get("message").and_then(|m| m.as_str()) != Some(message) {
                return None;
            }
            if entry.pointer("/span/job_id").and_then(|j| j.as_str()).is_some_and(|j| j != job_id) {
                return None;
            }
            let stamp = chrono::DateTime::parse_from_rfc3339(entry.get("timestamp")?.as_str()?).ok()?;
            let at = stamp.timestamp_micros() as f64 / 1000.0;
            let status = entry.get("status").and_then(|s| s.as_str()).unwrap_or_default().to_owned();
            (at >= after_ms).then_some((at, status))
        })
    }

    async fn wait_logged(&self, job_id: &str, message: &str, after_ms: f64) -> (f64, String) {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(found) = self.logged(job_id, message, after_ms) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "no {message:?} log line for job {job_id} within {} s; worker log:\n{}",
                WAIT.as_secs(),
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the worker has no child processes left (the last job's browser is gone).
    async fn wait_no_children(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while tree(self.pid()).len() > 1 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Worker {
    /// SIGTERM (the worker ends its jobs and their browsers), SIGKILL after 15 s; then SIGKILL
    /// to whatever it started that is still there (the same processes: pid and start time).
    fn drop(&mut self) {
        let pid = self.pid();
        let below: Vec<(u32, u64)> =
            tree(pid).into_iter().skip(1).filter_map(|p| stat(p).map(|s| (p, s.start))).collect();
        signal(i32::try_from(pid).expect("pid fits i32"), libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        for (child, start) in below {
            if stat(child).is_some_and(|s| s.start == start) {
                signal(i32::try_from(child).expect("pid fits i32"), libc::SIGKILL);
            }
        }
    }
}

/// The queue message of a Meet job, with `autoLeave` overrides if any.
fn meet_job(bot_id: &str, url: &str, auto_leave: Option<serde_json::Value>) -> String {
    let mut job = serde_json::json!({
        "url": url,
        "provider": "google",
        "name": "Bench Bot",
        "teamId": "team-1",
        "userId": "user-1",
        "bearerToken": "tok-bench",
        "timezone": "UTC",
        "botId": bot_id,
    });
    if let Some(auto_leave) = auto_leave {
        job["autoLeave"] = auto_leave;
    }
    job.to_string()
}

/// One state-change event, stamped (wall clock, ms) on arrival.
#[derive(Clone)]
struct Event {
    state: String,
    reason: String,
    at: f64,
}

impl Event {
    fn terminal(&self) -> bool {
        self.state == "completed" || self.state == "failed"
    }
}

/// State-change events from `meetbot:events`, kept per job id in arrival order.
struct Events {
    rx: mpsc::UnboundedReceiver<(String, Event)>,
    seen: HashMap<String, Vec<Event>>,
    task: tokio::task::JoinHandle<()>,
}

impl Events {
    async fn subscribe(redis: &Redis) -> Self {
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
    async fn wait(&mut self, job_id: &str, what: &str, worker: &Worker, wanted: impl Fn(&Event) -> bool) -> Event {
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

    async fn state(&mut self, job_id: &str, state: &str, worker: &Worker) -> Event {
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

    async fn terminal(&mut self, job_id: &str, worker: &Worker) -> Event {
        self.wait(job_id, "terminal", worker, Event::terminal).await
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn action_ms(fixtures: &FixtureServer, link: &MeetingLink, kind: ActionKind) -> f64 {
    let action = fixtures.wait_for_action(&link.id, kind, WAIT).await.unwrap_or_else(|e| panic!("{e}"));
    action.at_ms as f64
}

/// A job pushed and followed into its call, with recording running.
struct InCall {
    id: String,
    link: MeetingLink,
    recording_started: f64,
}

/// Pushes a Meet job for an instant-admission meeting and waits until it records.
async fn start_call(
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

/// POSTs a job to a worker's `/v1/jobs`; panics unless it is accepted.
fn post_job(api: &str, job: &str) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(api).unwrap_or_else(|e| panic!("connect {api}: {e}"));
    let request = format!(
        "POST /v1/jobs HTTP/1.1\r\nHost: {api}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{job}",
        job.len()
    );
    stream.write_all(request.as_bytes()).expect("send the job");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 2"), "POST /v1/jobs refused: {response}");
}

/// The floor of the recording cost: CPU of a worker with recording off and its browser over
/// [`FLOOR_WINDOW`] of the same call (the page's own rendering, audio and compositing); in cores.
async fn unrecorded_call(
    binary: &Path,
    redis: &Redis,
    fixtures: &FixtureServer,
    events: &mut Events,
    max_call_secs: u64,
    ticks: f64,
) -> f64 {
    let worker = Worker::start(binary, redis.port, fixtures, max_call_secs, false).await;
    let id = "bench-unrecorded";
    let link = MeetingLink::meet(Scenario::Instant);
    // Through this worker's REST API: the recording worker takes everything from the queue.
    post_job(&worker.api, &meet_job(id, &link.url, None));
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

/// Ends the meeting from the host's side and waits for the job's terminal event.
async fn end_call(fixtures: &FixtureServer, events: &mut Events, worker: &Worker, call: &InCall) -> (f64, Event) {
    let ended = now_ms();
    fixtures.end_meeting(&call.link.id);
    let terminal = events.terminal(&call.id, worker).await;
    (ended, terminal)
}

// ---------------------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------------------

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) { (sorted[mid - 1] + sorted[mid]) / 2.0 } else { sorted[mid] }
}

fn max(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// `median … ms  max … ms  (each sample)`.
fn summary(values: &[f64]) -> String {
    let each: Vec<String> = values.iter().map(|v| format!("{v:.0}")).collect();
    format!("median {:>6.0} ms  max {:>6.0} ms  (runs: {})", median(values), max(values), each.join(", "))
}

/// One join round's measures, ms.
#[derive(Default)]
struct Round {
    push_to_joining: f64,
    joining_to_page: f64,
    joining_to_name: f64,
    joining_to_asked: f64,
    push_to_name: f64,
    push_to_asked: f64,
    admitted_to_in_call: f64,
    admitted_to_recording: f64,
    end_to_terminal: f64,
    end_to_leaving: Option<f64>,
    outcome: String,
}

async fn join_round(
    n: usize,
    conn: &mut redis::aio::MultiplexedConnection,
    events: &mut Events,
    worker: &Worker,
    fixtures: &FixtureServer,
) -> Round {
    let id = format!("bench-join-{n}");
    let link = MeetingLink::meet(Scenario::Instant);
    worker.wait_no_children().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pushed = now_ms();
    let _: usize = conn.rpush(QUEUE, meet_job(&id, &link.url, None)).await.expect("RPUSH");
    let joining = events.state(&id, "joining", worker).await.at;
    let in_call = events.state(&id, "in_call", worker).await.at;
    let page = action_ms(fixtures, &link, ActionKind::PageLoaded).await;
    let name = action_ms(fixtures, &link, ActionKind::NameTyped).await;
    let asked = action_ms(fixtures, &link, ActionKind::JoinAsked).await;
    let admitted = action_ms(fixtures, &link, ActionKind::Admitted).await;
    let (recording, status) = worker.wait_logged(&id, "recording started", pushed).await;
    if n == 0 {
        println!("  (recorder status of the first job: {status:?})");
    }
    tokio::time::sleep(JOIN_CALL).await;
    let call = InCall { id: id.clone(), link, recording_started: recording };
    let (ended, terminal) = end_call(fixtures, events, worker, &call).await;
    let leaving = events.seen.get(&id).and_then(|all| all.iter().find(|e| e.state == "leaving")).map(|e| e.at - ended);
    Round {
        push_to_joining: joining - pushed,
        joining_to_page: page - joining,
        joining_to_name: name - joining,
        joining_to_asked: asked - joining,
        push_to_name: name - pushed,
        push_to_asked: asked - pushed,
        admitted_to_in_call: in_call - admitted,
        admitted_to_recording: recording - admitted,
        end_to_terminal: terminal.at - ended,
        end_to_leaving: leaving,
        outcome: format!("{}/{}", terminal.state, terminal.reason),
    }
}

/// `outcome ×count, ...` in order of first appearance.
fn outcomes<'a>(all: impl IntoIterator<Item = &'a str>) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for outcome in all {
        match counts.iter_mut().find(|(o, _)| *o == outcome) {
            Some((_, n)) => *n += 1,
            None => counts.push((outcome, 1)),
        }
    }
    counts.iter().map(|(o, n)| format!("{o} ×{n}")).collect::<Vec<_>>().join(", ")
}

/// One job of a meeting that ends it by itself: the measure (`None` when the page never reported
/// where it starts or ends) and the job's outcome.
struct Ending {
    ms: Option<f64>,
    outcome: String,
}

/// When the page reported its first action that `matches` (ms since the epoch), if it did within
/// [`REPORT_GRACE`].
async fn reported(fixtures: &FixtureServer, link: &MeetingLink, matches: impl Fn(&Action) -> bool) -> Option<f64> {
    fixtures.wait_until(&link.id, REPORT_GRACE, matches).await.ok().map(|a| a.at_ms as f64)
}

/// Pushes a job for a meeting of `scenario` once the last job's browser is gone, follows it to its
/// end and measures what the scenario's goal in docs/NOTES.md times (see the module header, part 5).
async fn ending_round(
    scenario: Scenario,
    n: usize,
    conn: &mut redis::aio::MultiplexedConnection,
    events: &mut Events,
    worker: &Worker,
    fixtures: &FixtureServer,
) -> Ending {
    let id = format!("bench-{}-{n}", scenario.letter_tag());
    let link = MeetingLink::meet(scenario);
    let auto_leave = (scenario == Scenario::EveryoneLeaves)
        .then(|| serde_json::json!({ "everyone_left_timeout_secs": EVERYONE_LEFT.as_secs() }));
    worker.wait_no_children().await;
    let _: usize = conn.rpush(QUEUE, meet_job(&id, &link.url, auto_leave)).await.expect("RPUSH");
    let joining = events.state(&id, "joining", worker).await.at;
    let terminal = events.terminal(&id, worker).await;
    let kind_is = |kind: ActionKind| move |a: &Action| a.kind == kind;
    let (from, to) = match scenario {
        Scenario::LobbyDenied => (reported(fixtures, &link, kind_is(ActionKind::Denied)).await, Some(terminal.at)),
        Scenario::EveryoneLeaves => {
            let alone = |a: &Action| a.kind == ActionKind::ParticipantsChanged && a.count == Some(1);
            let timeout = EVERYONE_LEFT.as_secs_f64() * 1000.0;
            let alone = reported(fixtures, &link, alone).await.map(|at| at + timeout);
            (alone, reported(fixtures, &link, kind_is(ActionKind::LeaveClicked)).await)
        }
        _ => (Some(joining), Some(terminal.at)),
    };
    Ending { ms: from.zip(to).map(|(from, to)| to - from), outcome: format!("{}/{}", terminal.state, terminal.reason) }
}

/// Runs [`ENDING_ROUNDS`] jobs of `scenario` and prints their figure next to its goal.
async fn print_endings(
    scenario: Scenario,
    label: &str,
    goal: &str,
    conn: &mut redis::aio::MultiplexedConnection,
    events: &mut Events,
    worker: &Worker,
    fixtures: &FixtureServer,
) {
    let mut endings = Vec::with_capacity(ENDING_ROUNDS);
    for n in 0..ENDING_ROUNDS {
        endings.push(ending_round(scenario, n, conn, events, worker, fixtures).await);
    }
    let measured: Vec<f64> = endings.iter().filter_map(|e| e.ms).collect();
    let figure = if measured.is_empty() { "no measure".to_owned() } else { summary(&measured) };
    let missing = endings.len() - measured.len();
    let missing = if missing > 0 { format!(" ({missing} runs without the page's report)") } else { String::new() };
    println!(
        "  {label:<54} {figure}  (goal {goal}){missing}; outcomes: {}",
        outcomes(endings.iter().map(|e| e.outcome.as_str()))
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let bench_started = Instant::now();
    let long = Duration::from_secs(
        std::env::var("MEETBOT_BENCH_LONG_SECS").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(600),
    );
    let binary = worker_binary();
    let ticks = clock_ticks();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let chromium = Command::new(CHROMIUM)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    println!("meetbot meeting benchmark: {} ({cores} cores; {chromium})", binary.display());
    if let Ok(extra) = std::env::var("MEETBOT_BENCH_BROWSER_ARGS") {
        println!("extra browser.args: {extra}");
    }

    // 1. The floor.
    let launches: Vec<f64> = (0..LAUNCH_ROUNDS).map(|_| bare_launch().as_secs_f64() * 1000.0).collect();
    let launch = median(&launches);
    println!("bare Chromium launch to \"DevTools listening on\" ({LAUNCH_ROUNDS} runs): {}", summary(&launches));

    let redis = Redis::start().await;
    let fixtures = FixtureServer::start_on(0).expect("start the fake meeting platforms");
    let max_call_secs = long.max(CPU_WINDOW).as_secs() + 600;
    let worker = Worker::start(&binary, redis.port, &fixtures, max_call_secs, true).await;
    let mut conn = redis.client.get_multiplexed_async_connection().await.expect("connect to redis");
    let mut events = Events::subscribe(&redis).await;

    // 3 (first part). The idle worker, before any job.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = memory(worker.pid());
    println!(
        "idle worker before any job: RSS {:.1} MiB, PSS {}  (goal ≤ 25 MiB RSS)",
        mib(idle.host_rss),
        mib_or(idle.host_pss)
    );

    // 2. Join speed.
    println!("join, fake Google Meet with instant admission, {JOIN_ROUNDS} recorded jobs one at a time:");
    let mut rounds = Vec::with_capacity(JOIN_ROUNDS);
    for n in 0..JOIN_ROUNDS {
        rounds.push(join_round(n, &mut conn, &mut events, &worker, &fixtures).await);
    }
    let column = |f: fn(&Round) -> f64| rounds.iter().map(f).collect::<Vec<f64>>();
    println!("  RPUSH → `joining` event (job taken):          {}", summary(&column(|r| r.push_to_joining)));
    println!("  job taken → page loaded (browser launch + goto): {}", summary(&column(|r| r.joining_to_page)));
    println!(
        "  job taken → `name_typed`:                     {}  (goal ≤ 1200 ms; bare launch {launch:.0} ms)",
        summary(&column(|r| r.joining_to_name))
    );
    println!(
        "  job taken → `join_asked`:                     {}  (goal ≤ 1300 ms; bare launch {launch:.0} ms)",
        summary(&column(|r| r.joining_to_asked))
    );
    println!("  RPUSH → `name_typed`:                         {}", summary(&column(|r| r.push_to_name)));
    println!("  RPUSH → `join_asked`:                         {}", summary(&column(|r| r.push_to_asked)));
    println!(
        "  admitted → `in_call` event:                   {}  (goal ≤ 300 ms)",
        summary(&column(|r| r.admitted_to_in_call))
    );
    println!(
        "  admitted → \"recording started\" (worker log):  {}  (goal ≤ 1000 ms)",
        summary(&column(|r| r.admitted_to_recording))
    );
    println!(
        "  end_meeting → terminal event:                 {}  (goal ≤ 1000 ms, ended_by_host); outcomes: {}",
        summary(&column(|r| r.end_to_terminal)),
        outcomes(rounds.iter().map(|r| r.outcome.as_str()))
    );
    let leaving: Vec<f64> = rounds.iter().filter_map(|r| r.end_to_leaving).collect();
    if !leaving.is_empty() {
        println!("    of which end_meeting → `leaving` event:      {}", summary(&leaving));
    }
    worker.wait_no_children().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_after = memory(worker.pid());
    println!(
        "idle worker after {JOIN_ROUNDS} jobs: RSS {:.1} MiB, PSS {}",
        mib(idle_after.host_rss),
        mib_or(idle_after.host_pss)
    );

    // 3. Memory during a recorded call.
    let call = start_call(&mut conn, &mut events, &worker, "bench-memory").await;
    let mut peaks = Peaks::default();
    let mut sampling = Duration::ZERO;
    let own = own_cpu(ticks);
    let mut tick = tokio::time::interval(MEMORY_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let begun = Instant::now();
    while begun.elapsed() < MEMORY_CALL {
        tick.tick().await;
        let sampled = Instant::now();
        peaks.add(memory(worker.pid()));
        sampling += sampled.elapsed();
    }
    let own = (own_cpu(ticks) - own) / begun.elapsed().as_secs_f64();
    let (_, terminal) = end_call(&fixtures, &mut events, &worker, &call).await;
    println!(
        "memory during a recorded call ({} s, a sample every {} ms: {} samples of up to {} processes, \
         {:.0} ms each on average; the bench itself used {own:.2} cores meanwhile):",
        MEMORY_CALL.as_secs(),
        MEMORY_EVERY.as_millis(),
        peaks.samples,
        peaks.processes,
        sampling.as_secs_f64() * 1000.0 / peaks.samples.max(1) as f64,
    );
    println!("  peak PSS host + browser: {}  (goal ≤ 500 MiB)", mib_or(peaks.total_pss));
    println!("    by process at the peak: {}", peaks.pss_breakdown());
    if peaks.pss_missing > 0 {
        println!("  ({} samples had an unreadable smaps_rollup and are left out of the PSS peak)", peaks.pss_missing);
    }
    println!("  peak RSS host + browser (sum, shared pages counted per process): {:.1} MiB", mib(peaks.total_rss));
    println!("  peak RSS host alone: {:.1} MiB  (goal ≤ 30 MiB)", mib(peaks.host_rss));
    println!("  job ended {}/{}", terminal.state, terminal.reason);

    // 4. Recording cost, and memory across a long recording; first its floor, the same call unrecorded.
    worker.wait_no_children().await;
    let floor = unrecorded_call(&binary, &redis, &fixtures, &mut events, max_call_secs, ticks).await;
    let length = long.max(CPU_WINDOW);
    let call = start_call(&mut conn, &mut events, &worker, "bench-recording").await;
    let started_ms = now_ms();
    let host_start = rss(worker.pid()).unwrap_or(0);
    let mut cpu = CpuTracker::start(worker.pid());
    let mut window: Option<(f64, f64, Duration)> = None;
    let mut window_by_kind = HashMap::new();
    let mut peaks = Peaks::default();
    let mut host_at_window = host_start;
    let own = own_cpu(ticks);
    let mut tick = tokio::time::interval(RECORDING_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let begun = Instant::now();
    while begun.elapsed() < length {
        tick.tick().await;
        cpu.sample();
        peaks.add(memory(worker.pid()));
        if window.is_none() && begun.elapsed() >= CPU_WINDOW {
            let (host, browser) = cpu.used(ticks);
            window = Some((host, browser, begun.elapsed()));
            window_by_kind = cpu.by_kind(ticks);
            host_at_window = rss(worker.pid()).unwrap_or(0);
        }
    }
    let host_end = rss(worker.pid()).unwrap_or(0);
    let (host_cpu, browser_cpu) = cpu.used(ticks);
    let whole = begun.elapsed();
    let own = (own_cpu(ticks) - own) / whole.as_secs_f64();
    let (ended, terminal) = end_call(&fixtures, &mut events, &worker, &call).await;
    let (window_host, window_browser, window_wall) = window.unwrap_or((host_cpu, browser_cpu, whole));
    if window.is_none() {
        window_by_kind = cpu.by_kind(ticks);
    }
    let secs = window_wall.as_secs_f64();
    println!(
        "recording at 1280x720 (window size default), the first {secs:.0} s from {:.0} ms after \"recording started\" \
         (the bench's own sampling used {own:.2} cores meanwhile):",
        started_ms - call.recording_started
    );
    println!(
        "  CPU: host {:.3} cores, browser tree {:.3} cores, together {:.3} cores  (goal ≤ 0.8 core)",
        window_host / secs,
        window_browser / secs,
        (window_host + window_browser) / secs
    );
    println!(
        "  CPU-seconds by process over those {secs:.0} s: {}  (together {:.1} s)",
        breakdown(&window_by_kind, " s", 1),
        window_host + window_browser
    );
    println!(
        "  recording's own share: {:+.3} cores over the unrecorded call ({:.3} cores)",
        (window_host + window_browser) / secs - floor,
        floor
    );
    println!(
        "  peak RSS host + browser (sum) {:.1} MiB, peak PSS {}, peak host RSS {:.1} MiB  \
         (whole {:.0} s recording, sampled every {} ms)",
        mib(peaks.total_rss),
        mib_or(peaks.total_pss),
        mib(peaks.host_rss),
        whole.as_secs_f64(),
        RECORDING_EVERY.as_millis()
    );
    println!("    PSS by process at the peak: {}", peaks.pss_breakdown());
    if whole > window_wall + RECORDING_EVERY {
        println!(
            "  CPU over the whole {:.0} s: host {:.3} cores, browser tree {:.3} cores",
            whole.as_secs_f64(),
            host_cpu / whole.as_secs_f64(),
            browser_cpu / whole.as_secs_f64()
        );
    }
    println!(
        "long recording ({:.0} s; MEETBOT_BENCH_LONG_SECS={}): host RSS at start {:.1} MiB, after {secs:.0} s {:.1} MiB, \
         at end {:.1} MiB; growth start → end {:+.1} MiB, {secs:.0} s → end {:+.1} MiB  (goal: flat)",
        whole.as_secs_f64(),
        long.as_secs(),
        mib(host_start),
        mib(host_at_window),
        mib(host_end),
        mib(host_end) - mib(host_start),
        mib(host_end) - mib(host_at_window)
    );
    println!(
        "  job ended {}/{} {:.0} ms after end_meeting (includes finalizing the {:.0} s recording)",
        terminal.state,
        terminal.reason,
        terminal.at - ended,
        whole.as_secs_f64()
    );
    let stored = worker.dir.path().join("recordings").join(&call.id).join("recording.webm");
    match recorded_frames(&stored) {
        Some((frames, duration, sizes)) => println!(
            "  the stored recording: {frames} video frames in {duration:.1} s ({:.1} frames/s), frame sizes {sizes}",
            frames as f64 / duration.max(0.001)
        ),
        None => println!("  (no stored recording at {} to count frames in)", stored.display()),
    }

    // 5. Jobs the meeting ends.
    println!("jobs the meeting ends, fake Google Meet, {ENDING_ROUNDS} recorded jobs per scenario one at a time:");
    let left_after = EVERYONE_LEFT.as_secs();
    let endings = [
        (Scenario::LobbyDenied, "lobby denied: `denied` shown → terminal event:".to_owned(), "≤ 1000 ms"),
        (Scenario::Blocked, "\"You can't join this video call\": taken → terminal:".to_owned(), "≤ 5000 ms"),
        (Scenario::NotFound, "\"Check your meeting code\": job taken → terminal:".to_owned(), "≤ 5000 ms"),
        (Scenario::SignInRequired, "sign-in wall: job taken → terminal event:".to_owned(), "≤ 5000 ms"),
        (Scenario::EveryoneLeaves, format!("everyone left: alone + {left_after} s → `leave_clicked`:"), "≤ 500 ms"),
    ];
    for (scenario, label, goal) in endings {
        print_endings(scenario, &label, goal, &mut conn, &mut events, &worker, &fixtures).await;
    }

    drop(events);
    drop(worker);
    let _ = fs::remove_dir_all(binary.parent().expect("the worker's folder"));
    println!("bench took {:.0} s", bench_started.elapsed().as_secs_f64());
}
