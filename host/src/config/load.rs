//! Loading the configuration: built-in defaults, then the TOML file, then the environment, then
//! validation (docs/REFERENCE.md section 2).
//!
//! The file is parsed into a [`toml::Table`] first, checked key by key against the defaults, and
//! only then deserialized. Going through the table rather than straight into [`Config`] is what
//! lets an unknown key be reported with its full dotted name (serde's own error only knows the
//! field, not the section), lets the environment be laid onto the same table, and lets every later
//! error say where the offending value came from: the file or a named variable.

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use toml::{Table, Value};
use tracing_subscriber::{EnvFilter, filter::LevelFilter};

use crate::job::id as job_id;

use super::{
    Config, RecordingConfig, StorageKind, WorkerConfig,
    env::{self, CONFIG_VAR, EnvOrigins, RedisUrl},
    parse_window_size,
};
use super::{redis_tls::certificates, topology::Topology};

/// Keys whose values must never be echoed, not even in an error about their type.
const SECRET_KEYS: [&str; 6] = [
    "api.auth_token",
    "notify.webhook_secret",
    "notify.webhook_url",
    "storage.s3.secret_access_key",
    "redis.url",
    "redis.sentinel_password",
];

/// Most events the durable event stream may keep: ten million events are a few GB of Redis memory.
const MAX_EVENT_STREAM_LEN: u64 = 10_000_000;

/// Why the configuration could not be loaded. Each message is one line naming the key or
/// variable at fault and what is wrong with it, so `check-config` can print it as is.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named by `--config` or `MEETBOT_CONFIG` could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{}:{line}:{column}: invalid TOML: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column (in characters) of the error.
        column: usize,
        /// The parser's description.
        message: String,
    },
    /// The file sets a key that does not exist (most likely a typo).
    #[error("unknown key `{key}` in {}{}", path.display(), did_you_mean(suggestion))]
    UnknownKey {
        /// The full dotted key, e.g. `worker.max_concurent_jobs`.
        key: String,
        /// The file.
        path: PathBuf,
        /// The closest existing key, if one is close.
        suggestion: Option<String>,
    },
    /// A `MEETBOT__...` variable names no key.
    #[error("unknown environment variable {var}: there is no config key `{key}`{}", did_you_mean(suggestion))]
    UnknownVariable {
        /// The variable as it is spelt in the environment.
        var: String,
        /// The dotted key it would have set.
        key: String,
        /// The closest existing variable, if one is close.
        suggestion: Option<String>,
    },
    /// A variable's value cannot be used for its key.
    #[error("environment variable {var}: {reason}")]
    BadVariable {
        /// The variable.
        var: String,
        /// What is wrong with its value.
        reason: String,
    },
    /// A value has the wrong type or is not one of the allowed words.
    #[error("`{key}` ({origin}): {message}")]
    Type {
        /// The dotted key (with `[index]` inside lists).
        key: String,
        /// Where the value came from.
        origin: Origin,
        /// What was expected.
        message: String,
    },
    /// A value has the right type but is not acceptable.
    #[error("`{key}` = {value} ({origin}): {reason}")]
    Invalid {
        /// The dotted key.
        key: String,
        /// The value as written in TOML, secrets masked.
        value: String,
        /// Where the value came from.
        origin: Origin,
        /// What an acceptable value looks like.
        reason: String,
    },
}

/// `" (did you mean `x`?)"` or nothing: thiserror formats fields, not `Option`s.
fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default()
}

/// Where a value came from, so an error says what the operator has to edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Nobody set it.
    Default,
    /// The config file.
    File(PathBuf),
    /// An environment variable (or, for `redis.url` built from `REDIS_*`, several).
    Env(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("built-in default"),
            Self::File(path) => write!(f, "in {}", path.display()),
            // `redis.url` built from several REDIS_* variables names them all.
            Self::Env(vars) if vars.contains(", ") => write!(f, "from environment variables {vars}"),
            Self::Env(var) => write!(f, "from environment variable {var}"),
        }
    }
}

/// Loads the configuration from `path`, else the file named by `MEETBOT_CONFIG`, else defaults
/// only; then applies the process environment and validates. `worker.id` is filled when empty.
///
/// # Errors
/// The file cannot be read or parsed, a key or `MEETBOT__` variable is unknown, or a value is of
/// the wrong type or invalid; the error's message names the key or variable at fault.
pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
    // vars() would panic on a non-UTF-8 variable anywhere in the environment; such a variable
    // cannot be one of ours by name, and a value is taken lossily rather than crash the worker.
    let vars = std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.to_string_lossy().into_owned())));
    load_from(path, vars)
}

