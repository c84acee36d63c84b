//! Browser tests against the fake meeting platforms of `meetbot-fixtures`, for any platform plugin:
//! one fixture server per test binary, tests taking turns with the browser, the platform's plugin
//! in a folder of its own (the harness's binary folder holds only the test plugins), a worker whose
//! Chromium reaches the fake platform (or all of them, for a fleet whose workers take any meeting),
//! job messages for the platform's provider, and helpers to read the fake meeting's action log.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{LazyLock, Mutex, MutexGuard, OnceLock},
    time::Duration,
};

use meetbot_fixtures::{Action, ActionKind, FixtureServer, MeetingLink};
use serde_json::{Value, json};

use super::{RT, RedisServer, Worker, bin, private_bin::private_folder, wait_for_end};

/// The fake meeting platforms, for the whole test binary (meeting ids are unique per test).
pub static FIXTURES: LazyLock<FixtureServer> =
    LazyLock::new(|| FixtureServer::start_on(0).expect("start the fake meeting platforms"));

/// Each browser test runs one Chromium and two cores are shared: the tests take turns.
static ONE_BROWSER_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Waits for this test's turn with the browser.
pub fn turn() -> MutexGuard<'static, ()> {
    ONE_BROWSER_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Google Meet (`plugins/google`).
pub static GOOGLE: Platform = Platform::new("google", "libmeetbot_plugin_google.so");
/// Microsoft Teams (`plugins/microsoft`).
pub static MICROSOFT: Platform = Platform::new("microsoft", "libmeetbot_plugin_microsoft.so");
/// Zoom (`plugins/zoom`).
pub static ZOOM: Platform = Platform::new("zoom", "libmeetbot_plugin_zoom.so");

/// One meeting platform: the `provider` of its jobs and the file name of its plugin library.
pub struct Platform {
    provider: &'static str,
    library: &'static str,
    dir: OnceLock<PathBuf>,
}

impl Platform {
    pub const fn new(provider: &'static str, library: &'static str) -> Platform {
        Platform { provider, library, dir: OnceLock::new() }
    }

