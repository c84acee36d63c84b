//! The start-up check of this worker's access to Redis: the credentials in `redis.url`, the TLS
//! certificates, and every permission the worker needs ([`Needs`]).
//!
//! Without it a worker whose user lacks one permission starts fine and then fails the same command
//! forever, each loop logging NOPERM with backoff. With it, a refusal is one error naming what is
//! missing, and the process exits. Redis that merely cannot be reached is no refusal: the worker
//! starts, and the check runs again once Redis answers.
//!
//! Each command and key is tried inside a transaction (MULTI ... DISCARD): Redis checks ACL rules
//! when a command is queued, so the probes are judged exactly as the real commands would be, and
//! none of them ever runs. A probe is only sent once MULTI has succeeded.

use std::{collections::BTreeSet, fmt, sync::Arc, time::Duration};

use redis::{AsyncConnectionConfig, ErrorKind, RedisError, Value, aio::MultiplexedConnection};
use rustls::{AlertDescription, CertificateError};
use tokio::task::JoinHandle;

use super::{
    Endpoint,
    locate::LocateError,
    permissions::{Command, KeyNeed, Needs, cli_line},
};
use crate::{backoff::Backoff, config::RedisConfig};

/// Why Redis will not let this worker do its work. Each message is one line an operator can act on;
/// none carries a password.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Refused {
    /// AUTH failed.
    #[error(
        "redis at {addr} refused user `{user}` with the password in `redis.url`: wrong password, or the user does not exist or is disabled"
    )]
    Credentials {
        /// `host:port`.
        addr: String,
        /// The user in `redis.url` (`default` when none).
        user: String,
    },
    /// The server needs a password and `redis.url` has none.
    #[error(
        "redis at {addr} requires a password: give user and password in `redis.url` (redis://USER:PASSWORD@host:port)"
    )]
    PasswordRequired {
        /// `host:port`.
        addr: String,
    },
    /// The TLS handshake failed.
    #[error("TLS with redis at {addr} failed: {detail}; {hint}")]
    Tls {
        /// `host:port`.
        addr: String,
        /// What rustls said.
        detail: String,
        /// What to change.
        hint: String,
    },
    /// The user lacks permissions.
    #[error(
        "redis user `{user}` at {addr} lacks permissions this worker needs: {missing}; grant them with `{grant}` (the whole rule set is in the README, \"Redis security\")"
    )]
    Permissions {
        /// `host:port`.
        addr: String,
        /// The user.
        user: String,
        /// What is missing.
        missing: Missing,
        /// An `ACL SETUSER` line adding exactly what is missing.
        grant: String,
    },
    /// The sentinels or cluster nodes of the configuration cannot lead to a server (an unknown
    /// primary name, a node that is no cluster node).
    #[error(transparent)]
    Topology(LocateError),
    /// The server cannot serve a worker whatever the user may do (a replica, an old version).
    #[error("redis at {addr} cannot serve this worker: {detail}")]
    Unusable {
        /// `host:port`.
        addr: String,
        /// Why.
        detail: String,
    },
}

/// The permissions a check found missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Missing {
    /// ACL names of denied commands.
    pub commands: BTreeSet<&'static str>,
    /// Denied keys, with the patterns that would grant them.
    pub keys: Vec<KeyNeed>,
    /// The events channel, when publishing to it is denied.
    pub channel: Option<String>,
    /// The denial stopped the check before the rest could be tried (MULTI, or SELECT while
    /// connecting).
    pub rest_unchecked: bool,
}

impl Missing {
    fn is_empty(&self) -> bool {
        self.commands.is_empty() && self.keys.is_empty() && self.channel.is_none()
    }

