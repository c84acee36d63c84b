//! Which links are Microsoft Teams meetings, and the form the bot opens.
//!
//! Accepted (both `teams.microsoft.com` and `teams.live.com`):
//! - invitation links `https://teams.microsoft.com/l/meetup-join/19%3ameeting_<id>%40thread.v2/0?context=...`
//!   (also channel meetings `19:...@thread.tacv2` and the decoded `19:meeting_...@thread.v2` spelling);
//!   the `context` query carries the tenant and organizer the web client needs;
//! - the forms the web client itself rewrites them to (`/_#/l/meetup-join/...`,
//!   `/v2/?meetingjoin=true#/l/meetup-join/...`, `/dl/launcher/launcher.html?url=/_#/l/meetup-join/...`),
//!   turned back into the invitation link so every job opens the same way;
//! - meeting-id links `https://teams.live.com/meet/<digits>?p=<passcode>` and
//!   `https://teams.microsoft.com/meet/<digits>?p=<passcode>`.
//!
//! The link the bot opens is built from the parts read out of the given one (host, thread, message
//! id, `context`; or meeting id and passcode), each checked and encoded again, and the result is
//! parsed once more and must read back as the same meeting: nothing else of the given text (user
//! names, ports, other parameters, `../` segments or encoded newlines from an embedded form) can
//! reach the browser. Encodings follow Teams' own invitations (`%3a`, `%40`, lower-case hex), so an
//! invitation comes back unchanged.
//!
//! The bot opens the link as the invitee would: Teams shows its launcher page ("Continue on this
//! browser") first, which the session clicks through. That page is also where Teams decides about
//! sign-in and unknown meetings, so skipping it with a hand-made web-client URL would bypass the
//! very checks whose outcomes the session must report.

use percent_encoding::percent_decode_str;
use url::Url;

/// The hosts Teams meetings live on (also the plugin's declared meeting hosts).
pub const HOSTS: [&str; 2] = ["teams.microsoft.com", "teams.live.com"];

/// The longest `context` or passcode value kept; real ones are a few dozen characters.
const MAX_VALUE: usize = 1024;

/// The longest message or meeting id; real ones have 1 to 16 digits.
const MAX_DIGITS: usize = 20;

/// Why a link is refused; the text is the one-line reason the host shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not parseable as an absolute URL.
    #[error("not a valid URL: {0}")]
    Unparsable(String),
    /// Neither https nor http.
    #[error("unsupported scheme `{0}`: a Teams link starts with https://")]
    Scheme(String),
    /// Control characters, spaces or backslashes inside the link or one of its embedded parts.
    #[error("the link contains control characters, spaces or backslashes")]
    Characters,
    /// A user name, password or explicit non-standard port: never part of a real Teams link.
    #[error("a Teams link carries no user name, password or port")]
    Authority,
    /// Some other site.
    #[error("host `{0}` is not Microsoft Teams (expected teams.microsoft.com or teams.live.com)")]
    Host(String),
    /// A Teams page that is not a meeting.
    #[error("not a Teams meeting link: expected /l/meetup-join/19:meeting_...@thread.v2/... or /meet/<meeting id>")]
    NotAMeeting,
    /// A meetup-join link whose thread is not a meeting thread.
    #[error("`{0}` is not a Teams meeting thread (expected 19:meeting_...@thread.v2)")]
    Thread(String),
    /// A `/meet/` link whose id is not all digits.
    #[error("meeting id `{0}` is not a Teams meeting id (digits only)")]
    MeetingId(String),
    /// A `context` or passcode value that no Teams link carries.
    #[error("the `{0}` parameter is not a Teams value (too long, or not text)")]
    Value(&'static str),
    /// The built link did not read back as the same meeting (a bug, never a repair).
    #[error("the link does not survive normalization unchanged")]
    Unstable,
}

/// One Teams meeting: the parts the normalized link is built from, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Meeting {
    /// `/l/meetup-join/<thread>/<message>?context=<context>`.
    Invitation { thread: String, message: String, context: Option<String> },
    /// `/meet/<id>?p=<passcode>`.
    MeetingId { id: String, passcode: Option<String> },
}

