//! The configuration with its secrets hidden, for `check-config`, log lines and `Debug` output.
//! Secrets must never reach logs or terminals (docs/REFERENCE.md section 1), yet operators need to see that
//! a secret *is* set: a non-empty secret shows as `********`, an empty one stays empty.
//!
//! Secrets: `api.auth_token`, `notify.webhook_secret`, `storage.s3.secret_access_key`,
//! `redis.sentinel_password`, the password in `redis.url`, and everything in `notify.webhook_url` but its scheme and host (its
//! path or query often carries a token: Slack, Teams and most hook services work that way).

use std::fmt;

use serde::Serialize;

use super::{
    ApiConfig, Config, NotifyConfig, RedisConfig, S3StorageConfig,
    env::{MASK, RedisUrl},
};

/// The effective configuration as TOML, every secret masked.
#[must_use]
pub fn masked_toml(config: &Config) -> String {
    // Serializing only fails on a non-UTF-8 path; say so in the output rather than panic in a
    // command whose whole job is to show the configuration.
    toml::to_string_pretty(&config.masked())
        .unwrap_or_else(|err| format!("# the configuration cannot be shown as TOML: {err}\n"))
}

/// A secret as it may be shown.
fn mask(secret: &str) -> String {
    if secret.is_empty() { String::new() } else { MASK.to_owned() }
}

/// `url` with the password in its userinfo masked. Something that does not even parse as a URL
/// but has an `@` is masked up to it, since whatever precedes it may be a credential.
pub(super) fn mask_url_password(url: &str) -> String {
    match RedisUrl::parse(url) {
        Some(parsed) => parsed.masked().to_string(),
        None => match url.rsplit_once('@') {
            Some((_, host)) => format!("{MASK}@{host}"),
            None => url.to_owned(),
        },
    }
}

/// A webhook URL as it may be shown: scheme and host (with port) kept, so an operator sees where
/// events go; userinfo, path, query and fragment masked (`https://hooks.example.com/********`),
/// which still parses as a URL, so masked output can be pasted back into a config. Anything
/// that does not split cleanly into those parts is masked whole.
pub(super) fn mask_webhook_url(url: &str) -> String {
    if url.is_empty() {
        return String::new();
    }
    let Some((scheme, after)) = url.split_once("://") else { return MASK.to_owned() };
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return MASK.to_owned();
    }
    // The last `@` before any query ends the userinfo, as in `RedisUrl::parse`; one that follows
    // a `/` might be part of a path or of a password with an unencoded slash: no way to tell
    // which part is the host, so nothing is shown.
    let query_start = after.find(['?', '#']).unwrap_or(after.len());
    let (userinfo, hostpart) = match after[..query_start].rfind('@') {
        Some(at) => (Some(&after[..at]), &after[at + 1..]),
        None => (None, after),
    };
    if userinfo.is_some_and(|info| info.contains('/')) {
        return format!("{scheme}://{MASK}");
    }
    let authority_end = hostpart.find(['/', '?', '#']).unwrap_or(hostpart.len());
    let (authority, rest) = hostpart.split_at(authority_end);
    let userinfo = if userinfo.is_some() { format!("{MASK}@") } else { String::new() };
    let rest = if rest.is_empty() || rest == "/" { rest.to_owned() } else { format!("/{MASK}") };
    format!("{scheme}://{userinfo}{authority}{rest}")
}

impl Config {
    /// A copy of the configuration with every secret masked, safe to log or print.
    #[must_use]
    pub fn masked(&self) -> Config {
        let mut masked = self.clone();
        masked.api = self.api.masked();
        masked.redis = self.redis.masked();
        masked.storage.s3 = self.storage.s3.masked();
        masked.notify = self.notify.masked();
        masked
    }

    /// `redis.url` with its password masked (`redis://user:********@host:port`), for log lines.
    #[must_use]
    pub fn redis_url_masked(&self) -> String {
        mask_url_password(&self.redis.url)
    }

    /// `notify.webhook_url` with all but its scheme and host masked, for log and error lines.
    #[must_use]
    pub fn webhook_url_masked(&self) -> String {
        mask_webhook_url(&self.notify.webhook_url)
    }
}

impl ApiConfig {
    fn masked(&self) -> Self {
        Self { auth_token: mask(&self.auth_token), ..self.clone() }
    }
}

impl RedisConfig {
    fn masked(&self) -> Self {
        Self { url: mask_url_password(&self.url), sentinel_password: mask(&self.sentinel_password), ..self.clone() }
    }
}

impl S3StorageConfig {
    fn masked(&self) -> Self {
        Self { secret_access_key: mask(&self.secret_access_key), ..self.clone() }
    }
}

impl NotifyConfig {
    fn masked(&self) -> Self {
        Self {
            webhook_url: mask_webhook_url(&self.webhook_url),
            webhook_secret: mask(&self.webhook_secret),
            ..self.clone()
        }
    }
}

/// Writes a section's `Debug` from the serialized form of its masked copy: every field shows,
/// including ones added later, and no secret can, since the only source is the masked copy.
fn debug_masked(f: &mut fmt::Formatter<'_>, name: &str, masked: &impl Serialize) -> fmt::Result {
    let mut out = f.debug_struct(name);
    match serde_json::to_value(masked) {
        Ok(serde_json::Value::Object(fields)) => {
            for (key, value) in &fields {
                out.field(key, &AsJson(value));
            }
            out.finish()
        }
        _ => out.finish_non_exhaustive(),
    }
}

