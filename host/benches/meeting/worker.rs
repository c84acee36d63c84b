//! The worker under measure: the real `meetbot` binary with the Google Meet and Teams plugins, run
//! with a config whose Chromium reaches the fake meetings; what it logged and when, and the jobs the
//! bench gives it (queue messages and REST posts).

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use meetbot_fixtures::FixtureServer;

use crate::common::{self, WorkDir, private_folder, signal};
use crate::proc_tree::{stat, tree};
use crate::{CHROMIUM, WAIT};

/// `target/<profile>/meetbot` and the Google Meet and Teams plugins next to it, as hard links (or
/// copies) in a folder of their own, `target/<profile>/meetbot-bench-meeting/<pid>/`: a worker also
/// loads the plugins in its executable's folder, and from there it finds exactly these two.
pub fn worker_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current executable");
    let profile_dir = exe.parent().and_then(Path::parent).expect("bench executable lives in target/<profile>/deps");
    let profile = profile_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let flag = if profile == "release" { " --release" } else { "" };
    let binary = profile_dir.join("meetbot");
    let google = profile_dir.join("libmeetbot_plugin_google.so");
    let teams = profile_dir.join("libmeetbot_plugin_microsoft.so");
    for (file, what) in [(&binary, "the worker"), (&google, "the Google Meet plugin"), (&teams, "the Teams plugin")] {
        assert!(file.is_file(), "{} ({what}) is missing: run `cargo build --workspace{flag}` first", file.display());
    }
    private_folder(&profile_dir.join("meetbot-bench-meeting"), &[&binary, &google, &teams]).join("meetbot")
}

/// What a worker under measure records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recording {
    /// Nothing (`recording.enabled = false`): the floor of the recording cost, the call alone.
    Off,
    /// Picture and sound, the default.
    Video,
    /// Sound only (`recording.video = false`).
    SoundOnly,
}

impl Recording {
    /// The worker's id, `bench-meeting-<what it records>`.
    fn worker_id(self) -> &'static str {
        match self {
            Recording::Off => "bench-meeting-unrecorded",
            Recording::Video => "bench-meeting-video",
            Recording::SoundOnly => "bench-meeting-sound-only",
        }
    }

    /// The `[recording]` keys that say it.
    fn keys(self) -> &'static str {
        match self {
            Recording::Off => "enabled = false",
            Recording::Video => "enabled = true\nvideo = true",
            Recording::SoundOnly => "enabled = true\nvideo = false",
        }
    }
}

/// A running `meetbot run` with the Google Meet and Teams plugins, its own config and working
/// folder. It logs at `info`, plus the join path's steps (`meetbot::join` and the plugins' debug
/// lines, which is where the kit traces its steps) for [`crate::trace`].
pub struct Worker {
    process: common::Worker,
}

/// How a bench worker runs its calls.
pub struct Calls<'a> {
    /// What it records.
    pub recording: Recording,
    /// `worker.max_concurrent_jobs`.
    pub slots: usize,
    /// Switches after the defaults in `browser.args`.
    pub switches: &'a [String],
    /// `recording.page_frame_rate`.
    pub page_frame_rate: u32,
}

impl Worker {
    /// A worker that records what `recording` says, one job at a time, with the default switches.
    pub async fn start(
        binary: &Path,
        redis_port: u16,
        fixtures: &FixtureServer,
        max_call_secs: u64,
        recording: Recording,
    ) -> Self {
        let calls = Calls { recording, slots: 1, switches: &[], page_frame_rate: 0 };
        Self::start_with(binary, redis_port, fixtures, max_call_secs, calls).await
    }

