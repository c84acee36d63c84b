//! The host's own check of every URL a plugin's `normalize_url` returns, before a browser opens it.
//!
//! A plugin's URL rules are its own code, and a bug in them (a `../` left in a path, a host
//! copied from the input) would send the bot, its name and its recording wherever the link says.
//! So the host holds every normalized URL to one policy whatever the plugin: `https` only, no user
//! name or password, no IP address, no port but 443, nothing but printable ASCII, and a host among
//! the ones the plugin declared at load time ([`MeetingHosts`]). The URL is parsed the way the
//! browser parses it (WHATWG, the `url` crate), so what is checked is what will be opened.

use url::{Host, Url};

/// The longest host name shown in a refusal; the rest is cut so the reason stays one short line.
const SHOWN_HOST: usize = 80;

/// The hosts a plugin declared its normalized URLs may point at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingHosts {
    rules: Vec<HostRule>,
}

/// One declared entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HostRule {
    /// Exactly this host name.
    Exact(String),
    /// Any subdomain of this domain (`*.zoom.us`), never the domain itself.
    Subdomains(String),
}

impl MeetingHosts {
    /// Reads a plugin's declaration: each entry a host name of two or more labels of letters,
    /// digits and hyphens (`meet.google.com`), or `*.` and such a name (`*.zoom.us`). Case and one
    /// trailing dot do not matter. An empty list, or any entry that is not such a name, is an
    /// error: the one-line reason the plugin is refused.
    pub fn parse(declared: &[String]) -> Result<Self, String> {
        if declared.is_empty() {
            return Err("declares no meeting hosts".to_owned());
        }
        let rules = declared
            .iter()
            .map(|entry| {
                let lower = entry.to_ascii_lowercase();
                let name = lower.strip_suffix('.').unwrap_or(&lower);
                let (rule, domain) = match name.strip_prefix("*.") {
                    Some(domain) => (HostRule::Subdomains(domain.to_owned()), domain),
                    None => (HostRule::Exact(name.to_owned()), name),
                };
                if is_host_name(domain) {
                    Ok(rule)
                } else {
                    Err(format!(
                        "declares `{}` as a meeting host (expected a name like meet.google.com or *.zoom.us)",
                        entry.escape_debug()
                    ))
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { rules })
    }

    /// Whether `host` (lower case, as a parsed URL has it) is one of the declared hosts.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.strip_suffix('.').unwrap_or(host);
        self.rules.iter().any(|rule| match rule {
            HostRule::Exact(name) => host == name,
            HostRule::Subdomains(domain) => host
                .strip_suffix(domain.as_str())
                .and_then(|sub| sub.strip_suffix('.'))
                .is_some_and(|sub| !sub.is_empty() && !sub.split('.').any(str::is_empty)),
        })
    }
}

impl MeetingHosts {
    /// One sample link per declared host, to try the plugin's URL rules on (`meetbot
    /// check-plugin`): `https://<host>/`, and `https://www.<domain>/` for `*.<domain>`. A plugin
    /// may well refuse such a bare link: it shows how it answers one.
    pub fn samples(&self) -> Vec<String> {
        self.rules
            .iter()
            .map(|rule| match rule {
                HostRule::Exact(name) => format!("https://{name}/"),
                HostRule::Subdomains(domain) => format!("https://www.{domain}/"),
            })
            .collect()
    }
}

impl std::fmt::Display for MeetingHosts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, rule) in self.rules.iter().enumerate() {
            let separator = if i == 0 { "" } else { ", " };
            match rule {
                HostRule::Exact(name) => write!(f, "{separator}{name}")?,
                HostRule::Subdomains(domain) => write!(f, "{separator}*.{domain}")?,
            }
        }
        Ok(())
    }
}

/// Two or more labels of ASCII letters, digits and hyphens, the last not all digits (an IP address).
fn is_host_name(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty() && label.len() <= 63 && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels.last().is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
}

