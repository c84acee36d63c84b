//! The Google Meet plugin (`meetbot-plugin-google`, through `root_module::<GoogleMeet>()`) keeps
//! the session contract against a small fake Meet page of these tests (tests/meet): a real
//! plugin, not written for the testkit, passes a scenario as a third-party plugin would.
//!
//! Runs Chromium: run under `flock /tmp/meetbot-e2e.lock` beside other browser suites.

use std::time::Duration;

use meetbot_plugin_api::{SessionState, event, reason};
use meetbot_plugin_google::GoogleMeet;
use meetbot_plugin_testkit::{FakeSite, Scenario};

#[tokio::test(flavor = "multi_thread")]
async fn google_meet_joins_through_the_lobby_and_leaves_when_asked() {
    let pages = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/meet");
    let site = FakeSite::serve_dir(&["meet.google.com"], pages).expect("the fake Meet");
    let ran = Scenario::new("https://meet.google.com/abc-defg-hij")
        .bot_name("Notes Bot")
        .leave_when_in_call_after(Duration::from_millis(500))
        .expect_reason(reason::LEFT_NORMALLY)
        .run::<GoogleMeet>(&site)
        .await
        .unwrap_or_else(|broken| panic!("{broken}"));
    assert_eq!(ran.states().last(), Some(&SessionState::Leaving));
    assert!(ran.states().contains(&SessionState::WaitingRoom), "{:?}", ran.states());
    assert_eq!(ran.participants(), [4]);
    assert_eq!(ran.events(event::NAME_TYPED), ["Notes Bot"]);
    assert_eq!(ran.events(event::CAMERA_OFF).len(), 1);
    assert_eq!(ran.events(event::MIC_OFF).len(), 1);
    assert_eq!(ran.events(event::LEFT), ["You left the meeting"]);
}
