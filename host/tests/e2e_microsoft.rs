//! End to end through the queue with the real `meetbot` binary, real Chromium, a real
//! `redis-server` and the Microsoft Teams plugin, against the fake Teams of `meetbot-fixtures`
//! (served under the real host names `teams.microsoft.com`, `teams.live.com` and
//! `login.microsoftonline.com`, so production URL validation runs unchanged).
//!
//! Every way a Teams session can end is driven once and must end with its own reason (a wrong
//! reason is as bad as a crash). The bot must go through the launcher ("Continue on this
//! browser"), type its name exactly as given, ask to join with camera and microphone off, and
//! click "Leave" exactly when the host asked it to leave a call (never after Teams already ended
//! the call, never from the lobby). What the bot did is taken from the fake meeting's own action
//! log, i.e. as the meeting saw it.
//!
//! Needs the plugins next to the binary: run `cargo build --workspace` first.

mod support;

use std::time::Duration;

use meetbot_fixtures::{ActionKind, MeetingLink, Scenario};
use serde_json::{Value, json};
use support::{
    platform::{self, Bot, FIXTURES, Finished, JOB_TIMEOUT, MICROSOFT, assert_no_leave_click, has, kinds, wait_action},
    *,
};

/// The display name, with characters a "cleaning" bot would rewrite: it must arrive untouched.
const NAME: &str = "Notes Bot ✓ O'Brien-Łukasz (2)";

/// The bot, on Microsoft Teams: session workers (one job at a time, not recording) and jobs with its name.
static BOT: Bot = Bot { platform: &MICROSOFT, name: NAME };

/// The bot went through the launcher, the name arrived exactly as given, and it asked to join
/// with camera and microphone off.
fn assert_joined_as_itself(link: &MeetingLink) {
    wait_action(link, ActionKind::ContinuedInBrowser, Duration::from_secs(5));
    platform::assert_joined_as(link, NAME);
}

/// The bot clicked "Leave" and the meeting showed it the left-meeting screen.
fn assert_left_by_clicking(link: &MeetingLink) {
    wait_action(link, ActionKind::LeaveClicked, Duration::from_secs(5));
    wait_action(link, ActionKind::Left, Duration::from_secs(5));
}

/// Runs one scenario through the queue to its end; the link and the terminal record.
fn run_to_end(link: MeetingLink, bot_id: &str, auto_leave: Option<Value>) -> (MeetingLink, Value) {
    let job = |url: &str| BOT.job(bot_id, url, auto_leave);
    let finished = Finished::run(link, bot_id, job, |redis| BOT.worker(redis), JOB_TIMEOUT);
    (finished.link, json!(finished.record))
}

fn assert_record(record: &Value, state: &str, reason: &str) {
    assert_eq!(record["state"], state, "record: {record}");
    assert_eq!(record["reason"], reason, "record: {record}");
}

#[test]
fn short_link_lobby_then_admitted_then_max_duration_clicks_leave() {
    let (_turn, redis, _worker) = platform::start(|redis| BOT.worker(redis));
    // The `teams.live.com/meet/<id>?p=<passcode>` form; the lobby admits after 2 s.
    let link = MeetingLink::teams_live(Scenario::LobbyAdmitted);
    redis.push(&BOT.job("ms-maxdur", &link.url, Some(json!({"max_duration_secs": 3}))));

    let lobby = wait_for_state(&redis, "ms-maxdur", "waiting_room", Duration::from_secs(20));
    assert_eq!(lobby["url"], link.url, "the link is kept whole");
    assert_eq!(lobby["name"], NAME);
    wait_for_state(&redis, "ms-maxdur", "in_call", Duration::from_secs(10));
    let record = wait_for_end(&redis, "ms-maxdur", JOB_TIMEOUT);
    assert_ended(&record, "completed", "max_duration");
    assert!(record.contains_key("joined_at"), "{record:?}");

    assert_joined_as_itself(&link);
    let actions = FIXTURES.actions(&link.id);
    assert!(has(&actions, ActionKind::WaitingRoom) && has(&actions, ActionKind::Admitted), "{:?}", kinds(&actions));
    assert_left_by_clicking(&link);
}

#[test]
fn cancel_through_the_api_clicks_leave() {
    let (_turn, redis, worker) = platform::start(|redis| BOT.worker(redis));
    let link = MeetingLink::teams(Scenario::Instant);
    redis.push(&BOT.job("ms-cancel", &link.url, None));
    let in_call = wait_for_state(&redis, "ms-cancel", "in_call", Duration::from_secs(20));
    assert_eq!(in_call["url"], link.url, "the invitation link is kept whole");

    let response = worker.delete("/v1/jobs/ms-cancel");
    assert!(response.status < 300, "DELETE /v1/jobs/ms-cancel: {response:?}");
    let record = wait_for_end(&redis, "ms-cancel", JOB_TIMEOUT);
    assert_ended(&record, "completed", "cancelled");
    assert_joined_as_itself(&link);
    assert_left_by_clicking(&link);
}

#[test]
fn everyone_left_is_seen_from_the_people_count_and_the_bot_clicks_leave() {
    let (link, record) = run_to_end(
        MeetingLink::teams(Scenario::EveryoneLeaves),
        "ms-alone",
        Some(json!({"everyone_left_timeout_secs": 1})),
    );
    // The host's rule needs the counts the plugin read from the People button: 3, then 2, then 1.
    assert_record(&record, "completed", "everyone_left");
    let actions = FIXTURES.actions(&link.id);
    let counts: Vec<u32> =
        actions.iter().filter(|a| a.kind == ActionKind::ParticipantsChanged).filter_map(|a| a.count).collect();
    assert_eq!(counts.last(), Some(&1), "{:?}", kinds(&actions));
    assert_left_by_clicking(&link);
}