/// Why a normalized URL is refused. The text never repeats the URL (its query may hold a passcode).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    /// A character no normalized URL has.
    #[error("it contains {0}")]
    Character(String),
    /// Not an absolute URL.
    #[error("it is not a URL ({0})")]
    Unparsable(url::ParseError),
    /// Another scheme than https.
    #[error("its scheme `{0}` is not https")]
    Scheme(String),
    /// A user name or password before the host.
    #[error("it carries a user name or password")]
    Userinfo,
    /// An IPv4 or IPv6 address instead of a host name.
    #[error("its host is an IP address")]
    IpAddress,
    /// An explicit port other than 443.
    #[error("its port {0} is not 443")]
    Port(u16),
    /// A host the plugin did not declare.
    #[error("its host `{host}` is not one of the plugin's meeting hosts ({declared})")]
    Host {
        /// The URL's host, cut short.
        host: String,
        /// The plugin's declared hosts.
        declared: String,
    },
}

/// Checks a URL a plugin's `normalize_url` returned against the host's policy and the plugin's
/// declared `hosts`.
pub fn check(url: &str, hosts: &MeetingHosts) -> Result<(), UrlRefusal> {
    // The URL parser drops tabs and newlines and reads `\` as `/`: refuse them before it sees them.
    if let Some(c) = url.chars().find(|c| !c.is_ascii_graphic() || *c == '\\') {
        return Err(UrlRefusal::Character(describe(c)));
    }
    let parsed = Url::parse(url).map_err(UrlRefusal::Unparsable)?;
    if parsed.scheme() != "https" {
        return Err(UrlRefusal::Scheme(parsed.scheme().to_owned()));
    }
    // `https://@host/` has an empty user name the parser forgets; its `@` is refused all the same.
    let after_scheme = url.split_once(':').map_or("", |(_, rest)| rest.trim_start_matches('/'));
    let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
    if !parsed.username().is_empty() || parsed.password().is_some() || authority.contains('@') {
        return Err(UrlRefusal::Userinfo);
    }
    let host = match parsed.host() {
        Some(Host::Domain(host)) => host,
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => return Err(UrlRefusal::IpAddress),
        None => return Err(UrlRefusal::Host { host: String::new(), declared: hosts.to_string() }),
    };
    // The parser leaves out the default port, so any port it reports is another one.
    if let Some(port) = parsed.port() {
        return Err(UrlRefusal::Port(port));
    }
    if !hosts.allows(host) {
        return Err(UrlRefusal::Host { host: host.chars().take(SHOWN_HOST).collect(), declared: hosts.to_string() });
    }
    Ok(())
}