    /// A worker that runs its calls as `calls` says.
    pub async fn start_with(
        binary: &Path,
        redis_port: u16,
        fixtures: &FixtureServer,
        max_call_secs: u64,
        Calls { recording, slots, switches, page_frame_rate }: Calls<'_>,
    ) -> Self {
        let dir = WorkDir::temp();
        let root = dir.path().to_owned();
        let path = |name: &str| toml::Value::String(root.join(name).display().to_string());
        let configured = std::env::var("MEETBOT_BENCH_BROWSER_ARGS").unwrap_or_default();
        let args = fixtures
            .chromium_args()
            .into_iter()
            .chain(configured.split_whitespace().map(str::to_owned))
            .chain(switches.iter().cloned());
        let args = toml::Value::Array(args.map(toml::Value::String).collect());
        let spare = std::env::var_os("MEETBOT_BENCH_SPARE").is_some();
        let config = |api: &str| {
            format!(
                "[worker]\nid = \"{id}\"\nmax_concurrent_jobs = {slots}\nheartbeat_ttl_secs = 15\n\
                 drain_timeout_secs = 2\n\n\
                 [api]\nlisten = \"{api}\"\n\n\
                 [redis]\nenabled = true\nurl = \"redis://127.0.0.1:{redis_port}\"\n\n\
                 [log]\nlevel = \"info,meetbot::join=debug,meetbot::plugin=debug\"\nformat = \"json\"\n\n\
                 [plugins]\ndirs = [{plugins}]\n\n\
                 [browser]\nexecutable = \"{CHROMIUM}\"\nargs = {args}\nspare = {spare}\n\n\
                 [recording]\n{keys}\nspool_dir = {spool}\npage_frame_rate = {page_frame_rate}\n\n\
                 [storage.local]\ndir = {storage}\n\n\
                 [auto_leave]\nwaiting_room_timeout_secs = 20\nno_one_joined_timeout_secs = 30\n\
                 everyone_left_timeout_secs = 5\nsilence_timeout_secs = {max_call_secs}\n\
                 silence_activate_after_secs = {max_call_secs}\nmax_duration_secs = {max_call_secs}\n",
                id = recording.worker_id(),
                keys = recording.keys(),
                plugins = path("plugins"),
                spool = path("spool"),
                storage = path("recordings"),
            )
        };
        Self { process: common::Worker::start(binary, dir, config, &[]).await }
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// `api.listen`.
    pub fn api(&self) -> &str {
        &self.process.api
    }

    /// The worker's folder (recordings are stored under `recordings/` there).
    pub fn dir(&self) -> &Path {
        self.process.dir()
    }

    pub fn log(&self) -> String {
        self.process.log()
    }

    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }

    /// When the worker logged `message` for `job_id` (a JSON line's own timestamp, ms since the
    /// epoch), the first such line not before `after_ms`; with the line's `status` field.
    pub fn logged(&self, job_id: &str, message: &str, after_ms: f64) -> Option<(f64, String)> {
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

    pub async fn wait_logged(&self, job_id: &str, message: &str, after_ms: f64) -> (f64, String) {
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
    pub async fn wait_no_children(&self) {
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
        let below: Vec<(u32, u64)> =
            tree(self.pid()).into_iter().skip(1).filter_map(|p| stat(p).map(|s| (p, s.start))).collect();
        self.process.terminate_blocking(Duration::from_secs(15));
        for (child, start) in below {
            if stat(child).is_some_and(|s| s.start == start) {
                signal(i32::try_from(child).expect("pid fits i32"), libc::SIGKILL);
            }
        }
    }
}

/// The queue message of a Meet job, with `autoLeave` overrides if any.
pub fn meet_job(bot_id: &str, url: &str, auto_leave: Option<serde_json::Value>) -> String {
    job("google", bot_id, url, auto_leave)
}

/// The queue message of a job for `provider`, with `autoLeave` overrides if any.
pub fn job(provider: &str, bot_id: &str, url: &str, auto_leave: Option<serde_json::Value>) -> String {
    let mut job = serde_json::json!({
        "url": url,
        "provider": provider,
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

/// POSTs a job to a worker's `/v1/jobs`; panics unless it is accepted.
pub fn post_job(api: &str, job: &str) {
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
