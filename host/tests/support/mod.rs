//! The harness of the process-level tests: a private `redis-server` per test, `meetbot` worker
//! processes with a generated config and a captured log, blocking HTTP and Redis helpers, and job
//! builders for the `script` test plugin.
//!
//! Every test starts its own Redis on a free port (never the system one on 6379) and its own
//! workers on free API ports, so tests run in parallel. Workers run a link of the binary in a
//! folder holding only the test plugins (see [`test_bin`]), so no real platform plugin (and no
//! Chromium) is ever involved. Child processes are killed on drop; a worker dropped while its test
//! panics prints its log, so a failure shows what the worker did.
//!
//! Submodules for the recording, storage and webhook tests: [`webhook`] (a receiver that records and
//! answers deliveries), [`s3`] (a `moto_server` from `tests/.venv`), [`media`] (what ffprobe and
//! ffmpeg say about a recording) and [`meet`] (workers with the Google Meet plugin and real Chromium
//! against the fake Google Meet: the one place the harness involves a browser), and [`redis_tls`]
//! (Redis with TLS from a private CA the test makes, and ACL users), and [`redis_ha`] (Sentinel and
//! Cluster deployments on local ports). [`private_bin`] (the binary's folder of its own) is shared
//! with the benches.

#![allow(dead_code)] // each test binary uses a part of the harness

pub mod events;
pub mod media;
pub mod meet;
pub mod platform;
pub mod private_bin;
pub mod redis_ha;
pub mod redis_tls;
pub mod s3;
pub mod webhook;

use std::{
    collections::HashMap,
    fs::File,
    io::Write as _,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{
        LazyLock, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tempfile::TempDir;

#[allow(unused_imports)] // re-exported for the tests that use it (not every test binary does)
pub use private_bin::install_owner_only;
use private_bin::private_folder;

/// The default queue (`redis.queue`).
pub const QUEUE: &str = "jobs:meetbot:list";
/// The default dead-letter list.
pub const DEAD: &str = "jobs:meetbot:list:dead";
/// The default results list (`notify.redis_results_list`).
pub const RESULTS: &str = "jobs:meetbot:recordings";
/// The default failures list (`notify.redis_failures_list`).
pub const FAILURES: &str = "jobs:meetbot:failures";
/// The default schedule.
pub const SCHEDULED: &str = "meetbot:scheduled";
/// The default events channel.
pub const EVENTS: &str = "meetbot:events";
/// The default durable event stream.
pub const EVENT_STREAM: &str = "meetbot:events:stream";

/// `Q:processing:<worker>`.
pub fn processing(worker_id: &str) -> String {
    format!("{QUEUE}:processing:{worker_id}")
}

/// `P:job:<id>`.
pub fn job_key(job_id: &str) -> String {
    format!("meetbot:job:{job_id}")
}

/// `P:worker:<id>`.
pub fn heartbeat_key(worker_id: &str) -> String {
    format!("meetbot:worker:{worker_id}")
}

/// The `meetbot` binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_meetbot"))
}

/// The file names of the test plugins (examples of `tests/plugins`), which must never lie next to
/// a `meetbot` binary.
pub const TEST_PLUGIN_FILES: [&str; 2] = ["libmeetbot_plugin_scripted.so", "libmeetbot_plugin_incompatible.so"];

/// A test plugin: an example of `tests/plugins`, in `target/<profile>/examples/` (never next to
/// the binary); panics with a clear message when it was not built.
fn test_plugin(file: &str) -> PathBuf {
    let path = bin().parent().expect("binary folder").join("examples").join(file);
    assert!(
        path.is_file(),
        "{} is missing: the test plugins are examples of `tests/plugins`, built by `cargo test --workspace` \
         or `cargo build -p meetbot-test-plugins --examples`",
        path.display()
    );
    path
}

/// The scripted test plugin (`tests/plugins/scripted.rs`).
pub fn scripted_so() -> PathBuf {
    test_plugin(TEST_PLUGIN_FILES[0])
}

/// The incompatible test plugin (`tests/plugins/incompatible.rs`).
pub fn incompatible_so() -> PathBuf {
    test_plugin(TEST_PLUGIN_FILES[1])
}

/// The binary the tests run: a hard link (or copy) of `meetbot` in a folder of its own, next to
/// links of the scripted and the incompatible test plugins only. A worker also scans the folder of
/// its executable for plugins, and the real platform plugins (google, zoom, ...) are built next to
/// `meetbot`: run from there, a test worker would load them and could start real Chromium
/// sessions. From its own folder it loads exactly the test plugins, whatever else is built.
pub fn test_bin() -> PathBuf {
    static BIN: LazyLock<PathBuf> = LazyLock::new(|| {
        let (real, scripted, incompatible) = (bin(), scripted_so(), incompatible_so());
        let root = real.parent().expect("binary folder").join("meetbot-it");
        private_folder(&root, &[&real, &scripted, &incompatible]).join(real.file_name().expect("binary name"))
    });
    BIN.clone()
}

/// A TCP port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}

/// Polls `done` every 50 ms until it is true; panics with `what` after `timeout`.
pub fn wait_until(timeout: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return;
        }
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for: {what}");
        thread::sleep(Duration::from_millis(50));
    }
}

