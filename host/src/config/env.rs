//! The environment layer of the configuration (docs/REFERENCE.md section 2): it is applied onto the TOML
//! table read from the file, before that table is turned into a [`Config`](super::Config), so the
//! file and the environment share one deserialization and one set of error messages.
//!
//! Two families of variables are understood:
//! - `MEETBOT__SECTION__KEY` (any depth, case-insensitive) for every key;
//! - the original deployment's variables (`REDIS_HOST`, `PORT`, ...), kept so existing deployments
//!   work unchanged. They are applied first, so an explicit `MEETBOT__` variable wins over them.

use std::{collections::BTreeMap, fmt::Write as _};

use toml::{Table, Value};

use super::load::{ConfigError, suggest};

/// Prefix of the variables that set any key.
pub(super) const PREFIX: &str = "MEETBOT__";

/// Names the config file; `load` reads it, it is never a key.
pub(super) const CONFIG_VAR: &str = "MEETBOT_CONFIG";

/// The password placeholder; also used by `mask`, so a masked URL looks the same everywhere.
pub(super) const MASK: &str = "********";

/// The variables that together build `redis.url`, in the order they are reported.
const REDIS_URL_VARS: [&str; 4] = ["REDIS_HOST", "REDIS_PORT", "REDIS_USERNAME", "REDIS_PASSWORD"];

/// Which variable set each dotted key, so a later type or validation error can name the variable
/// the operator has to fix rather than a key they never wrote.
pub(super) type EnvOrigins = BTreeMap<String, String>;

/// Applies the environment onto `table` (the file's content) and returns which variable set which
/// key. `defaults` is the default config as a table: it is the authority on which keys exist and
/// on each key's type, since a variable's text alone cannot say whether `123` is a number.
pub(super) fn overlay<I>(table: &mut Table, defaults: &Table, env: I) -> Result<EnvOrigins, ConfigError>
where
    I: IntoIterator<Item = (String, String)>,
{
    // Sorted so that the outcome does not depend on the order the OS lists variables in.
    let vars: BTreeMap<String, String> = env.into_iter().collect();
    let mut origins = EnvOrigins::new();
    apply_legacy(table, defaults, &vars, &mut origins)?;
    for (var, raw) in &vars {
        let Some(rest) = strip_prefix_ignore_case(var, PREFIX) else { continue };
        let segments: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        let key = segments.join(".");
        let default = lookup_default(defaults, &segments).map_err(|known| ConfigError::UnknownVariable {
            var: var.clone(),
            key: key.clone(),
            suggestion: known.and_then(|(section, names)| {
                let last = segments.last().map_or("", String::as_str);
                suggest(last, names).map(|name| env_name(&section, &name))
            }),
        })?;
        if let Value::Table(_) = default {
            return Err(ConfigError::BadVariable {
                var: var.clone(),
                reason: format!("`{key}` is a section, not a key; set its keys one by one (like {var}__KEY)"),
            });
        }
        let value =
            typed_value(default, raw).map_err(|reason| ConfigError::BadVariable { var: var.clone(), reason })?;
        set(table, &segments, value);
        origins.insert(key, var.clone());
    }
    Ok(origins)
}