/// A JSON value whose `Debug` is its JSON text (`"text"`, `3`, `["a"]`), as a derived `Debug`
/// would show the field, rather than `serde_json`'s `String("text")`.
struct AsJson<'a>(&'a serde_json::Value);

impl fmt::Debug for AsJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.0, f)
    }
}

impl fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_masked(f, "ApiConfig", &self.masked())
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_masked(f, "RedisConfig", &self.masked())
    }
}

impl fmt::Debug for S3StorageConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_masked(f, "S3StorageConfig", &self.masked())
    }
}

impl fmt::Debug for NotifyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_masked(f, "NotifyConfig", &self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A config with every secret set to a recognisable value.
    fn with_secrets() -> Config {
        let mut config = Config::default();
        config.api.auth_token = "tok-AAAA".to_owned();
        config.notify.webhook_secret = "hook-BBBB".to_owned();
        config.notify.webhook_url = "https://hooks.example.com/services/T0/B0/url-EEEE?key=q-FFFF".to_owned();
        config.storage.s3.secret_access_key = "s3-CCCC".to_owned();
        config.storage.s3.access_key_id = "AKIDPUBLIC".to_owned();
        config.redis.url = "rediss://bot:pw-DDDD@cache:6380/1".to_owned();
        config.redis.sentinel_password = "sentinel-GGGG".to_owned();
        config
    }

    const SECRETS: [&str; 7] = ["tok-AAAA", "hook-BBBB", "s3-CCCC", "pw-DDDD", "url-EEEE", "q-FFFF", "sentinel-GGGG"];

    #[test]
    fn secrets_never_appear() {
        let config = with_secrets();
        let text = masked_toml(&config);
        for secret in SECRETS {
            assert!(!text.contains(secret), "{secret} leaked:\n{text}");
        }
        assert!(text.contains("rediss://bot:********@cache:6380/1"), "{text}");
        assert!(text.contains("https://hooks.example.com/********"), "the webhook host stays visible:\n{text}");
        assert!(text.contains("AKIDPUBLIC"), "not a secret:\n{text}");

        // Masked output is still a valid config, so `check-config` output can be pasted back.
        let reparsed: Config = toml::from_str(&text).expect("masked output parses");
        assert_eq!(reparsed.api.auth_token, MASK);
        assert_eq!(reparsed.worker, config.worker);
    }

    #[test]
    fn debug_output_masks_every_secret() {
        let config = with_secrets();
        for text in [format!("{config:?}"), format!("{config:#?}")] {
            for secret in SECRETS {
                assert!(!text.contains(secret), "{secret} leaked:\n{text}");
            }
            assert!(text.contains("AKIDPUBLIC"), "the rest is shown:\n{text}");
            assert!(text.contains("hooks.example.com"), "the webhook host is shown:\n{text}");
            assert!(text.contains("max_concurrent_jobs"), "sections without secrets are shown:\n{text}");
        }
        let api = format!("{:?}", config.api);
        assert!(api.starts_with("ApiConfig {") && api.contains(r#"auth_token: "********""#), "{api}");
        assert!(api.contains(r#"listen: "127.0.0.1:3000""#), "{api}");
        for section in [format!("{:?}", config.redis), format!("{:?}", config.notify), format!("{:?}", config.storage)]
        {
            assert!(!SECRETS.iter().any(|s| section.contains(s)), "{section}");
        }
    }

    #[test]
    fn empty_secrets_stay_empty() {
        let config = Config::default();
        let masked = config.masked();
        assert_eq!(masked, config);
        assert_eq!(config.redis_url_masked(), "redis://127.0.0.1:6379");
        assert_eq!(config.webhook_url_masked(), "");
    }

    #[test]
    fn odd_urls_are_masked_too() {
        assert_eq!(mask_url_password("user:secret@host:6379"), "********@host:6379");
        assert_eq!(mask_url_password("redis://:p/a@ss@h"), "redis://:********@h");
        assert_eq!(mask_url_password("redis://onlyuser@h"), "redis://onlyuser@h");
    }

    #[test]
    fn webhook_urls_keep_scheme_and_host_only() {
        let cases = [
            ("https://hooks.example.com/T0/B0/secret", "https://hooks.example.com/********"),
            ("http://127.0.0.1:8080/hooks/meetbot", "http://127.0.0.1:8080/********"),
            ("https://hooks.example.com?token=secret", "https://hooks.example.com/********"),
            ("https://hooks.example.com#secret", "https://hooks.example.com/********"),
            ("https://hooks.example.com/", "https://hooks.example.com/"),
            ("https://hooks.example.com", "https://hooks.example.com"),
            ("https://user:secret@hooks.example.com/x", "https://********@hooks.example.com/********"),
            ("https://user:sec/ret@hooks.example.com/x", "https://********"),
            ("https://hooks.example.com/pa@th/secret", "https://********"),
            ("hooks.example.com/secret", "********"),
            ("://secret", "********"),
        ];
        for (url, shown) in cases {
            assert_eq!(mask_webhook_url(url), shown, "{url}");
        }
    }
}