/// The tail of a text, for failure messages.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

// ---------------------------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------------------------

/// A private `redis-server` on a free port, without persistence.
pub struct RedisServer {
    /// Its port.
    pub port: u16,
    password: Option<String>,
    child: Option<Child>,
    dir: TempDir,
    conn: Mutex<Option<redis::Connection>>,
}

impl RedisServer {
    /// Starts a server on a free port and waits until it answers PING.
    pub fn start() -> Self {
        Self::start_inner(None)
    }

    /// Starts a server that requires `password` (`--requirepass`); [`RedisServer::url`] carries it.
    pub fn start_with_password(password: &str) -> Self {
        Self::start_inner(Some(password.to_owned()))
    }

    fn start_inner(password: Option<String>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut server = RedisServer { port: 0, password, child: None, dir, conn: Mutex::new(None) };
        for _ in 0..5 {
            server.port = free_port();
            if server.spawn() {
                return server;
            }
        }
        panic!("could not start redis-server on a free port (is /usr/bin/redis-server installed?)");
    }

    /// Starts a server on `port` (e.g. one a worker was told to use before it existed).
    pub fn start_on(port: u16) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut server = RedisServer { port, password: None, child: None, dir, conn: Mutex::new(None) };
        assert!(server.spawn(), "could not start redis-server on port {port}");
        server
    }

    /// Spawns redis-server on `self.port`; true once it answers.
    fn spawn(&mut self) -> bool {
        let log = File::create(self.dir.path().join("redis.log")).expect("redis log");
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string(), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(self.dir.path());
        if let Some(password) = &self.password {
            command.args(["--requirepass", password]);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn redis-server (is it installed?)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(Ok(Some(_))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return false; // port taken in the meantime, most likely
            }
            if self.ping() {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        false
    }

    fn ping(&self) -> bool {
        let Ok(client) = redis::Client::open(self.url()) else { return false };
        let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_millis(500)) else { return false };
        redis::cmd("PING").query::<String>(&mut conn).is_ok()
    }

    /// `redis://127.0.0.1:<port>`, with `:password@` when the server requires one.
    pub fn url(&self) -> String {
        match &self.password {
            Some(password) => format!("redis://:{password}@127.0.0.1:{}", self.port),
            None => format!("redis://127.0.0.1:{}", self.port),
        }
    }

    /// A fresh connection.
    pub fn conn(&self) -> redis::Connection {
        let client = redis::Client::open(self.url()).expect("redis url");
        let conn = client.get_connection_with_timeout(Duration::from_secs(5)).expect("connect to the test redis");
        conn.set_read_timeout(Some(Duration::from_secs(10))).expect("read timeout");
        conn
    }

    /// Runs a command on a cached connection (reopened after an error).
    pub fn try_query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> redis::RedisResult<T> {
        let mut cached = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if cached.is_none() {
            let client = redis::Client::open(self.url())?;
            let conn = client.get_connection_with_timeout(Duration::from_secs(2))?;
            conn.set_read_timeout(Some(Duration::from_secs(10)))?;
            *cached = Some(conn);
        }
        let result = cmd.query(cached.as_mut().expect("connection"));
        if result.is_err() {
            *cached = None;
        }
        result
    }

    /// Runs a command; panics on error.
    pub fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> T {
        self.try_query(cmd).unwrap_or_else(|e| panic!("redis command failed: {e}"))
    }

    /// The durable event stream `meetbot:events:stream` as (job_id, state, event) in order: unlike
    /// the pub/sub channel, nothing published is missed by a reader that comes late or falls behind.
    pub fn event_stream(&self) -> Vec<(String, String, Value)> {
        let entries: Vec<(String, Vec<(String, String)>)> =
            self.query(redis::cmd("XRANGE").arg(EVENT_STREAM).arg("-").arg("+"));
        entries
            .into_iter()
            .map(|(_, fields)| {
                let field =
                    |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
                let event = serde_json::from_str(&field("event")).expect("each entry's event is JSON");
                (field("job_id"), field("state"), event)
            })
            .collect()
    }

    /// RPUSH of one message onto `list`.
    pub fn rpush(&self, list: &str, message: &str) {
        let _: i64 = self.query(redis::cmd("RPUSH").arg(list).arg(message));
    }

    /// RPUSH onto the default queue, as a client does.
    pub fn push(&self, message: &str) {
        self.rpush(QUEUE, message);
    }

    /// The whole list.
    pub fn lrange(&self, list: &str) -> Vec<String> {
        self.query(redis::cmd("LRANGE").arg(list).arg(0).arg(-1))
    }

    /// Its length.
    pub fn llen(&self, list: &str) -> usize {
        self.query(redis::cmd("LLEN").arg(list))
    }

    /// Whether the key exists.
    pub fn exists(&self, key: &str) -> bool {
        self.query::<i64>(redis::cmd("EXISTS").arg(key)) == 1
    }

    /// Every key.
    pub fn keys(&self) -> Vec<String> {
        self.query(redis::cmd("KEYS").arg("*"))
    }

    /// A job's record (empty when there is none).
    pub fn job(&self, job_id: &str) -> HashMap<String, String> {
        self.query(redis::cmd("HGETALL").arg(job_key(job_id)))
    }

    /// The results list, parsed.
    pub fn results(&self) -> Vec<Value> {
        self.lrange(RESULTS).iter().map(|r| serde_json::from_str(r).expect("results entry is JSON")).collect()
    }

    /// The failures list, parsed.
    pub fn failures(&self) -> Vec<Value> {
        self.lrange(FAILURES).iter().map(|r| serde_json::from_str(r).expect("failures entry is JSON")).collect()
    }

    /// The dead-letter list, parsed.
    pub fn dead(&self) -> Vec<Value> {
        self.lrange(DEAD).iter().map(|r| serde_json::from_str(r).expect("dead-letter entry is JSON")).collect()
    }

    /// Every `Q:processing:*` list with its length.
    pub fn processing_lists(&self) -> Vec<(String, usize)> {
        let keys: Vec<String> = self.query(redis::cmd("KEYS").arg(format!("{QUEUE}:processing:*")));
        keys.into_iter().map(|k| (k.clone(), self.llen(&k))).collect()
    }

    /// How many job records are in a running state, counted atomically inside Redis.
    pub fn running_records(&self) -> i64 {
        let script = redis::Script::new(
            r"local n = 0
              for _, k in ipairs(redis.call('KEYS', 'meetbot:job:*')) do
                local s = redis.call('HGET', k, 'state')
                if s == 'joining' or s == 'waiting_room' or s == 'in_call' or s == 'leaving' or s == 'finalizing' then
                  n = n + 1
                end
              end
              return n",
        );
        let mut cached = self.conn();
        script.invoke(&mut cached).expect("count running records")
    }

    /// kill -9 of the server.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        *self.conn.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Starts the server again on the same port (empty: no persistence).
    pub fn restart(&mut self) {
        self.kill9();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.spawn() {
            assert!(Instant::now() < deadline, "redis-server did not come back on port {}", self.port);
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits until the job's record satisfies `done`; returns it. Panics with the last record seen.
pub fn wait_for_record(
    redis: &RedisServer,
    job_id: &str,
    done: impl Fn(&HashMap<String, String>) -> bool,
    timeout: Duration,
) -> HashMap<String, String> {
    let deadline = Instant::now() + timeout;
    let mut last = HashMap::new();
    loop {
        if let Ok(fields) = redis.try_query::<HashMap<String, String>>(redis::cmd("HGETALL").arg(job_key(job_id))) {
            if done(&fields) {
                return fields;
            }
            last = fields;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting on job `{job_id}`; last record: {last:?}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the job's record has `state`.
pub fn wait_for_state(redis: &RedisServer, job_id: &str, state: &str, timeout: Duration) -> HashMap<String, String> {
    wait_for_record(redis, job_id, |f| f.get("state").map(String::as_str) == Some(state), timeout)
}

/// Waits until the job's record is terminal (completed or failed).
pub fn wait_for_end(redis: &RedisServer, job_id: &str, timeout: Duration) -> HashMap<String, String> {
    wait_for_record(
        redis,
        job_id,
        |f| matches!(f.get("state").map(String::as_str), Some("completed" | "failed")),
        timeout,
    )
}

/// Asserts a record's state and reason.
pub fn assert_ended(record: &HashMap<String, String>, state: &str, reason: &str) {
    assert_eq!(record.get("state").map(String::as_str), Some(state), "record: {record:?}");
    assert_eq!(record.get("reason").map(String::as_str), Some(reason), "record: {record:?}");
}

/// Parses an RFC 3339 timestamp of a record.
pub fn time(record: &HashMap<String, String>, field: &str) -> chrono::DateTime<chrono::Utc> {
    let text = record.get(field).unwrap_or_else(|| panic!("record has no `{field}`: {record:?}"));
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("`{field}` = {text:?} is not RFC 3339: {e}"))
        .with_timezone(&chrono::Utc)
}

// ---------------------------------------------------------------------------------------------
// Jobs
// ---------------------------------------------------------------------------------------------

/// The `script` job object for `bot_id`, whose meeting runs the script `query`.
pub fn script_job_value(bot_id: &str, query: &str) -> Value {
    json!({
        "url": format!("https://script.test/{bot_id}?{query}"),
        "provider": "script",
        "name": "Test Bot",
        "teamId": "team-1",
        "userId": "user-1",
        "bearerToken": "tok-test",
        "timezone": "UTC",
        "botId": bot_id,
    })
}

/// The `script` job message for `bot_id`, whose meeting runs the script `query`.
pub fn script_job(bot_id: &str, query: &str) -> String {
    script_job_value(bot_id, query).to_string()
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/// The runtime the blocking HTTP helpers drive reqwest on.
pub static RT: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime")
});

static HTTP: LazyLock<reqwest::Client> = LazyLock::new(|| {
    let _guard = RT.enter();
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("http client")
});

/// An HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Body text.
    pub body: String,
}

impl Response {
    /// The body as JSON; panics with the body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("response body is not JSON ({e}): status {} body {:?}", self.status, self.body))
    }
}

/// Sends one request (async); `None` when the server did not answer.
pub async fn send_async(
    method: reqwest::Method,
    url: String,
    token: Option<String>,
    body: Option<Value>,
) -> Option<Response> {
    let mut request = HTTP.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.ok()?;
    let status = response.status().as_u16();
    let body = response.text().await.ok()?;
    Some(Response { status, body })
}

/// Sends one request and waits for the answer.
pub fn send(method: reqwest::Method, url: &str, token: Option<&str>, body: Option<Value>) -> Option<Response> {
    RT.block_on(send_async(method, url.to_owned(), token.map(str::to_owned), body))
}

// ---------------------------------------------------------------------------------------------
// The worker
// ---------------------------------------------------------------------------------------------

static WORKERS: AtomicUsize = AtomicUsize::new(0);

/// Deep-merges `overlay` into `base`: tables merge, other values replace.
fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(base)), toml::Value::Table(overlay)) => merge(base, overlay),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Variables that would change the worker's configuration behind the test's back.
const COMPAT_VARS: [&str; 14] = [
    "MEETBOT_CONFIG",
    "RUST_LOG",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_USERNAME",
    "REDIS_PASSWORD",
    "REDIS_QUEUE_NAME",
    "REDIS_CONSUMER_ENABLED",
    "MAX_RECORDING_DURATION_MINUTES",
    "JOIN_WAIT_TIME_MINUTES",
    "NOTIFY_WEBHOOK_URL",
    "NOTIFY_WEBHOOK_SECRET",
    "PORT",
    "MEETBOT_BEARER_TOKEN",
];

