//! What a worker's Redis user must be allowed to do, for a given configuration: the commands it
//! sends (its own and those inside its Lua scripts), the keys it touches and the channel it
//! publishes on.
//!
//! One list serves three readers: the start-up check (`preflight.rs`) tries each command and key
//! here, [`Needs::acl_setuser`] writes the `ACL SETUSER` line the README documents, and a unit
//! test fails when a script in `lua/` calls a command missing from [`COMMANDS`].

use redis::IntoConnectionInfo;

use super::Keys;
use crate::config::Config;
use crate::config::topology::Topology;

/// Stands for a key in a probe's arguments.
const KEY: &str = "{key}";
/// Stands for the events channel in a probe's arguments.
const CHANNEL: &str = "{channel}";
/// Stands for the database number in a probe's arguments.
const DB: &str = "{db}";

/// A command a worker sends: its ACL name and the arguments of a call of the right shape, which
/// the start-up check queues inside a transaction it then discards (so nothing runs). Empty
/// arguments: the check runs the command itself (MULTI, DISCARD).
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// The name ACL rules use (`script|load` for a subcommand).
    pub acl: &'static str,
    /// The probe call.
    pub probe: &'static [&'static str],
}

const fn command(acl: &'static str, probe: &'static [&'static str]) -> Command {
    Command { acl, probe }
}

/// Every command a worker sends, in the order its ACL line lists them.
pub const COMMANDS: &[Command] = &[
    // Sent by the worker itself.
    command("blmove", &["BLMOVE", KEY, KEY, "LEFT", "RIGHT", "0"]),
    command("evalsha", &["EVALSHA", "0000000000000000000000000000000000000000", "1", KEY]),
    command("script|load", &["SCRIPT", "LOAD", "return 1"]),
    command("hgetall", &["HGETALL", KEY]),
    command("llen", &["LLEN", KEY]),
    command("lpos", &["LPOS", KEY, "v"]),
    command("ping", &["PING"]),
    // The start-up check's transaction.
    command("multi", &[]),
    command("discard", &[]),
    // Inside the Lua scripts.
    command("del", &["DEL", KEY]),
    command("exists", &["EXISTS", KEY]),
    command("expire", &["EXPIRE", KEY, "1"]),
    command("hdel", &["HDEL", KEY, "f"]),
    command("hget", &["HGET", KEY, "f"]),
    command("hincrby", &["HINCRBY", KEY, "f", "1"]),
    command("hmget", &["HMGET", KEY, "f"]),
    command("hset", &["HSET", KEY, "f", "v"]),
    command("lmove", &["LMOVE", KEY, KEY, "LEFT", "RIGHT"]),
    command("lpush", &["LPUSH", KEY, "v"]),
    command("lrange", &["LRANGE", KEY, "0", "-1"]),
    command("lrem", &["LREM", KEY, "0", "v"]),
    command("ltrim", &["LTRIM", KEY, "0", "-1"]),
    command("publish", &["PUBLISH", CHANNEL, "v"]),
    command("rpush", &["RPUSH", KEY, "v"]),
    command("sadd", &["SADD", KEY, "m"]),
    command("set", &["SET", KEY, "v"]),
    command("sismember", &["SISMEMBER", KEY, "m"]),
    // Also sent by the worker itself: a REST set is read before the script that ends its jobs.
    command("smembers", &["SMEMBERS", KEY]),
    command("srem", &["SREM", KEY, "m"]),
    command("time", &["TIME"]),
    command("xadd", &["XADD", KEY, "*", "f", "v"]),
    command("zadd", &["ZADD", KEY, "0", "m"]),
    command("zcard", &["ZCARD", KEY]),
    command("zrange", &["ZRANGE", KEY, "0", "-1"]),
    command("zrangebyscore", &["ZRANGEBYSCORE", KEY, "0", "1"]),
    command("zrem", &["ZREM", KEY, "m"]),
    command("zscore", &["ZSCORE", KEY, "m"]),
];

/// `SELECT`, needed only when `redis.url` names a database other than 0 (redis-rs selects it on
/// every new connection).
const SELECT: Command = command("select", &["SELECT", DB]);

/// `ROLE`: behind Sentinel or on a Cluster, the worker asks a server it found whether it is a
/// primary before using it.
const ROLE: Command = command("role", &["ROLE"]);

/// `CLUSTER SLOTS`: on a Cluster, how the worker finds the node serving its keys.
const CLUSTER_SLOTS: Command = command("cluster|slots", &["CLUSTER", "SLOTS"]);

/// A key the worker touches, and the ACL key pattern that grants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyNeed {
    /// A key of this kind as the worker names it; `<peer>` and `<job>` stand for any other
    /// worker's id and any job id.
    pub key: String,
    /// The pattern granting it (glob characters in configured names escaped).
    pub pattern: String,
}

