//! Google Meet links: which forms are accepted and the one normal form the session opens.
//!
//! Meet links in the wild come from calendar invites (`?authuser=0&hs=122`), copy-paste without a
//! scheme, upper-case codes, codes typed without dashes, and the `_meet/` path the Meet app uses
//! in redirects. All of them name one meeting code, so the normal form is
//! `https://meet.google.com/<xxx-yyyy-zzz>`: the query (`authuser`, `hs`, `pli`, ...) only carries
//! account and analytics hints that an anonymous bot must not send, and the fragment is never
//! sent to the server. Everything that is not a meeting code on `meet.google.com` is refused
//! with a one-line reason, because such a job can never succeed and should be dead-lettered
//! rather than open a browser. The normal form is built from the code alone, so nothing else of the
//! given text (user names, ports, dot segments, encoded characters) can reach the browser; control
//! characters inside a link, which the URL parser would silently drop, are refused.

use url::Url;

/// The only host Meet meetings live on.
pub const MEET_HOST: &str = "meet.google.com";

/// Why a link is refused. The `Display` text is the one-line reason the job is dead-lettered with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The job named a provider this plugin does not serve.
    #[error("provider `{0}` is not served by the Google Meet plugin (it serves `google`)")]
    Provider(String),
    /// Nothing to parse.
    #[error("the meeting URL is empty")]
    Empty,
    /// Control characters (a newline, a tab, ...) inside the link.
    #[error("the link contains control characters")]
    ControlCharacters,
    /// Not parseable as a URL at all.
    #[error("not a URL: {0}")]
    Unparseable(String),
    /// A scheme other than http(s).
    #[error("unsupported scheme `{0}`: a Google Meet link starts with https://meet.google.com/")]
    Scheme(String),
    /// Another host (including look-alikes such as `meet.google.com.example.org`).
    #[error("not a Google Meet link: host `{0}` is not meet.google.com")]
    Host(String),
    /// User name, password or an explicit non-standard port: never part of a real Meet link.
    #[error("a Google Meet link carries no user name, password or port")]
    Authority,
    /// `meet.google.com` with no meeting code.
    #[error("the link names no meeting: a Google Meet link ends with a code like abc-defg-hij")]
    NoCode,
    /// `meet.google.com/new` starts a new meeting instead of joining one.
    #[error("meet.google.com/new creates a new meeting; give the link of an existing meeting")]
    NewMeeting,
    /// `meet.google.com/lookup/<nickname>` links resolve only for signed-in members of the
    /// organisation (Google Workspace for Education nicknames); an anonymous bot is always sent to
    /// a sign-in page.
    #[error(
        "meet.google.com/lookup/ links only work for signed-in members of the organisation; use the meeting's code link"
    )]
    Lookup,
    /// A path that is not a 3-4-3 letter meeting code.
    #[error("`{0}` is not a Google Meet meeting code (expected three groups of letters like abc-defg-hij)")]
    BadCode(String),
}

