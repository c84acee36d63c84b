//! The configuration with its secrets hidden, for `check-config` and for log lines. Secrets
//! must never reach logs or terminals (CONTRACT section 1), yet operators need to see that a secret
//! *is* set: a non-empty secret shows as `********`, an empty one stays empty.

use super::{
    Config,
    env::{MASK, RedisUrl},
};

/// The effective configuration as TOML, every secret masked: `api.auth_token`,
/// `notify.webhook_secret`, `storage.s3.secret_access_key` and the password in `redis.url`.
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

impl Config {
    /// A copy of the configuration with every secret masked, safe to log or print.
    #[must_use]
    pub fn masked(&self) -> Config {
        let mut masked = self.clone();
        masked.api.auth_token = mask(&self.api.auth_token);
        masked.notify.webhook_secret = mask(&self.notify.webhook_secret);
        masked.storage.s3.secret_access_key = mask(&self.storage.s3.secret_access_key);
        masked.redis.url = self.redis_url_masked();
        masked
    }

    /// `redis.url` with its password masked (`redis://user:********@host:port`), for log lines.
    #[must_use]
    pub fn redis_url_masked(&self) -> String {
        mask_url_password(&self.redis.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_appear() {
        let mut config = Config::default();
        config.api.auth_token = "tok-AAAA".to_owned();
        config.notify.webhook_secret = "hook-BBBB".to_owned();
        config.storage.s3.secret_access_key = "s3-CCCC".to_owned();
        config.storage.s3.access_key_id = "AKIDPUBLIC".to_owned();
        config.redis.url = "rediss://bot:pw-DDDD@cache:6380/1".to_owned();

        let text = masked_toml(&config);
        for secret in ["tok-AAAA", "hook-BBBB", "s3-CCCC", "pw-DDDD"] {
            assert!(!text.contains(secret), "{secret} leaked:\n{text}");
        }
        assert!(text.contains("rediss://bot:********@cache:6380/1"), "{text}");
        assert!(text.contains("AKIDPUBLIC"), "not a secret:\n{text}");

        // Masked output is still a valid config, so `check-config` output can be pasted back.
        let reparsed: Config = toml::from_str(&text).expect("masked output parses");
        assert_eq!(reparsed.api.auth_token, MASK);
        assert_eq!(reparsed.worker, config.worker);
    }

    #[test]
    fn empty_secrets_stay_empty() {
        let config = Config::default();
        let masked = config.masked();
        assert_eq!(masked, config);
        assert_eq!(config.redis_url_masked(), "redis://127.0.0.1:6379");
    }

    #[test]
    fn odd_urls_are_masked_too() {
        assert_eq!(mask_url_password("user:secret@host:6379"), "********@host:6379");
        assert_eq!(mask_url_password("redis://:p/a@ss@h"), "redis://:********@h");
        assert_eq!(mask_url_password("redis://onlyuser@h"), "redis://onlyuser@h");
    }
}