/// [`load`] with an explicit environment, so callers (tests above all) need not touch the
/// process's own.
///
/// # Errors
/// As [`load`].
pub fn load_from<I>(path: Option<&Path>, env: I) -> Result<Config, ConfigError>
where
    I: IntoIterator<Item = (String, String)>,
{
    let env: Vec<(String, String)> = env.into_iter().collect();
    let file = path.map(Path::to_path_buf).or_else(|| {
        env.iter().rev().find(|(name, value)| name == CONFIG_VAR && !value.is_empty()).map(|(_, v)| PathBuf::from(v))
    });
    let text = match &file {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.clone(), source })?
        }
        None => String::new(),
    };
    let mut config = resolve(&text, file.as_deref(), env)?;
    if config.worker.id.is_empty() {
        config.worker.id = default_worker_id();
    }
    Ok(config)
}

/// `<hostname>-<pid>`: unique per process on one host, and readable in Redis keys. Characters a
/// worker id may not hold (it names a folder too) become `-`.
fn default_worker_id() -> String {
    let host: String = gethostname::gethostname()
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
        .take(100)
        .collect();
    let host = if host.is_empty() || host.starts_with('.') { format!("meetbot{host}") } else { host };
    format!("{host}-{}", std::process::id())
}

/// Everything but reading the file and filling `worker.id`: `text` is the file's content (empty
/// without a file), `file` its name for messages.
fn resolve<I>(text: &str, file: Option<&Path>, env: I) -> Result<Config, ConfigError>
where
    I: IntoIterator<Item = (String, String)>,
{
    let defaults = Table::try_from(Config::default())
        .expect("the default config has only strings, numbers, booleans, UTF-8 paths and sections");
    let mut table = match file {
        Some(path) => parse_file(text, path)?,
        None => Table::new(),
    };
    if let Some(path) = file {
        check_known_keys(&table, &defaults, "", path)?;
    }
    let env_origins = env::overlay(&mut table, &defaults, env)?;
    let origin = |key: &str| origin_of(key, file, &env_origins);

    let config: Config = serde_path_to_error::deserialize(Value::Table(table)).map_err(|err| {
        let path = err.path().to_string();
        let key = path.split('[').next().unwrap_or_default().to_owned();
        let message = if SECRET_KEYS.contains(&key.as_str()) {
            "expected a string (the value is not shown: it is a secret)".to_owned()
        } else {
            err.inner().message().replace('\n', " ")
        };
        ConfigError::Type { origin: origin(&key), key: path, message }
    })?;
    config.validate(&origin)?;
    Ok(config)
}

fn origin_of(key: &str, file: Option<&Path>, env_origins: &EnvOrigins) -> Origin {
    match (env_origins.get(key), file) {
        (Some(var), _) => Origin::Env(var.clone()),
        (None, Some(path)) => Origin::File(path.to_path_buf()),
        (None, None) => Origin::Default,
    }
}

fn parse_file(text: &str, path: &Path) -> Result<Table, ConfigError> {
    text.parse::<Table>().map_err(|err| {
        let offset = err.span().map_or(0, |span| span.start).min(text.len());
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
        ConfigError::Syntax { path: path.to_path_buf(), line, column, message: err.message().replace('\n', " ") }
    })
}

/// Every key of `table` must exist in `defaults`. Checked here rather than left to serde's
/// `deny_unknown_fields` because serde names the field without its section.
fn check_known_keys(table: &Table, defaults: &Table, section: &str, path: &Path) -> Result<(), ConfigError> {
    let dotted = |name: &str| if section.is_empty() { name.to_owned() } else { format!("{section}.{name}") };
    for (name, value) in table {
        match (defaults.get(name), value) {
            (None, _) => {
                return Err(ConfigError::UnknownKey {
                    key: dotted(name),
                    path: path.to_path_buf(),
                    suggestion: suggest(name, defaults.keys().map(String::as_str)).map(|s| dotted(&s)),
                });
            }
            (Some(Value::Table(known)), Value::Table(given)) => check_known_keys(given, known, &dotted(name), path)?,
            // A type mismatch is reported, with its path, by the deserialization that follows.
            _ => {}
        }
    }
    Ok(())
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a typo of it.
pub(super) fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.to_owned())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