#[test]
fn host_ends_the_meeting() {
    let (link, record) = run_to_end(MeetingLink::teams(Scenario::EndedByHost), "ms-ended", None);
    assert_record(&record, "completed", "ended_by_host");
    assert_joined_as_itself(&link);
    assert_no_leave_click(&link);
}

#[test]
fn bot_is_removed() {
    let (link, record) = run_to_end(MeetingLink::teams(Scenario::Removed), "ms-removed", None);
    assert_record(&record, "completed", "removed_from_meeting");
    assert_joined_as_itself(&link);
    assert_no_leave_click(&link);
}

#[test]
fn denied_in_the_lobby() {
    let (link, record) = run_to_end(MeetingLink::teams(Scenario::LobbyDenied), "ms-denied", None);
    assert_record(&record, "failed", "denied_admission");
    assert_joined_as_itself(&link);
    let actions = FIXTURES.actions(&link.id);
    assert!(has(&actions, ActionKind::WaitingRoom) && has(&actions, ActionKind::Denied), "{:?}", kinds(&actions));
    assert_no_leave_click(&link);
}

#[test]
fn teams_gives_up_on_the_lobby() {
    // Teams' own "no one responded" (after 5 s), well before the config's waiting-room bound.
    let (link, record) = run_to_end(MeetingLink::teams(Scenario::LobbyTimeout), "ms-lobby-timeout", None);
    assert_record(&record, "failed", "waiting_room_timeout");
    assert!(record.get("joined_at").is_none(), "never admitted: {record}");
    assert_joined_as_itself(&link);
    let actions = FIXTURES.actions(&link.id);
    assert!(has(&actions, ActionKind::LobbyTimedOut), "{:?}", kinds(&actions));
    assert_no_leave_click(&link);
}

#[test]
fn nobody_admits_the_bot_before_the_waiting_room_timeout() {
    let (_turn, redis, _worker) = platform::start(|redis| BOT.worker(redis));
    // Manual: the lobby lasts until someone admits; nobody does. The host's bound counts from the
    // job's start, so it leaves room for the launcher and the app's load.
    let link = MeetingLink::teams(Scenario::Manual);
    redis.push(&BOT.job("ms-lobby", &link.url, Some(json!({"waiting_room_timeout_secs": 10}))));
    wait_for_state(&redis, "ms-lobby", "waiting_room", Duration::from_secs(20));
    let record = wait_for_end(&redis, "ms-lobby", JOB_TIMEOUT);
    assert_ended(&record, "failed", "waiting_room_timeout");
    assert_joined_as_itself(&link);
    assert_no_leave_click(&link);
}

#[test]
fn meeting_not_found() {
    let (link, record) = run_to_end(MeetingLink::teams(Scenario::NotFound), "ms-notfound", None);
    assert_record(&record, "failed", "meeting_not_found");
    // The page's own "not found shown" report races with the bot closing the browser at once, so
    // only what the meeting saw before is checked: the bot passed the launcher, never asked in.
    let actions = FIXTURES.actions(&link.id);
    assert!(has(&actions, ActionKind::ContinuedInBrowser), "{:?}", kinds(&actions));
    assert!(!has(&actions, ActionKind::JoinAsked), "{:?}", kinds(&actions));
}

#[test]
fn blocked_before_the_pre_join_screen() {
    let (link, record) = run_to_end(MeetingLink::teams(Scenario::Blocked), "ms-blocked", None);
    assert_record(&record, "failed", "blocked_by_platform");
    assert!(record["detail"].as_str().is_some_and(|d| d.contains("join this meeting")), "record: {record}");
    // As for "not found", the page's own "blocked shown" report races with the bot closing the
    // browser: the bot passed the launcher, never asked in, never clicked Leave.
    let actions = FIXTURES.actions(&link.id);
    assert!(has(&actions, ActionKind::ContinuedInBrowser), "{:?}", kinds(&actions));
    assert!(!has(&actions, ActionKind::JoinAsked), "{:?}", kinds(&actions));
    assert_no_leave_click(&link);
}

#[test]
fn sign_in_required() {
    let (link, record) = run_to_end(MeetingLink::teams_live(Scenario::SignInRequired), "ms-signin", None);
    assert_record(&record, "failed", "sign_in_required");
    let actions = FIXTURES.actions(&link.id);
    assert!(has(&actions, ActionKind::SignInRedirect), "{:?}", kinds(&actions));
    assert!(!has(&actions, ActionKind::JoinAsked), "{:?}", kinds(&actions));
}

#[test]
fn links_that_are_not_teams_meetings_are_dead_lettered() {
    let redis = RedisServer::start();
    let _worker = BOT.worker(&redis);
    for (bot_id, url) in [
        ("ms-bad-host", "https://teams.example.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=%7b%7d"),
        ("ms-bad-path", "https://teams.microsoft.com/l/chat/19%3aabc%40thread.v2/0"),
    ] {
        redis.push(&BOT.job(bot_id, url, None));
    }
    wait_until(Duration::from_secs(10), "both messages dead-lettered", || redis.llen(DEAD) == 2);
    for entry in redis.dead() {
        assert_eq!(entry["reason"], "invalid_url", "{entry}");
        let error = entry["error"].as_str().unwrap_or_default();
        assert!(!error.is_empty() && !error.contains('\n'), "a one-line reason: {entry}");
    }
}
