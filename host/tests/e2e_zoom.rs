//! End to end through the queue with the real `meetbot` binary, real Chromium, a real
//! `redis-server` and the Zoom plugin, against the fake Zoom web client of `meetbot-fixtures`
//! (served under the real `*.zoom.us` host names, so production URL validation runs unchanged).
//!
//! Every way a Zoom session can end that the fake client models is driven once: the job must end
//! with its own reason (a wrong reason is as bad as a crash), the bot must have typed its name
//! exactly as given and asked to join with camera and microphone off, and it must click "Leave"
//! (then "Leave Meeting") exactly when the host asked it to leave a call: never after the meeting
//! already ended it, never from the waiting room. What the bot did is read from the fake
//! meeting's own action log, i.e. as the meeting saw it.
//!
//! Not driven here: Zoom has no verified "lobby timed out" screen, so the fixture does not model it
//! on Zoom (it behaves like a lobby nobody answers); the plugin's unit tests cover what that text
//! means. A locked meeting ("This meeting has been locked by the host") is driven as the platform's
//! block.
//!
//! Needs the plugins next to the binary: run `cargo build --workspace` first.

mod support;

use std::{collections::HashMap, time::Duration};

use meetbot_fixtures::{ActionKind, MeetingLink, Scenario};
use serde_json::{Value, json};
use support::{
    platform::{self, Bot, FIXTURES, Finished, JOB_TIMEOUT, ZOOM, assert_no_leave_click, has, kinds, wait_action},
    *,
};

/// The display name, with characters a "cleaning" bot would rewrite: it must arrive untouched.
const NAME: &str = "Zoë's Notes Bot ✓ (Łódź) #2";

/// The bot, on Zoom: session workers (one job at a time, not recording) and jobs with its name.
static BOT: Bot = Bot { platform: &ZOOM, name: NAME };

/// The name arrived exactly as given, and the bot asked to join with camera and microphone off.
fn assert_joined_as_itself(link: &MeetingLink) {
    platform::assert_joined_as(link, NAME);
}

/// The bot clicked "Leave", confirmed with "Leave Meeting", and the meeting showed it the
/// left-meeting screen.
fn assert_left_by_clicking(link: &MeetingLink) {
    wait_action(link, ActionKind::LeaveClicked, Duration::from_secs(5));
    wait_action(link, ActionKind::Left, Duration::from_secs(5));
}

fn assert_record(record: &HashMap<String, String>, state: &str, reason: &str) {
    assert_ended(record, state, reason);
    assert!(!record.get("detail").is_some_and(|d| d.contains('\n')), "the detail is one line: {record:?}");
}

/// Runs one scenario through the queue to its end. The worker stays alive while the test checks
/// the result, so a failed check prints its log.
fn run_to_end(scenario: Scenario, bot_id: &str, auto_leave: Option<Value>) -> Finished {
    let job = |url: &str| BOT.job(bot_id, url, auto_leave);
    Finished::run(MeetingLink::zoom(scenario), bot_id, job, |redis| BOT.worker(redis), JOB_TIMEOUT)
}

#[test]
fn waiting_room_then_admitted_then_max_duration_clicks_leave() {
    let (_turn, redis, _worker) = platform::start(|redis| BOT.worker(redis));
    // A vanity subdomain, as companies' invitations have them; the bot opens its web client.
    let link = MeetingLink::zoom_on("acme", Scenario::LobbyAdmitted);
    redis.push(&BOT.job("z-maxdur", &link.url, Some(json!({"max_duration_secs": 3}))));

    let lobby = wait_for_state(&redis, "z-maxdur", "waiting_room", Duration::from_secs(20));
    let web_client = link.zoom_web_client_url().expect("a zoom link");
    assert_eq!(lobby["url"], web_client, "the normalized link: the web client on the same host");
    wait_for_state(&redis, "z-maxdur", "in_call", Duration::from_secs(10));
    let record = wait_for_end(&redis, "z-maxdur", JOB_TIMEOUT);
    assert_record(&record, "completed", "max_duration");
    assert!(record.contains_key("joined_at"), "{record:?}");

    assert_joined_as_itself(&link);
    let actions = FIXTURES.actions(&link.id);
    assert!(has(&actions, ActionKind::WaitingRoom) && has(&actions, ActionKind::Admitted), "{:?}", kinds(&actions));
    assert_left_by_clicking(&link);
}

#[test]
fn cancel_through_the_api_clicks_leave() {
    let (_turn, redis, worker) = platform::start(|redis| BOT.worker(redis));
    let link = MeetingLink::zoom(Scenario::Instant);
    redis.push(&BOT.job("z-cancel", &link.url, None));
    wait_for_state(&redis, "z-cancel", "in_call", Duration::from_secs(20));

    let response = worker.delete("/v1/jobs/z-cancel");
    assert!(response.status < 300, "DELETE /v1/jobs/z-cancel: {response:?}");
    let record = wait_for_end(&redis, "z-cancel", JOB_TIMEOUT);
    assert_record(&record, "completed", "cancelled");
    assert_joined_as_itself(&link);
    assert_left_by_clicking(&link);
}

#[test]
fn everyone_left_is_seen_from_the_participant_count_and_the_bot_clicks_leave() {
    let finished = run_to_end(Scenario::EveryoneLeaves, "z-alone", Some(json!({"everyone_left_timeout_secs": 1})));
    let (link, record) = (&finished.link, &finished.record);
    // The host's rule needs the counts the plugin reported from the footer: 3, then 2, then 1.
    assert_record(record, "completed", "everyone_left");
    let actions = FIXTURES.actions(&link.id);
    let counts: Vec<u32> =
        actions.iter().filter(|a| a.kind == ActionKind::ParticipantsChanged).filter_map(|a| a.count).collect();
    assert_eq!(counts.last(), Some(&1), "{:?}", kinds(&actions));
    assert_left_by_clicking(link);
}

