//! Jitsi Meet links: which are accepted, and the one normal form the session opens.
//!
//! A Jitsi meeting is `https://<host>/<room>`: the room is the path's one segment, and whoever
//! opens the same room name on the same host is in the same meeting (Jitsi folds the case, so it
//! is kept as given). The normal form is built from the checked host and room alone:
//! `https://<host>/<room>`. The query and the fragment are dropped: on Jitsi they carry a
//! per-user token (`?jwt=`) or client settings (`#config...`), which are not the meeting's, and a
//! bot must not send someone else's. Refused, each with a one-line reason: another scheme than
//! https, a host not configured ([`crate::hosts`]), user names, passwords and ports, no room, a
//! path of more segments (multi-tenant deployments' `/<tenant>/<room>` included), and a room
//! name of anything but ASCII letters, digits, `-` and `_` (Jitsi forbids `? & : ' " % #`; dots
//! and the server's own paths are refused too, so a link can only ever name a room).

use url::Url;

use crate::hosts::Hosts;

/// The longest room name accepted: far above any real one, well below what breaks a server.
const MAX_ROOM_LEN: usize = 128;

/// Paths a stock Jitsi Meet server answers itself (its web server's locations): never a room.
const SERVER_PATHS: [&str; 11] = [
    "http-bind",
    "xmpp-websocket",
    "colibri-ws",
    "static",
    "libs",
    "images",
    "sounds",
    "lang",
    "css",
    "fonts",
    "_unlock",
];

/// Why a link is refused. The `Display` text is the one-line reason the job is dead-lettered with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The job named a provider this plugin does not serve.
    #[error("provider `{0}` is not served by the Jitsi Meet plugin (it serves `jitsi`)")]
    Provider(String),
    /// The host list is invalid, so no link is a Jitsi link.
    #[error("no Jitsi hosts are configured ({0})")]
    NoHosts(String),
    /// Nothing to parse.
    #[error("the meeting URL is empty")]
    Empty,
    /// Control characters (a newline, a tab, ...) inside the link.
    #[error("the link contains control characters")]
    ControlCharacters,
    /// Not parseable as a URL at all.
    #[error("not a URL: {0}")]
    Unparseable(String),
    /// Any scheme but https.
    #[error("unsupported scheme `{0}`: a Jitsi Meet link starts with https://")]
    Scheme(String),
    /// A host that is not configured as Jitsi.
    #[error("`{host}` is not a configured Jitsi host (configured: {configured}; see MEETBOT_JITSI_HOSTS)")]
    Host {
        /// The link's host.
        host: String,
        /// The configured hosts, comma-separated.
        configured: String,
    },
    /// User name, password or a port: never part of a Jitsi meeting link.
    #[error("a Jitsi Meet link carries no user name, password or port")]
    Authority,
    /// The host alone.
    #[error(
        "the link names no meeting: a Jitsi Meet link ends with the room name, like https://meet.jit.si/TeamStandup"
    )]
    NoRoom,
    /// More than one path segment.
    #[error("`{0}` is not a room: a Jitsi Meet link has exactly one path segment, the room name")]
    Path(String),
    /// A path the Jitsi server answers itself.
    #[error("`{0}` is a path of the Jitsi server, not a room")]
    ServerPath(String),
    /// A room name with characters Jitsi does not use in links.
    #[error("`{0}` is not a room name this plugin joins (ASCII letters, digits, - and _, at most 128)")]
    RoomName(String),
}

