//! The worker's check of a URL a plugin's `normalize_url` returned, so that a URL the worker
//! would refuse (`invalid_url`) fails the plugin's tests first: printable ASCII without
//! backslashes, `https`, no user name or password, a host name (no IP address), no port but 443,
//! and a host among the plugin's declared meeting hosts (exact, or a subdomain of a `*.` entry).

use url::{Host, Url};

/// Why the worker would refuse `normalized`, or `Ok` when it would open it.
pub(crate) fn check(normalized: &str, declared: &[String]) -> Result<(), String> {
    if let Some(c) = normalized.chars().find(|c| !c.is_ascii_graphic() || *c == '\\') {
        return Err(format!("it contains {c:?}"));
    }
    let url = Url::parse(normalized).map_err(|e| format!("it is not a URL ({e})"))?;
    if url.scheme() != "https" {
        return Err(format!("its scheme `{}` is not https", url.scheme()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("it carries a user name or password".to_owned());
    }
    let host = match url.host() {
        Some(Host::Domain(domain)) => domain.to_owned(),
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => return Err("its host is an IP address".to_owned()),
        None => return Err("it has no host".to_owned()),
    };
    if let Some(port) = url.port() {
        return Err(format!("its port {port} is not 443"));
    }
    if !allows(declared, &host) {
        return Err(format!("its host `{host}` is not one of the plugin's meeting hosts ({})", declared.join(", ")));
    }
    Ok(())
}

/// The host of a URL that passed [`check`].
pub(crate) fn host_of(normalized: &str) -> String {
    Url::parse(normalized).ok().and_then(|url| url.host_str().map(str::to_owned)).unwrap_or_default()
}

/// Whether `host` is one of `declared` (case and a trailing dot do not matter).
fn allows(declared: &[String], host: &str) -> bool {
    let host = host.trim_end_matches('.');
    declared.iter().any(|entry| {
        let entry = entry.trim_end_matches('.').to_ascii_lowercase();
        match entry.strip_prefix("*.") {
            Some(domain) => host
                .strip_suffix(domain)
                .and_then(|sub| sub.strip_suffix('.'))
                .is_some_and(|sub| !sub.is_empty() && !sub.split('.').any(str::is_empty)),
            None => host == entry,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts() -> Vec<String> {
        vec!["meet.example.com".to_owned(), "*.example.org".to_owned()]
    }

    #[test]
    fn accepts_https_links_on_declared_hosts() {
        assert_eq!(check("https://meet.example.com/room?x=1", &hosts()), Ok(()));
        assert_eq!(check("https://a.example.org/j/1", &hosts()), Ok(()));
        assert_eq!(check("https://MEET.example.com:443/room", &hosts()), Ok(()), "443 is the default port");
        assert_eq!(host_of("https://meet.example.com/room"), "meet.example.com");
    }

    #[test]
    fn refuses_what_the_worker_refuses() {
        for bad in [
            "http://meet.example.com/room",
            "https://user@meet.example.com/room",
            "https://meet.example.com:8443/room",
            "https://127.0.0.1/room",
            "https://example.org/room",
            "https://evil.com/meet.example.com",
            "https://meet.example.com/a b",
            "https://meet.example.com\\@evil.com/",
            "meet.example.com/room",
        ] {
            assert!(check(bad, &hosts()).is_err(), "{bad}");
        }
    }
}
