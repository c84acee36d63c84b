//! The one worker harness of the benches: a `meetbot run` process with a config the bench writes,
//! in a folder of its own with its log, started once `GET /health` answers, signalled, and killed
//! when dropped. The meeting, fleet, intake and soak benches build their workers on it.
//!
//! The process-level tests keep their own harness (`tests/support`): it blocks (plain `#[test]`
//! functions), merges TOML overlays into a base config, retries a start that lost its API port,
//! and prints the log of a worker dropped during a panic. The benches wait inside a tokio runtime
//! whose other tasks (event subscriptions, stamped on arrival) must keep running meanwhile, so a
//! shared start would have to be blocking for one side or async for the other.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use super::{free_port, health, install_owner_only};

/// How long a worker may take to answer `GET /health` after it was spawned.
const START_WITHIN: Duration = Duration::from_secs(20);

/// Sends `sig` to `pid` (a negative pid: that process group); false when kill(2) failed.
pub fn signal(pid: i32, sig: i32) -> bool {
    // libc calls are unsafe; the workspace denies unsafe code, so it is allowed for this one.
    // SAFETY: kill(2) only sends a signal; no memory is touched.
    #[allow(unsafe_code)]
    let sent = unsafe { libc::kill(pid, sig) };
    sent == 0
}

/// Where a worker keeps its config, log and working files.
pub enum WorkDir {
    /// A temporary folder, removed with the worker.
    Temp(tempfile::TempDir),
    /// A folder the bench keeps (to read the log after the worker is gone).
    At(PathBuf),
}

impl WorkDir {
    /// A new temporary folder.
    pub fn temp() -> Self {
        Self::Temp(tempfile::tempdir().expect("temp dir"))
    }

    /// `path`, created if missing.
    pub fn at(path: PathBuf) -> Self {
        fs::create_dir_all(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        Self::At(path)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        match self {
            Self::Temp(dir) => dir.path(),
            Self::At(path) => path,
        }
    }
}

/// Links `plugin` into `folder/plugins/` and returns that folder, both writable by their owner
/// only: the worker refuses plugin folders and files other users can write, whatever the umask.
pub fn install_plugin(plugin: &Path, folder: &Path) -> PathBuf {
    let plugins = folder.join("plugins");
    fs::create_dir_all(&plugins).expect("create the plugin folder");
    fs::set_permissions(&plugins, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    install_owner_only(plugin, &plugins.join(plugin.file_name().expect("plugin file name")));
    plugins
}

/// A `meetbot run` process with its own config and folder; its stdout and stderr go to
/// `worker.log` there. Killed (and reaped) on drop if still running.
pub struct Worker {
    child: Child,
    exit: Option<ExitStatus>,
    dir: WorkDir,
    /// `api.listen`, `127.0.0.1:<free port>`.
    pub api: String,
}

impl Worker {
    /// Writes `config(api)` (the TOML for an API address on a free port) to `meetbot.toml` in
    /// `dir`, runs `binary run --config meetbot.toml` there with the bench's environment cleaned
    /// (see [`worker_command`]) plus `env`, and returns once `GET /health` answers; panics with the
    /// log's tail when the worker exits first or does not answer within 20 s.
    pub async fn start(
        binary: &Path,
        dir: WorkDir,
        config: impl FnOnce(&str) -> String,
        env: &[(&str, String)],
    ) -> Self {
        let api = format!("127.0.0.1:{}", free_port());
        let config_path = dir.path().join("meetbot.toml");
        fs::write(&config_path, config(&api)).expect("write config");
        let log = fs::File::create(dir.path().join("worker.log")).expect("create worker log");
        let child = worker_command(binary, &config_path, dir.path())
            .envs(env.iter().map(|(key, value)| (key, value)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let mut worker = Self { child, exit: None, dir, api };
        worker.wait_healthy().await;
        worker
    }

    async fn wait_healthy(&mut self) {
        let deadline = Instant::now() + START_WITHIN;
        loop {
            if let Some(status) = self.try_exit() {
                panic!("the worker exited during start-up ({status}); its log:\n{}", self.log_tail());
            }
            if health(&self.api) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "GET /health did not answer within {} s; log:\n{}",
                START_WITHIN.as_secs(),
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The worker's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The worker's folder (its current directory).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The worker's log file.
    pub fn log_path(&self) -> PathBuf {
        self.dir().join("worker.log")
    }

    /// The worker's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The last 40 lines of the worker's log.
    pub fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Sends `sig` (`libc::SIGSTOP`, ...); panics when kill(2) fails.
    pub fn signal(&self, sig: i32) {
        let pid = self.pid();
        assert!(signal(i32::try_from(pid).expect("pid fits i32"), sig), "kill -{sig} {pid}");
    }

    /// The exit status, once the worker has exited (and been reaped).
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            self.exit = self.child.try_wait().expect("wait for the worker");
        }
        self.exit
    }

    /// kill -9, and reaps the process.
    pub fn kill(&mut self) {
        if self.exit.is_none() {
            let _ = self.child.kill();
            self.exit = self.child.wait().ok();
        }
    }

    /// SIGTERM (graceful shutdown), and waits up to `within` for the worker to exit; kill -9 after
    /// that. The exit status when it exited by itself.
    pub async fn terminate(&mut self, within: Duration) -> Option<ExitStatus> {
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.try_exit() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.kill();
        None
    }

    /// [`Worker::terminate`] for where no runtime can wait (a `Drop`): blocks the thread meanwhile.
    pub fn terminate_blocking(&mut self, within: Duration) -> Option<ExitStatus> {
        if self.try_exit().is_some() {
            return self.exit;
        }
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.try_exit() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
        None
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `meetbot run --config <config>` in `dir`, without any variable of the bench's environment that
/// would change the worker's configuration (`MEETBOT*`, the original service's names, `RUST_LOG`).
pub fn worker_command(binary: &Path, config: &Path, dir: &Path) -> Command {
    let mut command = Command::new(binary);
    command.arg("run").arg("--config").arg(config).current_dir(dir);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        let legacy = ["REDIS_", "MAX_RECORDING_", "JOIN_WAIT_", "NOTIFY_WEBHOOK_"].iter().any(|p| key.starts_with(p));
        if key.starts_with("MEETBOT") || legacy || key == "PORT" || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    command
}