    /// The jobs' `provider`.
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// A folder holding only this platform's plugin (a link to the one built next to `meetbot`),
    /// for `plugins.dirs`.
    pub fn plugin_dir(&'static self) -> &'static Path {
        self.dir.get_or_init(|| {
            let built = bin().parent().expect("binary folder").join(self.library);
            assert!(
                built.is_file(),
                "{} is missing: build it first with `cargo build --workspace` (crate plugins/{})",
                built.display(),
                self.provider
            );
            let root = built.parent().expect("binary folder").join(format!("meetbot-it-{}", self.provider));
            private_folder(&root, &[&built])
        })
    }

    /// A worker that runs this platform's jobs in real Chromium against the fake platform, with
    /// `extra` TOML on top (its sections are merged into the base ones).
    pub fn worker(&'static self, redis: &RedisServer, extra: &str) -> Worker {
        self.worker_wrapped(redis, extra, &[])
    }

    /// As [`Platform::worker`], started through `wrapper` (see [`Worker::start_wrapped`]).
    pub fn worker_wrapped(&'static self, redis: &RedisServer, extra: &str, wrapper: &[String]) -> Worker {
        start_worker(&[self], redis, extra, wrapper)
    }

    /// A worker for session tests: one job at a time, not recording, with extra `[auto_leave]`
    /// lines.
    pub fn session_worker(&'static self, redis: &RedisServer, auto_leave: &str) -> Worker {
        self.worker(
            redis,
            &format!("[worker]\nmax_concurrent_jobs = 1\n[recording]\nenabled = false\n[auto_leave]\n{auto_leave}\n"),
        )
    }

    /// The queue message of a job for this platform, with `autoLeave` overrides when given.
    pub fn job(&self, name: &str, bot_id: &str, url: &str, auto_leave: Option<Value>) -> String {
        let mut job = json!({
            "url": url,
            "provider": self.provider,
            "name": name,
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
}

/// A worker that runs the jobs of every platform in `platforms` (their plugins in `plugins.dirs`) in
/// real Chromium against the fake platforms, with `extra` TOML on top, as [`Platform::worker`]: for
/// fleets whose workers each take any meeting.
pub fn worker_for(platforms: &[&'static Platform], redis: &RedisServer, extra: &str) -> Worker {
    start_worker(platforms, redis, extra, &[])
}

fn start_worker(platforms: &[&'static Platform], redis: &RedisServer, extra: &str, wrapper: &[String]) -> Worker {
    let plugins = toml::Value::Array(
        platforms.iter().map(|platform| toml::Value::String(platform.plugin_dir().display().to_string())).collect(),
    );
    let args = toml::Value::Array(FIXTURES.chromium_args().into_iter().map(toml::Value::String).collect());
    let mut config: toml::Table = format!(
        "[plugins]\ndirs = {plugins}\n\
         [browser]\nexecutable = \"/usr/bin/chromium\"\nargs = {args}\n\
         [auto_leave]\nwaiting_room_timeout_secs = 20\n"
    )
    .parse()
    .expect("platform worker config");
    let extra: toml::Table = extra.parse().unwrap_or_else(|e| panic!("test config is not TOML ({e}):\n{extra}"));
    for (section, values) in extra {
        match (config.get_mut(&section), values) {
            (Some(toml::Value::Table(base)), toml::Value::Table(values)) => base.extend(values),
            (_, values) => {
                config.insert(section, values);
            }
        }
    }
    Worker::start_wrapped(redis, &toml::to_string(&config).expect("config as TOML"), wrapper)
}

/// The bot of a session test file: its platform and the display name it joins with.
pub struct Bot {
    pub platform: &'static Platform,
    pub name: &'static str,
}

impl Bot {
    /// A session worker (one job at a time, not recording) for the bot's platform.
    pub fn worker(&self, redis: &RedisServer) -> Worker {
        self.platform.session_worker(redis, "")
    }

    /// The queue message of the bot's job, with `autoLeave` overrides when given.
    pub fn job(&self, bot_id: &str, url: &str, auto_leave: Option<Value>) -> String {
        self.platform.job(self.name, bot_id, url, auto_leave)
    }
}

/// One scenario run through the queue to its end. The worker stays alive while the test checks
/// the result, so a failed check prints its log.
pub struct Finished<R = HashMap<String, String>> {
    pub link: MeetingLink,
    pub record: R,
    pub worker: Worker,
    pub redis: RedisServer,
    pub turn: MutexGuard<'static, ()>,
}

impl Finished {
    /// Waits for this test's turn, starts Redis and a worker, pushes the job for `link` and waits
    /// for the job's terminal record.
    pub fn run(
        link: MeetingLink,
        bot_id: &str,
        job: impl FnOnce(&str) -> String,
        worker: impl FnOnce(&RedisServer) -> Worker,
        timeout: Duration,
    ) -> Finished {
        let (turn, redis, worker) = start(worker);
        redis.push(&job(&link.url));
        let record = wait_for_end(&redis, bot_id, timeout);
        Finished { link, record, worker, redis, turn }
    }
}

impl<R> Finished<R> {
    /// The same run with the record in another form.
    pub fn map_record<S>(self, f: impl FnOnce(R) -> S) -> Finished<S> {
        let Finished { link, record, worker, redis, turn } = self;
        Finished { link, record: f(record), worker, redis, turn }
    }
}

/// Generous bound for one job; every scenario ends within a few seconds of its scripted event.
pub const JOB_TIMEOUT: Duration = Duration::from_secs(40);

/// A meeting of the fake platforms, by its id or its link.
pub trait Meeting {
    fn meeting_id(&self) -> &str;
}

impl Meeting for str {
    fn meeting_id(&self) -> &str {
        self
    }
}

impl Meeting for String {
    fn meeting_id(&self) -> &str {
        self
    }
}

impl Meeting for MeetingLink {
    fn meeting_id(&self) -> &str {
        &self.id
    }
}

/// Waits for this test's turn, then starts Redis and a worker (dropped in reverse order).
pub fn start(worker: impl FnOnce(&RedisServer) -> Worker) -> (MutexGuard<'static, ()>, RedisServer, Worker) {
    let turn = turn();
    let redis = RedisServer::start();
    let worker = worker(&redis);
    (turn, redis, worker)
}

/// Waits until the meeting logged an action of `kind` (the page reports asynchronously).
pub fn wait_action(meeting: &(impl Meeting + ?Sized), kind: ActionKind, timeout: Duration) -> Action {
    RT.block_on(FIXTURES.wait_for_action(meeting.meeting_id(), kind, timeout)).unwrap_or_else(|e| panic!("{e}"))
}

/// The kinds of `actions`, in order.
pub fn kinds(actions: &[Action]) -> Vec<ActionKind> {
    actions.iter().map(|a| a.kind).collect()
}

/// Whether `actions` hold one of `kind`.
pub fn has(actions: &[Action], kind: ActionKind) -> bool {
    actions.iter().any(|a| a.kind == kind)
}

/// The name arrived exactly as given, and the bot asked to join with camera and microphone off.
pub fn assert_joined_as(meeting: &(impl Meeting + ?Sized), name: &str) {
    let meeting_id = meeting.meeting_id();
    let typed = wait_action(meeting_id, ActionKind::NameTyped, Duration::from_secs(5));
    assert_eq!(typed.text.as_deref(), Some(name), "the name field's final value");
    let asked = wait_action(meeting_id, ActionKind::JoinAsked, Duration::from_secs(5));
    assert_eq!(asked.text.as_deref(), Some(name), "the name the join request carried");
    assert_eq!(asked.camera, Some(false), "camera must be off when asking to join: {asked:?}");
    assert_eq!(asked.mic, Some(false), "microphone must be off when asking to join: {asked:?}");
}

/// The bot never clicked Leave in this meeting.
pub fn assert_no_leave_click(meeting: &(impl Meeting + ?Sized)) {
    let actions = FIXTURES.actions(meeting.meeting_id());
    assert!(!has(&actions, ActionKind::LeaveClicked), "the bot must not click Leave here: {:?}", kinds(&actions));
}