/// The original deployment's variables. An empty value counts as unset: its `.env` templates list
/// every variable, most of them left empty.
fn apply_legacy(
    table: &mut Table,
    defaults: &Table,
    vars: &BTreeMap<String, String>,
    origins: &mut EnvOrigins,
) -> Result<(), ConfigError> {
    let get = |name: &str| vars.get(name).map(String::as_str).filter(|v| !v.is_empty());

    let redis_given: Vec<&str> = REDIS_URL_VARS.into_iter().filter(|name| get(name).is_some()).collect();
    if !redis_given.is_empty() {
        // Start from whatever URL the file (or the default) has, so that e.g. only REDIS_PASSWORD
        // adds a password to a `rediss://` URL and keeps its host, port and database.
        let current = table
            .get("redis")
            .and_then(|r| r.get("url"))
            .or_else(|| defaults.get("redis").and_then(|r| r.get("url")))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut url = RedisUrl::parse(current).unwrap_or_default();
        if let Some(host) = get("REDIS_HOST") {
            let host = host.trim();
            url.host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_owned() };
        }
        if let Some(port) = get("REDIS_PORT") {
            url.port = Some(parse_port("REDIS_PORT", port)?.to_string());
        }
        if let Some(user) = get("REDIS_USERNAME") {
            url.username = encode_userinfo(user);
        }
        if let Some(password) = get("REDIS_PASSWORD") {
            url.password = Some(encode_userinfo(password));
        }
        if url.host.is_empty() {
            url.host = "127.0.0.1".to_owned();
        }
        if url.port.as_deref().is_none_or(str::is_empty) {
            url.port = Some("6379".to_owned());
        }
        set(table, &["redis", "url"], Value::String(url.to_string()));
        origins.insert("redis.url".to_owned(), redis_given.join(", "));
    }

    if let Some(queue) = get("REDIS_QUEUE_NAME") {
        set(table, &["redis", "queue"], Value::String(queue.to_owned()));
        origins.insert("redis.queue".to_owned(), "REDIS_QUEUE_NAME".to_owned());
    }
    if let Some(raw) = get("REDIS_CONSUMER_ENABLED") {
        let enabled = parse_bool(raw).ok_or_else(|| ConfigError::BadVariable {
            var: "REDIS_CONSUMER_ENABLED".to_owned(),
            reason: format!("{raw:?} is not one of true, false, 1, 0"),
        })?;
        set(table, &["redis", "enabled"], Value::Boolean(enabled));
        origins.insert("redis.enabled".to_owned(), "REDIS_CONSUMER_ENABLED".to_owned());
    }
    for (var, key) in [
        ("MAX_RECORDING_DURATION_MINUTES", "max_duration_secs"),
        ("JOIN_WAIT_TIME_MINUTES", "waiting_room_timeout_secs"),
    ] {
        if let Some(raw) = get(var) {
            let secs = raw
                .trim()
                .parse::<u64>()
                .ok()
                .and_then(|minutes| minutes.checked_mul(60))
                .and_then(|secs| i64::try_from(secs).ok())
                .ok_or_else(|| ConfigError::BadVariable {
                    var: var.to_owned(),
                    reason: format!("{raw:?} is not a whole number of minutes"),
                })?;
            set(table, &["auto_leave", key], Value::Integer(secs));
            origins.insert(format!("auto_leave.{key}"), var.to_owned());
        }
    }
    for (var, key) in [("NOTIFY_WEBHOOK_URL", "webhook_url"), ("NOTIFY_WEBHOOK_SECRET", "webhook_secret")] {
        if let Some(value) = get(var) {
            set(table, &["notify", key], Value::String(value.to_owned()));
            origins.insert(format!("notify.{key}"), var.to_owned());
        }
    }
    if let Some(raw) = get("PORT") {
        // Every interface, as the original service listened (its deployments reach it from
        // outside a container). Validation then wants `api.auth_token` or an explicit
        // `api.allow_unauthenticated`: an upgrade stops with a message rather than expose the API.
        let port = parse_port("PORT", raw)?;
        set(table, &["api", "listen"], Value::String(format!("0.0.0.0:{port}")));
        origins.insert("api.listen".to_owned(), "PORT".to_owned());
    }
    Ok(())
}

fn parse_port(var: &str, raw: &str) -> Result<u16, ConfigError> {
    raw.trim().parse::<u16>().ok().filter(|port| *port != 0).ok_or_else(|| ConfigError::BadVariable {
        var: var.to_owned(),
        reason: format!("{raw:?} is not a port number (1-65535)"),
    })
}

/// `var` without `prefix`, if it starts with it in any case (variable names are case-sensitive
/// on Unix, but the contract says keys are not, and a lowercase prefix is an easy slip).
fn strip_prefix_ignore_case<'a>(var: &'a str, prefix: &str) -> Option<&'a str> {
    let head = var.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &var[prefix.len()..])
}

/// The default value at `segments`. On failure, for a "did you mean", the dotted section where the
/// walk stopped and the names it holds (when it is a section at all).
fn lookup_default<'a>(defaults: &'a Table, segments: &[String]) -> Result<&'a Value, Option<(String, Vec<&'a str>)>> {
    let mut table = defaults;
    let mut walked = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        let Some(value) = table.get(segment) else {
            return Err(Some((walked.join("."), table.keys().map(String::as_str).collect())));
        };
        if i + 1 == segments.len() {
            return Ok(value);
        }
        match value {
            Value::Table(inner) => table = inner,
            _ => return Err(None),
        }
        walked.push(segment.as_str());
    }
    Err(None)
}

