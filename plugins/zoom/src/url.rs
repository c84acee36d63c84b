//! Zoom meeting links: which forms are accepted, and the web-client URL the bot opens.
//!
//! People paste Zoom links in several shapes: `https://zoom.us/j/<id>?pwd=...` (the invitation),
//! regional and vanity subdomains (`us05web.zoom.us`, `acme.zoom.us`), the host's start link
//! `/s/<id>`, and the web client itself (`/wc/join/<id>`, or the newer `/wc/<id>/join`). Every
//! form is turned into `https://<same host>/wc/join/<id>?pwd=<pwd>`: the web client directly, so
//! the bot skips the "Launch Meeting" landing page that tries to open the desktop app. The host is
//! kept because vanity and regional hosts route to the account's own cluster and SSO settings; the
//! passcode is kept because without it the web client asks for it; every other parameter (tracking,
//! `uname`, ...) is dropped so the bot's name is only ever the one the job gives.
//!
//! The URL the bot opens is built from the parsed parts only (host, digits, re-encoded passcode),
//! so nothing else of the given text reaches the browser. Links with a user name, password or port,
//! or with control characters inside, are refused rather than repaired: no real invitation has them.

use url::Url;

/// Why a link is refused. The text is the one-line reason the host shows (dead-letter list, 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not parseable as an absolute URL.
    #[error("not a valid URL: {0}")]
    Unparseable(String),
    /// A scheme other than http(s).
    #[error("a Zoom link must use https, not `{0}`")]
    Scheme(String),
    /// Control characters (a newline, a tab, ...) inside the link.
    #[error("the link contains control characters")]
    ControlCharacters,
    /// A user name, password or explicit non-standard port: never part of a real Zoom link.
    #[error("a Zoom link carries no user name, password or port")]
    Authority,
    /// The host is not Zoom's.
    #[error("`{0}` is not a Zoom host (expected zoom.us or a subdomain such as us05web.zoom.us)")]
    NotZoom(String),
    /// A Zoom host, but a path that names no meeting.
    #[error("`{0}` is not a Zoom meeting link (expected /j/<meeting id>, /s/<id> or /wc/join/<id>)")]
    NotAMeetingPath(String),
    /// Personal-room links carry a vanity name, not a meeting id the web client can join.
    #[error("personal meeting room links (/my/<name>) carry no meeting id; use the /j/<meeting id> link")]
    PersonalRoom,
    /// The meeting id is not 9 to 11 digits.
    #[error("`{0}` is not a Zoom meeting id (9 to 11 digits)")]
    BadMeetingId(String),
}

/// The provider this plugin serves.
pub const PROVIDER: &str = "zoom";

/// Zoom's own domains: `zoom.us` and the government cloud `zoomgov.com`, each with its subdomains.
const DOMAINS: [&str; 2] = ["zoom.us", "zoomgov.com"];

/// The hosts the normalized URL may point at, as declared to the host: [`DOMAINS`] and their
/// subdomains.
pub const MEETING_HOSTS: [&str; 4] = ["zoom.us", "*.zoom.us", "zoomgov.com", "*.zoomgov.com"];

/// Validates a Zoom meeting link and returns the web-client URL the bot opens.
pub fn normalize(raw: &str) -> Result<String, UrlError> {
    let link = parse(raw)?;
    Ok(web_client_url(&link))
}

/// A parsed, validated Zoom meeting link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingLink {
    /// The host as given (lower-cased by URL parsing), e.g. `us05web.zoom.us`.
    pub host: String,
    /// The meeting number, digits only.
    pub meeting_id: String,
    /// The passcode (`pwd`), when the link has one.
    pub passcode: Option<String>,
}

