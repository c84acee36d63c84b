//! Browser tests against the fake Google Meet of `meetbot-fixtures`: one fixture server per test
//! binary, the Google Meet plugin in a folder of its own (the harness's binary folder holds only
//! the test plugins), a worker whose Chromium reaches the fake platform, and Meet job messages.

use std::{
    path::{Path, PathBuf},
    sync::{LazyLock, Mutex, MutexGuard},
    time::Duration,
};

use meetbot_fixtures::FixtureServer;
use serde_json::{Value, json};

use super::{RT, RedisServer, Worker, bin};

/// The fake meeting platforms, for the whole test binary (meeting ids are unique per test).
pub static FIXTURES: LazyLock<FixtureServer> =
    LazyLock::new(|| FixtureServer::start_on(0).expect("start the fake meeting platforms"));

/// Each browser test runs one Chromium and two cores are shared: the tests take turns.
static ONE_BROWSER_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Waits for this test's turn with the browser.
pub fn turn() -> MutexGuard<'static, ()> {
    ONE_BROWSER_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A folder holding only the Google Meet plugin (a link to the one built next to `meetbot`).
pub fn google_plugin_dir() -> &'static Path {
    static DIR: LazyLock<PathBuf> = LazyLock::new(|| {
        let built = bin().parent().expect("binary folder").join("libmeetbot_plugin_google.so");
        assert!(
            built.is_file(),
            "{} is missing: build it first with `cargo build --workspace` (crate plugins/google)",
            built.display()
        );
        let root = built.parent().expect("binary folder").join("meetbot-it-google-rec");
        // Folders of earlier test processes that are gone.
        for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            let pid = entry.file_name().to_string_lossy().parse::<u32>().ok();
            if pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let dir = root.join(std::process::id().to_string());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the plugin folder");
        let link = dir.join("libmeetbot_plugin_google.so");
        if std::fs::hard_link(&built, &link).is_err() {
            std::fs::copy(&built, &link).unwrap_or_else(|e| panic!("copy {}: {e}", built.display()));
        }
        dir
    });
    &DIR
}

/// A worker that runs Google Meet jobs in real Chromium against the fake platform, with `extra`
/// TOML on top (e.g. `[recording]` and `[storage]` sections).
pub fn meet_worker(redis: &RedisServer, extra: &str) -> Worker {
    let plugins = toml::Value::Array(vec![toml::Value::String(google_plugin_dir().display().to_string())]);
    let args = toml::Value::Array(FIXTURES.chromium_args().into_iter().map(toml::Value::String).collect());
    let mut config: toml::Table = format!(
        "[plugins]\ndirs = {plugins}\n\
         [browser]\nexecutable = \"/usr/bin/chromium\"\nargs = {args}\n\
         [auto_leave]\nwaiting_room_timeout_secs = 20\n"
    )
    .parse()
    .expect("meet worker config");
    let extra: toml::Table = extra.parse().unwrap_or_else(|e| panic!("test config is not TOML ({e}):\n{extra}"));
    for (section, values) in extra {
        match (config.get_mut(&section), values) {
            (Some(toml::Value::Table(base)), toml::Value::Table(values)) => base.extend(values),
            (_, values) => {
                config.insert(section, values);
            }
        }
    }
    Worker::start(redis, &toml::to_string(&config).expect("config as TOML"))
}

/// The queue message of a Meet job, with `autoLeave` overrides when given.
pub fn meet_job(bot_id: &str, url: &str, auto_leave: Option<Value>) -> String {
    let mut job = json!({
        "url": url,
        "provider": "google",
        "name": "Recorder Bot",
        "teamId": "team-1",
        "userId": "user-1",
        "bearerToken": "tok-test",
        "timezone": "Europe/Berlin",
        "botId": bot_id,
    });
    if let Some(auto_leave) = auto_leave {
        job["autoLeave"] = auto_leave;
    }
    job.to_string()
}

/// Waits until the meeting logged an action of `kind`.
pub fn wait_action(
    meeting_id: &str,
    kind: meetbot_fixtures::ActionKind,
    timeout: Duration,
) -> meetbot_fixtures::Action {
    RT.block_on(FIXTURES.wait_for_action(meeting_id, kind, timeout)).unwrap_or_else(|e| panic!("{e}"))
}
