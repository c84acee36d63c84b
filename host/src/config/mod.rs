//! The worker's configuration: built-in defaults, then a TOML file, then the environment
//! (docs/REFERENCE.md section 2). Every key has a default; unknown keys are an error naming the key.

mod env;
mod load;
mod mask;
pub mod redis_tls;
pub mod topology;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use load::{ConfigError, Origin, load, load_from};
pub use mask::masked_toml;

/// The whole configuration. Its `Debug` output masks every secret, as `check-config` does: the
/// sections holding one (`api`, `redis`, `storage.s3`, `notify`) write their `Debug` from their
/// masked copy (see `mask`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// This process as a worker.
    pub worker: WorkerConfig,
    /// Logging.
    pub log: LogConfig,
    /// The REST API.
    pub api: ApiConfig,
    /// The Redis queue consumer and records.
    pub redis: RedisConfig,
    /// Where plugins are loaded from.
    pub plugins: PluginsConfig,
    /// The Chromium each job runs in.
    pub browser: BrowserConfig,
    /// Recording the meeting.
    pub recording: RecordingConfig,
    /// Where recordings are stored.
    pub storage: StorageConfig,
    /// Rules that make the bot leave on its own.
    pub auto_leave: AutoLeaveConfig,
    /// Notifications about job progress.
    pub notify: NotifyConfig,
    /// What is kept for finding out why a job failed.
    pub debug: DebugConfig,
}

/// `[worker]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerConfig {
    /// Identity in Redis keys and logs; empty means `<hostname>-<pid>`.
    pub id: String,
    /// Meetings this process runs at once.
    pub max_concurrent_jobs: usize,
    /// On shutdown, how long running meetings may go on (0 = until they end).
    pub drain_timeout_secs: u64,
    /// A worker whose heartbeat is older than this is dead.
    pub heartbeat_ttl_secs: u64,
    /// Threads of the worker's own async runtime (Redis, the REST API, the recorders); browsers
    /// run in their own processes and plugins on runtimes of their own.
    pub runtime_threads: usize,
}

impl WorkerConfig {
    /// The most `runtime_threads`.
    pub const MAX_RUNTIME_THREADS: usize = 256;
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            id: String::new(),
            max_concurrent_jobs: 1,
            drain_timeout_secs: 0,
            heartbeat_ttl_secs: 15,
            runtime_threads: 1,
        }
    }
}

/// `[log]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// An `EnvFilter` directive such as `info` or `meetbot_host=debug`.
    pub level: String,
    /// `text` or `json`.
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { level: "info".to_owned(), format: LogFormat::Text }
    }
}

/// How log lines look.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `[api]`: safe by default (docs/REFERENCE.md section 4): loopback only, a token required on any other
/// address, no web page's requests served, and every connection bounded in time and number.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Serve the REST API.
    pub enabled: bool,
    /// Listen address; a non-loopback one needs `auth_token` or `allow_unauthenticated`.
    pub listen: String,
    /// Bearer token required on every endpoint but /health, /readyz, /metrics; empty = no auth.
    pub auth_token: String,
    /// Serve a non-loopback `listen` without a token (something in front authenticates).
    pub allow_unauthenticated: bool,
    /// Exact origins (`https://app.example.com`) whose browser requests are served; a request
    /// with any other `Origin` header is refused.
    pub allowed_origins: Vec<String>,
    /// Connections served at once; further ones wait to be accepted.
    pub max_connections: usize,
    /// Seconds a connection has to send a complete request head, counted from when it opens or
    /// its previous response was sent (so it is also the idle keep-alive limit).
    pub header_timeout_secs: u64,
    /// Seconds a request body has to arrive in full.
    pub body_timeout_secs: u64,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: "127.0.0.1:3000".to_owned(),
            auth_token: String::new(),
            allow_unauthenticated: false,
            allowed_origins: Vec::new(),
            max_connections: 256,
            header_timeout_secs: 10,
            body_timeout_secs: 10,
        }
    }
}

