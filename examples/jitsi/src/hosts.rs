//! Which hosts are Jitsi Meet: `meet.jit.si` unless the operator says otherwise.
//!
//! Jitsi Meet is self-hosted by many teams, and a Jitsi meeting link is just `https://<host>/<room>`:
//! nothing in a link tells a Jitsi deployment from any other site. So the plugin serves the hosts
//! it is told to. meetbot has no configuration channel to plugins, so the list comes from the
//! environment of the `meetbot` process, read once when the library is loaded:
//!
//! `MEETBOT_JITSI_HOSTS=meet.jit.si,meet.example.org` (comma-separated host names).
//!
//! Unset, it is `meet.jit.si`. A value that is not a list of plain host names (a scheme, a port, a
//! path, a wildcard, an IP address, nothing at all) makes the plugin declare no meeting hosts, and
//! the host refuses to load it with one line ("plugin `jitsi-meet` declares no meeting hosts"):
//! a typo in the list must not turn into a bot joining the wrong site.

use std::{ffi::OsString, sync::LazyLock};

/// The environment variable listing the Jitsi hosts.
pub const HOSTS_VAR: &str = "MEETBOT_JITSI_HOSTS";

/// The host served when [`HOSTS_VAR`] is unset.
pub const DEFAULT_HOST: &str = "meet.jit.si";

/// The longest host name DNS allows.
const MAX_HOST_LEN: usize = 253;
/// The longest label DNS allows.
const MAX_LABEL_LEN: usize = 63;

/// Why [`HOSTS_VAR`] was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostsError {
    /// Set, but not valid UTF-8.
    #[error("{HOSTS_VAR} is not valid UTF-8")]
    NotUtf8,
    /// Set, but lists no host.
    #[error("{HOSTS_VAR} lists no host")]
    Empty,
    /// One entry is not a plain host name.
    #[error("{HOSTS_VAR}: `{0}` is not a host name like meet.jit.si (no scheme, port, path or wildcard)")]
    NotAHostName(String),
}

/// The Jitsi hosts this plugin serves: lower-case host names, each once, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hosts {
    names: Vec<String>,
}

impl Hosts {
    /// The hosts from the variable's value (`None`: unset, the default).
    pub fn from_var(value: Option<OsString>) -> Result<Self, HostsError> {
        match value {
            None => Ok(Self { names: vec![DEFAULT_HOST.to_owned()] }),
            Some(value) => Self::parse(value.to_str().ok_or(HostsError::NotUtf8)?),
        }
    }

    /// Reads a comma-separated list of host names; blanks around entries and one trailing dot
    /// per name are ignored, case does not matter.
    pub fn parse(list: &str) -> Result<Self, HostsError> {
        let mut names: Vec<String> = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|entry| !entry.is_empty()) {
            let lower = entry.to_ascii_lowercase();
            let name = lower.strip_suffix('.').unwrap_or(&lower);
            if !is_host_name(name) {
                return Err(HostsError::NotAHostName(entry.escape_debug().to_string()));
            }
            if !names.iter().any(|known| known == name) {
                names.push(name.to_owned());
            }
        }
        if names.is_empty() {
            return Err(HostsError::Empty);
        }
        Ok(Self { names })
    }

    /// The host names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether `host` (lower case, as a parsed URL has it) is one of them.
    pub fn serves(&self, host: &str) -> bool {
        self.names.iter().any(|name| name == host)
    }
}

/// Two or more DNS labels of letters, digits and inner hyphens, the last not all digits (so no
/// IPv4 address passes).
fn is_host_name(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=MAX_LABEL_LEN).contains(&label.len())
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    name.len() <= MAX_HOST_LEN
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels.last().is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
}

/// The hosts configured for this process, read from the environment on first use.
pub fn configured() -> &'static Result<Hosts, HostsError> {
    static CONFIGURED: LazyLock<Result<Hosts, HostsError>> =
        LazyLock::new(|| Hosts::from_var(std::env::var_os(HOSTS_VAR)));
    &CONFIGURED
}

/// The configured hosts as the plugin declares them to meetbot: none when the variable is invalid.
pub fn declared() -> &'static [&'static str] {
    static DECLARED: LazyLock<Vec<&'static str>> = LazyLock::new(|| match configured() {
        Ok(hosts) => hosts.names().iter().map(String::as_str).collect(),
        Err(_) => Vec::new(),
    });
    &DECLARED
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &str) -> Vec<String> {
        Hosts::parse(list).expect("valid").names().to_vec()
    }

    #[test]
    fn unset_is_meet_jit_si() {
        assert_eq!(Hosts::from_var(None).expect("default").names(), ["meet.jit.si"]);
    }

    #[test]
    fn a_list_is_trimmed_lower_cased_and_deduplicated() {
        assert_eq!(names("meet.example.org"), ["meet.example.org"]);
        assert_eq!(names(" Meet.Example.org , meet.jit.si., meet.example.org,,"), ["meet.example.org", "meet.jit.si"]);
        assert_eq!(names("jitsi.internal-1.example"), ["jitsi.internal-1.example"]);
    }

    #[test]
    fn anything_but_host_names_is_refused() {
        for bad in [
            "https://meet.example.org",
            "meet.example.org:8443",
            "meet.example.org/room",
            "*.example.org",
            "localhost",
            "127.0.0.1",
            "meet..example.org",
            "-meet.example.org",
            "meet_example.org",
            "meet.example.org, evil.example/x",
            "user@meet.example.org",
            "mëet.example.org",
        ] {
            assert!(matches!(Hosts::parse(bad), Err(HostsError::NotAHostName(_))), "{bad}");
        }
        assert_eq!(Hosts::parse(""), Err(HostsError::Empty));
        assert_eq!(Hosts::parse(" , "), Err(HostsError::Empty));
    }

    #[test]
    fn the_refusal_names_the_variable_and_the_entry() {
        let why = Hosts::parse("meet.jit.si, meet.example.org:443").expect_err("a port").to_string();
        assert_eq!(
            why,
            "MEETBOT_JITSI_HOSTS: `meet.example.org:443` is not a host name like meet.jit.si (no scheme, port, path or wildcard)"
        );
    }

    #[test]
    fn a_value_that_is_not_utf8_is_refused() {
        use std::os::unix::ffi::OsStringExt;
        let value = OsString::from_vec(vec![0x6d, 0xff, 0x2e, 0x6f]);
        assert_eq!(Hosts::from_var(Some(value)), Err(HostsError::NotUtf8));
    }

    #[test]
    fn serves_exact_names_only() {
        let hosts = Hosts::parse("meet.example.org").expect("valid");
        assert!(hosts.serves("meet.example.org"));
        assert!(!hosts.serves("example.org"));
        assert!(!hosts.serves("x.meet.example.org"));
    }
}