/// Parses and validates a Zoom meeting link in any accepted form.
pub fn parse(raw: &str) -> Result<MeetingLink, UrlError> {
    let trimmed = raw.trim();
    // The URL parser drops tabs and newlines silently; a link carrying them is not a pasted invitation.
    if trimmed.chars().any(char::is_control) {
        return Err(UrlError::ControlCharacters);
    }
    let url = Url::parse(trimmed).map_err(|e| UrlError::Unparseable(format!("{e}: `{trimmed}`")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(UrlError::Scheme(url.scheme().to_owned()));
    }
    let host = url.host_str().unwrap_or_default();
    let host = host.strip_suffix('.').unwrap_or(host).to_owned();
    if !is_zoom_host(&host) {
        return Err(UrlError::NotZoom(host));
    }
    if !url.username().is_empty() || url.password().is_some() || url.port().is_some() {
        return Err(UrlError::Authority);
    }
    let segments: Vec<&str> = url.path_segments().map(|s| s.filter(|p| !p.is_empty()).collect()).unwrap_or_default();
    let id = match segments.as_slice() {
        ["j" | "s", id, ..] | ["wc", "join", id, ..] => *id,
        ["wc", id, "join" | "start", ..] => *id,
        ["my", ..] => return Err(UrlError::PersonalRoom),
        _ => return Err(UrlError::NotAMeetingPath(url.path().to_owned())),
    };
    if !is_meeting_id(id) {
        return Err(UrlError::BadMeetingId(id.to_owned()));
    }
    let passcode = url.query_pairs().find(|(k, _)| k == "pwd").map(|(_, v)| v.into_owned()).filter(|v| !v.is_empty());
    Ok(MeetingLink { host, meeting_id: id.to_owned(), passcode })
}

/// `https://<host>/wc/join/<id>[?pwd=<pwd>]`.
pub fn web_client_url(link: &MeetingLink) -> String {
    let mut out = format!("https://{}/wc/join/{}", link.host, link.meeting_id);
    if let Some(pwd) = &link.passcode {
        out.push_str("?pwd=");
        out.extend(url::form_urlencoded::byte_serialize(pwd.as_bytes()));
    }
    out
}

/// The address of the web client a "PWA shell" page frames, when `current` is such a shell.
///
/// Zoom serves the newer client at `/wc/<id>/join` as a shell whose only content is an iframe
/// loading the same path with `fromPWA=1`. Page probes do not reach into frames, so the bot opens
/// the framed client as the top-level page instead (same origin, same passcode).
pub fn framed_client_url(current: &str) -> Option<String> {
    let url = Url::parse(current).ok()?;
    let segments: Vec<&str> = url.path_segments()?.filter(|p| !p.is_empty()).collect();
    if !matches!(segments.as_slice(), ["wc", id, "join"] if is_meeting_id(id)) {
        return None;
    }
    if url.query_pairs().any(|(k, _)| k == "fromPWA") {
        return None;
    }
    let mut framed = url.clone();
    framed.set_fragment(None);
    let kept: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    {
        let mut query = framed.query_pairs_mut();
        query.clear();
        query.append_pair("fromPWA", "1");
        for (k, v) in &kept {
            query.append_pair(k, v);
        }
    }
    Some(framed.into())
}

/// One of [`DOMAINS`] or a subdomain of one whose every label is letters, digits and hyphens.
fn is_zoom_host(host: &str) -> bool {
    let is_label = |label: &str| !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    DOMAINS.iter().any(|domain| {
        host == *domain
            || host
                .strip_suffix(domain)
                .and_then(|sub| sub.strip_suffix('.'))
                .is_some_and(|sub| sub.split('.').all(is_label))
    })
}

/// Zoom meeting numbers are 9 to 11 digits (older meetings 9 or 10, current ones 10 or 11).
fn is_meeting_id(id: &str) -> bool {
    (9..=11).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms_open_the_web_client_on_the_same_host() {
        let cases = [
            ("https://zoom.us/j/1234567890?pwd=abcDEF.1", "https://zoom.us/wc/join/1234567890?pwd=abcDEF.1"),
            ("https://us05web.zoom.us/j/81234567890?pwd=x1", "https://us05web.zoom.us/wc/join/81234567890?pwd=x1"),
            ("https://acme.zoom.us/j/123456789", "https://acme.zoom.us/wc/join/123456789"),
            ("https://acme.zoom.us/s/81234567890?pwd=p", "https://acme.zoom.us/wc/join/81234567890?pwd=p"),
            ("https://zoom.us/wc/join/81234567890?pwd=p", "https://zoom.us/wc/join/81234567890?pwd=p"),
            ("https://app.zoom.us/wc/81234567890/join?pwd=p", "https://app.zoom.us/wc/join/81234567890?pwd=p"),
            ("http://ZOOM.US/j/1234567890/?pwd=p#success", "https://zoom.us/wc/join/1234567890?pwd=p"),
            ("  https://zoom.us/j/1234567890  ", "https://zoom.us/wc/join/1234567890"),
            ("https://agency.zoomgov.com/j/1612345678?pwd=p", "https://agency.zoomgov.com/wc/join/1612345678?pwd=p"),
        ];
        for (given, expected) in cases {
            assert_eq!(normalize(given).as_deref(), Ok(expected), "{given}");
        }
    }

    #[test]
    fn only_the_passcode_survives_and_stays_encoded() {
        let got = normalize("https://zoom.us/j/1234567890?uname=Evil&pwd=a%2Bb%20c&from=addon&pwd=second").unwrap();
        assert_eq!(got, "https://zoom.us/wc/join/1234567890?pwd=a%2Bb+c");
        assert_eq!(parse(&got).unwrap().passcode.as_deref(), Some("a+b c"));
        assert_eq!(normalize("https://zoom.us/j/1234567890?pwd=").unwrap(), "https://zoom.us/wc/join/1234567890");
    }

    type Expect = fn(&UrlError) -> bool;

    #[test]
    fn refused_forms_say_why_in_one_line() {
        let cases: [(&str, Expect); 10] = [
            ("not a url", |e| matches!(e, UrlError::Unparseable(_))),
            ("ftp://zoom.us/j/1234567890", |e| matches!(e, UrlError::Scheme(_))),
            ("https://meet.google.com/abc-defg-hij", |e| matches!(e, UrlError::NotZoom(_))),
            ("https://zoom.us.evil.example/j/1234567890", |e| matches!(e, UrlError::NotZoom(_))),
            ("https://notzoom.us/j/1234567890", |e| matches!(e, UrlError::NotZoom(_))),
            ("https://zoom.us/j/12345678", |e| matches!(e, UrlError::BadMeetingId(_))),
            ("https://zoom.us/j/123456789012", |e| matches!(e, UrlError::BadMeetingId(_))),
            ("https://zoom.us/j/12345abcde", |e| matches!(e, UrlError::BadMeetingId(_))),
            ("https://zoom.us/my/jane.doe", |e| matches!(e, UrlError::PersonalRoom)),
            ("https://zoom.us/signin", |e| matches!(e, UrlError::NotAMeetingPath(_))),
        ];
        for (given, expected) in cases {
            let error = normalize(given).expect_err(given);
            assert!(expected(&error), "{given}: {error:?}");
            let text = error.to_string();
            assert!(!text.is_empty() && !text.contains('\n'), "{given}: {text:?}");
        }
    }

    #[test]
    fn declared_meeting_hosts_are_the_zoom_domains_and_their_subdomains() {
        let expected: Vec<String> = DOMAINS.iter().flat_map(|d| [(*d).to_owned(), format!("*.{d}")]).collect();
        assert_eq!(MEETING_HOSTS.to_vec(), expected);
    }

    #[test]
    fn userinfo_ports_and_control_characters_are_refused() {
        for (given, expected) in [
            ("https://user:pw@zoom.us/j/1234567890", UrlError::Authority),
            ("https://evil.example@zoom.us/j/1234567890", UrlError::Authority),
            ("https://zoom.us:8443/j/1234567890", UrlError::Authority),
            ("https://zoom.us/j/12345\n67890", UrlError::ControlCharacters),
            ("https://zoom.us/j/1234567890?pwd=a\tb", UrlError::ControlCharacters),
            ("https://zoom.us/j/1234567890\r\nX-Evil: 1", UrlError::ControlCharacters),
        ] {
            assert_eq!(normalize(given), Err(expected), "{given:?}");
        }
        assert_eq!(normalize("https://zoom.us:443/j/1234567890").as_deref(), Ok("https://zoom.us/wc/join/1234567890"));
    }

    #[test]
    fn hosts_with_empty_or_odd_labels_are_not_zoom() {
        for host in ["a..zoom.us", ".zoom.us", "evilzoom.us", "a_b.zoom.us", "zoom.us.evil.example"] {
            let link = format!("https://{host}/j/1234567890");
            assert!(matches!(normalize(&link), Err(UrlError::NotZoom(_))), "{link}: {:?}", normalize(&link));
        }
        assert_eq!(
            normalize("https://us05web.zoom.us./j/1234567890").as_deref(),
            Ok("https://us05web.zoom.us/wc/join/1234567890")
        );
    }

    #[test]
    fn dot_segments_and_encoded_slashes_never_make_a_meeting_id() {
        for link in [
            "https://zoom.us/j/../wc/join/1234567890",
            "https://zoom.us/j/%2e%2e/1234567890",
            "https://zoom.us/j/12345%2F67890",
            "https://zoom.us/j/1234567890%2F..%2F..%2Fsignin",
        ] {
            let normalized = normalize(link);
            assert!(
                normalized
                    .as_deref()
                    .map_or(true, |url| url.starts_with("https://zoom.us/wc/join/") && !url.contains('%')),
                "{link}: {normalized:?}"
            );
        }
        assert!(normalize("https://zoom.us/j/12345%2F67890").is_err());
    }

    #[test]
    fn a_passcode_cannot_smuggle_parameters_or_characters() {
        let got = normalize("https://zoom.us/j/1234567890?pwd=a%26uname%3DEvil%23x%0Ay").unwrap();
        assert_eq!(got, "https://zoom.us/wc/join/1234567890?pwd=a%26uname%3DEvil%23x%0Ay");
        assert_eq!(parse(&got).unwrap().passcode.as_deref(), Some("a&uname=Evil#x\ny"));
    }

    #[test]
    fn a_pwa_shell_maps_to_its_framed_client() {
        assert_eq!(
            framed_client_url("https://app.zoom.us/wc/81234567890/join?pwd=a.1").as_deref(),
            Some("https://app.zoom.us/wc/81234567890/join?fromPWA=1&pwd=a.1")
        );
        assert_eq!(framed_client_url("https://app.zoom.us/wc/81234567890/join?fromPWA=1&pwd=a.1"), None);
        assert_eq!(framed_client_url("https://zoom.us/wc/join/81234567890?pwd=a.1"), None);
    }
}