/// `[redis]`
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// Run the queue consumer (and keep job records in Redis).
    pub enabled: bool,
    /// `redis://` or `rediss://`, credentials allowed. With `sentinels` or `cluster_nodes` set, only
    /// its scheme, user, password and db count: they say how to talk to the server that holds the
    /// data, and the sentinels or the cluster say which server that is.
    pub url: String,
    /// `host:port` of each Redis Sentinel watching the primary. When set, the worker asks them for
    /// the primary (`sentinel_master`) and follows it through failovers.
    pub sentinels: Vec<String>,
    /// The name the sentinels monitor the primary under (`sentinel monitor <name> ...`).
    pub sentinel_master: String,
    /// The user the sentinels themselves require (their ACL); empty = none.
    pub sentinel_username: String,
    /// The password the sentinels themselves require (`requirepass` in sentinel.conf); empty = none.
    pub sentinel_password: String,
    /// `host:port` of some nodes of a Redis Cluster (the rest is discovered). When set, every key
    /// meetbot uses must hash to one slot: `queue`, `key_prefix` and the notify lists need the same
    /// hash tag, e.g. `{meetbot}:jobs` and `{meetbot}`.
    pub cluster_nodes: Vec<String>,
    /// The pending list clients RPUSH to.
    pub queue: String,
    /// Prefix of every other key.
    pub key_prefix: String,
    /// Deliveries of one message before it is dead-lettered.
    pub max_attempts: u32,
    /// Most jobs waiting for their `joinAt`; more are refused (`schedule_full`).
    pub max_scheduled: u64,
    /// Newest dead-letter entries kept (`<queue>:dead` is trimmed to them).
    pub dead_letter_max_len: u64,
    /// PEM file of the CA(s) that signed the server's certificate (`rediss://`); empty = the
    /// system's roots.
    pub tls_ca_file: PathBuf,
    /// PEM client certificate (chain) for servers that require one (mutual TLS); empty = none.
    pub tls_cert_file: PathBuf,
    /// PEM private key of `tls_cert_file`.
    pub tls_key_file: PathBuf,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            url: "redis://127.0.0.1:6379".to_owned(),
            sentinels: Vec::new(),
            sentinel_master: "mymaster".to_owned(),
            sentinel_username: String::new(),
            sentinel_password: String::new(),
            cluster_nodes: Vec::new(),
            queue: "jobs:meetbot:list".to_owned(),
            key_prefix: "meetbot".to_owned(),
            max_attempts: 3,
            max_scheduled: 10_000,
            dead_letter_max_len: 10_000,
            tls_ca_file: PathBuf::new(),
            tls_cert_file: PathBuf::new(),
            tls_key_file: PathBuf::new(),
        }
    }
}

/// `[plugins]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PluginsConfig {
    /// Folders scanned (not recursively) for plugin libraries, in priority order.
    pub dirs: Vec<PathBuf>,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        Self { dirs: vec![PathBuf::from("plugins")] }
    }
}

/// `[browser]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct BrowserConfig {
    /// The Chromium binary; empty = look for chromium, google-chrome on PATH.
    pub executable: String,
    /// Extra switches.
    pub args: Vec<String>,
    /// Run headless.
    pub headless: bool,
    /// `WIDTHxHEIGHT` (`x` or `X`); read through [`BrowserConfig::window_size`] only.
    pub window_size: String,
    /// Keep one browser started ahead of the next job (it skips Chromium's start).
    pub spare: bool,
}

impl Default for BrowserConfig {
    fn default() -> Self {
        let (width, height) = DEFAULT_WINDOW_SIZE;
        Self {
            executable: String::new(),
            args: Vec::new(),
            headless: true,
            window_size: format!("{width}x{height}"),
            spare: false,
        }
    }
}

/// The browser window's size, and every recording's frame size, when `browser.window_size` is not set.
pub const DEFAULT_WINDOW_SIZE: (u32, u32) = (1280, 720);