/// Validates a Teams meeting link and returns the form the session opens.
pub fn normalize(raw: &str) -> Result<String, UrlError> {
    let trimmed = raw.trim();
    // The URL parser drops tabs and newlines silently; a link carrying them was not pasted from an invitation.
    if has_bad_characters(trimmed) {
        return Err(UrlError::Characters);
    }
    let url = Url::parse(trimmed).map_err(|e| UrlError::Unparsable(e.to_string()))?;
    if !matches!(url.scheme(), "https" | "http") {
        // Teams redirects http to https anyway; the link is rebuilt on https.
        return Err(UrlError::Scheme(url.scheme().to_owned()));
    }
    let host = teams_host(&url)?;
    if !url.username().is_empty() || url.password().is_some() || url.port().is_some() {
        return Err(UrlError::Authority);
    }
    let meeting = match meeting(&url)? {
        Some(meeting) => meeting,
        None => embedded(&url, host)?,
    };
    let built = build(host, &meeting);
    // What the browser will parse must be exactly what was built, and the same meeting.
    let reparsed = Url::parse(&built).map_err(|_| UrlError::Unstable)?;
    if reparsed.as_str() != built || teams_host(&reparsed)? != host || meeting_of(&reparsed)? != Some(meeting) {
        return Err(UrlError::Unstable);
    }
    Ok(built)
}

/// Control characters, whitespace or a backslash (which special URLs read as `/`).
fn has_bad_characters(text: &str) -> bool {
    text.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\')
}

/// The link's host when it is one of [`HOSTS`] (a trailing dot allowed).
fn teams_host(url: &Url) -> Result<&'static str, UrlError> {
    let host = url.host_str().unwrap_or_default();
    let bare = host.strip_suffix('.').unwrap_or(host);
    HOSTS.into_iter().find(|known| *known == bare).ok_or_else(|| UrlError::Host(host.to_owned()))
}

/// The meeting a direct link names; `None` for a page that may embed one (the web client's forms).
fn meeting(url: &Url) -> Result<Option<Meeting>, UrlError> {
    match meeting_of(url)? {
        Some(meeting) => Ok(Some(meeting)),
        None if embedding(url).is_some() => Ok(None),
        None => Err(UrlError::NotAMeeting),
    }
}

/// The meeting named by the path and query of `url`, or `None` when the path is neither form.
fn meeting_of(url: &Url) -> Result<Option<Meeting>, UrlError> {
    let mut segments: Vec<&str> = url.path_segments().map(Iterator::collect).unwrap_or_default();
    if segments.len() > 1 && segments.last() == Some(&"") {
        segments.pop();
    }
    match segments.as_slice() {
        ["l", "meetup-join", thread, message] => {
            let thread = meeting_thread(thread)?;
            if !is_digits(message) {
                return Err(UrlError::NotAMeeting);
            }
            let context = query_value(url, "context")?;
            Ok(Some(Meeting::Invitation { thread, message: (*message).to_owned(), context }))
        }
        ["l", "meetup-join", ..] => Err(UrlError::NotAMeeting),
        ["meet", id] if is_digits(id) => {
            Ok(Some(Meeting::MeetingId { id: (*id).to_owned(), passcode: query_value(url, "p")? }))
        }
        ["meet", rest @ ..] => Err(UrlError::MeetingId(shown(&rest.join("/")))),
        _ => Ok(None),
    }
}

/// The invitation path the web client's own forms carry: in the fragment of `/_`, `/` and `/v2/`,
/// or in the `url` parameter of the launcher page.
fn embedding(url: &Url) -> Option<String> {
    match url.path() {
        "/_" | "/" | "/v2" | "/v2/" => url.fragment().map(str::to_owned),
        "/dl/launcher/launcher.html" => url.query_pairs().find(|(k, _)| k == "url").map(|(_, v)| {
            let v = v.strip_prefix("/_").unwrap_or(&v);
            v.strip_prefix('#').unwrap_or(v).to_owned()
        }),
        _ => None,
    }
}

