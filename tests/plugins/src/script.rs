//! Parsing the session script out of the meeting URL.

use std::time::Duration;

/// Where the scripted session panics, if anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanicAt {
    Normalize,
    Run,
    Call,
}

/// What the session does in the waiting room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lobby {
    Skip,
    Wait(Duration),
    Forever,
}

/// The parsed script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub join: Duration,
    pub lobby: Lobby,
    pub outcome: Option<String>,
    pub participants: u32,
    pub call: Option<Duration>,
    pub end: String,
    pub panic_at: Option<PanicAt>,
}

impl Script {
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
    fn refuses_other_hosts_and_bad_steps() {
        assert!(Script::parse("https://meet.google.com/abc").is_err());
        assert!(Script::parse("https://script.test/m?join_ms=x").is_err());
        assert!(Script::parse("https://script.test/m?invalid").is_err());
    }
}
