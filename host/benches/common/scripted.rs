//! The real `meetbot` binary run with the scripted no-op test plugin against a private Redis: the
//! worker the intake, soak and fleet benches measure.

use std::path::{Path, PathBuf};

use super::worker::{WorkDir, Worker, install_plugin};

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

/// Starts worker `bench-1` with `slots` slots, consuming the queue of the Redis on `redis_port`,
/// with the plugin installed in a folder of its own; `env` adds `MEETBOT__…` overrides. Returns
/// once `GET /health` answers.
pub async fn scripted_worker(
    binary: &Path,
    plugin: &Path,
    redis_port: u16,
    slots: usize,
    env: &[(&str, String)],
) -> Worker {
    let dir = WorkDir::temp();
    let plugins = install_plugin(plugin, dir.path());
    let config = |api: &str| {
        format!(
            "[worker]\nid = \"bench-1\"\nmax_concurrent_jobs = {slots}\nheartbeat_ttl_secs = 15\n\n\
             [api]\nlisten = \"{api}\"\n\n\
             [redis]\nenabled = true\nurl = \"redis://127.0.0.1:{redis_port}\"\n\n\
             [plugins]\ndirs = [\"{}\"]\n\n\
             [log]\nlevel = \"warn\"\n",
            plugins.display()
        )
    };
    Worker::start(binary, dir, config, env).await
}