#[test]
fn alone_from_the_start_is_no_one_joined() {
    let (_turn, redis, _worker) = platform::start(|redis| BOT.worker(redis));
    let link = MeetingLink::zoom(Scenario::Instant);
    // Only the bot in the call: the count the plugin reads on entering is 1.
    FIXTURES.set_participants(&link.id, 1);
    redis.push(&BOT.job("z-no-one", &link.url, Some(json!({"no_one_joined_timeout_secs": 2}))));
    let record = wait_for_end(&redis, "z-no-one", JOB_TIMEOUT);
    assert_record(&record, "completed", "no_one_joined");
    assert_eq!(wait_action(&link, ActionKind::Admitted, Duration::from_secs(1)).count, Some(1));
    assert_left_by_clicking(&link);
}

#[test]
fn host_ends_the_meeting() {
    let finished = run_to_end(Scenario::EndedByHost, "z-ended", None);
    let (link, record) = (&finished.link, &finished.record);
    assert_record(record, "completed", "ended_by_host");
    assert!(record["detail"].contains("ended by host"), "{record:?}");
    assert_joined_as_itself(link);
    assert_no_leave_click(link);
}

#[test]
fn bot_is_removed() {
    let finished = run_to_end(Scenario::Removed, "z-removed", None);
    let (link, record) = (&finished.link, &finished.record);
    assert_record(record, "completed", "removed_from_meeting");
    assert_joined_as_itself(link);
    assert_no_leave_click(link);
}

#[test]
fn host_denies_the_request() {
    let finished = run_to_end(Scenario::LobbyDenied, "z-denied", None);
    let (link, record) = (&finished.link, &finished.record);
    assert_record(record, "failed", "denied_admission");
    assert!(!record.contains_key("joined_at"), "never admitted: {record:?}");
    assert_joined_as_itself(link);
    let actions = FIXTURES.actions(&link.id);
    assert!(has(&actions, ActionKind::WaitingRoom) && has(&actions, ActionKind::Denied), "{:?}", kinds(&actions));
    assert_no_leave_click(link);
}

#[test]
fn the_hosts_waiting_room_limit_ends_a_waiting_room_nobody_answers() {
    let (_turn, redis, _worker) = platform::start(|redis| BOT.worker(redis));
    let link = MeetingLink::zoom(Scenario::Manual);
    // Zoom itself never gives up on a waiting room; the host's limit (from the job's start) does.
    redis.push(&BOT.job("z-host-lobby", &link.url, Some(json!({"waiting_room_timeout_secs": 8}))));
    wait_for_state(&redis, "z-host-lobby", "waiting_room", Duration::from_secs(8));
    let record = wait_for_end(&redis, "z-host-lobby", JOB_TIMEOUT);
    assert_record(&record, "failed", "waiting_room_timeout");
    assert!(!record.contains_key("joined_at"), "never admitted: {record:?}");
    assert_joined_as_itself(&link);
    assert_no_leave_click(&link);
}

#[test]
fn meeting_id_does_not_exist() {
    let finished = run_to_end(Scenario::NotFound, "z-not-found", None);
    let (link, record) = (&finished.link, &finished.record);
    assert_record(record, "failed", "meeting_not_found");
    let actions = FIXTURES.actions(&link.id);
    assert!(has(&actions, ActionKind::NotFoundShown), "{:?}", kinds(&actions));
    assert!(!has(&actions, ActionKind::JoinAsked), "{:?}", kinds(&actions));
}

#[test]
fn locked_meeting_is_blocked_by_the_platform() {
    let finished = run_to_end(Scenario::Blocked, "z-blocked", None);
    let (link, record) = (&finished.link, &finished.record);
    assert_record(record, "failed", "blocked_by_platform");
    assert!(record["detail"].contains("locked by the host"), "{record:?}");
    let actions = FIXTURES.actions(&link.id);
    assert!(has(&actions, ActionKind::BlockedShown), "{:?}", kinds(&actions));
    assert!(!has(&actions, ActionKind::JoinAsked), "{:?}", kinds(&actions));
    assert_no_leave_click(link);
}

#[test]
fn sign_in_wall() {
    let finished = run_to_end(Scenario::SignInRequired, "z-sign-in", None);
    let (link, record) = (&finished.link, &finished.record);
    assert_record(record, "failed", "sign_in_required");
    let actions = FIXTURES.actions(&link.id);
    assert!(has(&actions, ActionKind::SignInShown), "{:?}", kinds(&actions));
    assert!(!has(&actions, ActionKind::JoinAsked), "{:?}", kinds(&actions));
}

#[test]
fn links_that_are_no_zoom_meetings_never_run() {
    let redis = RedisServer::start();
    let _worker = BOT.worker(&redis);
    redis.push(&BOT.job("z-short-id", "https://zoom.us/j/12345678?pwd=x", None));
    redis.push(&BOT.job("z-other-host", "https://zoom.us.example.org/j/81234567890", None));
    redis.push(&BOT.job("z-personal", "https://acme.zoom.us/my/jane.doe", None));
    wait_until(Duration::from_secs(10), "three dead letters", || redis.llen(DEAD) >= 3);
    for entry in redis.dead() {
        assert_eq!(entry["reason"], "invalid_url", "{entry}");
        let error = entry["error"].as_str().unwrap_or_default();
        assert!(!error.is_empty() && !error.contains('\n'), "one-line reason: {entry}");
    }
}