impl Config {
    /// Checks what types alone cannot; `origin` tells where each key's value came from.
    fn validate(&self, origin: &dyn Fn(&str) -> Origin) -> Result<(), ConfigError> {
        let invalid = |key: &str, value: String, reason: &str| ConfigError::Invalid {
            key: key.to_owned(),
            value,
            origin: origin(key),
            reason: reason.to_owned(),
        };
        let quoted = |s: &str| format!("{s:?}");

        if let Some(problem) = Some(&self.worker.id).filter(|id| !id.is_empty()).and_then(|id| job_id::problem(id)) {
            let reason = format!(
                "{problem}; a worker id names its Redis keys and its spool folder: 1-128 characters of A-Z a-z 0-9 . _ -, not starting with `.`"
            );
            return Err(invalid("worker.id", quoted(&self.worker.id), &reason));
        }
        if self.worker.max_concurrent_jobs < 1 {
            let value = self.worker.max_concurrent_jobs.to_string();
            return Err(invalid("worker.max_concurrent_jobs", value, "must be at least 1"));
        }
        if self.worker.heartbeat_ttl_secs < 3 {
            let value = self.worker.heartbeat_ttl_secs.to_string();
            return Err(invalid("worker.heartbeat_ttl_secs", value, "must be at least 3"));
        }
        if !(1..=WorkerConfig::MAX_RUNTIME_THREADS).contains(&self.worker.runtime_threads) {
            let value = self.worker.runtime_threads.to_string();
            return Err(invalid("worker.runtime_threads", value, "must be from 1 to 256"));
        }
        if let Err(reason) = check_log_level(&self.log.level) {
            return Err(invalid("log.level", quoted(&self.log.level), &reason));
        }
        self.validate_api(&invalid)?;
        let redis_ok = RedisUrl::parse(&self.redis.url)
            .is_some_and(|url| matches!(url.scheme.as_str(), "redis" | "rediss") && !url.host.is_empty());
        if !redis_ok {
            return Err(invalid(
                "redis.url",
                quoted(&self.redis_url_masked()),
                "expected redis://[user[:password]@]host[:port][/db], or rediss:// for TLS",
            ));
        }
        if self.redis.url.contains('#') {
            // Not shown: a `#` may well be inside the password, where masking cannot find it.
            return Err(invalid(
                "redis.url",
                "(not shown)".to_owned(),
                "`#` starts a URL fragment, which is not supported: write a `#` in the password as %23; \
                 `#insecure` (no certificate checks) is refused: set `redis.tls_ca_file` to the server's CA instead",
            ));
        }
        if let Err(error) = certificates(&self.redis) {
            return Err(invalid(error.key, quoted(&error.path.to_string_lossy()), &error.reason));
        }
        if self.redis.queue.is_empty() {
            return Err(invalid("redis.queue", quoted(""), "must not be empty"));
        }
        if self.redis.key_prefix.is_empty() {
            return Err(invalid("redis.key_prefix", quoted(""), "must not be empty"));
        }
        if let Err(error) = Topology::from_config(self) {
            return Err(invalid(&error.key, error.value, &error.reason));
        }
        if self.redis.max_attempts < 1 {
            return Err(invalid("redis.max_attempts", self.redis.max_attempts.to_string(), "must be at least 1"));
        }
        for (key, value) in [
            ("redis.max_scheduled", self.redis.max_scheduled),
            ("redis.dead_letter_max_len", self.redis.dead_letter_max_len),
            ("notify.redis_list_max_len", self.notify.redis_list_max_len),
        ] {
            if value < 1 {
                return Err(invalid(key, value.to_string(), "must be at least 1"));
            }
        }
        if self.notify.event_stream_max_len > MAX_EVENT_STREAM_LEN {
            let value = self.notify.event_stream_max_len.to_string();
            return Err(invalid("notify.event_stream_max_len", value, "must be at most 10000000 (0 keeps no stream)"));
        }
        if parse_window_size(&self.browser.window_size).is_none() {
            return Err(invalid(
                "browser.window_size",
                quoted(&self.browser.window_size),
                "expected WIDTHxHEIGHT like 1280x720",
            ));
        }
        if self.recording.page_frame_rate > RecordingConfig::MAX_PAGE_FRAME_RATE {
            let value = self.recording.page_frame_rate.to_string();
            return Err(invalid("recording.page_frame_rate", value, "must be from 0 (not limited) to 60"));
        }
        if self.storage.kind == StorageKind::S3 && self.storage.s3.bucket.is_empty() {
            return Err(invalid("storage.s3.bucket", quoted(""), "required when storage.kind = \"s3\""));
        }
        let webhook = &self.notify.webhook_url;
        let webhook_ok = webhook.is_empty() || webhook.starts_with("http://") || webhook.starts_with("https://");
        if !webhook_ok {
            let shown = quoted(&self.webhook_url_masked());
            return Err(invalid("notify.webhook_url", shown, "expected an http:// or https:// URL"));
        }
        if self.notify.redis_results_list.is_empty() {
            return Err(invalid("notify.redis_results_list", quoted(""), "must not be empty"));
        }
        if self.notify.redis_failures_list.is_empty() {
            return Err(invalid("notify.redis_failures_list", quoted(""), "must not be empty"));
        }
        Ok(())
    }