    /// `ACL SETUSER <user>` with exactly the missing rules.
    fn grant(&self, user: &str, channel_pattern: &str) -> String {
        let mut words = vec!["ACL".to_owned(), "SETUSER".to_owned(), user.to_owned()];
        words.extend(self.commands.iter().map(|c| format!("+{c}")));
        let mut patterns: Vec<&str> = Vec::new();
        for need in &self.keys {
            if !patterns.contains(&need.pattern.as_str()) {
                patterns.push(&need.pattern);
            }
        }
        words.extend(patterns.into_iter().map(|p| format!("~{p}")));
        if self.channel.is_some() {
            words.push(format!("&{channel_pattern}"));
        }
        cli_line(&words)
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if !self.commands.is_empty() {
            parts.push(format!("commands {}", self.commands.iter().copied().collect::<Vec<_>>().join(", ")));
        }
        if !self.keys.is_empty() {
            let keys: Vec<&str> = self.keys.iter().map(|k| k.key.as_str()).collect();
            parts.push(format!("keys {}", keys.join(", ")));
        }
        if let Some(channel) = &self.channel {
            parts.push(format!("channel {channel}"));
        }
        f.write_str(&parts.join("; "))?;
        if self.rest_unchecked {
            f.write_str(" (the rest is checked once this is granted)")?;
        }
        Ok(())
    }
}

/// What one check found.
#[derive(Debug)]
pub enum Verdict {
    /// Everything the worker needs is allowed.
    Allowed,
    /// Redis answered and refused.
    Refused(Refused),
    /// Redis could not be asked (down, unreachable, busy); the error as text.
    Unreachable(String),
}

/// What the worker's Redis setup looks like, for the hints of TLS errors.
#[derive(Debug, Clone, Copy)]
struct TlsSetup {
    ca_file: bool,
    client_certificate: bool,
}

/// Runs the check once on a connection of its own, to the server holding meetbot's keys.
pub async fn check(endpoint: &Endpoint, needs: &Needs, redis: &RedisConfig) -> Verdict {
    let client = match endpoint.client().await {
        Ok(client) => client,
        Err(error) if error.is_refusal() => return Verdict::Refused(Refused::Topology(error)),
        Err(error) => return Verdict::Unreachable(error.to_string()),
    };
    let info = client.get_connection_info();
    let judge = Judge {
        addr: info.addr().to_string(),
        user: info.redis_settings().username().unwrap_or("default").to_owned(),
        tls: TlsSetup {
            ca_file: !redis.tls_ca_file.as_os_str().is_empty(),
            client_certificate: !redis.tls_cert_file.as_os_str().is_empty(),
        },
    };
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(3)))
        .set_response_timeout(Some(Duration::from_secs(5)));
    let mut conn = match client.get_multiplexed_async_connection_with_config(&config).await {
        Ok(conn) => conn,
        // Only SELECT, sent while connecting, can be denied before a probe runs.
        Err(error) => return judge.failure(&error, needs, "select"),
    };
    let mut missing = Missing::default();
    let result = probe_all(&mut conn, needs, &mut missing).await;
    match result {
        Ok(()) if missing.is_empty() => Verdict::Allowed,
        Ok(()) => Verdict::Refused(judge.permissions(missing, needs)),
        Err((error, command)) => judge.failure(&error, needs, command),
    }
}

/// Queues every probe inside MULTI and discards it, noting denials in `missing`. Any other error
/// stops the check; it comes back with the command it answered.
async fn probe_all(
    conn: &mut MultiplexedConnection,
    needs: &Needs,
    missing: &mut Missing,
) -> Result<(), (RedisError, &'static str)> {
    // Without MULTI the probes would really run: nothing is sent unless it succeeded.
    redis::cmd("MULTI").query_async::<()>(conn).await.map_err(|e| (e, "multi"))?;
    let job_key = needs.keys.iter().find(|k| k.key.ends_with("<job>"));
    for command in needs.commands.iter().filter(|c| !c.probe.is_empty()) {
        let args = needs.probe_args(command);
        if let Err(error) = queue(conn, &args).await {
            let denial = denial(&error).ok_or((error, command.acl))?;
            note(missing, denial, command, job_key, &needs.channel);
        }
    }
    let evalsha = needs.commands.iter().find(|c| c.acl == "evalsha");
    for key in &needs.keys {
        let args = ["EVALSHA", "0000000000000000000000000000000000000000", "1", &key.key].map(str::to_owned);
        if let Err(error) = queue(conn, &args).await {
            let denial = denial(&error).ok_or((error, "evalsha"))?;
            // A denied EVALSHA is already noted; only the key's own denial is news.
            if denial == Denial::Key
                && let Some(evalsha) = evalsha
            {
                note(missing, denial, evalsha, Some(key), &needs.channel);
            }
        }
    }
    if let Err(error) = redis::cmd("DISCARD").query_async::<()>(conn).await {
        denial(&error).ok_or((error, "discard"))?;
        // The connection is dropped right after, which discards the transaction all the same.
        missing.commands.insert("discard");
    }
    Ok(())
}