/// A `meetbot` command with a clean environment (no config variables inherited).
pub fn meetbot_command() -> Command {
    wrapped_meetbot_command(&test_bin(), &[])
}

/// As [`meetbot_command`], for a link of the binary elsewhere (whose folder holds other plugins).
pub fn meetbot_command_for(binary: &Path) -> Command {
    wrapped_meetbot_command(binary, &[])
}

/// `wrapper... binary` with a clean environment: the program of the command is `wrapper[0]` (when
/// given), which is to run `binary` with the arguments that follow (see [`Worker::start_wrapped`]).
fn wrapped_meetbot_command(binary: &Path, wrapper: &[String]) -> Command {
    let mut command = match wrapper.split_first() {
        Some((program, args)) => {
            let mut command = Command::new(program);
            command.args(args).arg(binary);
            command
        }
        None => Command::new(binary),
    };
    for var in COMPAT_VARS {
        command.env_remove(var);
    }
    for (var, _) in std::env::vars() {
        if var.to_ascii_uppercase().starts_with("MEETBOT__") {
            command.env_remove(var);
        }
    }
    command
}

/// What a finished CLI command printed.
#[derive(Debug)]
pub struct CliOutput {
    /// Exit status.
    pub status: ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `meetbot <args>` to its end, killing it after `timeout`.
pub fn run_cli(args: &[&str], timeout: Duration) -> CliOutput {
    run_cli_with_env(args, &[], timeout)
}

/// Runs `meetbot <args>` with extra environment variables, killing it after `timeout`.
pub fn run_cli_with_env(args: &[&str], env: &[(&str, &str)], timeout: Duration) -> CliOutput {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("stdout");
    let err = dir.path().join("stderr");
    let mut child = meetbot_command()
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(File::create(&out).expect("stdout file"))
        .stderr(File::create(&err).expect("stderr file"))
        .spawn()
        .expect("spawn meetbot");
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`meetbot {}` did not finish within {timeout:?}\nstdout:\n{}\nstderr:\n{}",
                args.join(" "),
                std::fs::read_to_string(&out).unwrap_or_default(),
                std::fs::read_to_string(&err).unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    CliOutput {
        status,
        stdout: std::fs::read_to_string(&out).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err).unwrap_or_default(),
    }
}

