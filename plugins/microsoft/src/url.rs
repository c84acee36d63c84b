//! Which links are Microsoft Teams meetings, and the form the bot opens.
//!
//! Accepted (both `teams.microsoft.com` and `teams.live.com`):
//! - invitation links `https://teams.microsoft.com/l/meetup-join/19%3ameeting_<id>%40thread.v2/0?context=...`
//!   (also channel meetings `19:...@thread.tacv2` and the decoded `19:meeting_...@thread.v2` spelling),
//!   kept whole: the `context` query carries the tenant and organizer the web client needs;
//! - the forms the web client itself rewrites them to (`/_#/l/meetup-join/...`,
//!   `/v2/?meetingjoin=true#/l/meetup-join/...`, `/dl/launcher/launcher.html?url=/_#/l/meetup-join/...`),
//!   turned back into the invitation link so every job opens the same way;
//! - meeting-id links `https://teams.live.com/meet/<digits>?p=<passcode>` and
//!   `https://teams.microsoft.com/meet/<digits>?p=<passcode>`.
//!
//! The bot opens the link as the invitee would: Teams shows its launcher page ("Continue on this
//! browser") first, which the session clicks through. That page is also where Teams decides about
//! sign-in and unknown meetings, so skipping it with a hand-made web-client URL would bypass the
//! very checks whose outcomes the session must report.

use percent_encoding::percent_decode_str;
use url::Url;

/// The hosts Teams meetings live on.
const HOSTS: [&str; 2] = ["teams.microsoft.com", "teams.live.com"];

/// Why a link is refused; the text is the one-line reason the host shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not parseable as an absolute URL.
    #[error("not a valid URL: {0}")]
    Unparsable(String),
    /// Neither https nor http.
    #[error("unsupported scheme `{0}`: a Teams link starts with https://")]
    Scheme(String),
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
}

/// Validates a Teams meeting link and returns the form the session opens.
pub fn normalize(raw: &str) -> Result<String, UrlError> {
    let mut url = Url::parse(raw.trim()).map_err(|e| UrlError::Unparsable(e.to_string()))?;
    match url.scheme() {
        "https" => {}
        // Teams redirects http to https anyway; asking for it directly saves a round trip.
        "http" => url.set_scheme("https").map_err(|()| UrlError::Scheme("http".to_owned()))?,
        other => return Err(UrlError::Scheme(other.to_owned())),
    }
    let host = url.host_str().unwrap_or_default().to_owned();
    if !HOSTS.contains(&host.as_str()) {
        return Err(UrlError::Host(host));
    }
    url.set_port(None).map_err(|()| UrlError::Host(host.clone()))?;

    let path = url.path().to_owned();
    if path.starts_with("/l/meetup-join/") {
        check_meetup_join(&path)?;
        url.set_fragment(None);
        return Ok(url.into());
    }
    if let Some(id) = path.strip_prefix("/meet/") {
        let id = id.trim_end_matches('/');
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(UrlError::MeetingId(id.to_owned()));
        }
        url.set_fragment(None);
        return Ok(url.into());
    }
    // The web client's own forms carry the invitation path in the fragment or a `url` parameter.
    let embedded = match path.as_str() {
        "/_" | "/" | "/v2" | "/v2/" => url.fragment().map(str::to_owned),
        "/dl/launcher/launcher.html" => url
            .query_pairs()
            .find(|(k, _)| k == "url")
            .map(|(_, v)| v.trim_start_matches("/_").trim_start_matches('#').to_owned()),
        _ => None,
    };
    match embedded {
        Some(inner) if inner.starts_with("/l/meetup-join/") => {
            let (inner_path, inner_query) = inner.split_once('?').unwrap_or((inner.as_str(), ""));
            check_meetup_join(inner_path)?;
            let query = if inner_query.is_empty() { String::new() } else { format!("?{inner_query}") };
            Ok(format!("https://{host}{inner_path}{query}"))
        }
        _ => Err(UrlError::NotAMeeting),
    }
}

/// `/l/meetup-join/<thread>/<message id>`: the thread must be a meeting (or channel) thread.
fn check_meetup_join(path: &str) -> Result<(), UrlError> {
    let mut segments = path.trim_start_matches("/l/meetup-join/").split('/');
    let thread = segments.next().unwrap_or_default();
    let decoded = percent_decode_str(thread).decode_utf8_lossy();
    let meeting_thread = decoded.starts_with("19:")
        && decoded.len() > "19:@thread.v2".len()
        && [".v2", ".tacv2", ".skype"].iter().any(|kind| decoded.ends_with(&format!("@thread{kind}")));
    if !meeting_thread {
        return Err(UrlError::Thread(decoded.into_owned()));
    }
    match segments.next() {
        Some(message) if !message.is_empty() && message.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => Err(UrlError::NotAMeeting),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NzQ5YjVhMmUtYjA0Ni00ZGQ5LWE3ZjYtMzQ4OGQ4NTFkNmQy%40thread.v2/0?context=%7b%22Tid%22%3a%2272f988bf-86f1-41af-91ab-2d7cd011db47%22%2c%22Oid%22%3a%22e2a6a7e1-6c5b-4a2d-9a0e-8d1f0b5c2f11%22%7d";

    #[test]
    fn invitation_links_are_kept_whole() {
        assert_eq!(normalize(INVITE).as_deref(), Ok(INVITE));
        let live = "https://teams.live.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=%7b%7d";
        assert_eq!(normalize(live).as_deref(), Ok(live));
        let channel =
            "https://teams.microsoft.com/l/meetup-join/19%3a1a2b3c%40thread.tacv2/1612345678901?context=%7b%7d";
        assert_eq!(normalize(channel).as_deref(), Ok(channel));
        let decoded = "https://teams.microsoft.com/l/meetup-join/19:meeting_abc@thread.v2/0?context=x";
        assert_eq!(normalize(decoded).as_deref(), Ok(decoded));
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
    }

    #[test]
    fn web_client_forms_become_the_invitation_link() {
        let path = "/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=%7b%7d";
        let expected = format!("https://teams.microsoft.com{path}");
        for form in [
            format!("https://teams.microsoft.com/_#{path}"),
            format!("https://teams.microsoft.com/v2/?meetingjoin=true#{path}"),
            format!(
                "https://teams.microsoft.com/dl/launcher/launcher.html?url=%2F_%23{}&type=meetup-join&directDl=true",
                percent_encoding::utf8_percent_encode(path, percent_encoding::NON_ALPHANUMERIC)
            ),
        ] {
            assert_eq!(normalize(&form).as_deref(), Ok(expected.as_str()), "{form}");
        }
    }

    #[test]
    fn other_links_are_refused_with_a_reason() {
        let refused = |link: &str| normalize(link).expect_err(link).to_string();
        assert!(refused("not a url").starts_with("not a valid URL"));
        assert!(refused("ftp://teams.microsoft.com/meet/123").contains("scheme `ftp`"));
        assert!(refused("https://meet.google.com/abc-defg-hij").contains("not Microsoft Teams"));
        assert!(refused("https://teams.microsoft.com.evil.example/meet/123").contains("not Microsoft Teams"));
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
        assert!(refused("https://teams.live.com/meet/abc123").contains("digits only"));
        assert!(refused("https://teams.live.com/meet/").contains("digits only"));
        for link in [INVITE, "https://teams.live.com/meet/123"] {
            let reason = refused(&link.replace("teams.", "teamz."));
            assert!(!reason.contains('\n'), "one line: {reason}");
        }
    }
}
