//! Parsing the session script out of the meeting URL (the keys are listed in the scripted plugin's
//! documentation, `scripted.rs`).

use std::time::Duration;

/// Where the scripted session panics, if anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanicAt {
    /// While validating the URL.
    Normalize,
    /// At the start of the session.
    Run,
    /// Once in the call.
    Call,
}

/// What the session does in the waiting room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lobby {
    /// No waiting room.
    Skip,
    /// In the waiting room this long.
    Wait(Duration),
    /// In the waiting room until the host asks the bot to leave.
    Forever,
}

/// The parsed script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// Time spent joining (`join_ms`).
    pub join: Duration,
    /// The waiting room (`lobby_ms`).
    pub lobby: Lobby,
    /// The reason to end with right after the lobby (`outcome`).
    pub outcome: Option<String>,
    /// The participant count reported in the call (`participants`).
    pub participants: u32,
    /// Time in the call before it ends by itself (`call_ms`).
    pub call: Option<Duration>,
    /// The reason the call ends with (`end`).
    pub end: String,
    /// Where to panic (`panic`).
    pub panic_at: Option<PanicAt>,
    /// The URL `normalize_url` returns instead of the link itself (`normalized`, percent-decoded).
    pub normalized: Option<String>,
    /// Events and participant counts reported at once on entering the call (`flood`).
    pub flood: u32,
    /// Bytes of padding for a log line, an event, the outcome's reason and its detail (`long_text`).
    pub long_text: usize,
}

impl Script {
    /// The script of a `https://script.test/...` link, or why it is refused.
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("https://script.test/")
            .ok_or_else(|| format!("not a scripted meeting link (want https://script.test/...): {url}"))?;
        let query = rest.split_once('?').map(|(_, q)| q).unwrap_or("");
        let mut script = Script {
            join: Duration::ZERO,
            lobby: Lobby::Skip,
            outcome: None,
            participants: 2,
            call: None,
            end: "left_normally".to_owned(),
            panic_at: None,
            normalized: None,
            flood: 0,
            long_text: 0,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "join_ms" => script.join = millis(key, value)?,
                "lobby_ms" if value == "forever" => script.lobby = Lobby::Forever,
                "lobby_ms" => script.lobby = Lobby::Wait(millis(key, value)?),
                "outcome" => script.outcome = Some(value.to_owned()),
                "participants" => script.participants = value.parse().map_err(|_| bad(key, value))?,
                "call_ms" => script.call = Some(millis(key, value)?),
                "end" => script.end = value.to_owned(),
                "panic" => {
                    script.panic_at = Some(match value {
                        "normalize" => PanicAt::Normalize,
                        "run" => PanicAt::Run,
                        "call" => PanicAt::Call,
                        _ => return Err(bad(key, value)),
                    })
                }
                "normalized" => script.normalized = Some(percent_decoded(value).ok_or_else(|| bad(key, value))?),
                "flood" => script.flood = value.parse().map_err(|_| bad(key, value))?,
                "long_text" => script.long_text = value.parse().map_err(|_| bad(key, value))?,
                "invalid" => return Err("the script asks to be refused".to_owned()),
                _ => {}
            }
        }
        Ok(script)
    }
}

fn millis(key: &str, value: &str) -> Result<Duration, String> {
    value.parse().map(Duration::from_millis).map_err(|_| bad(key, value))
}

/// `%XX` escapes decoded (a `+` stays a `+`); `None` for a broken escape or non-UTF-8 bytes.
fn percent_decoded(value: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(value.len());
    let mut rest = value.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = tail.get(..2).filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))?;
            bytes.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

fn bad(key: &str, value: &str) -> String {
    format!("bad script step {key}={value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_script() {
        let s =
            Script::parse("https://script.test/m?join_ms=5&lobby_ms=20&call_ms=30&end=ended_by_host&participants=4")
                .expect("valid script");
        assert_eq!(s.join, Duration::from_millis(5));
        assert_eq!(s.lobby, Lobby::Wait(Duration::from_millis(20)));
        assert_eq!(s.call, Some(Duration::from_millis(30)));
        assert_eq!(s.end, "ended_by_host");
        assert_eq!(s.participants, 4);
    }

    #[test]
    fn normalized_is_percent_decoded() {
        let s =
            Script::parse("https://script.test/m?normalized=https%3A%2F%2Fuser%40evil.example%3A8443%2Fx%3Fa%3D1+2")
                .expect("valid script");
        assert_eq!(s.normalized.as_deref(), Some("https://user@evil.example:8443/x?a=1+2"));
        assert!(Script::parse("https://script.test/m?normalized=%zz").is_err());
        assert!(Script::parse("https://script.test/m?normalized=%+1").is_err());
        assert!(Script::parse("https://script.test/m?normalized=%C3").is_err());
    }

    #[test]
    fn refuses_other_hosts_and_bad_steps() {
        assert!(Script::parse("https://meet.google.com/abc").is_err());
        assert!(Script::parse("https://script.test/m?join_ms=x").is_err());
        assert!(Script::parse("https://script.test/m?invalid").is_err());
    }
}