/// The variable that sets `name` inside the dotted `section`.
fn env_name(section: &str, name: &str) -> String {
    let mut var = PREFIX.to_owned();
    for part in section.split('.').filter(|p| !p.is_empty()).chain([name]) {
        var.push_str(&part.to_ascii_uppercase());
        var.push_str("__");
    }
    var.truncate(var.len() - 2);
    var
}

/// The variable's text as a value of the default's type. A string key keeps the text as is:
/// `MEETBOT__WORKER__ID=123` means the id "123", never a number that fails to deserialize.
fn typed_value(default: &Value, raw: &str) -> Result<Value, String> {
    match default {
        Value::String(_) => Ok(Value::String(raw.to_owned())),
        Value::Integer(_) => match raw.trim().parse::<Value>() {
            Ok(value @ Value::Integer(_)) => Ok(value),
            _ => Err(format!("{raw:?} is not a whole number")),
        },
        Value::Boolean(_) => {
            parse_bool(raw).map(Value::Boolean).ok_or_else(|| format!("{raw:?} is not one of true, false, 1, 0"))
        }
        Value::Array(_) => {
            let trimmed = raw.trim();
            if trimmed.is_empty() {
                // The only way to clear a list from the environment.
                Ok(Value::Array(Vec::new()))
            } else if trimmed.starts_with('[') {
                match trimmed.parse::<Value>() {
                    Ok(value @ Value::Array(_)) => Ok(value),
                    _ => Err(format!("{raw:?} is not a TOML array like [\"a\", \"b\"]")),
                }
            } else {
                // Not split on commas: Chromium switches such as --host-resolver-rules contain them.
                Ok(Value::Array(vec![Value::String(raw.to_owned())]))
            }
        }
        _ => Ok(raw.trim().parse::<Value>().unwrap_or_else(|_| Value::String(raw.to_owned()))),
    }
}

/// Booleans as the original deployment wrote them (`1`/`0`) as well as TOML's.
fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// Sets `value` at `segments`, creating sections the file did not have. A non-table where a
/// section belongs is replaced: the environment wins, and the file's mistake no longer matters.
fn set<S: AsRef<str>>(table: &mut Table, segments: &[S], value: Value) {
    let Some((last, parents)) = segments.split_last() else { return };
    let mut table = table;
    for segment in parents {
        let slot = table.entry(segment.as_ref()).or_insert_with(|| Value::Table(Table::new()));
        if !slot.is_table() {
            *slot = Value::Table(Table::new());
        }
        let Value::Table(inner) = slot else { return };
        table = inner;
    }
    table.insert(last.as_ref().to_owned(), value);
}

/// Percent-encodes a user name or password for the userinfo part of a URL. Everything but RFC
/// 3986's unreserved characters is encoded, so `@`, `:` and `/` in a password cannot break the URL.
fn encode_userinfo(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// A `redis://` URL split into the parts the legacy variables replace. Parts keep their encoded
/// form, so parts nobody replaced come out exactly as they went in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RedisUrl {
    /// `redis` or `rediss`.
    pub(super) scheme: String,
    /// Percent-encoded; empty when absent.
    pub(super) username: String,
    /// Percent-encoded; `None` when there is no `:` in the userinfo.
    pub(super) password: Option<String>,
    /// Host name or address; IPv6 keeps its brackets.
    pub(super) host: String,
    /// The port text, when the URL has one.
    pub(super) port: Option<String>,
    /// Path, query and fragment (the database number lives here), unchanged.
    pub(super) rest: String,
}

impl Default for RedisUrl {
    fn default() -> Self {
        Self {
            scheme: "redis".to_owned(),
            username: String::new(),
            password: None,
            host: String::new(),
            port: None,
            rest: String::new(),
        }
    }
}