impl BrowserConfig {
    /// `window_size` as (width, height): the one reading of the key, for Chromium's
    /// `--window-size` and the recorder's frame size alike, so the two always agree. The default
    /// size when the text is not valid, which a loaded config never is (loading refuses it).
    #[must_use]
    pub fn window_size(&self) -> (u32, u32) {
        parse_window_size(&self.window_size).unwrap_or(DEFAULT_WINDOW_SIZE)
    }
}

/// `WIDTHxHEIGHT` with positive numbers, the separator `x` or `X`, blanks around the numbers
/// ignored; `None` for anything else.
pub fn parse_window_size(text: &str) -> Option<(u32, u32)> {
    let (width, height) = text.trim().split_once(['x', 'X'])?;
    let width: u32 = width.trim().parse().ok()?;
    let height: u32 = height.trim().parse().ok()?;
    (width > 0 && height > 0).then_some((width, height))
}

/// `[recording]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RecordingConfig {
    /// Record meetings.
    pub enabled: bool,
    /// `webm` or `mp4`.
    pub format: RecordingFormat,
    /// Record the tab's picture; `false` records its sound only (no video capture at all), into
    /// `recording.webm` (Opus) or `recording.m4a` (AAC).
    pub video: bool,
    /// Where chunks are written while recording.
    pub spool_dir: PathBuf,
    /// The most animation frames a second a meeting page runs while recorded with its picture;
    /// 0 leaves them to the browser (60). Opt-in: it replaces the page's `requestAnimationFrame`.
    pub page_frame_rate: u32,
}

impl RecordingConfig {
    /// The highest `page_frame_rate`: the compositor's own rate.
    pub const MAX_PAGE_FRAME_RATE: u32 = 60;
}

impl Default for RecordingConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            format: RecordingFormat::Webm,
            video: true,
            spool_dir: PathBuf::from("data/spool"),
            page_frame_rate: 0,
        }
    }
}

/// The container recordings are stored in.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RecordingFormat {
    /// VP8/Opus WebM, remuxed to be seekable.
    Webm,
    /// H.264/AAC MP4.
    Mp4,
}

/// `[storage]`
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// `local` or `s3`.
    pub kind: StorageKind,
    /// `[storage.local]`
    pub local: LocalStorageConfig,
    /// `[storage.s3]`
    pub s3: S3StorageConfig,
}

/// Which storage backend.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    /// A local folder.
    #[default]
    Local,
    /// An S3-compatible bucket.
    S3,
}

/// `[storage.local]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LocalStorageConfig {
    /// Folder recordings are stored under.
    pub dir: PathBuf,
}

impl Default for LocalStorageConfig {
    fn default() -> Self {
        Self { dir: PathBuf::from("data/recordings") }
    }
}

/// `[storage.s3]`
#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct S3StorageConfig {
    /// Bucket name.
    pub bucket: String,
    /// Region.
    pub region: String,
    /// Endpoint URL for S3-compatible servers; empty = AWS.
    pub endpoint: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key (a secret: masked everywhere).
    pub secret_access_key: String,
    /// Key prefix inside the bucket.
    pub prefix: String,
    /// Path-style addressing (most S3-compatible servers want it).
    pub path_style: bool,
}

/// `[auto_leave]`, also the shape of a job's `autoLeave` override.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AutoLeaveConfig {
    /// Give up waiting to be admitted after this long.
    pub waiting_room_timeout_secs: u64,
    /// Admitted but nobody else ever appeared for this long.
    pub no_one_joined_timeout_secs: u64,
    /// Others were seen, now the bot has been alone this long.
    pub everyone_left_timeout_secs: u64,
    /// Leave after this much silence...
    pub silence_timeout_secs: u64,
    /// ...once this long has passed in the call.
    pub silence_activate_after_secs: u64,
    /// Leave after this long in the call.
    pub max_duration_secs: u64,
}