async fn queue(conn: &mut MultiplexedConnection, args: &[String]) -> Result<Value, RedisError> {
    let mut cmd = redis::Cmd::new();
    for arg in args {
        cmd.arg(arg);
    }
    cmd.query_async(conn).await
}

fn note(missing: &mut Missing, denial: Denial, command: &Command, key: Option<&KeyNeed>, channel: &str) {
    match denial {
        Denial::Command => {
            missing.commands.insert(command.acl);
        }
        Denial::Key => {
            if let Some(key) = key
                && !missing.keys.contains(key)
            {
                missing.keys.push(key.clone());
            }
        }
        Denial::Channel => missing.channel = Some(channel.to_owned()),
    }
}

/// What an ACL denial is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Denial {
    Command,
    Key,
    Channel,
}

/// The kind of a NOPERM error. Redis checks the command first, then keys, then channels, and says
/// which (6.2/7.0: "...to access one of the keys used as arguments", 7.2: "No permissions to
/// access a key").
fn denial(error: &RedisError) -> Option<Denial> {
    if error.code() != Some("NOPERM") {
        return None;
    }
    let text = error.detail().unwrap_or_default().to_ascii_lowercase();
    Some(if text.contains("channel") {
        Denial::Channel
    } else if text.contains("key") {
        Denial::Key
    } else {
        Denial::Command
    })
}

/// Turns errors into verdicts for one server and user.
struct Judge {
    addr: String,
    user: String,
    tls: TlsSetup,
}

impl Judge {
    fn permissions(&self, missing: Missing, needs: &Needs) -> Refused {
        let grant = missing.grant(&self.user, &needs.channel_pattern());
        Refused::Permissions { addr: self.addr.clone(), user: self.user.clone(), missing, grant }
    }

    /// The verdict for an error that ended the check; `command` is what it answered.
    fn failure(&self, error: &RedisError, needs: &Needs, command: &'static str) -> Verdict {
        let addr = self.addr.clone();
        if let Some(tls) = rustls_error(error) {
            let hint = tls_hint(tls, self.tls);
            return Verdict::Refused(Refused::Tls { addr, detail: tls.to_string(), hint });
        }
        if error.kind() == ErrorKind::AuthenticationFailed || error.code() == Some("WRONGPASS") {
            return Verdict::Refused(Refused::Credentials { addr, user: self.user.clone() });
        }
        let text = error.to_string();
        match error.code() {
            Some("NOAUTH") => return Verdict::Refused(Refused::PasswordRequired { addr }),
            Some("READONLY") => {
                let detail = "it is a read-only replica; point `redis.url` at the primary".to_owned();
                return Verdict::Refused(Refused::Unusable { addr, detail });
            }
            Some("ERR") if error.detail().is_some_and(|d| d.starts_with("unknown command")) => {
                let detail = format!("{text} (meetbot needs Redis 6.2 or later)");
                return Verdict::Refused(Refused::Unusable { addr, detail });
            }
            _ => {}
        }
        if denial(error).is_some() || text.contains("NOPERM") {
            if let Some(denied) = needs.commands.iter().find(|c| c.acl == command) {
                let mut missing = Missing { rest_unchecked: true, ..Missing::default() };
                missing.commands.insert(denied.acl);
                return Verdict::Refused(self.permissions(missing, needs));
            }
            return Verdict::Refused(Refused::Unusable { addr, detail: text });
        }
        if error.kind() == ErrorKind::InvalidClientConfig || text.contains("refused to switch database") {
            return Verdict::Refused(Refused::Unusable { addr, detail: text });
        }
        Verdict::Unreachable(text)
    }
}

/// The rustls error behind a failed connection or reply, if TLS is what failed. redis-rs keeps the
/// I/O error in an `Arc`, whose `source()` skips the error itself, so the chain is walked by hand.
fn rustls_error(error: &RedisError) -> Option<&rustls::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = next {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && let Some(tls) = io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(tls);
        }
        next = match current.downcast_ref::<Arc<dyn std::error::Error + Send + Sync>>() {
            Some(shared) => Some(&**shared),
            None => current.source(),
        };
    }
    None
}

