//! [`Hosts`]: the host names a fake site answers for, as a plugin declares its meeting hosts
//! (an exact name, or `*.` and a domain for its subdomains).

use crate::TestkitError;

/// The host names one fake site serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hosts {
    names: Vec<String>,
}

impl Hosts {
    /// Checks and keeps `names` (lower case, no trailing dot).
    pub(crate) fn parse(names: &[&str]) -> Result<Self, TestkitError> {
        let mut kept = Vec::with_capacity(names.len());
        for name in names {
            let lower = name.trim_end_matches('.').to_ascii_lowercase();
            let domain = lower.strip_prefix("*.").unwrap_or(&lower);
            let labels: Vec<&str> = domain.split('.').collect();
            let valid = labels.len() >= 2
                && labels
                    .iter()
                    .all(|label| !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
            if !valid {
                return Err(TestkitError::HostName((*name).to_owned()));
            }
            kept.push(lower);
        }
        if kept.is_empty() {
            return Err(TestkitError::HostName(String::new()));
        }
        Ok(Self { names: kept })
    }

    /// The names as given (after lower-casing).
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether `host` is one of them: an exact name, or a subdomain of a `*.` entry.
    pub(crate) fn serves(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.names.iter().any(|name| match name.strip_prefix("*.") {
            Some(domain) => host.strip_suffix(domain).is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            None => host == *name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_names_and_subdomains_of_wildcards() {
        let hosts = Hosts::parse(&["meet.example.com", "*.Example.org."]).expect("valid");
        assert!(hosts.serves("meet.example.com"));
        assert!(hosts.serves("MEET.example.com."));
        assert!(!hosts.serves("example.com"));
        assert!(hosts.serves("us05web.example.org"));
        assert!(!hosts.serves("example.org"), "a wildcard does not cover the domain itself");
        assert!(!hosts.serves("badexample.org"));
    }

    #[test]
    fn refuses_what_is_not_a_host_name() {
        for bad in ["localhost", "a..b", "ex ample.com", "https://x.com", "*.com"] {
            assert!(Hosts::parse(&[bad]).is_err(), "{bad}");
        }
        assert!(Hosts::parse(&[]).is_err());
    }
}