/// The invitation embedded in a web-client form: resolved against the link's host as the browser
/// would resolve it (so `../` cannot climb out of `/l/meetup-join/`), then read like a direct link.
fn embedded(url: &Url, host: &str) -> Result<Meeting, UrlError> {
    let inner = embedding(url).filter(|inner| inner.starts_with("/l/meetup-join/")).ok_or(UrlError::NotAMeeting)?;
    if has_bad_characters(&inner) {
        return Err(UrlError::Characters);
    }
    let base = Url::parse(&format!("https://{host}/")).map_err(|e| UrlError::Unparsable(e.to_string()))?;
    let resolved = base.join(&inner).map_err(|e| UrlError::Unparsable(e.to_string()))?;
    if teams_host(&resolved)? != host {
        return Err(UrlError::NotAMeeting);
    }
    match meeting_of(&resolved)? {
        Some(meeting @ Meeting::Invitation { .. }) => Ok(meeting),
        _ => Err(UrlError::NotAMeeting),
    }
}

/// The decoded thread of a meetup-join link (`19:<id>@thread.v2`, `.tacv2` or `.skype`), whose id
/// is letters, digits and `-_.=+` only: nothing that could end the path segment or change it.
fn meeting_thread(segment: &str) -> Result<String, UrlError> {
    let decoded = percent_decode_str(segment).decode_utf8().map_err(|_| UrlError::Thread(shown(segment)))?;
    let id = decoded.strip_prefix("19:").and_then(|rest| {
        [".v2", ".tacv2", ".skype"].iter().find_map(|kind| rest.strip_suffix(&format!("@thread{kind}")))
    });
    let valid = id.is_some_and(|id| {
        !id.is_empty()
            && id.len() <= MAX_VALUE
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.=+".contains(&b))
    });
    if valid { Ok(decoded.into_owned()) } else { Err(UrlError::Thread(shown(segment))) }
}

/// The first value of query parameter `key`, percent-decoded (a `+` stays a `+`): `None` when
/// absent or empty; refused when it is not short text.
fn query_value(url: &Url, key: &'static str) -> Result<Option<String>, UrlError> {
    let Some(raw) = url.query().unwrap_or_default().split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then_some(v)
    }) else {
        return Ok(None);
    };
    let value = percent_decode_str(raw).decode_utf8().map_err(|_| UrlError::Value(key))?;
    if value.len() > MAX_VALUE || value.chars().any(char::is_control) {
        return Err(UrlError::Value(key));
    }
    Ok(Some(value.into_owned()).filter(|v| !v.is_empty()))
}

/// The link the session opens, on https.
fn build(host: &str, meeting: &Meeting) -> String {
    match meeting {
        Meeting::Invitation { thread, message, context } => {
            let thread = thread.replace(':', "%3a").replace('@', "%40");
            let mut link = format!("https://{host}/l/meetup-join/{thread}/{message}");
            if let Some(context) = context {
                link.push_str("?context=");
                link.push_str(&encode(context));
            }
            link
        }
        Meeting::MeetingId { id, passcode } => {
            let mut link = format!("https://{host}/meet/{id}");
            if let Some(passcode) = passcode {
                link.push_str("?p=");
                link.push_str(&encode(passcode));
            }
            link
        }
    }
}

/// Percent-encodes all but the unreserved characters, in lower-case hex as Teams writes them.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02x}"));
        }
    }
    out
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_DIGITS && text.bytes().all(|b| b.is_ascii_digit())
}