/// Names a refused character without printing it.
fn describe(c: char) -> String {
    let code = u32::from(c);
    match c {
        '\\' => "a backslash".to_owned(),
        ' ' => "a space".to_owned(),
        c if c.is_control() => format!("a control character (U+{code:04X})"),
        c if c.is_whitespace() => format!("whitespace (U+{code:04X})"),
        _ => format!("a non-ASCII character (U+{code:04X})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(declared: &[&str]) -> MeetingHosts {
        MeetingHosts::parse(&declared.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()).expect("valid hosts")
    }

    fn zoom() -> MeetingHosts {
        hosts(&["zoom.us", "*.zoom.us"])
    }

    #[test]
    fn a_url_on_a_declared_host_over_https_passes() {
        let google = hosts(&["meet.google.com"]);
        assert_eq!(check("https://meet.google.com/abc-defg-hij", &google), Ok(()));
        assert_eq!(check("https://zoom.us/wc/join/123456789?pwd=a.1", &zoom()), Ok(()));
        assert_eq!(check("https://us05web.zoom.us/wc/join/123456789", &zoom()), Ok(()));
        assert_eq!(check("https://a.b.zoom.us/x#frag", &zoom()), Ok(()));
    }

    #[test]
    fn hosts_match_without_regard_to_case_or_a_trailing_dot() {
        let teams = hosts(&["Teams.Microsoft.com."]);
        for url in [
            "https://teams.microsoft.com/meet/1",
            "https://TEAMS.microsoft.COM/meet/1",
            "https://teams.microsoft.com./x",
        ] {
            assert_eq!(check(url, &teams), Ok(()), "{url}");
        }
        assert_eq!(check("https://ACME.Zoom.US./j/1", &zoom()), Ok(()));
    }

    #[test]
    fn a_wildcard_covers_subdomains_only() {
        let subdomains = hosts(&["*.zoom.us"]);
        assert!(subdomains.allows("us05web.zoom.us"));
        assert!(subdomains.allows("a.b.zoom.us"));
        assert!(!subdomains.allows("zoom.us"), "the domain itself needs its own entry");
        assert!(!subdomains.allows("evilzoom.us"));
        assert!(!subdomains.allows(".zoom.us"));
        assert!(!subdomains.allows("a..zoom.us"));
        assert!(!subdomains.allows("zoom.us.evil.example"));
        assert!(!subdomains.allows("zoom.usa"));
    }

    #[test]
    fn an_exact_host_covers_only_itself() {
        let google = hosts(&["meet.google.com"]);
        for host in ["google.com", "x.meet.google.com", "meet.google.com.evil.example", "meetxgoogle.com"] {
            assert!(!google.allows(host), "{host}");
        }
    }

    #[test]
    fn other_hosts_are_refused_naming_the_declared_ones() {
        let refusal = check("https://meet.google.com.evil.example/abc", &hosts(&["meet.google.com"])).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "its host `meet.google.com.evil.example` is not one of the plugin's meeting hosts (meet.google.com)"
        );
        assert!(matches!(check("https://evilzoom.us/j/1", &zoom()), Err(UrlRefusal::Host { .. })));
        // The parser's view of the host is what counts: `%2E` is a dot, `\` is never let through.
        assert!(matches!(check("https://evil%2Eexample/x", &zoom()), Err(UrlRefusal::Host { .. })));
        let long = format!("https://{}.example/", "a".repeat(500));
        let text = check(&long, &zoom()).unwrap_err().to_string();
        assert!(text.len() < 200, "cut short: {text}");
    }

    #[test]
    fn only_https_passes() {
        for (url, scheme) in [
            ("http://zoom.us/j/1", "http"),
            ("HTTP://zoom.us/j/1", "http"),
            ("javascript:alert(1)", "javascript"),
            ("file:///etc/passwd", "file"),
            ("data:text/html,hi", "data"),
            ("wss://zoom.us/", "wss"),
        ] {
            assert_eq!(check(url, &zoom()), Err(UrlRefusal::Scheme(scheme.to_owned())), "{url}");
        }
        assert!(matches!(check("zoom.us/j/1", &zoom()), Err(UrlRefusal::Unparsable(_))));
        assert!(matches!(check("", &zoom()), Err(UrlRefusal::Unparsable(_))));
    }

    #[test]
    fn user_names_and_passwords_are_refused() {
        for url in [
            "https://user:pw@zoom.us/j/1",
            "https://user@zoom.us/j/1",
            "https://:pw@zoom.us/j/1",
            "https://@zoom.us/j/1",
            "https://evil.example@zoom.us/j/1",
            "https://zoom.us@evil.example/j/1",
            "https:@zoom.us/j/1",
            "https:user@zoom.us/j/1",
        ] {
            assert_eq!(check(url, &zoom()), Err(UrlRefusal::Userinfo), "{url}");
        }
        assert_eq!(check("https://zoom.us/j/1?next=a@b", &zoom()), Ok(()), "an @ after the host is no user name");
    }

    #[test]
    fn ip_addresses_are_refused_in_every_spelling() {
        for url in [
            "https://127.0.0.1/x",
            "https://10.1.2.3./x",
            "https://0x7f.1/x",
            "https://2130706433/x",
            "https://0177.0.0.1/x",
            "https://[::1]/x",
            "https://[::ffff:127.0.0.1]/x",
            "https://[fe80::1]:443/x",
        ] {
            assert_eq!(check(url, &zoom()), Err(UrlRefusal::IpAddress), "{url}");
        }
    }

    #[test]
    fn only_port_443_passes() {
        assert_eq!(check("https://zoom.us:443/j/1", &zoom()), Ok(()));
        assert_eq!(check("https://zoom.us:8443/j/1", &zoom()), Err(UrlRefusal::Port(8443)));
        assert_eq!(check("https://zoom.us:80/j/1", &zoom()), Err(UrlRefusal::Port(80)));
        assert_eq!(check("https://zoom.us:0/j/1", &zoom()), Err(UrlRefusal::Port(0)));
        assert!(matches!(check("https://zoom.us:99999/j/1", &zoom()), Err(UrlRefusal::Unparsable(_))));
    }

    #[test]
    fn control_characters_whitespace_backslashes_and_non_ascii_are_refused() {
        for (url, what) in [
            ("https://zoom.us/j/1\n", "a control character (U+000A)"),
            ("https://zoom.us/j/1\r\nX-Evil: 1", "a control character (U+000D)"),
            ("https://zoom.us/j/\t1", "a control character (U+0009)"),
            ("https://zoom.us/j/1\0", "a control character (U+0000)"),
            ("https://zoom.us/j/1\u{7f}", "a control character (U+007F)"),
            ("https://zoom.us/j/1\u{85}", "a control character (U+0085)"),
            (" https://zoom.us/j/1", "a space"),
            ("https://zoom.us/j/1 2", "a space"),
            ("https://zoom.us/j/1\u{a0}", "whitespace (U+00A0)"),
            ("https://zoom.us/j/1\u{2028}", "whitespace (U+2028)"),
            ("https://evil.example\\@zoom.us/j/1", "a backslash"),
            ("https://zoom.us/j/1\u{202e}", "a non-ASCII character (U+202E)"),
            ("https://zооm.us/j/1", "a non-ASCII character (U+043E)"),
        ] {
            assert_eq!(check(url, &zoom()), Err(UrlRefusal::Character(what.to_owned())), "{url:?}");
        }
    }

    #[test]
    fn refusals_are_one_line_and_never_repeat_the_url() {
        for url in [
            "https://zoom.us/j/1?pwd=SECRET\n",
            "http://zoom.us/j/1?pwd=SECRET",
            "https://u:SECRET@zoom.us/j/1",
            "https://zoom.us:1/j/1?pwd=SECRET",
            "https://evil.example/j/1?pwd=SECRET",
            "https://[::1]/?pwd=SECRET",
            "no url ?pwd=SECRET",
        ] {
            let text = check(url, &zoom()).unwrap_err().to_string();
            assert!(!text.contains('\n') && !text.contains("SECRET"), "{url:?}: {text}");
        }
    }

    #[test]
    fn a_declaration_needs_at_least_one_valid_host() {
        let parse =
            |declared: &[&str]| MeetingHosts::parse(&declared.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>());
        assert_eq!(parse(&[]), Err("declares no meeting hosts".to_owned()));
        for bad in [
            "",
            "*",
            "*.",
            "*.us",
            "localhost",
            "10.0.0.1",
            "[::1]",
            "zoom.us:443",
            "https://zoom.us",
            "a..b",
            "*.*.zoom.us",
            "zoom.us/x",
            "zoom us.com",
            "ex\nample.com",
            "bücher.de",
        ] {
            let error = parse(&["meet.google.com", bad]).expect_err(bad);
            assert!(error.starts_with("declares `") && !error.contains('\n'), "{bad:?}: {error}");
        }
        assert_eq!(
            parse(&["Meet.Google.com.", "*.ZOOM.us"]).map(|h| h.to_string()),
            Ok("meet.google.com, *.zoom.us".to_owned())
        );
    }

    #[test]
    fn each_declared_host_gives_one_sample_link_inside_it() {
        let declared = hosts(&["meet.google.com", "*.zoom.us"]);
        let samples = declared.samples();
        assert_eq!(samples, ["https://meet.google.com/", "https://www.zoom.us/"]);
        for sample in &samples {
            assert_eq!(check(sample, &declared), Ok(()), "{sample}");
        }
    }
}