    /// The `[api]` keys: a usable address, and one that is loopback unless a token guards it or
    /// the operator said in so many words that something else does (docs/REFERENCE.md section 4).
    fn validate_api(&self, invalid: &dyn Fn(&str, String, &str) -> ConfigError) -> Result<(), ConfigError> {
        let api = &self.api;
        let quoted = |s: &str| format!("{s:?}");
        let Ok(addr) = api.listen.parse::<SocketAddr>() else {
            return Err(invalid("api.listen", quoted(&api.listen), "expected IP:PORT like 127.0.0.1:3000"));
        };
        // `to_canonical` so that an IPv4-mapped `[::ffff:127.0.0.1]` counts as the loopback it is.
        let public = !addr.ip().to_canonical().is_loopback();
        if api.enabled && public && api.auth_token.is_empty() && !api.allow_unauthenticated {
            return Err(invalid(
                "api.listen",
                quoted(&api.listen),
                "is not a loopback address and `api.auth_token` is empty: anyone who can reach it could start \
                 and cancel bots. Set `api.auth_token`, listen on 127.0.0.1, or set \
                 `api.allow_unauthenticated = true` if something in front of the worker authenticates",
            ));
        }
        for (index, origin) in api.allowed_origins.iter().enumerate() {
            if let Err(reason) = check_origin(origin) {
                return Err(invalid(&format!("api.allowed_origins[{index}]"), quoted(origin), &reason));
            }
        }
        if api.max_connections < 1 {
            return Err(invalid("api.max_connections", api.max_connections.to_string(), "must be at least 1"));
        }
        for (key, secs) in
            [("api.header_timeout_secs", api.header_timeout_secs), ("api.body_timeout_secs", api.body_timeout_secs)]
        {
            if !(1..=3600).contains(&secs) {
                return Err(invalid(key, secs.to_string(), "must be from 1 to 3600"));
            }
        }
        Ok(())
    }
}

/// An origin exactly as browsers send it in the `Origin` header (RFC 6454 serialization):
/// `http` or `https`, a lower-case host, an optional port, nothing else. The header is compared
/// byte for byte, so anything else (a trailing slash, a path, capitals) would silently never match.
fn check_origin(origin: &str) -> Result<(), String> {
    let well_formed = || -> Option<()> {
        let (scheme, authority) = origin.split_once("://")?;
        if !matches!(scheme, "http" | "https") {
            return None;
        }
        let (host_ok, port) = match authority.strip_prefix('[') {
            Some(bracketed) => {
                let (inside, after) = bracketed.split_once(']')?;
                let port = if after.is_empty() { None } else { Some(after.strip_prefix(':')?) };
                (inside.parse::<std::net::Ipv6Addr>().is_ok() && inside == inside.to_ascii_lowercase(), port)
            }
            None => {
                let (host, port) = match authority.split_once(':') {
                    Some((host, port)) => (host, Some(port)),
                    None => (authority, None),
                };
                let chars_ok = host.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.".contains(c));
                (!host.is_empty() && chars_ok, port)
            }
        };
        let port_ok = port.is_none_or(|port| port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok());
        (host_ok && port_ok).then_some(())
    };
    well_formed().ok_or_else(|| {
        "expected an origin like https://app.example.com or http://localhost:8080: scheme, lower-case host and \
         optional port, no path, no trailing slash"
            .to_owned()
    })
}

