//! The testkit proven on real parts: toy plugins (tests/toy) in real Chromium against the toy
//! platform's fake pages served over HTTPS at its host name. An honest plugin on the kit's
//! session driver keeps the contract through the lobby and on a denial; plugins that break it
//! one way each (no Leave click, a wrong reason, a leave past the bound) are named for it.
//!
//! Runs Chromium: run under `flock /tmp/meetbot-e2e.lock` beside other browser suites. Without
//! Chromium the tests fail and say so.

mod toy;

use std::time::Duration;

use meetbot_plugin_api::{SessionState, event, reason};
use meetbot_plugin_testkit::{Breach, FakeSite, LEAVE_BOUND, Scenario};
use toy::{HOST, LeavesSlowly, MisreadsDenial, NeverClicksLeave, PAGES, SLOW_LEAVE, Toy};

fn site() -> FakeSite {
    FakeSite::serve_dir(&[HOST], PAGES).expect("the toy site")
}

fn room(query: &str) -> String {
    format!("https://{HOST}/weekly-sync{query}")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_that_joins_through_the_lobby_and_leaves_when_asked_keeps_the_contract() {
    let site = site();
    let ran = Scenario::new(room(""))
        .bot_name("Notes Bot")
        .leave_when_in_call_after(Duration::from_millis(500))
        .expect_reason(reason::LEFT_NORMALLY)
        .run::<Toy>(&site)
        .await
        .unwrap_or_else(|broken| panic!("{broken}"));
    assert_eq!(
        ran.states(),
        [SessionState::Joining, SessionState::WaitingRoom, SessionState::InCall, SessionState::Leaving]
    );
    assert_eq!(ran.participants(), [3], "the count the page shows, reported once in the call");
    assert_eq!(ran.events(event::NAME_TYPED), ["Notes Bot"]);
    let kinds: Vec<&str> = ran.page_events().iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["join_asked", "leave_clicked"]);
    assert_eq!(ran.page_events()[0].detail, "Notes Bot", "the page saw the name typed");
    let left_within = ran.time_to_leave().expect("asked and returned");
    assert!(left_within < LEAVE_BOUND, "{left_within:?}");
    assert!(ran.time_to_in_call().is_some_and(|t| t < ran.elapsed()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denial_is_reported_as_one_and_a_misread_denial_is_a_wrong_reason() {
    let site = site();
    let denied = Scenario::new(room("?scenario=denied")).expect_reason(reason::DENIED_ADMISSION);
    let ran = denied.run::<Toy>(&site).await.unwrap_or_else(|broken| panic!("{broken}"));
    assert_eq!(ran.reason(), reason::DENIED_ADMISSION);
    assert!(!ran.states().contains(&SessionState::InCall));

    let broken = denied.run::<MisreadsDenial>(&site).await.expect_err("a denial called meeting_not_found");
    assert_eq!(broken.breaches.len(), 1, "{broken}");
    assert!(
        broken.has(|b| matches!(b, Breach::WrongReason { expected, got, .. }
            if expected == reason::DENIED_ADMISSION && got == reason::MEETING_NOT_FOUND)),
        "{broken}"
    );
    assert!(broken.to_string().contains("expected `denied_admission`"), "{broken}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_that_never_clicks_leave_is_named() {
    let site = site();
    let broken = Scenario::new(room(""))
        .leave_when_in_call_after(Duration::from_millis(300))
        .run::<NeverClicksLeave>(&site)
        .await
        .expect_err("no Leave click");
    assert_eq!(broken.breaches, [Breach::LeaveNotClicked { page_event: "leave_clicked".to_owned() }], "{broken}");
    let message = broken.to_string();
    assert!(message.contains("plugin `NeverClicksLeave` broke the session contract"), "{message}");
    assert!(message.contains("without clicking Leave"), "{message}");
    assert!(message.contains("host asked the bot to leave"), "the trail is in the message: {message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_that_overruns_the_leave_bound_is_named() {
    let site = site();
    let bound = Duration::from_secs(1);
    assert!(SLOW_LEAVE > bound * 2);
    let started = tokio::time::Instant::now();
    let broken = Scenario::new(room(""))
        .leave_when_in_call_after(Duration::from_millis(300))
        .leave_bound(bound)
        .run::<LeavesSlowly>(&site)
        .await
        .expect_err("a leave past the bound");
    assert_eq!(broken.breaches, [Breach::LeaveBoundExceeded(bound)], "{broken}");
    assert!(broken.trail.outcome.is_none(), "the scenario stopped waiting at the bound");
    assert!(broken.trail.page_events.iter().any(|e| e.kind == "leave_clicked"), "{broken}");
    assert!(started.elapsed() < Duration::from_secs(20), "the scenario did not wait for the plugin");
}