/// Everything a worker with one configuration needs.
#[derive(Debug, Clone)]
pub struct Needs {
    /// The commands.
    pub commands: Vec<Command>,
    /// The database `redis.url` selects.
    pub db: i64,
    /// One entry per kind of key.
    pub keys: Vec<KeyNeed>,
    /// `P:events`.
    pub channel: String,
}

impl Needs {
    /// What a worker running with `config` needs.
    pub fn for_worker(config: &Config) -> Self {
        let keys = Keys::new(config);
        let queue = &config.redis.queue;
        let prefix = format!("{}:*", glob_escape(&config.redis.key_prefix));
        let processing = format!("{}*", glob_escape(&keys.processing_prefix));
        let exact = |key: &str| KeyNeed { key: key.to_owned(), pattern: glob_escape(key) };
        let under = |key: String, pattern: &str| KeyNeed { key, pattern: pattern.to_owned() };
        let keys_needed = vec![
            exact(queue),
            under(keys.processing.clone(), &processing),
            under(format!("{}<peer>", keys.processing_prefix), &processing),
            exact(&keys.dead),
            under(keys.job("<job>"), &prefix),
            under(keys.heartbeat.clone(), &prefix),
            under(format!("{}<peer>", keys.heartbeat_prefix), &prefix),
            under(keys.workers.clone(), &prefix),
            under(keys.heartbeats.clone(), &prefix),
            under(keys.event_stream.clone(), &prefix),
            under(keys.rest_jobs.clone(), &prefix),
            under(format!("{}<peer>", keys.rest_jobs_prefix), &prefix),
            under(keys.scheduled.clone(), &prefix),
            under(keys.attempts.clone(), &prefix),
            under(keys.queue_head.clone(), &prefix),
            exact(&keys.results),
            exact(&keys.failures),
        ];
        let db = config.redis.url.as_str().into_connection_info().map_or(0, |info| info.redis_settings().db());
        let mut commands = COMMANDS.to_vec();
        if db != 0 {
            commands.push(SELECT);
        }
        match Topology::from_config(config) {
            Ok(Topology::Standalone) | Err(_) => {}
            Ok(Topology::Sentinel { .. }) => commands.push(ROLE),
            Ok(Topology::Cluster { .. }) => commands.extend([ROLE, CLUSTER_SLOTS]),
        }
        Self { commands, db, keys: keys_needed, channel: keys.events }
    }

    /// The probe call of `command`, its placeholders filled in; the key is a job record's.
    pub fn probe_args(&self, command: &Command) -> Vec<String> {
        let key = self.keys.iter().find(|k| k.key.ends_with("<job>")).map_or("", |k| k.key.as_str());
        command
            .probe
            .iter()
            .map(|arg| match *arg {
                KEY => key.to_owned(),
                CHANNEL => self.channel.clone(),
                DB => self.db.to_string(),
                other => other.to_owned(),
            })
            .collect()
    }

    /// The distinct key patterns, in order.
    pub fn key_patterns(&self) -> Vec<&str> {
        let mut patterns: Vec<&str> = Vec::new();
        for need in &self.keys {
            if !patterns.contains(&need.pattern.as_str()) {
                patterns.push(&need.pattern);
            }
        }
        patterns
    }

    /// The channel pattern.
    pub fn channel_pattern(&self) -> String {
        glob_escape(&self.channel)
    }

    /// The `ACL SETUSER` line that gives `user` exactly what a worker needs, for `redis-cli`. The
    /// password is the placeholder `PASSWORD`: secrets never reach output.
    pub fn acl_setuser(&self, user: &str) -> String {
        let mut words = vec!["ACL".to_owned(), "SETUSER".to_owned(), user.to_owned()];
        words.extend(["reset", "on", ">PASSWORD"].map(str::to_owned));
        words.extend(self.commands.iter().map(|c| format!("+{}", c.acl)));
        words.extend(self.key_patterns().into_iter().map(|p| format!("~{p}")));
        words.push(format!("&{}", self.channel_pattern()));
        cli_line(&words)
    }
}

/// The words as one `redis-cli` line, quoting those that need it.
pub fn cli_line(words: &[String]) -> String {
    let quoted: Vec<String> = words
        .iter()
        .map(|word| {
            if !word.is_empty() && !word.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
                word.clone()
            } else {
                format!("\"{}\"", word.replace('\\', "\\\\").replace('"', "\\\""))
            }
        })
        .collect();
    quoted.join(" ")
}