impl RedisUrl {
    /// Splits `url`; `None` without a `scheme://`.
    pub(super) fn parse(url: &str) -> Option<Self> {
        let (scheme, after) = url.split_once("://")?;
        // The last `@` before any query is the userinfo's end, so that an unencoded `@` or `/`
        // in a password is still taken as part of the password (and so masked).
        let query_start = after.find(['?', '#']).unwrap_or(after.len());
        let (userinfo, hostpart) = match after[..query_start].rfind('@') {
            Some(at) => (Some(&after[..at]), &after[at + 1..]),
            None => (None, after),
        };
        let (username, password) = match userinfo {
            Some(info) => match info.split_once(':') {
                Some((user, password)) => (user.to_owned(), Some(password.to_owned())),
                None => (info.to_owned(), None),
            },
            None => (String::new(), None),
        };
        let authority_end = hostpart.find(['/', '?', '#']).unwrap_or(hostpart.len());
        let (authority, rest) = hostpart.split_at(authority_end);
        let (host, port) = if authority.starts_with('[') {
            match authority.find(']') {
                Some(close) => {
                    let (host, tail) = authority.split_at(close + 1);
                    (host, tail.strip_prefix(':'))
                }
                None => (authority, None),
            }
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        Some(Self {
            scheme: scheme.to_owned(),
            username,
            password,
            host: host.to_owned(),
            port: port.map(str::to_owned),
            rest: rest.to_owned(),
        })
    }

    /// The same URL with a non-empty password replaced by the mask.
    pub(super) fn masked(&self) -> Self {
        let mut masked = self.clone();
        if masked.password.as_deref().is_some_and(|p| !p.is_empty()) {
            masked.password = Some(MASK.to_owned());
        }
        masked
    }
}

impl std::fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://", self.scheme)?;
        if !self.username.is_empty() || self.password.is_some() {
            f.write_str(&self.username)?;
            if let Some(password) = &self.password {
                write!(f, ":{password}")?;
            }
            f.write_str("@")?;
        }
        f.write_str(&self.host)?;
        if let Some(port) = &self.port {
            write!(f, ":{port}")?;
        }
        f.write_str(&self.rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn defaults() -> Table {
        match Value::try_from(Config::default()).expect("defaults serialize") {
            Value::Table(t) => t,
            other => panic!("not a table: {other:?}"),
        }
    }

    fn run(table: &mut Table, vars: &[(&str, &str)]) -> Result<EnvOrigins, ConfigError> {
        overlay(table, &defaults(), vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
    }

    fn get<'a>(table: &'a Table, key: &str) -> &'a Value {
        let mut value = None;
        let mut current = table;
        for part in key.split('.') {
            let v = current.get(part).unwrap_or_else(|| panic!("no {key}"));
            if let Value::Table(t) = v {
                current = t;
            }
            value = Some(v);
        }
        value.expect("non-empty key")
    }

