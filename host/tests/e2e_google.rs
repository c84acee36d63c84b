//! End to end through the queue with the real `meetbot` binary, real Chromium, a real
//! `redis-server` and the Google Meet plugin, against the fake Google Meet of `meetbot-fixtures`
//! (served under the real host names, so production URL validation runs unchanged).
//!
//! Every way a Meet session can end is driven once: its job must end with its own reason (a wrong
//! reason is as bad as a crash), the bot must have typed its name exactly as given with camera and
//! microphone off, and it must click "Leave call" exactly when the host asked it to leave a call
//! (never after the platform already ended the call, never from the lobby). What the bot did is
//! taken from the fake meeting's own action log, i.e. as the meeting saw it.
//!
//! Needs the plugins next to the binary: run `cargo build --workspace` first.

mod support;

use std::time::Duration;

use meetbot_fixtures::{ActionKind, MeetingLink, Scenario};
use serde_json::{Value, json};
use support::{
    platform::{
        self, FIXTURES, Finished, GOOGLE, JOB_TIMEOUT, assert_no_leave_click, has, kinds, wait_action as wait_for,
    },
    *,
};

/// The display name, with characters a "cleaning" bot would rewrite: it must arrive untouched.
const NAME: &str = "Notes Bot ✓ O'Brien-Łukasz (2)";

/// A worker whose browsers reach the fake platforms; jobs set their own `autoLeave` limits. Not
/// recording: these tests are about the session, and the recorder has its own.
fn worker(redis: &RedisServer) -> Worker {
    GOOGLE.worker(redis, "[recording]\nenabled = false\n")
}

/// The queue message for a Meet job, with this file's bot name.
fn meet_job(bot_id: &str, url: &str, auto_leave: Option<Value>) -> String {
    GOOGLE.job(NAME, bot_id, url, auto_leave)
}

/// The name arrived exactly as given, and the bot asked to join with camera and microphone off.
fn assert_joined_as_itself(link: &MeetingLink) {
    platform::assert_joined_as(link, NAME);
}

/// The bot clicked "Leave call" and the meeting showed it the left-meeting screen.
fn assert_left_by_clicking(link: &MeetingLink) {
    wait_for(link, ActionKind::LeaveClicked, Duration::from_secs(5));
    wait_for(link, ActionKind::Left, Duration::from_secs(5));
}

/// Runs one scenario through the queue to its end. The worker stays alive while the test checks
/// the result, so a failed check prints its log.
fn run_to_end(scenario: Scenario, bot_id: &str, auto_leave: Option<Value>) -> Finished<Value> {
    let job = |url: &str| meet_job(bot_id, url, auto_leave);
    Finished::run(MeetingLink::meet(scenario), bot_id, job, worker, JOB_TIMEOUT).map_record(|record| json!(record))
}

fn assert_record(record: &Value, state: &str, reason: &str) {
    assert_eq!(record["state"], state, "record: {record}");
    assert_eq!(record["reason"], reason, "record: {record}");
}

#[test]
fn lobby_then_admitted_then_max_duration_clicks_leave() {
    let (_turn, redis, _worker) = platform::start(worker);
    let link = MeetingLink::meet(Scenario::LobbyAdmitted);
    // Upper case and a calendar's `authuser`: the plugin normalizes to the plain code link.
    let given = format!("meet.google.com/{}?authuser=0", link.id.to_uppercase());
    redis.push(&meet_job("g-maxdur", &given, Some(json!({"max_duration_secs": 3}))));

    let lobby = wait_for_state(&redis, "g-maxdur", "waiting_room", Duration::from_secs(20));
    assert_eq!(lobby["url"], link.url, "the normalized link");
    wait_for_state(&redis, "g-maxdur", "in_call", Duration::from_secs(10));
    let record = wait_for_end(&redis, "g-maxdur", JOB_TIMEOUT);
    assert_ended(&record, "completed", "max_duration");
    assert!(record.contains_key("joined_at"), "{record:?}");

    assert_joined_as_itself(&link);
    let actions = FIXTURES.actions(&link.id);
    assert!(has(&actions, ActionKind::WaitingRoom) && has(&actions, ActionKind::Admitted), "{:?}", kinds(&actions));
    assert_left_by_clicking(&link);
}