/// What the operator should change for a TLS error.
fn tls_hint(error: &rustls::Error, setup: TlsSetup) -> String {
    let ca = if setup.ca_file {
        "the server's certificate is not signed by the CA in `redis.tls_ca_file`"
    } else {
        "the server's certificate is not signed by a CA of the system's roots: set `redis.tls_ca_file` to the CA that signed it"
    };
    match error {
        rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::BadSignature | CertificateError::BadEncoding,
        ) => ca.to_owned(),
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => "the server's certificate does not name the host of `redis.url`".to_owned(),
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. } | CertificateError::NotValidYet,
        ) => "the server's certificate is out of its validity period".to_owned(),
        rustls::Error::InvalidCertificate(_) => "the server's certificate is not acceptable".to_owned(),
        rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired
            | AlertDescription::HandshakeFailure
            | AlertDescription::BadCertificate,
        ) if !setup.client_certificate => {
            "the server wants a client certificate: set `redis.tls_cert_file` and `redis.tls_key_file`".to_owned()
        }
        rustls::Error::AlertReceived(_) => {
            "the server refused the handshake (does its tls-ca-cert-file trust `redis.tls_cert_file`?)".to_owned()
        }
        rustls::Error::InvalidMessage(_) => {
            "the server does not speak TLS on this port (its tls-port, or redis:// for a plain port)".to_owned()
        }
        _ => "check the `redis.tls_*` files and the server's TLS settings".to_owned(),
    }
}

/// The check as the worker runs it at start-up: a refusal is an error; unreachable Redis is logged
/// and checked again in the background once it answers.
///
/// # Errors
/// Redis answered and refused.
pub async fn at_start_up(endpoint: &Endpoint, needs: Needs, redis: &RedisConfig) -> Result<LaterCheck, Refused> {
    match check(endpoint, &needs, redis).await {
        Verdict::Allowed => {
            tracing::info!("redis access checked: every command, key and channel this worker needs is allowed");
            Ok(LaterCheck(None))
        }
        Verdict::Refused(refused) => Err(refused),
        Verdict::Unreachable(error) => {
            tracing::warn!(%error, "redis cannot be reached at start-up; its access is checked once it answers");
            let (endpoint, redis) = (endpoint.clone(), redis.clone());
            Ok(LaterCheck(Some(tokio::spawn(async move { until_answered(&endpoint, &needs, &redis).await }))))
        }
    }
}

/// Checks until Redis answers; the refusal, if it refused.
async fn until_answered(endpoint: &Endpoint, needs: &Needs, redis: &RedisConfig) -> Option<Refused> {
    let mut backoff = Backoff::default();
    loop {
        match check(endpoint, needs, redis).await {
            Verdict::Allowed => {
                tracing::info!("redis answers; its access is checked: all allowed");
                return None;
            }
            Verdict::Refused(refused) => return Some(refused),
            Verdict::Unreachable(_) => backoff.wait().await,
        }
    }
}

/// The check still to come when Redis could not be reached at start-up.
#[derive(Debug, Default)]
pub struct LaterCheck(Option<JoinHandle<Option<Refused>>>);