/// A `meetbot run` process with its own config, folder and log.
pub struct Worker {
    /// `worker.id`.
    pub id: String,
    /// The REST API's port.
    pub api_port: u16,
    /// The config file it runs with (usable for `meetbot enqueue --config`).
    pub config_path: PathBuf,
    /// `api.auth_token`, sent with every API request when set.
    pub auth_token: Option<String>,
    log_path: PathBuf,
    child: Child,
    exit: Option<ExitStatus>,
    dir: TempDir,
}

impl Worker {
    /// Starts a worker on `redis` with the harness's base config overlaid by `extra` (TOML), and
    /// waits until `GET /health` answers.
    ///
    /// Base: a unique `worker.id`, one slot, `api.listen` on a free port, Redis enabled on the
    /// test server, `plugins.dirs` = an empty folder, recordings under the worker's folder,
    /// `log.level = "info"`. The scripted plugin is loaded from the binary's folder.
    pub fn start(redis: &RedisServer, extra: &str) -> Worker {
        Self::start_with_url(&redis.url(), extra)
    }

    /// As [`Worker::start`], with any `redis.url`.
    pub fn start_with_url(redis_url: &str, extra: &str) -> Worker {
        Self::start_inner(redis_url, extra, &[])
    }

    /// As [`Worker::start`], with the worker started through `wrapper`: the process spawned is
    /// `wrapper[0] wrapper[1..] <meetbot> run --config FILE`, and the wrapper must end by exec-ing
    /// that (so the process the harness signals and kills is the worker itself). For a worker in a
    /// setting of its own, e.g. a private mount namespace with a small spool:
    /// `["unshare", "--mount", "--propagation", "private", "sh", "-c", "mount ... && exec \"$@\"", "sh"]`.
    pub fn start_wrapped(redis: &RedisServer, extra: &str, wrapper: &[String]) -> Worker {
        Self::start_inner(&redis.url(), extra, wrapper)
    }