/// A path segment as it may appear in a one-line reason: as the parser encoded it, cut short.
fn shown(segment: &str) -> String {
    const MAX: usize = 80;
    match segment.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}...", &segment[..end]),
        None => segment.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NzQ5YjVhMmUtYjA0Ni00ZGQ5LWE3ZjYtMzQ4OGQ4NTFkNmQy%40thread.v2/0?context=%7b%22Tid%22%3a%2272f988bf-86f1-41af-91ab-2d7cd011db47%22%2c%22Oid%22%3a%22e2a6a7e1-6c5b-4a2d-9a0e-8d1f0b5c2f11%22%7d";
    const JOIN_PATH: &str = "/l/meetup-join/19%3ameeting_abc%40thread.v2/0";

    fn launcher(inner: &str) -> String {
        format!(
            "https://teams.microsoft.com/dl/launcher/launcher.html?url={}&type=meetup-join&directDl=true",
            percent_encoding::utf8_percent_encode(inner, percent_encoding::NON_ALPHANUMERIC)
        )
    }

    #[test]
    fn invitation_links_are_kept_whole() {
        assert_eq!(normalize(INVITE).as_deref(), Ok(INVITE));
        let live = "https://teams.live.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=%7b%7d";
        assert_eq!(normalize(live).as_deref(), Ok(live));
        let channel =
            "https://teams.microsoft.com/l/meetup-join/19%3a1a2b3c%40thread.tacv2/1612345678901?context=%7b%7d";
        assert_eq!(normalize(channel).as_deref(), Ok(channel));
        let no_context = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0";
        assert_eq!(normalize(no_context).as_deref(), Ok(no_context));
    }

    #[test]
    fn meeting_id_links_are_kept_whole() {
        for link in [
            "https://teams.live.com/meet/9345678901234?p=AbCdEfGh12",
            "https://teams.microsoft.com/meet/2345678901234?p=x7Yz",
            "https://teams.live.com/meet/9345678901234",
        ] {
            assert_eq!(normalize(link).as_deref(), Ok(link));
        }
    }

    #[test]
    fn small_differences_are_normalized() {
        assert_eq!(normalize(&format!("  {}  ", INVITE.replace("https://", "http://"))).as_deref(), Ok(INVITE));
        assert_eq!(
            normalize("https://Teams.Live.com/meet/9345678901234?p=Ab#x").as_deref(),
            Ok("https://teams.live.com/meet/9345678901234?p=Ab")
        );
        assert_eq!(
            normalize("https://teams.live.com./meet/9345678901234/").as_deref(),
            Ok("https://teams.live.com/meet/9345678901234")
        );
        assert_eq!(
            normalize("https://teams.microsoft.com:443/meet/123").as_deref(),
            Ok("https://teams.microsoft.com/meet/123")
        );
        let upper_hex = INVITE.replace("%7b", "%7B").replace("%3a", "%3A").replace("%2c", "%2C").replace("%7d", "%7D");
        assert_eq!(normalize(&upper_hex).as_deref(), Ok(INVITE));
    }

    #[test]
    fn the_decoded_thread_spelling_is_encoded_as_in_invitations() {
        let decoded = "https://teams.microsoft.com/l/meetup-join/19:meeting_abc@thread.v2/0?context=x";
        assert_eq!(
            normalize(decoded).as_deref(),
            Ok("https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=x")
        );
    }

    #[test]
    fn web_client_forms_become_the_invitation_link() {
        let path = format!("{JOIN_PATH}?context=%7b%7d");
        let expected = format!("https://teams.microsoft.com{path}");
        for form in [
            format!("https://teams.microsoft.com/_#{path}"),
            format!("https://teams.microsoft.com/v2/?meetingjoin=true#{path}"),
            launcher(&format!("/_#{path}")),
        ] {
            assert_eq!(normalize(&form).as_deref(), Ok(expected.as_str()), "{form}");
        }
    }

    #[test]
    fn dot_segments_in_an_embedded_form_cannot_leave_the_meeting_path() {
        for form in [
            format!("https://teams.microsoft.com/_#{JOIN_PATH}/../../../../evil"),
            format!("https://teams.microsoft.com/_#{JOIN_PATH}/../../../../evil?context=%7b%7d"),
            "https://teams.microsoft.com/_#/l/meetup-join/../../v2/".to_owned(),
            "https://teams.microsoft.com/_#/l/meetup-join/%2e%2e/%2e%2e/evil/0".to_owned(),
            launcher(&format!("/_#{JOIN_PATH}/../../../../dl/launcher/launcher.html")),
            launcher("/_#/l/meetup-join/..%2F..%2Fevil"),
        ] {
            assert_eq!(normalize(&form), Err(UrlError::NotAMeeting), "{form}");
        }
        // Dot segments that stay inside a meeting path resolve as the browser would resolve them.
        assert_eq!(
            normalize(&format!("https://teams.microsoft.com/_#{JOIN_PATH}/../1")).as_deref(),
            Ok("https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/1")
        );
    }

    #[test]
    fn newlines_and_control_characters_are_refused_wherever_they_hide() {
        for (link, expected) in [
            (launcher(&format!("/_#{JOIN_PATH}\r\nX-Evil: 1")), UrlError::Characters),
            (launcher(&format!("/_#{JOIN_PATH}?context=%7b%7d\nmore")), UrlError::Characters),
            (launcher(&format!("/_#{JOIN_PATH} ")), UrlError::Characters),
            (launcher(&format!("/_#{JOIN_PATH}\\..\\..\\evil")), UrlError::Characters),
            (format!("https://teams.microsoft.com/_#{JOIN_PATH}?context=a%0Ab"), UrlError::Value("context")),
            (format!("https://teams.microsoft.com{JOIN_PATH}?context=a%0D%0Ab"), UrlError::Value("context")),
            ("https://teams.live.com/meet/123?p=a%0Ab".to_owned(), UrlError::Value("p")),
            (format!("https://teams.microsoft.com{JOIN_PATH}\n?context=x"), UrlError::Characters),
            (
                "https://teams.microsoft.com/l/meetup-\njoin/19%3ameeting_abc%40thread.v2/0".to_owned(),
                UrlError::Characters,
            ),
            ("https://teams.live.com/meet/12\t3".to_owned(), UrlError::Characters),
        ] {
            assert_eq!(normalize(&link), Err(expected), "{link:?}");
        }
    }

    #[test]
    fn user_names_passwords_and_ports_are_refused() {
        for link in [
            format!("https://user:secret@teams.microsoft.com{JOIN_PATH}"),
            format!("https://evil.example@teams.microsoft.com{JOIN_PATH}"),
            "https://user@teams.live.com/meet/123".to_owned(),
            format!("https://teams.microsoft.com:8443{JOIN_PATH}"),
        ] {
            assert_eq!(normalize(&link), Err(UrlError::Authority), "{link}");
        }
    }

    #[test]
    fn only_the_meeting_parameters_survive() {
        assert_eq!(
            normalize(&format!(
                "https://teams.microsoft.com{JOIN_PATH}?anon=true&context=%7b%7d&url=https%3a%2f%2fevil.example&context=x"
            ))
            .as_deref(),
            Ok("https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=%7b%7d")
        );
        assert_eq!(
            normalize("https://teams.live.com/meet/123?x=1&p=pass&uname=Evil").as_deref(),
            Ok("https://teams.live.com/meet/123?p=pass")
        );
        assert_eq!(normalize("https://teams.live.com/meet/123?p=").as_deref(), Ok("https://teams.live.com/meet/123"));
    }

    #[test]
    fn values_are_encoded_again_and_cannot_add_parameters() {
        let link = normalize("https://teams.live.com/meet/123?p=a%26b%3Dc%23d%2Be+f").expect("valid");
        assert_eq!(link, "https://teams.live.com/meet/123?p=a%26b%3dc%23d%2be%2bf");
        let parsed = Url::parse(&link).expect("parses");
        assert_eq!(parsed.query_pairs().count(), 1);
        assert_eq!(parsed.fragment(), None);
    }

    #[test]
    fn threads_with_encoded_slashes_or_odd_characters_are_refused() {
        for thread in [
            "19%3ameeting_a%2F..%2F..%40thread.v2",
            "19%3ameeting_a%2f..%40thread.v2",
            "19%3ameeting_a%22%3E%3Cscript%3E%40thread.v2",
            "19%3ameeting_a%0A%40thread.v2",
            "19%3a%40thread.v2",
            "19%3ameeting_a%40thread.v2%40thread.v2",
            "19%3ameeting_a%FF%40thread.v2",
        ] {
            let link = format!("https://teams.microsoft.com/l/meetup-join/{thread}/0");
            let error = normalize(&link).expect_err(&link);
            assert!(matches!(error, UrlError::Thread(_)), "{link}: {error:?}");
            assert!(!error.to_string().contains(['\n', '\r']), "one line: {error}");
        }
    }

    #[test]
    fn an_embedded_link_cannot_name_another_host() {
        for form in [
            "https://teams.microsoft.com/_#//evil.example/l/meetup-join/19%3ameeting_abc%40thread.v2/0",
            "https://teams.microsoft.com/_#https://evil.example/l/meetup-join/19%3ameeting_abc%40thread.v2/0",
        ] {
            assert_eq!(normalize(form), Err(UrlError::NotAMeeting), "{form}");
        }
        let link = launcher("/_#/l/meetup-join/19%3ameeting_abc%40thread.v2/0");
        assert!(normalize(&link).expect("valid").starts_with("https://teams.microsoft.com/l/meetup-join/"));
    }

    #[test]
    fn normalization_is_stable() {
        for link in [
            INVITE.to_owned(),
            "https://teams.live.com/meet/9345678901234?p=a%2Bb%20c".to_owned(),
            launcher(&format!("/_#{JOIN_PATH}?context=%7B%22Tid%22%3A%22x%22%7D")),
            "https://teams.microsoft.com/l/meetup-join/19:meeting_abc@thread.v2/0?context=x".to_owned(),
        ] {
            let once = normalize(&link).expect("valid");
            assert_eq!(normalize(&once).as_deref(), Ok(once.as_str()), "{link}");
        }
    }

    #[test]
    fn other_links_are_refused_with_a_reason() {
        let refused = |link: &str| normalize(link).expect_err(link).to_string();
        assert!(refused("not-a-url").starts_with("not a valid URL"));
        assert!(refused("not a url").contains("control characters, spaces"));
        assert!(refused("ftp://teams.microsoft.com/meet/123").contains("scheme `ftp`"));
        assert!(refused("https://meet.google.com/abc-defg-hij").contains("not Microsoft Teams"));
        assert!(refused("https://teams.microsoft.com.evil.example/meet/123").contains("not Microsoft Teams"));
        assert!(refused("https://[::1]/meet/123").contains("not Microsoft Teams"));
        assert!(
            refused("https://evil.example/l/meetup-join/19%3ameeting_a%40thread.v2/0").contains("not Microsoft Teams")
        );
        assert!(refused("https://teams.microsoft.com/").contains("not a Teams meeting link"));
        assert!(refused("https://teams.microsoft.com/v2/").contains("not a Teams meeting link"));
        assert!(
            refused("https://teams.microsoft.com/l/chat/19%3aabc%40thread.v2/0").contains("not a Teams meeting link")
        );
        assert!(refused("https://teams.microsoft.com/l/meetup-join/hello/0").contains("not a Teams meeting thread"));
        assert!(
            refused("https://teams.microsoft.com/l/meetup-join/19%3ameeting_a%40thread.v2")
                .contains("not a Teams meeting link")
        );
        assert!(
            refused("https://teams.microsoft.com/l/meetup-join/19%3ameeting_a%40thread.v2/0/extra")
                .contains("not a Teams meeting link")
        );
        assert!(refused("https://teams.live.com/meet/abc123").contains("digits only"));
        assert!(refused("https://teams.live.com/meet/").contains("digits only"));
        assert!(refused("https://teams.live.com/meet/123/456").contains("`123/456`"));
        for link in [INVITE, "https://teams.live.com/meet/123"] {
            let reason = refused(&link.replace("teams.", "teamz."));
            assert!(!reason.contains('\n'), "one line: {reason}");
        }
    }
}