/// Validates a Jitsi link against the configured `hosts` and returns `https://<host>/<room>`.
pub fn normalize(raw: &str, hosts: &Hosts) -> Result<String, UrlError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(UrlError::Empty);
    }
    if trimmed.chars().any(char::is_control) {
        return Err(UrlError::ControlCharacters);
    }
    // People paste "meet.jit.si/Room" without a scheme; only a missing scheme gets one, so
    // "http://..." is still refused for its scheme.
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{}", trimmed.trim_start_matches('/'))
    };
    let url = Url::parse(&with_scheme).map_err(|e| UrlError::Unparseable(format!("{trimmed} ({e})")))?;
    if url.scheme() != "https" {
        return Err(UrlError::Scheme(url.scheme().to_owned()));
    }
    // A fully qualified name's trailing dot names the same host.
    let host = url.host_str().unwrap_or_default();
    let host = host.strip_suffix('.').unwrap_or(host);
    if !hosts.serves(host) {
        return Err(UrlError::Host { host: host.to_owned(), configured: hosts.names().join(", ") });
    }
    // `url` already dropped an explicit :443, the https default: the same address.
    if !url.username().is_empty() || url.password().is_some() || url.port().is_some() {
        return Err(UrlError::Authority);
    }
    let segments: Vec<&str> = url.path_segments().map(|s| s.filter(|p| !p.is_empty()).collect()).unwrap_or_default();
    let room = match segments.as_slice() {
        [] => return Err(UrlError::NoRoom),
        [room] => *room,
        _ => return Err(UrlError::Path(url.path().trim_matches('/').to_owned())),
    };
    if SERVER_PATHS.iter().any(|path| path.eq_ignore_ascii_case(room)) {
        return Err(UrlError::ServerPath(room.to_owned()));
    }
    if !is_room_name(room) {
        return Err(UrlError::RoomName(room.to_owned()));
    }
    Ok(format!("https://{host}/{room}"))
}