/// A valid `EnvFilter` whose bare words are all levels. `EnvFilter` itself takes a bare word as a
/// target name, so `level = "verbose"` would silently log nothing but that "target": refuse it,
/// and let targets be written as `target=level`.
fn check_log_level(level: &str) -> Result<(), String> {
    if level.trim().is_empty() {
        return Err("expected a level like info, or directives like `info,meetbot_host=debug`".to_owned());
    }
    EnvFilter::builder().parse(level).map_err(|err| format!("not a tracing filter: {err}"))?;
    for directive in level.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        if !directive.contains(['=', '[']) && directive.parse::<LevelFilter>().is_err() {
            return Err(format!(
                "`{directive}` is not a level (trace, debug, info, warn, error, off); write `{directive}=LEVEL` to filter a target"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::config::{LogFormat, RecordingFormat};

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn file(content: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(".toml").tempfile().expect("temp file");
        f.write_all(content.as_bytes()).expect("write");
        f
    }

    fn load_text(content: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let f = file(content);
        load_from(Some(f.path()), vars(env))
    }

    fn without_id(mut config: Config) -> Config {
        config.worker.id.clear();
        config
    }

    #[test]
    fn defaults_without_file_or_env() {
        let config = load_from(None, vars(&[])).expect("defaults load");
        let expected_id = format!("{}-{}", gethostname::gethostname().to_string_lossy(), std::process::id());
        assert_eq!(config.worker.id, expected_id);
        assert_eq!(without_id(config), Config::default());
    }

    #[test]
    fn shipped_default_toml_is_the_defaults() {
        let text = include_str!("../../../config/default.toml");
        let config = resolve(text, Some(Path::new("config/default.toml")), vars(&[])).expect("default.toml loads");
        assert_eq!(config, Config::default());
        // And it shows every key, not only those whose default someone remembered to write down.
        fn paths(value: &toml::Value, prefix: &str, out: &mut Vec<String>) {
            if let toml::Value::Table(table) = value {
                for (key, value) in table {
                    let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                    paths(value, &path, out);
                }
            } else {
                out.push(prefix.to_owned());
            }
        }
        let (mut shown, mut keys) = (Vec::new(), Vec::new());
        paths(&toml::Value::Table(text.parse::<toml::Table>().expect("TOML")), "", &mut shown);
        paths(&toml::Value::try_from(Config::default()).expect("serializes"), "", &mut keys);
        let missing: Vec<&String> = keys.iter().filter(|key| !shown.contains(key)).collect();
        assert!(missing.is_empty(), "config/default.toml lacks {missing:?}");
    }

    #[test]
    fn file_overrides_defaults() {
        let config = load_text(
            r#"
            [worker]
            id = "w1"
            max_concurrent_jobs = 3
            [log]
            format = "json"
            [recording]
            format = "mp4"
            [storage.local]
            dir = "/srv/rec"
            "#,
            &[],
        )
        .expect("loads");
        assert_eq!(config.worker.id, "w1");
        assert_eq!(config.worker.max_concurrent_jobs, 3);
        assert_eq!(config.log.format, LogFormat::Json);
        assert_eq!(config.recording.format, RecordingFormat::Mp4);
        assert_eq!(config.storage.local.dir, PathBuf::from("/srv/rec"));
        assert_eq!(config.api, Config::default().api);
    }

    #[test]
    fn the_worker_runs_on_one_runtime_thread_unless_told_and_on_1_to_256() {
        assert_eq!(Config::default().worker.runtime_threads, 1);
        let config = load_text("[worker]\nruntime_threads = 4", &[]).expect("loads");
        assert_eq!(config.worker.runtime_threads, 4);
        for bad in ["0", "257"] {
            let err = load_text(&format!("[worker]\nruntime_threads = {bad}"), &[]).expect_err(bad);
            assert!(err.to_string().contains("`worker.runtime_threads`") && err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn the_page_frame_budget_is_off_unless_asked_for_and_at_most_60() {
        assert_eq!(Config::default().recording.page_frame_rate, 0, "pages draw as they like by default");
        let config = load_text("[recording]\npage_frame_rate = 15", &[]).expect("loads");
        assert_eq!(config.recording.page_frame_rate, 15);
        let config =
            load_text("", &[("MEETBOT__RECORDING__PAGE_FRAME_RATE", "60")]).expect("loads from the environment");
        assert_eq!(config.recording.page_frame_rate, 60);
        let err = load_text("[recording]\npage_frame_rate = 61", &[]).expect_err("above the compositor's rate");
        assert!(err.to_string().contains("`recording.page_frame_rate`") && err.to_string().contains("61"), "{err}");
        let err = load_text("[recording]\npage_frame_rate = -1", &[]).expect_err("negative");
        assert!(err.to_string().contains("`recording.page_frame_rate`"), "{err}");
    }

    #[test]
    fn audio_only_recording_is_off_unless_asked_for() {
        assert!(Config::default().recording.video, "the picture is recorded by default");
        let config = load_text("[recording]\nvideo = false", &[]).expect("loads");
        assert!(!config.recording.video);
        let config = load_text("", &[("MEETBOT__RECORDING__VIDEO", "false")]).expect("loads from the environment");
        assert!(!config.recording.video);
    }

    #[test]
    fn meetbot_config_names_the_file_and_path_wins_over_it() {
        let f = file("[worker]\nid = \"from-env-file\"");
        let config = load_from(None, vars(&[("MEETBOT_CONFIG", &f.path().to_string_lossy())])).expect("loads");
        assert_eq!(config.worker.id, "from-env-file");

        let g = file("[worker]\nid = \"from-path\"");
        let config =
            load_from(Some(g.path()), vars(&[("MEETBOT_CONFIG", &f.path().to_string_lossy())])).expect("loads");
        assert_eq!(config.worker.id, "from-path");
    }

    #[test]
    fn env_overrides_file() {
        let config = load_text(
            "[api]\nlisten = \"127.0.0.1:1\"\n[worker]\nid = \"file\"",
            &[("MEETBOT__API__LISTEN", "127.0.0.1:3001"), ("MEETBOT__WORKER__ID", "123")],
        )
        .expect("loads");
        assert_eq!(config.api.listen, "127.0.0.1:3001");
        assert_eq!(config.worker.id, "123");
    }

    #[test]
    fn nested_env_keys() {
        let config = load_text(
            "[storage]\nkind = \"s3\"",
            &[("MEETBOT__STORAGE__S3__BUCKET", "recordings"), ("MEETBOT__STORAGE__S3__PATH_STYLE", "true")],
        )
        .expect("loads");
        assert_eq!(config.storage.kind, StorageKind::S3);
        assert_eq!(config.storage.s3.bucket, "recordings");
        assert!(config.storage.s3.path_style);
    }

    #[test]
    fn legacy_variables() {
        let config = load_from(
            None,
            vars(&[
                ("REDIS_HOST", "cache"),
                ("REDIS_PORT", "6380"),
                ("REDIS_USERNAME", "bot"),
                ("REDIS_PASSWORD", "s3cr:t@"),
                ("REDIS_QUEUE_NAME", "jobs:q"),
                ("REDIS_CONSUMER_ENABLED", "true"),
                ("MAX_RECORDING_DURATION_MINUTES", "60"),
                ("JOIN_WAIT_TIME_MINUTES", "2"),
                ("NOTIFY_WEBHOOK_URL", "https://example.test/hook"),
                ("NOTIFY_WEBHOOK_SECRET", "hmac-key"),
                ("PORT", "8080"),
                // PORT listens on every interface, as the original service did: that needs a token.
                ("MEETBOT__API__AUTH_TOKEN", "api-token"),
            ]),
        )
        .expect("loads");
        assert_eq!(config.redis.url, "redis://bot:s3cr%3At%40@cache:6380");
        assert_eq!(config.redis.queue, "jobs:q");
        assert!(config.redis.enabled);
        assert_eq!(config.auto_leave.max_duration_secs, 3600);
        assert_eq!(config.auto_leave.waiting_room_timeout_secs, 120);
        assert_eq!(config.notify.webhook_url, "https://example.test/hook");
        assert_eq!(config.notify.webhook_secret, "hmac-key");
        assert_eq!(config.api.listen, "0.0.0.0:8080");

        let config = load_from(None, vars(&[("REDIS_PASSWORD", "pw")])).expect("loads");
        assert_eq!(config.redis.url, "redis://:pw@127.0.0.1:6379");

        let config = load_text(
            "[redis]\nurl = \"rediss://cache.example:6390/1\"",
            &[("REDIS_PASSWORD", "pw"), ("MEETBOT__REDIS__QUEUE", "wins"), ("REDIS_QUEUE_NAME", "loses")],
        )
        .expect("loads");
        assert_eq!(config.redis.url, "rediss://:pw@cache.example:6390/1");
        assert_eq!(config.redis.queue, "wins");
    }

    #[test]
    fn unknown_key_in_file_names_section_and_key() {
        let f = file("[worker]\nmax_concurent_jobs = 2");
        let err = load_from(Some(f.path()), vars(&[])).expect_err("unknown key");
        assert!(matches!(&err, ConfigError::UnknownKey { key, .. } if key == "worker.max_concurent_jobs"));
        let msg = err.to_string();
        assert_eq!(
            msg,
            format!(
                "unknown key `worker.max_concurent_jobs` in {} (did you mean `worker.max_concurrent_jobs`?)",
                f.path().display()
            )
        );

        let err = load_text("[storage.s3]\nbuckit = \"x\"", &[]).expect_err("nested unknown key");
        assert!(err.to_string().contains("`storage.s3.buckit`"), "{err}");
        let err = load_text("colour = true", &[]).expect_err("top-level unknown key");
        assert!(err.to_string().starts_with("unknown key `colour`"), "{err}");
    }

    #[test]
    fn unknown_meetbot_variable_is_named() {
        let err = load_from(None, vars(&[("MEETBOT__API__LISTN", "x")])).expect_err("unknown var");
        let msg = err.to_string();
        assert!(msg.contains("MEETBOT__API__LISTN") && msg.contains("`api.listn`"), "{msg}");
        assert!(msg.contains("did you mean `MEETBOT__API__LISTEN`"), "{msg}");
    }

    #[test]
    fn bad_window_size_names_key_value_and_origin() {
        let f = file("[browser]\nwindow_size = \"12x\"");
        let err = load_from(Some(f.path()), vars(&[])).expect_err("bad size");
        assert_eq!(
            err.to_string(),
            format!("`browser.window_size` = \"12x\" (in {}): expected WIDTHxHEIGHT like 1280x720", f.path().display())
        );
        let err = load_from(None, vars(&[("MEETBOT__BROWSER__WINDOW_SIZE", "0x720")])).expect_err("zero");
        assert!(err.to_string().contains("from environment variable MEETBOT__BROWSER__WINDOW_SIZE"), "{err}");
        for (good, size) in [("1920x1080", (1920, 1080)), ("800X600", (800, 600))] {
            let config = load_from(None, vars(&[("MEETBOT__BROWSER__WINDOW_SIZE", good)])).expect("good size");
            assert_eq!(config.browser.window_size(), size);
        }
    }

    #[test]
    fn type_errors_name_the_key_and_where_it_came_from() {
        let err = load_text("[worker]\nmax_concurrent_jobs = \"two\"", &[]).expect_err("type");
        let msg = err.to_string();
        assert!(msg.starts_with("`worker.max_concurrent_jobs` (in "), "{msg}");

        let err = load_from(None, vars(&[("MEETBOT__WORKER__MAX_CONCURRENT_JOBS", "-1")])).expect_err("negative");
        let msg = err.to_string();
        assert!(msg.contains("from environment variable MEETBOT__WORKER__MAX_CONCURRENT_JOBS"), "{msg}");

        let err = load_text("[recording]\nformat = \"mkv\"", &[]).expect_err("variant");
        assert!(err.to_string().contains("`recording.format`"), "{err}");

        let err = load_text("[recording]\nvideo = \"no\"", &[]).expect_err("bool");
        assert!(err.to_string().contains("`recording.video`"), "{err}");
        let err = load_text("", &[("MEETBOT__RECORDING__VIDEO", "nope")]).expect_err("bool from the environment");
        assert!(err.to_string().contains("MEETBOT__RECORDING__VIDEO"), "{err}");

        let err = load_text("[plugins]\ndirs = [1]", &[]).expect_err("list item");
        assert!(err.to_string().contains("`plugins.dirs[0]`"), "{err}");

        let err = load_text("[api]\nauth_token = 987654321", &[]).expect_err("secret type");
        assert!(!err.to_string().contains("987654321"), "{err}");
    }

    #[test]
    fn validation() {
        let cases: &[(&str, &str, &str)] = &[
            ("MEETBOT__WORKER__MAX_CONCURRENT_JOBS", "0", "worker.max_concurrent_jobs"),
            ("MEETBOT__WORKER__HEARTBEAT_TTL_SECS", "2", "worker.heartbeat_ttl_secs"),
            ("MEETBOT__API__LISTEN", "localhost:3000", "api.listen"),
            ("MEETBOT__REDIS__URL", "http://h:1", "redis.url"),
            ("MEETBOT__REDIS__QUEUE", "", "redis.queue"),
            ("MEETBOT__REDIS__KEY_PREFIX", "", "redis.key_prefix"),
            ("MEETBOT__REDIS__MAX_ATTEMPTS", "0", "redis.max_attempts"),
            ("MEETBOT__STORAGE__KIND", "s3", "storage.s3.bucket"),
            ("MEETBOT__LOG__LEVEL", "verbose", "log.level"),
            ("MEETBOT__LOG__LEVEL", "info,[", "log.level"),
            ("MEETBOT__NOTIFY__WEBHOOK_URL", "example.test/hook", "notify.webhook_url"),
            ("MEETBOT__WORKER__ID", "../w", "worker.id"),
            ("MEETBOT__WORKER__ID", "w 1", "worker.id"),
            ("MEETBOT__REDIS__MAX_SCHEDULED", "0", "redis.max_scheduled"),
            ("MEETBOT__REDIS__DEAD_LETTER_MAX_LEN", "0", "redis.dead_letter_max_len"),
            ("MEETBOT__NOTIFY__REDIS_LIST_MAX_LEN", "0", "notify.redis_list_max_len"),
            ("MEETBOT__NOTIFY__EVENT_STREAM_MAX_LEN", "10000001", "notify.event_stream_max_len"),
            ("MEETBOT__API__MAX_CONNECTIONS", "0", "api.max_connections"),
            ("MEETBOT__API__HEADER_TIMEOUT_SECS", "0", "api.header_timeout_secs"),
            ("MEETBOT__API__BODY_TIMEOUT_SECS", "0", "api.body_timeout_secs"),
            ("MEETBOT__API__BODY_TIMEOUT_SECS", "3601", "api.body_timeout_secs"),
            ("MEETBOT__REDIS__URL", "rediss://h:6379/#insecure", "redis.url"),
            ("MEETBOT__REDIS__TLS_CA_FILE", "/etc/ssl/certs/ca.pem", "redis.tls_ca_file"),
        ];
        for (var, value, key) in cases {
            let err = load_from(None, vars(&[(var, value)])).expect_err(var);
            assert!(err.to_string().starts_with(&format!("`{key}` = ")), "{var}={value}: {err}");
        }
        let config = load_from(None, vars(&[("MEETBOT__LOG__LEVEL", "warn,meetbot_host=debug,tower_http=off")]));
        assert!(config.is_ok(), "{config:?}");
        let config = load_from(None, vars(&[("MEETBOT__REDIS__URL", "rediss://u:p@h:6380/2")]));
        assert!(config.is_ok(), "{config:?}");
    }

    #[test]
    fn the_api_listens_on_loopback_by_default() {
        let config = load_from(None, vars(&[])).expect("defaults load");
        assert_eq!(config.api.listen, "127.0.0.1:3000");
        assert!(!config.api.allow_unauthenticated);
        assert!(config.api.allowed_origins.is_empty());
    }

    #[test]
    fn a_public_address_without_a_token_is_refused_naming_both_keys() {
        for listen in ["0.0.0.0:3000", "[::]:3000", "192.0.2.7:3000", "[::ffff:192.0.2.7]:3000"] {
            let err = load_from(None, vars(&[("MEETBOT__API__LISTEN", listen)])).expect_err(listen);
            let msg = err.to_string();
            assert!(msg.starts_with(&format!("`api.listen` = \"{listen}\" (from environment variable")), "{msg}");
            assert!(msg.contains("`api.auth_token`") && msg.contains("`api.allow_unauthenticated = true`"), "{msg}");
        }
        let err = load_from(None, vars(&[("PORT", "8080")])).expect_err("legacy PORT is 0.0.0.0");
        let msg = err.to_string();
        assert!(msg.contains("`api.listen` = \"0.0.0.0:8080\" (from environment variable PORT)"), "{msg}");
        assert!(msg.contains("`api.auth_token`"), "{msg}");
    }

    #[test]
    fn a_public_address_is_served_with_a_token_or_when_explicitly_allowed() {
        for (listen, extra) in [
            ("0.0.0.0:3000", ("MEETBOT__API__AUTH_TOKEN", "t")),
            ("0.0.0.0:3000", ("MEETBOT__API__ALLOW_UNAUTHENTICATED", "true")),
            ("0.0.0.0:3000", ("MEETBOT__API__ENABLED", "false")),
            ("127.0.0.2:3000", ("MEETBOT__LOG__LEVEL", "info")),
            ("[::1]:3000", ("MEETBOT__LOG__LEVEL", "info")),
            ("[::ffff:127.0.0.1]:3000", ("MEETBOT__LOG__LEVEL", "info")),
        ] {
            let config = load_from(None, vars(&[("MEETBOT__API__LISTEN", listen), extra]));
            assert!(config.is_ok(), "{listen} with {extra:?}: {config:?}");
        }
    }

    #[test]
    fn allowed_origins_must_be_exact_origins() {
        let good = r#"["https://app.example.com", "http://localhost:8080", "http://[::1]:3000", "https://10.0.0.1"]"#;
        let config = load_from(None, vars(&[("MEETBOT__API__ALLOWED_ORIGINS", good)])).expect("good origins");
        assert_eq!(config.api.allowed_origins.len(), 4);
        for bad in [
            "https://app.example.com/",
            "https://App.example.com",
            "app.example.com",
            "ftp://app.example.com",
            "https://app.example.com/path",
            "https://app.example.com:99999",
            "https://user@app.example.com",
            "null",
            "*",
        ] {
            let value = format!("[\"https://ok.example\", {bad:?}]");
            let err = load_from(None, vars(&[("MEETBOT__API__ALLOWED_ORIGINS", &value)])).expect_err(bad);
            assert!(err.to_string().starts_with("`api.allowed_origins[1]` = "), "{bad}: {err}");
        }
    }

    #[test]
    fn bad_redis_url_error_masks_the_password() {
        let err = load_from(None, vars(&[("MEETBOT__REDIS__URL", "redis://u:hunter2@")])).expect_err("no host");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn a_bad_webhook_url_is_not_echoed() {
        let err = load_from(None, vars(&[("MEETBOT__NOTIFY__WEBHOOK_URL", "hooks.example/T0/secret-path")]))
            .expect_err("no scheme");
        assert!(!err.to_string().contains("secret-path"), "{err}");
        let err = load_text("[notify]\nwebhook_url = 42", &[]).expect_err("type");
        assert!(!err.to_string().contains("42"), "{err}");
    }

    #[test]
    fn syntax_and_read_errors() {
        let f = file("[worker]\nid = \"unterminated\n");
        let err = load_from(Some(f.path()), vars(&[])).expect_err("syntax");
        let msg = err.to_string();
        assert!(msg.starts_with(&format!("{}:2:", f.path().display())), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");

        let err = load_from(Some(Path::new("/nonexistent/meetbot.toml")), vars(&[])).expect_err("missing");
        assert!(err.to_string().starts_with("cannot read config file /nonexistent/meetbot.toml: "), "{err}");
    }
}