    fn start_inner(redis_url: &str, extra: &str, wrapper: &[String]) -> Worker {
        let default_id = format!("w{}", WORKERS.fetch_add(1, Ordering::SeqCst) + 1);
        let mut last_log = String::new();
        for _ in 0..3 {
            let mut worker = Self::launch(redis_url, extra, &default_id, wrapper);
            match worker.wait_healthy(Duration::from_secs(20)) {
                Ok(()) => return worker,
                Err(why) => {
                    last_log = worker.log();
                    let port_clash = last_log.contains("cannot listen");
                    worker.kill9();
                    if !port_clash {
                        panic!("worker {} did not become healthy: {why}\n--- worker log ---\n{last_log}", worker.id);
                    }
                }
            }
        }
        panic!("worker could not start (API port clashes?)\n--- last worker log ---\n{last_log}");
    }

    /// Spawns a worker as [`Worker::start_with_url`] does, without waiting for it to answer.
    pub fn spawn(redis_url: &str, extra: &str) -> Worker {
        let default_id = format!("w{}", WORKERS.fetch_add(1, Ordering::SeqCst) + 1);
        Self::launch(redis_url, extra, &default_id, &[])
    }

    fn launch(redis_url: &str, extra: &str, default_id: &str, wrapper: &[String]) -> Worker {
        let overlay: toml::Table = extra.parse().unwrap_or_else(|e| panic!("test config is not TOML ({e}):\n{extra}"));
        let dir = tempfile::tempdir().expect("tempdir");
        let api_port = free_port();
        let root = dir.path();
        let base = format!(
            r#"
            [worker]
            id = "{default_id}"
            max_concurrent_jobs = 1
            [api]
            listen = "127.0.0.1:{api_port}"
            [redis]
            enabled = true
            url = "{redis_url}"
            [plugins]
            dirs = ["{plugins}"]
            [log]
            level = "info"
            format = "text"
            [recording]
            spool_dir = "{spool}"
            [storage.local]
            dir = "{recordings}"
            "#,
            plugins = root.join("plugins").display(),
            spool = root.join("spool").display(),
            recordings = root.join("recordings").display(),
        );
        let mut config: toml::Table = base.parse().expect("base config");
        merge(&mut config, overlay);
        let id = config["worker"]["id"].as_str().expect("worker.id").to_owned();
        let listen = config["api"]["listen"].as_str().expect("api.listen").to_owned();
        let api_port: u16 = listen.rsplit(':').next().and_then(|p| p.parse().ok()).expect("api.listen port");
        let auth_token = config
            .get("api")
            .and_then(|api| api.get("auth_token"))
            .and_then(toml::Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        let config_path = root.join("meetbot.toml");
        let text = toml::to_string(&config).expect("config as TOML");
        std::fs::write(&config_path, text).expect("write config");
        let log_path = root.join("worker.log");
        let log = File::create(&log_path).expect("log file");
        let child = wrapped_meetbot_command(&test_bin(), wrapper)
            .arg("run")
            .arg("--config")
            .arg(&config_path)
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn meetbot run");
        Worker { id, api_port, config_path, auth_token, log_path, child, exit: None, dir }
    }

    /// Waits until `GET /health` answers 200; `Err` when the process exits or `timeout` passes.
    pub fn wait_healthy(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_exit() {
                return Err(format!("it exited with {status}"));
            }
            if let Some(response) = send(reqwest::Method::GET, &self.url("/health"), None, None)
                && response.status == 200
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("GET /health did not answer 200 within {timeout:?}"));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The worker's own folder (its current directory).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.api_port)
    }