    #[test]
    fn string_keys_stay_strings_and_numbers_parse() {
        let mut t = Table::new();
        let origins = run(
            &mut t,
            &[
                ("MEETBOT__WORKER__ID", "123"),
                ("MEETBOT__WORKER__MAX_CONCURRENT_JOBS", "4"),
                ("meetbot__api__enabled", "false"),
                ("MEETBOT__BROWSER__ARGS", r#"["--a", "--b=1,2"]"#),
                ("MEETBOT__PLUGINS__DIRS", "/opt/plugins"),
                ("MEETBOT_CONFIG", "/nowhere.toml"),
                ("UNRELATED", "x"),
            ],
        )
        .expect("overlay");
        assert_eq!(get(&t, "worker.id"), &Value::String("123".into()));
        assert_eq!(get(&t, "worker.max_concurrent_jobs"), &Value::Integer(4));
        assert_eq!(get(&t, "api.enabled"), &Value::Boolean(false));
        assert_eq!(
            get(&t, "browser.args"),
            &Value::Array(vec![Value::String("--a".into()), Value::String("--b=1,2".into())])
        );
        assert_eq!(get(&t, "plugins.dirs"), &Value::Array(vec![Value::String("/opt/plugins".into())]));
        assert_eq!(origins.get("api.enabled").map(String::as_str), Some("meetbot__api__enabled"));
    }

    #[test]
    fn nested_keys() {
        let mut t = Table::new();
        run(&mut t, &[("MEETBOT__STORAGE__S3__BUCKET", "recs"), ("MEETBOT__STORAGE__S3__PATH_STYLE", "1")])
            .expect("overlay");
        assert_eq!(get(&t, "storage.s3.bucket"), &Value::String("recs".into()));
        assert_eq!(get(&t, "storage.s3.path_style"), &Value::Boolean(true));
    }

    #[test]
    fn unknown_and_bad_variables_are_named() {
        let mut t = Table::new();
        let err = run(&mut t, &[("MEETBOT__WORKER__MAX_CONCURENT_JOBS", "2")]).expect_err("unknown");
        let msg = err.to_string();
        assert!(msg.contains("MEETBOT__WORKER__MAX_CONCURENT_JOBS"), "{msg}");
        assert!(msg.contains("MEETBOT__WORKER__MAX_CONCURRENT_JOBS"), "suggestion: {msg}");

        let err = run(&mut t, &[("MEETBOT__NOPE__X", "2")]).expect_err("unknown section");
        assert!(err.to_string().contains("MEETBOT__NOPE__X"), "{err}");

        let err = run(&mut t, &[("MEETBOT__WORKER", "2")]).expect_err("section");
        assert!(err.to_string().contains("is a section"), "{err}");

        let err = run(&mut t, &[("MEETBOT__WORKER__HEARTBEAT_TTL_SECS", "soon")]).expect_err("not a number");
        assert!(err.to_string().contains("MEETBOT__WORKER__HEARTBEAT_TTL_SECS"), "{err}");

        for port in ["70000", "0", "redis"] {
            let err = run(&mut t, &[("REDIS_PORT", port)]).expect_err("port");
            assert!(err.to_string().contains("REDIS_PORT"), "{err}");
        }
        let err = run(&mut t, &[("PORT", "x")]).expect_err("port");
        assert_eq!(err.to_string(), "environment variable PORT: \"x\" is not a port number (1-65535)");
    }

    #[test]
    fn legacy_redis_parts_build_the_url() {
        let mut t = Table::new();
        run(&mut t, &[("REDIS_PASSWORD", "p@ss:w/rd"), ("REDIS_HOST", "redis.internal")]).expect("overlay");
        assert_eq!(get(&t, "redis.url"), &Value::String("redis://:p%40ss%3Aw%2Frd@redis.internal:6379".into()));

        let mut t: Table = "[redis]\nurl = \"rediss://old:secret@cache:6380/2\"".parse().expect("toml");
        run(&mut t, &[("REDIS_USERNAME", "bot user")]).expect("overlay");
        assert_eq!(get(&t, "redis.url"), &Value::String("rediss://bot%20user:secret@cache:6380/2".into()));

        let mut t = Table::new();
        run(&mut t, &[("REDIS_PORT", "6390"), ("REDIS_HOST", "::1")]).expect("overlay");
        assert_eq!(get(&t, "redis.url"), &Value::String("redis://[::1]:6390".into()));
    }

    #[test]
    fn meetbot_variables_win_over_legacy_ones() {
        let mut t = Table::new();
        let origins = run(
            &mut t,
            &[
                ("PORT", "8080"),
                ("MEETBOT__API__LISTEN", "127.0.0.1:1"),
                ("REDIS_QUEUE_NAME", "legacy:q"),
                ("MAX_RECORDING_DURATION_MINUTES", "90"),
                ("JOIN_WAIT_TIME_MINUTES", "5"),
                ("REDIS_CONSUMER_ENABLED", "1"),
                ("NOTIFY_WEBHOOK_URL", "https://hooks.example/x"),
                ("NOTIFY_WEBHOOK_SECRET", ""),
            ],
        )
        .expect("overlay");
        assert_eq!(get(&t, "api.listen"), &Value::String("127.0.0.1:1".into()));
        assert_eq!(origins.get("api.listen").map(String::as_str), Some("MEETBOT__API__LISTEN"));
        assert_eq!(get(&t, "redis.queue"), &Value::String("legacy:q".into()));
        assert_eq!(get(&t, "auto_leave.max_duration_secs"), &Value::Integer(5400));
        assert_eq!(get(&t, "auto_leave.waiting_room_timeout_secs"), &Value::Integer(300));
        assert_eq!(get(&t, "redis.enabled"), &Value::Boolean(true));
        assert_eq!(get(&t, "notify.webhook_url"), &Value::String("https://hooks.example/x".into()));
        assert!(t.get("notify").and_then(|n| n.get("webhook_secret")).is_none(), "empty legacy var is unset");
    }

    #[test]
    fn redis_url_round_trips_and_masks() {
        for url in ["redis://127.0.0.1:6379", "rediss://u:p@h:1/0?x=y", "redis://[::1]:6379/3", "redis://h"] {
            assert_eq!(RedisUrl::parse(url).expect("parses").to_string(), url);
        }
        let url = RedisUrl::parse("redis://user:pa@ss/word@host:6379/0").expect("parses");
        assert_eq!(url.masked().to_string(), "redis://user:********@host:6379/0");
        assert_eq!(RedisUrl::parse("redis://:@h:1").expect("parses").masked().to_string(), "redis://:@h:1");
    }
}