/// `name` as an ACL glob pattern that matches only itself.
fn glob_escape(name: &str) -> String {
    let mut escaped = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn config() -> Config {
        let mut config = Config::default();
        config.worker.id = "w1".to_owned();
        config
    }

    /// Every command a Lua script calls, lower-case.
    fn script_commands() -> BTreeSet<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/broker/lua");
        let mut found = BTreeSet::new();
        for entry in std::fs::read_dir(dir).expect("lua folder") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("script");
            for call in ["redis.call(", "redis.pcall("] {
                for rest in text.split(call).skip(1) {
                    let name: String =
                        rest.trim_start_matches(['\'', '"']).chars().take_while(char::is_ascii_alphanumeric).collect();
                    found.insert(name.to_ascii_lowercase());
                }
            }
        }
        found
    }

    #[test]
    fn every_command_a_script_calls_is_needed() {
        let needed: BTreeSet<&str> = COMMANDS.iter().map(|c| c.acl).collect();
        let calls = script_commands();
        assert!(calls.len() > 10, "found the scripts' calls: {calls:?}");
        let missing: Vec<&String> = calls.iter().filter(|c| !needed.contains(c.as_str())).collect();
        assert!(missing.is_empty(), "scripts call {missing:?}: add them to COMMANDS (and the README's ACL line)");
    }

    #[test]
    fn probes_name_their_own_command() {
        for command in COMMANDS.iter().filter(|c| !c.probe.is_empty()) {
            let words = command.acl.split('|').collect::<Vec<_>>().join(" ");
            assert_eq!(command.probe[..words.split(' ').count()].join(" ").to_lowercase(), words, "{command:?}");
        }
    }

    #[test]
    fn the_readme_documents_the_line_for_the_default_config() {
        let readme = include_str!("../../../README.md");
        let line = Needs::for_worker(&config()).acl_setuser("meetbot");
        assert!(readme.contains(&line), "README.md must show this exact line:\n{line}");
    }

    #[test]
    fn default_config_needs_its_queue_prefix_lists_and_channel() {
        let needs = Needs::for_worker(&config());
        assert_eq!(
            needs.key_patterns(),
            [
                "jobs:meetbot:list",
                "jobs:meetbot:list:processing:*",
                "jobs:meetbot:list:dead",
                "meetbot:*",
                "jobs:meetbot:recordings",
                "jobs:meetbot:failures"
            ]
        );
        assert_eq!(needs.channel_pattern(), "meetbot:events");
        assert!(!needs.commands.iter().any(|c| c.acl == "select"));
        assert!(needs.keys.iter().any(|k| k.key == "jobs:meetbot:list:processing:<peer>"));
    }

    #[test]
    fn a_database_other_than_0_needs_select() {
        let mut config = config();
        config.redis.url = "redis://h:6379/3".to_owned();
        let needs = Needs::for_worker(&config);
        let select = needs.commands.iter().find(|c| c.acl == "select").expect("select needed");
        assert_eq!(needs.probe_args(select), ["SELECT", "3"]);
    }

    #[test]
    fn sentinel_needs_role_and_a_cluster_also_cluster_slots() {
        let acl = |needs: Needs| needs.commands.iter().map(|c| c.acl).collect::<Vec<_>>();
        let plain = acl(Needs::for_worker(&config()));
        assert!(!plain.contains(&"role") && !plain.contains(&"cluster|slots"), "{plain:?}");
        let mut sentinel = config();
        sentinel.redis.sentinels = vec!["h:26379".to_owned()];
        let sentinel = acl(Needs::for_worker(&sentinel));
        assert!(sentinel.contains(&"role") && !sentinel.contains(&"cluster|slots"), "{sentinel:?}");
        let mut cluster = config();
        cluster.redis.cluster_nodes = vec!["h:7000".to_owned()];
        cluster.redis.queue = "{m}:jobs".to_owned();
        cluster.redis.key_prefix = "{m}".to_owned();
        cluster.notify.redis_results_list = "{m}:r".to_owned();
        cluster.notify.redis_failures_list = "{m}:f".to_owned();
        let cluster = acl(Needs::for_worker(&cluster));
        assert!(cluster.contains(&"role") && cluster.contains(&"cluster|slots"), "{cluster:?}");
    }

    #[test]
    fn glob_characters_in_names_are_escaped_and_odd_names_quoted() {
        let mut config = config();
        config.redis.queue = "q*[1]".to_owned();
        config.redis.key_prefix = "my app".to_owned();
        let needs = Needs::for_worker(&config);
        assert_eq!(needs.key_patterns()[..2], ["q\\*\\[1\\]", "q\\*\\[1\\]:processing:*"]);
        let line = needs.acl_setuser("bot");
        assert!(line.contains(" \"~my app:*\" "), "{line}");
        assert!(line.ends_with(" \"&my app:events\""), "{line}");
    }

    #[test]
    fn probe_args_fill_in_key_and_channel() {
        let needs = Needs::for_worker(&config());
        let publish = COMMANDS.iter().find(|c| c.acl == "publish").expect("publish");
        assert_eq!(needs.probe_args(publish), ["PUBLISH", "meetbot:events", "v"]);
        let hget = COMMANDS.iter().find(|c| c.acl == "hget").expect("hget");
        assert_eq!(needs.probe_args(hget), ["HGET", "meetbot:job:<job>", "f"]);
    }
}
