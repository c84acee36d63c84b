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
//!
//! Other hosts than `script.test` are refused by URL validation, as is `?invalid`.

use std::time::Duration;

use abi_stable::export_root_module;
use meetbot_plugin_api::{PluginRootRef, SessionOutcome, SessionRequest, SessionState, reason};
use meetbot_plugin_kit::{Host, Manifest, Plugin, export::root_module};

mod script;

use script::{Lobby, Script};

/// The scripted test plugin.
pub struct Scripted;

impl Plugin for Scripted {
    fn manifest() -> Manifest {
        Manifest::new("scripted", env!("CARGO_PKG_VERSION"), &["script"]).without_browser()
    }

    fn normalize_url(_provider: &str, url: &str) -> Result<String, String> {
        let script = Script::parse(url)?;
        if script.panic_at == Some(script::PanicAt::Normalize) {
            panic!("scripted panic while validating the URL");
        }
        Ok(url.to_owned())
    }

    async fn run(request: SessionRequest, host: Host) -> SessionOutcome {
        let script = match Script::parse(request.url.as_str()) {
            Ok(script) => script,
            Err(why) => return SessionOutcome::new(reason::INTERNAL_ERROR, why),
        };
        play(script, &request, &host).await
    }
}

async fn play(script: Script, request: &SessionRequest, host: &Host) -> SessionOutcome {
    if script.panic_at == Some(script::PanicAt::Run) {
        panic!("scripted panic at session start");
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
        return SessionOutcome::new(&outcome, "scripted outcome");
    }
    host.state(SessionState::InCall);
    host.participants(script.participants);
    if script.panic_at == Some(script::PanicAt::Call) {
        panic!("scripted panic in the call");
    }
    match script.call {
        Some(call) if sleep_unless_left(host, call).await => SessionOutcome::new(&script.end, "scripted end of call"),
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