/// ASCII letters, digits, `-` and `_`, one to [`MAX_ROOM_LEN`] of them.
fn is_room_name(room: &str) -> bool {
    (1..=MAX_ROOM_LEN).contains(&room.len())
        && room.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jit_si() -> Hosts {
        Hosts::parse("meet.jit.si").expect("valid")
    }

    #[test]
    fn accepts_the_real_link_forms() {
        let hosts = Hosts::parse("meet.jit.si, meet.example.org").expect("valid");
        for (link, normal) in [
            ("https://meet.jit.si/TeamStandup", "https://meet.jit.si/TeamStandup"),
            ("https://meet.jit.si/TeamStandup/", "https://meet.jit.si/TeamStandup"),
            ("meet.jit.si/TeamStandup", "https://meet.jit.si/TeamStandup"),
            ("  https://MEET.JIT.SI/TeamStandup  ", "https://meet.jit.si/TeamStandup"),
            ("https://meet.jit.si:443/team-standup_2", "https://meet.jit.si/team-standup_2"),
            ("https://meet.jit.si/TeamStandup?jwt=secret", "https://meet.jit.si/TeamStandup"),
            ("https://meet.jit.si/TeamStandup#config.startWithAudioMuted=true", "https://meet.jit.si/TeamStandup"),
            ("https://meet.example.org/weekly", "https://meet.example.org/weekly"),
            ("https://meet.example.org./weekly", "https://meet.example.org/weekly"),
        ] {
            assert_eq!(normalize(link, &hosts).as_deref(), Ok(normal), "{link}");
        }
    }

    #[test]
    fn refuses_everything_else_with_its_reason() {
        let configured = "meet.jit.si".to_owned();
        let cases: Vec<(&str, UrlError)> = vec![
            ("", UrlError::Empty),
            ("   ", UrlError::Empty),
            ("http://meet.jit.si/TeamStandup", UrlError::Scheme("http".into())),
            ("ftp://meet.jit.si/TeamStandup", UrlError::Scheme("ftp".into())),
            (
                "https://meet.example.org/TeamStandup",
                UrlError::Host { host: "meet.example.org".into(), configured: configured.clone() },
            ),
            (
                "https://meet.jit.si.evil.example/TeamStandup",
                UrlError::Host { host: "meet.jit.si.evil.example".into(), configured: configured.clone() },
            ),
            ("https://jit.si/TeamStandup", UrlError::Host { host: "jit.si".into(), configured: configured.clone() }),
            ("https://user:pw@meet.jit.si/TeamStandup", UrlError::Authority),
            ("https://user@meet.jit.si/TeamStandup", UrlError::Authority),
            ("https://meet.jit.si:8443/TeamStandup", UrlError::Authority),
            ("meet.jit.si:8443/TeamStandup", UrlError::Authority),
            ("https://meet.jit.si/", UrlError::NoRoom),
            ("https://meet.jit.si", UrlError::NoRoom),
            ("https://meet.jit.si/tenant/TeamStandup", UrlError::Path("tenant/TeamStandup".into())),
            ("https://meet.jit.si/static/close.html", UrlError::Path("static/close.html".into())),
            ("https://meet.jit.si/http-bind", UrlError::ServerPath("http-bind".into())),
            ("https://meet.jit.si/XMPP-websocket", UrlError::ServerPath("XMPP-websocket".into())),
            ("https://meet.jit.si/config.js", UrlError::RoomName("config.js".into())),
            ("https://meet.jit.si/Team%20Standup", UrlError::RoomName("Team%20Standup".into())),
            ("https://meet.jit.si/Caf%C3%A9", UrlError::RoomName("Caf%C3%A9".into())),
            ("https://meet.jit.si/café", UrlError::RoomName("caf%C3%A9".into())),
            ("https://meet.jit.si/a:b", UrlError::RoomName("a:b".into())),
            ("https://meet.jit.si/it's", UrlError::RoomName("it's".into())),
        ];
        for (link, expected) in cases {
            assert_eq!(normalize(link, &jit_si()), Err(expected), "{link}");
        }
        let long = format!("https://meet.jit.si/{}", "a".repeat(129));
        assert!(matches!(normalize(&long, &jit_si()), Err(UrlError::RoomName(_))));
        assert!(normalize(&format!("https://meet.jit.si/{}", "a".repeat(128)), &jit_si()).is_ok());
    }

    #[test]
    fn hostile_forms_are_refused_or_reduced_to_the_room() {
        for (link, expected) in [
            ("https://meet.jit.si/Team\nStandup", UrlError::ControlCharacters),
            ("https://meet.jit.si/TeamStandup\r\nX-Evil: 1", UrlError::ControlCharacters),
            (
                "https://meet.jit.si@evil.example/TeamStandup",
                UrlError::Host { host: "evil.example".into(), configured: "meet.jit.si".into() },
            ),
            (
                "https://evil.example\\@meet.jit.si/TeamStandup",
                UrlError::Host { host: "evil.example".into(), configured: "meet.jit.si".into() },
            ),
            (
                "https://127.0.0.1/TeamStandup",
                UrlError::Host { host: "127.0.0.1".into(), configured: "meet.jit.si".into() },
            ),
            ("https://meet.jit.si/a%2Fb", UrlError::RoomName("a%2Fb".into())),
        ] {
            assert_eq!(normalize(link, &jit_si()), Err(expected), "{link:?}");
        }
        // Dot segments resolve before the room is read; what comes out is only ever a room link.
        for link in ["https://meet.jit.si/x/../TeamStandup", "https://meet.jit.si/%2e%2e/TeamStandup"] {
            assert_eq!(normalize(link, &jit_si()).as_deref(), Ok("https://meet.jit.si/TeamStandup"), "{link}");
        }
    }

    #[test]
    fn refusal_reasons_are_one_line_and_the_normal_form_is_stable() {
        for link in ["", "https://zoom.us/j/1", "https://meet.jit.si/a/b", "http://[::1", "mailto:a@b"] {
            let reason = normalize(link, &jit_si()).expect_err(link).to_string();
            assert!(!reason.is_empty() && !reason.contains('\n'), "{link}: {reason:?}");
        }
        let once = normalize("MEET.jit.si/Weekly-Sync?jwt=x", &jit_si()).expect("valid");
        assert_eq!(normalize(&once, &jit_si()).as_deref(), Ok(once.as_str()));
    }
}
