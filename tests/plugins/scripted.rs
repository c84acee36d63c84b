//! A plugin for tests only: its meeting URL is the script of the session, so every host path
//! (lobby, admission, each ending, a panic, a long call the host must end) is testable without a
//! browser. It serves provider `script` and needs no browser.
//!
//! URL: `https://script.test/<anything>?<steps>` with these query keys, all optional:
//!
//! | key | effect |
//! |---|---|
//! | `join_ms=N` | spend N ms in `joining` first |
//! | `lobby_ms=N` | report `waiting_room`, wait N ms (or until asked to leave when `N=forever`) |
//! | `outcome=R` | end with reason R right after the lobby, without entering the call |
//! | `participants=N` | participant count reported on entering the call (default 2) |
//! | `call_ms=N` | stay N ms in the call, then end with `end` (default: until asked to leave) |
//! | `end=R` | the reason the call ends with (default `left_normally`) |
//! | `panic=run` / `panic=call` | panic at the start of the session / once in the call |
//! | `panic=normalize` | panic while validating the URL |
//! | `normalized=U` | `normalize_url` returns `U` (percent-decoded) instead of the link, e.g. a URL the host must refuse |
//! | `flood=N` | on entering the call, report N events (1000 bytes each) and N participant counts at once |
//! | `long_text=N` | log a line and report an event N bytes longer, add N bytes to a scripted `outcome`'s detail, and to the reason and detail the call ends with (a reason that long is unknown to the host) |
//!
//! Other hosts than `script.test` are refused by URL validation, as is `?invalid`.
//!
//! Like a real plugin, the session logs `opening <url>` and reports a `navigated` event with its
//! URL, and a scripted `outcome` names the URL in its detail: tests prove through them that
//! passcodes in a meeting URL never reach the worker's log. When the session returns it logs
//! `session over on <url>: <reason>`; with `opening` that brackets every run in the worker's log,
//! which the fleet bench reads to prove no job ran twice at the same time.
//!
//! The plugin declares `script.test` as its meeting host. The environment variable
//! `MEETBOT_TEST_SCRIPTED_HOSTS` (comma-separated, may be empty) replaces that list when the worker
//! loads the plugin, so tests can make it declare none or invalid ones.
//!
//! Built as an example of `meetbot-test-plugins` (see its `Cargo.toml`), never next to `meetbot`.

use std::{sync::OnceLock, time::Duration};

use abi_stable::export_root_module;
use meetbot_plugin_api::{PluginRootRef, SessionOutcome, SessionRequest, SessionState, reason};
use meetbot_plugin_kit::{Host, Manifest, Plugin, export::root_module};
use meetbot_test_plugins::{Lobby, PanicAt, Script};

/// Replaces the declared meeting hosts (comma-separated) when set.
const HOSTS_VAR: &str = "MEETBOT_TEST_SCRIPTED_HOSTS";

/// The scripted test plugin.
pub struct Scripted;

impl Plugin for Scripted {
    fn manifest() -> Manifest {
        Manifest::new("scripted", env!("CARGO_PKG_VERSION"), &["script"]).without_browser()
    }

    fn normalize_url(_provider: &str, url: &str) -> Result<String, String> {
        let script = Script::parse(url)?;
        if script.panic_at == Some(PanicAt::Normalize) {
            panic!("scripted panic while validating the URL");
        }
        Ok(script.normalized.unwrap_or_else(|| url.to_owned()))
    }

    fn meeting_hosts() -> &'static [&'static str] {
        static HOSTS: OnceLock<Vec<&'static str>> = OnceLock::new();
        HOSTS.get_or_init(|| match std::env::var(HOSTS_VAR) {
            // Leaked once per process: the list lives as long as the library.
            Ok(list) => list.split(',').filter(|host| !host.is_empty()).map(|host| &*host.to_owned().leak()).collect(),
            Err(_) => vec!["script.test"],
        })
    }

    async fn run(request: SessionRequest, host: Host) -> SessionOutcome {
        let script = match Script::parse(request.url.as_str()) {
            Ok(script) => script,
            Err(why) => return SessionOutcome::new(reason::INTERNAL_ERROR, why),
        };
        let outcome = play(script, &request, &host).await;
        host.info(&format!("session over on {}: {}", request.url, outcome.reason));
        outcome
    }
}

async fn play(script: Script, request: &SessionRequest, host: &Host) -> SessionOutcome {
    if script.panic_at == Some(PanicAt::Run) {
        panic!("scripted panic at session start");
    }
    host.info(&format!("opening {}", request.url));
    host.event("navigated", request.url.as_str());
    let padding = "x".repeat(script.long_text);
    if script.long_text > 0 {
        host.info(&format!("a long line: {padding}"));
        host.event(&format!("long_{padding}"), &padding);
    }
    host.state(SessionState::Joining);
    host.event("name_typed", request.bot_name.as_str());
    if !sleep_unless_left(host, script.join).await {
        return left(host);
    }
    match script.lobby {
        Lobby::Skip => {}
        Lobby::Wait(lobby) => {
            host.state(SessionState::WaitingRoom);
            if !sleep_unless_left(host, lobby).await {
                return left(host);
            }
        }
        Lobby::Forever => {
            host.state(SessionState::WaitingRoom);
            host.left().await;
            return left(host);
        }
    }
    if let Some(outcome) = script.outcome {
        return SessionOutcome::new(&outcome, format!("scripted outcome on {}{padding}", request.url));
    }
    host.state(SessionState::InCall);
    host.participants(script.participants);
    let flood_detail = "f".repeat(1000);
    for i in 0..script.flood {
        host.event("flood", &flood_detail);
        host.participants(script.participants + i % 2);
    }
    if script.panic_at == Some(PanicAt::Call) {
        panic!("scripted panic in the call");
    }
    match script.call {
        Some(call) if sleep_unless_left(host, call).await => {
            SessionOutcome::new(&format!("{}{padding}", script.end), format!("scripted end of call{padding}"))
        }
        _ => {
            host.left().await;
            left(host)
        }
    }
}

/// Sleeps, unless the host asks the bot to leave first; true when the whole time passed.
async fn sleep_unless_left(host: &Host, duration: Duration) -> bool {
    // A zero step must cost nothing: a zero-length tokio sleep still waits for the next timer
    // tick, which would dominate no-op benchmark jobs.
    if duration.is_zero() {
        return !host.leave_requested();
    }
    tokio::select! {
        () = tokio::time::sleep(duration) => true,
        () = host.left() => false,
    }
}

fn left(host: &Host) -> SessionOutcome {
    host.state(SessionState::Leaving);
    host.event("leave_clicked", "");
    SessionOutcome::new(reason::LEFT_NORMALLY, "left on the host's request")
}

/// The library's root module.
#[export_root_module]
pub fn get_root_module() -> PluginRootRef {
    root_module::<Scripted>()
}