    /// GET `path`; panics when the API does not answer.
    pub fn get(&self, path: &str) -> Response {
        self.request(reqwest::Method::GET, path, None)
    }

    /// POST `body` as JSON to `path`.
    pub fn post(&self, path: &str, body: &Value) -> Response {
        self.request(reqwest::Method::POST, path, Some(body.clone()))
    }

    /// DELETE `path`.
    pub fn delete(&self, path: &str) -> Response {
        self.request(reqwest::Method::DELETE, path, None)
    }

    /// Any request, with the auth token when configured.
    pub fn request(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Response {
        send(method.clone(), &self.url(path), self.auth_token.as_deref(), body)
            .unwrap_or_else(|| panic!("{method} {path}: the API did not answer\n--- worker log ---\n{}", self.log()))
    }

    /// `GET /isbusy`'s `data`.
    pub fn busy(&self) -> i64 {
        let response = self.get("/isbusy");
        assert_eq!(response.status, 200, "GET /isbusy: {response:?}");
        response.json()["data"].as_i64().unwrap_or_else(|| panic!("GET /isbusy: {response:?}"))
    }

    /// A metric's value from `GET /metrics` (the first sample whose name and labels start with
    /// `name`).
    pub fn metric(&self, name: &str) -> Option<f64> {
        let response = self.get("/metrics");
        response
            .body
            .lines()
            .filter(|l| !l.starts_with('#'))
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    }

    /// Sends SIGTERM.
    pub fn sigterm(&self) {
        self.signal("TERM");
    }

    /// Sends the signal `name` (`TERM`, `STOP`, `CONT`, ...).
    pub fn signal(&self, name: &str) {
        let status =
            Command::new("kill").arg(format!("-{name}")).arg(self.pid().to_string()).status().expect("run kill");
        assert!(status.success(), "kill -{name} {} failed", self.pid());
    }

    /// kill -9.
    pub fn kill9(&mut self) {
        if self.exit.is_none() {
            let _ = self.child.kill();
            self.exit = self.child.wait().ok();
        }
    }

    /// The exit status, if it has exited.
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            self.exit = self.child.try_wait().expect("try_wait");
        }
        self.exit
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        self.try_exit().is_none()
    }

    /// Waits for the process to exit; panics (with the log) after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_exit() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "worker {} did not exit within {timeout:?}\n--- worker log ---\n{}",
                self.id,
                tail(&self.log(), 80)
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything the worker logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if self.exit.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if thread::panicking() {
            let mut stderr = std::io::stderr();
            let _ = writeln!(stderr, "--- log of worker {} (last 120 lines) ---\n{}", self.id, tail(&self.log(), 120));
        }
    }
}