/// Validates a Meet link and returns `https://meet.google.com/<code>` with the code in lower case
/// and its dashes in place.
pub fn normalize(raw: &str) -> Result<String, UrlError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(UrlError::Empty);
    }
    if trimmed.chars().any(char::is_control) {
        return Err(UrlError::ControlCharacters);
    }
    // People paste "meet.google.com/abc-defg-hij" without a scheme; only a missing scheme gets one,
    // so "ftp://..." is still refused for its scheme.
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{}", trimmed.trim_start_matches('/'))
    };
    let url = Url::parse(&with_scheme).map_err(|e| UrlError::Unparseable(format!("{trimmed} ({e})")))?;
    match url.scheme() {
        "https" | "http" => {}
        other => return Err(UrlError::Scheme(other.to_owned())),
    }
    let host = url.host_str().unwrap_or_default();
    if host != MEET_HOST {
        return Err(UrlError::Host(host.to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() || url.port().is_some() {
        return Err(UrlError::Authority);
    }
    let segments: Vec<&str> = url.path_segments().map(|s| s.filter(|p| !p.is_empty()).collect()).unwrap_or_default();
    let code = match segments.as_slice() {
        [] => return Err(UrlError::NoCode),
        [first, ..] if first.eq_ignore_ascii_case("new") => return Err(UrlError::NewMeeting),
        [first, ..] if first.eq_ignore_ascii_case("lookup") => return Err(UrlError::Lookup),
        // The Meet app's own redirect form: meet.google.com/_meet/abc-defg-hij.
        ["_meet", code] => *code,
        [code] => *code,
        _ => return Err(UrlError::BadCode(url.path().trim_matches('/').to_owned())),
    };
    meeting_code(code)
        .map(|code| format!("https://{MEET_HOST}/{code}"))
        .ok_or_else(|| UrlError::BadCode(code.to_owned()))
}

/// The canonical `xxx-yyyy-zzz` form of a meeting code written with or without dashes, in any
/// case; `None` when it is not a code.
fn meeting_code(code: &str) -> Option<String> {
    let letters: String = code.chars().filter(|c| *c != '-').collect();
    if letters.len() != 10 || !letters.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    // Dashes, when present, must sit where Meet puts them.
    if code.contains('-') && code.split('-').map(str::len).collect::<Vec<_>>() != [3, 4, 3] {
        return None;
    }
    let lower = letters.to_ascii_lowercase();
    Some(format!("{}-{}-{}", &lower[..3], &lower[3..7], &lower[7..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NORMAL: &str = "https://meet.google.com/abc-defg-hij";

    #[test]
    fn accepts_the_real_link_forms() {
        for link in [
            "https://meet.google.com/abc-defg-hij",
            "https://meet.google.com/abc-defg-hij/",
            "http://meet.google.com/abc-defg-hij",
            "meet.google.com/abc-defg-hij",
            "  https://meet.google.com/abc-defg-hij  ",
            "https://meet.google.com/ABC-DEFG-HIJ",
            "https://MEET.GOOGLE.COM/Abc-Defg-Hij",
            "https://meet.google.com/abcdefghij",
            "https://meet.google.com/abc-defg-hij?authuser=0",
            "https://meet.google.com/abc-defg-hij?authuser=1&hs=122&pli=1",
            "https://meet.google.com/abc-defg-hij?hs=224#fragment",
            "https://meet.google.com/_meet/abc-defg-hij?authuser=0",
            "https://meet.google.com:443/abc-defg-hij",
        ] {
            assert_eq!(normalize(link).as_deref(), Ok(NORMAL), "{link}");
        }
    }

    #[test]
    fn refuses_everything_else_with_its_reason() {
        let cases: [(&str, UrlError); 17] = [
            ("", UrlError::Empty),
            ("   ", UrlError::Empty),
            ("https://zoom.us/j/123456789", UrlError::Host("zoom.us".into())),
            (
                "https://meet.google.com.evil.example/abc-defg-hij",
                UrlError::Host("meet.google.com.evil.example".into()),
            ),
            ("https://google.com/abc-defg-hij", UrlError::Host("google.com".into())),
            ("https://teams.microsoft.com/l/meetup-join/x", UrlError::Host("teams.microsoft.com".into())),
            ("ftp://meet.google.com/abc-defg-hij", UrlError::Scheme("ftp".into())),
            ("https://user:pw@meet.google.com/abc-defg-hij", UrlError::Authority),
            ("https://meet.google.com:8443/abc-defg-hij", UrlError::Authority),
            ("https://meet.google.com/", UrlError::NoCode),
            ("https://meet.google.com/new", UrlError::NewMeeting),
            ("https://meet.google.com/lookup/abcdefgh12", UrlError::Lookup),
            ("https://meet.google.com/abc-defg-hi1", UrlError::BadCode("abc-defg-hi1".into())),
            ("https://meet.google.com/abcd-efg-hij", UrlError::BadCode("abcd-efg-hij".into())),
            ("https://meet.google.com/abc-defg", UrlError::BadCode("abc-defg".into())),
            ("https://meet.google.com/abc-defg-hij/extra", UrlError::BadCode("abc-defg-hij/extra".into())),
            ("https://meet.google.com/ábc-defg-hij", UrlError::BadCode("%C3%A1bc-defg-hij".into())),
        ];
        for (link, expected) in cases {
            assert_eq!(normalize(link), Err(expected), "{link}");
        }
    }

    #[test]
    fn hostile_forms_are_refused_or_reduced_to_the_code() {
        for (link, expected) in [
            ("https://meet.google.com/abc-\ndefg-hij", UrlError::ControlCharacters),
            ("https://meet.google.com/abc-defg-hij\r\nX-Evil: 1", UrlError::ControlCharacters),
            ("meet.google.com/abc\t-defg-hij", UrlError::ControlCharacters),
            ("https://meet.google.com@evil.example/abc-defg-hij", UrlError::Host("evil.example".into())),
            ("meet.google.com@evil.example/abc-defg-hij", UrlError::Host("evil.example".into())),
            ("https://evil.example\\@meet.google.com/abc-defg-hij", UrlError::Host("evil.example".into())),
            ("https://meet.google.com/abc%2Fdefg-hij", UrlError::BadCode("abc%2Fdefg-hij".into())),
            ("https://127.0.0.1/abc-defg-hij", UrlError::Host("127.0.0.1".into())),
        ] {
            assert_eq!(normalize(link), Err(expected), "{link:?}");
        }
        // Dot segments resolve before the code is read; what comes out is only ever a code link.
        for link in ["https://meet.google.com/x/../abc-defg-hij", "https://meet.google.com/%2e%2e/abc-defg-hij"] {
            assert_eq!(normalize(link).as_deref(), Ok(NORMAL), "{link}");
        }
    }

    #[test]
    fn refusal_reasons_are_one_line() {
        for link in ["", "https://zoom.us/j/1", "https://meet.google.com/lookup/x", "http://[::1", "mailto:a@b"] {
            let reason = normalize(link).expect_err(link).to_string();
            assert!(!reason.is_empty() && !reason.contains('\n'), "{link}: {reason:?}");
        }
    }

    #[test]
    fn normal_form_is_stable() {
        let once = normalize("MEET.google.com/ABCDEFGHIJ?authuser=2").expect("valid");
        assert_eq!(normalize(&once).as_deref(), Ok(once.as_str()));
    }
}