#[test]
fn cancel_through_the_api_clicks_leave() {
    let (_turn, redis, worker) = platform::start(worker);
    let link = MeetingLink::meet(Scenario::Instant);
    redis.push(&meet_job("g-cancel", &link.url, None));
    wait_for_state(&redis, "g-cancel", "in_call", Duration::from_secs(20));

    let response = worker.delete("/v1/jobs/g-cancel");
    assert!(response.status < 300, "DELETE /v1/jobs/g-cancel: {response:?}");
    let record = wait_for_end(&redis, "g-cancel", JOB_TIMEOUT);
    assert_ended(&record, "completed", "cancelled");
    assert_joined_as_itself(&link);
    assert_left_by_clicking(&link);
    // A clean cancel is no error: nothing in the log says ERROR (the browser's DevTools
    // connection is closed before the browser is killed).
    let log = worker.log();
    let errors: Vec<&str> = log.lines().filter(|line| line.contains("ERROR")).collect();
    assert!(errors.is_empty(), "a clean cancel logged errors: {errors:#?}");
}

#[test]
fn everyone_left_is_seen_from_the_participant_count_and_the_bot_clicks_leave() {
    let finished = run_to_end(Scenario::EveryoneLeaves, "g-alone", Some(json!({"everyone_left_timeout_secs": 1})));
    let (link, record) = (&finished.link, &finished.record);
    // The host's rule needs the counts the plugin reported: 3 at entry, then 2, then 1.
    assert_record(record, "completed", "everyone_left");
    let actions = FIXTURES.actions(&link.id);
    let counts: Vec<u32> =
        actions.iter().filter(|a| a.kind == ActionKind::ParticipantsChanged).filter_map(|a| a.count).collect();
    assert_eq!(counts.last(), Some(&1), "{:?}", kinds(&actions));
    assert_left_by_clicking(link);
}

#[test]
fn host_ends_the_call() {
    let finished = run_to_end(Scenario::EndedByHost, "g-ended", None);
    let (link, record) = (&finished.link, &finished.record);
    assert_record(record, "completed", "ended_by_host");
    assert_joined_as_itself(link);
    assert_no_leave_click(link);
}

#[test]
fn bot_is_removed() {
    let finished = run_to_end(Scenario::Removed, "g-removed", None);
    let (link, record) = (&finished.link, &finished.record);
    assert_record(record, "completed", "removed_from_meeting");
    assert_joined_as_itself(link);
    assert_no_leave_click(link);
}

#[test]
fn host_denies_the_request() {
    let finished = run_to_end(Scenario::LobbyDenied, "g-denied", None);
    let (link, record) = (&finished.link, &finished.record);
    assert_record(record, "failed", "denied_admission");
    assert_joined_as_itself(link);
    assert!(has(&FIXTURES.actions(&link.id), ActionKind::Denied));
    assert_no_leave_click(link);
}

#[test]
fn meet_gives_up_on_the_lobby() {
    // The platform's own "No one responded" (after 5 s), well before the config's 20 s.
    let finished = run_to_end(Scenario::LobbyTimeout, "g-lobby-timeout", None);
    let (link, record) = (&finished.link, &finished.record);
    assert_record(record, "failed", "waiting_room_timeout");
    assert!(record["detail"].as_str().unwrap_or_default().contains("No one responded"), "{record}");
    assert!(has(&FIXTURES.actions(&link.id), ActionKind::LobbyTimedOut));
    assert_no_leave_click(link);
}