impl LaterCheck {
    /// Resolves with the refusal if the later check is refused; never resolves otherwise.
    pub async fn refused(&mut self) -> Refused {
        if let Some(task) = self.0.as_mut() {
            let outcome = task.await;
            self.0 = None;
            if let Ok(Some(refused)) = outcome {
                return refused;
            }
        }
        std::future::pending().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn needs() -> Needs {
        let mut config = Config::default();
        config.worker.id = "w1".to_owned();
        Needs::for_worker(&config)
    }

    fn server_error(code: &str, detail: &str) -> RedisError {
        redis::make_extension_error(code.to_owned(), Some(detail.to_owned()))
    }

    #[test]
    fn denials_are_told_apart_across_redis_versions() {
        let cases = [
            ("this user has no permissions to run the 'rpush' command", Denial::Command),
            ("this user has no permissions to run the 'rpush' command or its subcommand", Denial::Command),
            ("User meetbot has no permissions to run the 'rpush' command", Denial::Command),
            ("this user has no permissions to access one of the keys used as arguments", Denial::Key),
            ("No permissions to access a key", Denial::Key),
            ("this user has no permissions to access one of the channels used as arguments", Denial::Channel),
            ("No permissions to access a channel", Denial::Channel),
        ];
        for (detail, expected) in cases {
            assert_eq!(denial(&server_error("NOPERM", detail)), Some(expected), "{detail}");
        }
        assert_eq!(denial(&server_error("ERR", "no such key")), None);
    }

    #[test]
    fn a_refusal_names_what_is_missing_and_the_rules_that_grant_it() {
        let needs = needs();
        let mut missing = Missing::default();
        missing.commands.insert("blmove");
        missing.commands.insert("evalsha");
        missing.keys.push(needs.keys[2].clone());
        missing.keys.push(needs.keys[1].clone());
        missing.channel = Some(needs.channel.clone());
        let judge = Judge {
            addr: "127.0.0.1:6379".to_owned(),
            user: "bot".to_owned(),
            tls: TlsSetup { ca_file: false, client_certificate: false },
        };
        let message = judge.permissions(missing, &needs).to_string();
        assert_eq!(
            message,
            "redis user `bot` at 127.0.0.1:6379 lacks permissions this worker needs: commands blmove, evalsha; \
             keys jobs:meetbot:list:processing:<peer>, jobs:meetbot:list:processing:w1; channel meetbot:events; \
             grant them with `ACL SETUSER bot +blmove +evalsha ~jobs:meetbot:list:processing:* &meetbot:events` \
             (the whole rule set is in the README, \"Redis security\")"
        );
        assert!(!message.contains('\n'));
    }

    #[test]
    fn errors_that_stop_start_up_and_errors_that_do_not() {
        let needs = needs();
        let judge = Judge {
            addr: "h:1".to_owned(),
            user: "bot".to_owned(),
            tls: TlsSetup { ca_file: true, client_certificate: false },
        };
        let refused = |error: RedisError, command| match judge.failure(&error, &needs, command) {
            Verdict::Refused(refused) => Some(refused),
            _ => None,
        };
        let auth = RedisError::from((ErrorKind::AuthenticationFailed, "Password authentication failed"));
        assert!(matches!(refused(auth, "select"), Some(Refused::Credentials { .. })));
        let noauth = server_error("NOAUTH", "Authentication required.");
        assert!(matches!(refused(noauth, "multi"), Some(Refused::PasswordRequired { .. })));
        let multi = server_error("NOPERM", "this user has no permissions to run the 'multi' command");
        let Some(Refused::Permissions { missing, .. }) = refused(multi, "multi") else { panic!("multi denied") };
        assert_eq!(missing.commands, BTreeSet::from(["multi"]));
        assert_eq!(missing.to_string(), "commands multi (the rest is checked once this is granted)");
        let replica = server_error("READONLY", "You can't write against a read only replica.");
        assert!(matches!(refused(replica, "lpush"), Some(Refused::Unusable { .. })));
        let old = server_error("ERR", "unknown command 'blmove', with args beginning with: ");
        assert!(matches!(refused(old, "blmove"), Some(Refused::Unusable { .. })));

        for transient in [
            RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
            server_error("LOADING", "Redis is loading the dataset in memory"),
            server_error("BUSY", "Redis is busy running a script."),
        ] {
            assert!(matches!(judge.failure(&transient, &needs, "multi"), Verdict::Unreachable(_)));
        }
    }

    #[test]
    fn tls_errors_are_found_behind_io_errors() {
        let tls = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let error = RedisError::from(std::io::Error::new(std::io::ErrorKind::InvalidData, tls));
        let found = rustls_error(&error).expect("found");
        assert_eq!(found, &rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer));
        let setup = TlsSetup { ca_file: true, client_certificate: false };
        assert!(tls_hint(found, setup).contains("`redis.tls_ca_file`"));
        let required = rustls::Error::AlertReceived(AlertDescription::CertificateRequired);
        assert!(tls_hint(&required, setup).contains("`redis.tls_cert_file`"));
        assert!(rustls_error(&RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset))).is_none());
    }
}
