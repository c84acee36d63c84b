//! The real `meetbot` binary run with the scripted no-op test plugin against a private Redis: what
//! the intake and soak benches measure.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use super::{ChildGuard, free_port, health};

/// `target/<profile>/meetbot`, next to this bench executable (`target/<profile>/deps/<bench>-…`),
/// and the scripted test plugin in `target/<profile>/examples/`.
pub fn worker_binary() -> (PathBuf, PathBuf) {
    let exe = std::env::current_exe().expect("current executable");
    let profile_dir = exe.parent().and_then(Path::parent).expect("bench executable lives in target/<profile>/deps");
    let profile = profile_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let flag = if profile == "release" { " --release" } else { "" };
    let binary = profile_dir.join("meetbot");
    let plugin = profile_dir.join("examples").join("libmeetbot_plugin_scripted.so");
    assert!(binary.is_file(), "{} is missing: run `cargo build --workspace{flag}` first", binary.display());
    assert!(
        plugin.is_file(),
        "{} is missing (the scripted test plugin): run `cargo build{flag} -p meetbot-test-plugins --examples` first",
        plugin.display()
    );
    (binary, plugin)
}

/// A running `meetbot run` with its own config and working folder (its log is `worker.log` there).
pub struct Worker {
    pub guard: ChildGuard,
    pub dir: tempfile::TempDir,
    pub api: String,
}

impl Worker {
    /// Starts worker `bench-1` with `slots` slots, consuming the queue of the Redis on `redis_port`,
    /// with the plugin installed in a folder of its own; `env` adds `MEETBOT__…` overrides. Returns
    /// once `GET /health` answers.
    pub async fn start(binary: &Path, plugin: &Path, redis_port: u16, slots: usize, env: &[(&str, String)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let api = format!("127.0.0.1:{}", free_port());
        // The worker refuses plugin folders and files other users can write, whatever the umask.
        let plugins = dir.path().join("plugins");
        fs::create_dir(&plugins).expect("create the plugin folder");
        let installed = plugins.join(plugin.file_name().expect("plugin file name"));
        fs::copy(plugin, &installed).unwrap_or_else(|e| panic!("copy {}: {e}", plugin.display()));
        for path in [&plugins, &installed] {
            fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
        }
        let config = format!(
            "[worker]\nid = \"bench-1\"\nmax_concurrent_jobs = {slots}\nheartbeat_ttl_secs = 15\n\n\
             [api]\nlisten = \"{api}\"\n\n\
             [redis]\nenabled = true\nurl = \"redis://127.0.0.1:{redis_port}\"\n\n\
             [plugins]\ndirs = [\"{}\"]\n\n\
             [log]\nlevel = \"warn\"\n",
            plugins.display()
        );
        let config_path = dir.path().join("meetbot.toml");
        fs::write(&config_path, config).expect("write config");
        let log = fs::File::create(dir.path().join("worker.log")).expect("create worker log");
        let mut command = worker_command(binary, &config_path, dir.path());
        command.envs(env.iter().map(|(key, value)| (key, value)));
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let mut worker = Self { guard: ChildGuard { child }, dir, api };
        worker.wait_healthy().await;
        worker
    }

    /// The worker's process id.
    pub fn pid(&self) -> u32 {
        self.guard.child.id()
    }

    async fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.guard.child.try_wait() {
                panic!("the worker exited during start-up ({status}); its log:\n{}", self.log_tail());
            }
            if health(&self.api) {
                return;
            }
            assert!(Instant::now() < deadline, "GET /health did not answer within 20 s; log:\n{}", self.log_tail());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The worker's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("worker.log")).unwrap_or_default()
    }

    /// The last 40 lines of the worker's log.
    pub fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
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