#[test]
fn the_hosts_lobby_limit_ends_a_lobby_nobody_answers() {
    let (_turn, redis, _worker) = platform::start(worker);
    let link = MeetingLink::meet(Scenario::Manual);
    // The host's limit runs from the job's start (browser launch included) and ends the lobby.
    redis.push(&meet_job("g-host-lobby", &link.url, Some(json!({"waiting_room_timeout_secs": 6}))));
    wait_for_state(&redis, "g-host-lobby", "waiting_room", Duration::from_secs(6));
    let record = wait_for_end(&redis, "g-host-lobby", JOB_TIMEOUT);
    assert_ended(&record, "failed", "waiting_room_timeout");
    assert!(!record.contains_key("joined_at"), "never admitted: {record:?}");
    assert_joined_as_itself(&link);
    assert_no_leave_click(&link);
}

#[test]
fn blocked_before_asking() {
    let finished = run_to_end(Scenario::Blocked, "g-blocked", None);
    let (link, record) = (&finished.link, &finished.record);
    assert_record(record, "failed", "blocked_by_platform");
    let actions = FIXTURES.actions(&link.id);
    assert!(has(&actions, ActionKind::BlockedShown), "{:?}", kinds(&actions));
    assert!(!has(&actions, ActionKind::JoinAsked), "{:?}", kinds(&actions));
}

#[test]
fn meeting_code_does_not_exist() {
    let finished = run_to_end(Scenario::NotFound, "g-not-found", None);
    let (link, record) = (&finished.link, &finished.record);
    assert_record(record, "failed", "meeting_not_found");
    assert!(has(&FIXTURES.actions(&link.id), ActionKind::NotFoundShown));
}

#[test]
fn sign_in_wall() {
    let finished = run_to_end(Scenario::SignInRequired, "g-sign-in", None);
    let (link, record) = (&finished.link, &finished.record);
    assert_record(record, "failed", "sign_in_required");
    assert!(has(&FIXTURES.actions(&link.id), ActionKind::SignInRedirect));
}

#[test]
fn links_that_are_no_meet_meetings_never_run() {
    let redis = RedisServer::start();
    let _worker = worker(&redis);
    redis.push(&meet_job("g-lookup", "https://meet.google.com/lookup/abcdefgh12", None));
    redis.push(&meet_job("g-other-host", "https://meet.google.com.example.org/abc-defg-hij", None));
    wait_until(Duration::from_secs(10), "two dead letters", || redis.llen(DEAD) >= 2);
    for entry in redis.dead() {
        assert_eq!(entry["reason"], "invalid_url", "{entry}");
        let error = entry["error"].as_str().unwrap_or_default();
        assert!(!error.is_empty() && !error.contains('\n'), "one-line reason: {entry}");
    }
}

/// A Meet link whose page never loads because the browser is sent elsewhere by `resolver_rule`
/// (Chromium's `--host-resolver-rules`): the job's detail says which network error it was.
fn unreachable_page_detail(resolver_rule: &str, bot_id: &str) -> String {
    let extra =
        format!("[recording]\nenabled = false\n[browser]\nargs = [\"--host-resolver-rules={resolver_rule}\"]\n");
    let (_turn, redis, _worker) = platform::start(|redis| GOOGLE.worker(redis, &extra));
    redis.push(&meet_job(bot_id, "https://meet.google.com/abc-defg-hij", None));
    let record = wait_for_end(&redis, bot_id, JOB_TIMEOUT);
    assert_ended(&record, "failed", "internal_error");
    record.get("detail").cloned().unwrap_or_default()
}

#[test]
fn a_meeting_page_that_does_not_load_names_the_network_error() {
    let unresolved = unreachable_page_detail("MAP * ~NOTFOUND", "g-dns");
    // Chromium's error page shows a DNS probe code (`DNS_PROBE_...`) for a name that does not resolve.
    assert!(unresolved.contains("did not load: the name did not resolve (DNS) ("), "{unresolved}");
    let closed = free_port();
    let refused = unreachable_page_detail(&format!("MAP * 127.0.0.1:{closed}"), "g-refused");
    assert!(refused.contains("did not load: the connection was refused (ERR_CONNECTION_REFUSED)"), "{refused}");
}