impl Default for AutoLeaveConfig {
    fn default() -> Self {
        Self {
            waiting_room_timeout_secs: 600,
            no_one_joined_timeout_secs: 600,
            everyone_left_timeout_secs: 30,
            silence_timeout_secs: 900,
            silence_activate_after_secs: 600,
            max_duration_secs: 10800,
        }
    }
}

/// `[notify]`
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// Lifecycle webhook URL; empty = none. Its path and query often carry a token, so they
    /// are masked in output.
    pub webhook_url: String,
    /// HMAC-SHA256 key for webhook signatures (a secret).
    pub webhook_secret: String,
    /// Completion records for queue clients.
    pub redis_results_list: String,
    /// Failure records for queue clients.
    pub redis_failures_list: String,
    /// Newest records kept in each of the results and failures lists.
    pub redis_list_max_len: u64,
    /// About how many state-change events the durable stream `<key_prefix>:events:stream` keeps
    /// (trimmed approximately, as Redis does cheaply); 0 keeps no stream.
    pub event_stream_max_len: u64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            webhook_url: String::new(),
            webhook_secret: String::new(),
            redis_results_list: "jobs:meetbot:recordings".to_owned(),
            redis_failures_list: "jobs:meetbot:failures".to_owned(),
            redis_list_max_len: 10_000,
            event_stream_max_len: 100_000,
        }
    }
}

/// `[debug]`
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DebugConfig {
    /// When the meeting page's screenshot, HTML and console log are stored under
    /// `<job_id>/debug/` (docs/REFERENCE.md section 7).
    pub artifacts: ArtifactsWhen,
}

/// When a job's debug artifacts are taken.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ArtifactsWhen {
    /// When a job that reached the meeting page ends `failed`.
    #[default]
    Failures,
    /// At the end of every job that reached the meeting page.
    Always,
    /// Never.
    Off,
}

impl ArtifactsWhen {
    /// Whether a job ending with `reason` leaves artifacts.
    #[must_use]
    pub fn wanted(self, reason: crate::job::Reason) -> bool {
        match self {
            ArtifactsWhen::Failures => reason.terminal_state() == crate::job::State::Failed,
            ArtifactsWhen::Always => true,
            ArtifactsWhen::Off => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_size_is_width_x_height_in_either_case_with_positive_numbers() {
        assert_eq!(parse_window_size("1920x1080"), Some((1920, 1080)));
        assert_eq!(parse_window_size("1920X1080"), Some((1920, 1080)));
        assert_eq!(parse_window_size(" 800 x 600 "), Some((800, 600)));
        for bad in ["", "1920", "x1080", "1920x", "0x720", "1280x0", "-1x720", "1280*720", "1280x720x3", "axb"] {
            assert_eq!(parse_window_size(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn debug_artifacts_are_taken_for_failed_jobs_by_default_for_every_job_with_always_and_never_when_off() {
        use crate::job::Reason;
        assert_eq!(DebugConfig::default().artifacts, ArtifactsWhen::Failures);
        for failed in [Reason::DeniedAdmission, Reason::BlockedByPlatform, Reason::PluginCrashed] {
            assert!(ArtifactsWhen::Failures.wanted(failed) && ArtifactsWhen::Always.wanted(failed), "{failed:?}");
            assert!(!ArtifactsWhen::Off.wanted(failed), "{failed:?}");
        }
        for completed in [Reason::EndedByHost, Reason::Cancelled, Reason::Shutdown] {
            assert!(!ArtifactsWhen::Failures.wanted(completed) && ArtifactsWhen::Always.wanted(completed));
        }
    }

    #[test]
    fn an_unreadable_window_size_reads_as_the_default() {
        let config = BrowserConfig { window_size: "huge".to_owned(), ..BrowserConfig::default() };
        assert_eq!(config.window_size(), DEFAULT_WINDOW_SIZE);
        assert_eq!(BrowserConfig::default().window_size(), DEFAULT_WINDOW_SIZE);
    }
}
