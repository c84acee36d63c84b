//! Scenario checks that need no browser: plugins whose manifest asks for none run through the
//! same scenario (root module, FFI, the plugin's runtime, the fake host) in milliseconds. A count
//! before the call, states out of order, an unknown reason, URL rules the worker would refuse, a
//! session that never ends, one that never reaches the call it should leave, and an undeclared
//! provider are each named.

use std::time::Duration;

use meetbot_plugin_api::{SessionOutcome, SessionRequest, SessionState, reason};
use meetbot_plugin_kit::{Host, Manifest, Plugin};
use meetbot_plugin_testkit::{Breach, FakeSite, Scenario};

const HOST: &str = "meet.nobrowser.example";

/// A browserless plugin whose session is `$run`; its URL rules return `$normalized(url)`.
macro_rules! plugin {
    ($name:ident, $normalized:expr, $run:expr) => {
        struct $name;

        impl Plugin for $name {
            fn manifest() -> Manifest {
                Manifest::new(stringify!($name), "0.1.0", &["nobrowser"]).without_browser()
            }

            fn normalize_url(_provider: &str, url: &str) -> Result<String, String> {
                $normalized(url)
            }

            fn meeting_hosts() -> &'static [&'static str] {
                &[HOST]
            }

            async fn run(request: SessionRequest, host: Host) -> SessionOutcome {
                $run(request, host).await
            }
        }
    };
}

fn same(url: &str) -> Result<String, String> {
    Ok(url.to_owned())
}

plugin!(Honest, same, |_request, host: Host| async move {
    host.state(SessionState::InCall);
    host.participants(2);
    host.left().await;
    host.state(SessionState::Leaving);
    SessionOutcome::new(reason::LEFT_NORMALLY, "")
});
plugin!(CountsEarly, same, |_request, host: Host| async move {
    host.state(SessionState::Joining);
    host.participants(2);
    host.state(SessionState::InCall);
    host.left().await;
    SessionOutcome::new(reason::LEFT_NORMALLY, "")
});
plugin!(BackToLobby, same, |_request, host: Host| async move {
    host.state(SessionState::InCall);
    host.state(SessionState::WaitingRoom);
    SessionOutcome::new("kicked", "")
});
plugin!(NeverInCall, same, |_request, host: Host| async move {
    host.state(SessionState::Joining);
    SessionOutcome::new(reason::LEFT_NORMALLY, "")
});
plugin!(Hangs, same, |_request, _host: Host| std::future::pending::<SessionOutcome>());
plugin!(OpensElsewhere, |url: &str| Ok::<_, String>(url.replace(HOST, "evil.example")), |_request, _host| async {
    SessionOutcome::new(reason::LEFT_NORMALLY, "")
});
plugin!(Refuses, |_url: &str| Err::<String, _>("not ours".to_owned()), |_request, _host| async {
    SessionOutcome::new(reason::LEFT_NORMALLY, "")
});

fn site() -> FakeSite {
    FakeSite::serve_router(&[HOST], axum::Router::new()).expect("site")
}

fn room() -> String {
    format!("https://{HOST}/room")
}

#[tokio::test]
async fn an_honest_session_passes_and_its_reports_are_kept() {
    let ran = Scenario::new(room())
        .leave_when_in_call_after(Duration::from_millis(50))
        .run::<Honest>(&site())
        .await
        .unwrap_or_else(|broken| panic!("{broken}"));
    assert_eq!(ran.states(), [SessionState::InCall, SessionState::Leaving]);
    assert_eq!(ran.participants(), [2]);
    assert!(ran.time_to_leave().is_some_and(|t| t < Duration::from_secs(1)));
}

#[tokio::test]
async fn a_count_before_the_call_is_named() {
    let broken = Scenario::new(room())
        .leave_when_in_call_after(Duration::from_millis(50))
        .run::<CountsEarly>(&site())
        .await
        .expect_err("a count before in_call");
    assert_eq!(broken.breaches, [Breach::ParticipantsBeforeInCall(2)], "{broken}");
}

#[tokio::test]
async fn states_out_of_order_and_an_unknown_reason_are_named() {
    let broken = Scenario::new(room()).run::<BackToLobby>(&site()).await.expect_err("broken twice");
    assert!(broken.has(|b| *b == Breach::UnknownReason("kicked".to_owned())), "{broken}");
    assert!(broken.has(|b| matches!(b, Breach::WrongReason { got, .. } if got == "kicked")), "{broken}");
    assert!(
        broken.has(|b| *b == Breach::StateOrder { from: SessionState::InCall, to: SessionState::WaitingRoom }),
        "{broken}"
    );
}

#[tokio::test]
async fn a_session_that_never_ends_is_named_and_so_is_its_missed_leave() {
    let broken = Scenario::new(room())
        .timeout(Duration::from_millis(200))
        .leave_bound(Duration::from_millis(200))
        .run::<Hangs>(&site())
        .await
        .expect_err("never ends");
    assert_eq!(
        broken.breaches,
        [Breach::Timeout(Duration::from_millis(200)), Breach::LeaveBoundExceeded(Duration::from_millis(200))],
        "{broken}"
    );
}

#[tokio::test]
async fn url_rules_the_worker_would_refuse_are_named() {
    let broken = Scenario::new(room()).run::<OpensElsewhere>(&site()).await.expect_err("off its hosts");
    assert!(
        matches!(&broken.breaches[..], [Breach::UrlOffPolicy { why, .. }] if why.contains("evil.example")),
        "{broken}"
    );
    let broken = Scenario::new(room()).run::<Refuses>(&site()).await.expect_err("refused");
    assert!(matches!(&broken.breaches[..], [Breach::UrlRefused { why, .. }] if why == "not ours"), "{broken}");
    let broken = Scenario::new(room()).provider("zoom").run::<Honest>(&site()).await.expect_err("not its provider");
    assert!(matches!(&broken.breaches[..], [Breach::ProviderNotDeclared { .. }]), "{broken}");
}

#[tokio::test]
async fn leaving_normally_without_ever_reaching_the_call_is_named() {
    let broken = Scenario::new(room())
        .leave_when_in_call_after(Duration::from_millis(50))
        .run::<NeverInCall>(&site())
        .await
        .expect_err("never in the call");
    assert_eq!(broken.breaches, [Breach::NeverInCall], "{broken}");
}
