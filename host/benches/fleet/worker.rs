//! One `meetbot run` process of the fleet: its worker id, its own JSON log file (read afterwards
//! for the runs it made), and what the bench did to it (killed, paused), with wall-clock times the
//! run check compares against the log's timestamps.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};

use crate::common::{ChildGuard, free_port, health};

/// What the bench needs to start a worker process.
pub struct Launch<'a> {
    pub binary: &'a Path,
    pub plugin: &'a Path,
    pub redis_url: &'a str,
    pub slots: usize,
    pub heartbeat_ttl_secs: u64,
    pub root: &'a Path,
}

/// A worker process, running or ended.
pub struct Process {
    pub worker_id: String,
    pub log: PathBuf,
    /// When the bench killed it (kill -9) or it exited after SIGTERM; its runs without an end in
    /// the log ended then.
    pub ended_at: Option<DateTime<Utc>>,
    /// The spans it was cut off from Redis (paused by SIGSTOP, or Redis down), from the moment it
    /// was cut off to the moment it could reach Redis again: a run it had then may overlap a
    /// peer's for up to the heartbeat TTL after that (the time it takes to learn it lost the job,
    /// docs/REFERENCE.md section 6).
    pub cut_off: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    guard: Option<ChildGuard>,
}

impl Process {
    /// Starts `worker_id` (the n-th process of that id when it was started before) and waits for
    /// `GET /health`.
    pub async fn start(launch: &Launch<'_>, worker_id: &str, incarnation: usize) -> Self {
        let dir = launch.root.join(format!("{worker_id}.{incarnation}"));
        let plugins = dir.join("plugins");
        fs::create_dir_all(&plugins).expect("create the plugin folder");
        let installed = plugins.join(launch.plugin.file_name().expect("plugin file name"));
        fs::copy(launch.plugin, &installed).unwrap_or_else(|e| panic!("copy {}: {e}", launch.plugin.display()));
        // The worker refuses plugin folders and files other users can write, whatever the umask.
        for path in [&plugins, &installed] {
            fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
        }
        let api = format!("127.0.0.1:{}", free_port());
        let config = format!(
            "[worker]\nid = \"{worker_id}\"\nmax_concurrent_jobs = {slots}\nheartbeat_ttl_secs = {ttl}\n\
             drain_timeout_secs = 0\n\n\
             [api]\nlisten = \"{api}\"\n\n\
             [redis]\nenabled = true\nurl = \"{url}\"\n\n\
             [plugins]\ndirs = [\"{plugins}\"]\n\n\
             [recording]\nspool_dir = \"{spool}\"\n\n\
             [log]\nlevel = \"info\"\nformat = \"json\"\n",
            slots = launch.slots,
            ttl = launch.heartbeat_ttl_secs,
            url = launch.redis_url,
            plugins = plugins.display(),
            spool = launch.root.join("spool").display(),
        );
        let config_path = dir.join("meetbot.toml");
        fs::write(&config_path, config).expect("write config");
        let log = dir.join("worker.log");
        let mut command = Command::new(launch.binary);
        command.arg("run").arg("--config").arg(&config_path).current_dir(&dir).env_clear();
        command.env("PATH", std::env::var_os("PATH").unwrap_or_default());
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).expect("create worker log"))
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", launch.binary.display()));
        let process = Self {
            worker_id: worker_id.to_owned(),
            log,
            ended_at: None,
            cut_off: Vec::new(),
            guard: Some(ChildGuard { child }),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !health(&api) {
            assert!(
                Instant::now() < deadline,
                "{worker_id} did not answer /health within 20 s; see {}",
                process.log.display()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        process
    }

    fn pid(&self) -> u32 {
        self.guard.as_ref().expect("a running process").child.id()
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill").arg(format!("-{name}")).arg(self.pid().to_string()).status().expect("kill");
        assert!(status.success(), "kill -{name} {}", self.pid());
    }

    /// kill -9.
    pub fn kill(&mut self) {
        self.signal("KILL");
        self.reap();
    }

    /// SIGSTOP for `pause`, then SIGCONT.
    pub async fn pause(&mut self, pause: Duration) {
        let stopped = Utc::now();
        self.signal("STOP");
        tokio::time::sleep(pause).await;
        self.signal("CONT");
        self.cut_off.push((stopped, Utc::now()));
    }

    /// SIGTERM, and waits for the process to exit (graceful shutdown); true when it exited 0.
    pub async fn terminate(&mut self, within: Duration) -> bool {
        self.signal("TERM");
        let deadline = Instant::now() + within;
        loop {
            let guard = self.guard.as_mut().expect("a running process");
            if let Some(status) = guard.child.try_wait().expect("wait for the worker") {
                self.ended_at = Some(Utc::now());
                self.guard = None;
                return status.success();
            }
            if Instant::now() > deadline {
                self.kill();
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn reap(&mut self) {
        if let Some(mut guard) = self.guard.take() {
            let _ = guard.child.wait();
            self.ended_at = Some(Utc::now());
        }
    }

    pub fn running(&self) -> bool {
        self.guard.is_some()
    }
}
