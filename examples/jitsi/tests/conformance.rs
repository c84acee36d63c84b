//! The plugin through the conformance kit (`meetbot-plugin-testkit`): one session per scenario of
//! the fake Jitsi pages (`tests/pages`), through the plugin's ABI root module and its own runtime
//! as the worker runs it, in real Chromium over HTTPS at `meet.jit.si`, checked against the
//! session contract (the end reason, states in order, `in_call` before any count, Leave clicked
//! when asked in the call, back within the leave bound). The room's first word picks the scenario.
//!
//! Launches Chromium: on a shared machine run it under `flock /tmp/meetbot-e2e.lock`.

use std::time::Duration;

use meetbot_plugin_api::{SessionState, reason};
use meetbot_plugin_jitsi::JitsiMeet;
use meetbot_plugin_testkit::{FakeSite, Ran, Scenario};

/// A name a "cleaning" bot would rewrite: it must reach the page untouched.
const NAME: &str = "Zoë's Notes Bot ✓";

fn site() -> FakeSite {
    let pages = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pages");
    FakeSite::serve_dir(&["meet.jit.si"], pages).expect("serve the fake Jitsi pages")
}

async fn run(scenario: Scenario) -> Ran {
    scenario.bot_name(NAME).run::<JitsiMeet>(&site()).await.unwrap_or_else(|broken| panic!("{broken}"))
}

fn page_kinds(ran: &Ran) -> Vec<&str> {
    ran.page_events().iter().map(|e| e.kind.as_str()).collect()
}

/// The name typed as given, microphone and camera off before the join click.
fn assert_joined_as_itself(ran: &Ran) {
    let events = ran.page_events();
    let name = events.iter().find(|e| e.kind == "name_typed").unwrap_or_else(|| panic!("{:?}", page_kinds(ran)));
    assert_eq!(name.detail, NAME);
    let kinds = page_kinds(ran);
    let at = |kind: &str| kinds.iter().position(|k| *k == kind);
    let join = at("join_clicked").unwrap_or_else(|| panic!("no join click: {kinds:?}"));
    assert!(at("mic_off").is_some_and(|i| i < join) && at("camera_off").is_some_and(|i| i < join), "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn admitted_then_asked_to_leave_hangs_up() {
    let ran =
        run(Scenario::new("https://meet.jit.si/admitted-1").leave_when_in_call_after(Duration::from_secs(2))).await;
    assert_joined_as_itself(&ran);
    assert_eq!(ran.participants().first(), Some(&3), "the badge's count, the bot included");
    assert!(page_kinds(&ran).contains(&"left"), "{:?}", page_kinds(&ran));
}

#[tokio::test(flavor = "multi_thread")]
async fn knocks_waits_in_the_lobby_and_is_admitted() {
    let ran = run(Scenario::new("https://meet.jit.si/lobby-1").leave_when_in_call_after(Duration::from_secs(1))).await;
    assert!(ran.states().contains(&SessionState::WaitingRoom), "{:?}", ran.states());
    assert_eq!(ran.events("join_clicked"), ["Ask to Join"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_knock_is_denied_admission() {
    let ran = run(Scenario::new("https://meet.jit.si/denied-1").expect_reason(reason::DENIED_ADMISSION)).await;
    assert!(ran.states().contains(&SessionState::WaitingRoom), "{:?}", ran.states());
    assert!(!ran.states().contains(&SessionState::InCall), "{:?}", ran.states());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_meeting_terminated_for_all_is_ended_by_host() {
    run(Scenario::new("https://meet.jit.si/ended-1").expect_reason(reason::ENDED_BY_HOST)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kick_is_removed_from_meeting() {
    run(Scenario::new("https://meet.jit.si/kicked-1").expect_reason(reason::REMOVED_FROM_MEETING)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn everyone_leaving_shows_in_the_count() {
    let ran = run(Scenario::new("https://meet.jit.si/alone-1").leave_when_in_call_after(Duration::from_secs(6))).await;
    assert_eq!(ran.participants(), [3, 2, 1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_moderators_hang_up_menu_is_confirmed_with_leave_meeting() {
    let ran =
        run(Scenario::new("https://meet.jit.si/moderator-1").leave_when_in_call_after(Duration::from_secs(1))).await;
    let kinds = page_kinds(&ran);
    assert!(kinds.contains(&"leave_confirmed") && !kinds.contains(&"ended_for_all"), "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_room_is_blocked_by_the_platform() {
    run(Scenario::new("https://meet.jit.si/password-1").expect_reason(reason::BLOCKED_BY_PLATFORM)).await;
}
