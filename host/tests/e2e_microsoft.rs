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

use std::{
    path::{Path, PathBuf},
    sync::{LazyLock, Mutex, MutexGuard},
    time::Duration,
};

use meetbot_fixtures::{Action, ActionKind, FixtureServer, MeetingLink, Scenario};
use serde_json::{Value, json};
use support::*;

/// The display name, with characters a "cleaning" bot would rewrite: it must arrive untouched.
const NAME: &str = "Notes Bot ✓ O'Brien-Łukasz (2)";

/// Generous bound for one job; every scenario ends within a few seconds of its scripted event.
const JOB_TIMEOUT: Duration = Duration::from_secs(40);

/// One fake-platform server for the whole test binary (meeting ids are unique per test).
static FIXTURES: LazyLock<FixtureServer> =
    LazyLock::new(|| FixtureServer::start_on(0).expect("start the fake meeting platforms"));

/// Each test runs one Chromium; two cores are shared, so the tests take turns.
static ONE_BROWSER_AT_A_TIME: Mutex<()> = Mutex::new(());

fn turn() -> MutexGuard<'static, ()> {
    ONE_BROWSER_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A folder holding only the Teams plugin (a link to the one built next to `meetbot`), for
/// `plugins.dirs`: the harness runs workers from a folder with the test plugins only.
fn microsoft_plugin_dir() -> &'static Path {
    static DIR: LazyLock<PathBuf> = LazyLock::new(|| {
        let built = bin().parent().expect("binary folder").join("libmeetbot_plugin_microsoft.so");
        assert!(
            built.is_file(),
            "{} is missing: build it first with `cargo build --workspace` (crate plugins/microsoft)",
            built.display()
        );
        let root = built.parent().expect("binary folder").join("meetbot-it-microsoft");
        // Folders of earlier test processes that are gone.
        for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            let pid = entry.file_name().to_string_lossy().parse::<u32>().ok();
            if pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let dir = root.join(std::process::id().to_string());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the plugin folder");
        let link = dir.join("libmeetbot_plugin_microsoft.so");
        if std::fs::hard_link(&built, &link).is_err() {
            std::fs::copy(&built, &link).unwrap_or_else(|e| panic!("copy {}: {e}", built.display()));
        }
        dir
    });
    &DIR
}

/// A worker whose browsers reach the fake platforms, with extra `[auto_leave]` lines.
fn worker(redis: &RedisServer, auto_leave: &str) -> Worker {
    let plugins = toml::Value::Array(vec![toml::Value::String(microsoft_plugin_dir().display().to_string())]);
    let args = toml::Value::Array(FIXTURES.chromium_args().into_iter().map(toml::Value::String).collect());
    let config = format!(
        "[worker]\nmax_concurrent_jobs = 1\n\
         [plugins]\ndirs = {plugins}\n\
         [browser]\nexecutable = \"/usr/bin/chromium\"\nargs = {args}\n\
         [recording]\nenabled = false\n\
         [auto_leave]\nwaiting_room_timeout_secs = 20\n{auto_leave}\n"
    );
    Worker::start(redis, &config)
}

/// The queue message for a Teams job.
fn teams_job(bot_id: &str, url: &str, auto_leave: Option<Value>) -> String {
    let mut job = json!({
        "url": url,
        "provider": "microsoft",
        "name": NAME,
        "teamId": "team-1",
        "userId": "user-1",
        "bearerToken": "tok-test",
        "timezone": "Europe/Berlin",
        "botId": bot_id,
    });
    if let Some(auto_leave) = auto_leave {
        job["autoLeave"] = auto_leave;
    }
    job.to_string()
}

fn kinds(actions: &[Action]) -> Vec<ActionKind> {
    actions.iter().map(|a| a.kind).collect()
}

fn has(actions: &[Action], kind: ActionKind) -> bool {
    actions.iter().any(|a| a.kind == kind)
}

/// Waits until the meeting logged `kind` (the page reports asynchronously).
fn wait_action(link: &MeetingLink, kind: ActionKind, timeout: Duration) -> Action {
    RT.block_on(FIXTURES.wait_for_action(&link.id, kind, timeout)).unwrap_or_else(|e| panic!("{e}"))
}

/// The bot went through the launcher, the name arrived exactly as given, and it asked to join
/// with camera and microphone off.
fn assert_joined_as_itself(link: &MeetingLink) {
    wait_action(link, ActionKind::ContinuedInBrowser, Duration::from_secs(5));
    let typed = wait_action(link, ActionKind::NameTyped, Duration::from_secs(5));
    assert_eq!(typed.text.as_deref(), Some(NAME), "the name field's final value");
    let asked = wait_action(link, ActionKind::JoinAsked, Duration::from_secs(5));
    assert_eq!(asked.text.as_deref(), Some(NAME), "the name the join request carried");
    assert_eq!(asked.camera, Some(false), "camera must be off when asking to join: {asked:?}");
    assert_eq!(asked.mic, Some(false), "microphone must be off when asking to join: {asked:?}");
}

/// The bot clicked "Leave". (The page's later "left" report races with the host closing the
/// browser once the bot saw the left-meeting screen, so it is not required.)
fn assert_left_by_clicking(link: &MeetingLink) {
    wait_action(link, ActionKind::LeaveClicked, Duration::from_secs(5));
}

fn assert_no_leave_click(link: &MeetingLink) {
    let actions = FIXTURES.actions(&link.id);
    assert!(!has(&actions, ActionKind::LeaveClicked), "the bot must not click Leave here: {:?}", kinds(&actions));
}

/// Runs one scenario through the queue to its end; the link and the terminal record.
fn run_to_end(link: MeetingLink, bot_id: &str, auto_leave: Option<Value>) -> (MeetingLink, Value) {
    let _turn = turn();
    let redis = RedisServer::start();
    let _worker = worker(&redis, "");
    redis.push(&teams_job(bot_id, &link.url, auto_leave));
    let record = wait_for_end(&redis, bot_id, JOB_TIMEOUT);
    (link, json!(record))
}

fn assert_record(record: &Value, state: &str, reason: &str) {
    assert_eq!(record["state"], state, "record: {record}");
    assert_eq!(record["reason"], reason, "record: {record}");
}

#[test]
fn short_link_lobby_then_admitted_then_max_duration_clicks_leave() {
    let _turn = turn();
    let redis = RedisServer::start();
    let _worker = worker(&redis, "");
    // The `teams.live.com/meet/<id>?p=<passcode>` form; the lobby admits after 2 s.
    let link = MeetingLink::teams_live(Scenario::LobbyAdmitted);
    redis.push(&teams_job("ms-maxdur", &link.url, Some(json!({"max_duration_secs": 3}))));

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
    let _turn = turn();
    let redis = RedisServer::start();
    let worker = worker(&redis, "");
    let link = MeetingLink::teams(Scenario::Instant);
    redis.push(&teams_job("ms-cancel", &link.url, None));
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
    // (The page's "denied" report races with the bot closing the browser right after.)
    let actions = FIXTURES.actions(&link.id);
    assert!(has(&actions, ActionKind::WaitingRoom), "{:?}", kinds(&actions));
    assert_no_leave_click(&link);
}

#[test]
fn nobody_admits_the_bot_before_the_waiting_room_timeout() {
    let _turn = turn();
    let redis = RedisServer::start();
    let _worker = worker(&redis, "");
    // Manual: the lobby lasts until someone admits; nobody does. The host's bound counts from the
    // job's start, so it leaves room for the launcher and the app's load.
    let link = MeetingLink::teams(Scenario::Manual);
    redis.push(&teams_job("ms-lobby", &link.url, Some(json!({"waiting_room_timeout_secs": 10}))));
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
    let _worker = worker(&redis, "");
    for (bot_id, url) in [
        ("ms-bad-host", "https://teams.example.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=%7b%7d"),
        ("ms-bad-path", "https://teams.microsoft.com/l/chat/19%3aabc%40thread.v2/0"),
    ] {
        redis.push(&teams_job(bot_id, url, None));
    }
    wait_until(Duration::from_secs(10), "both messages dead-lettered", || redis.llen(DEAD) == 2);
    for entry in redis.dead() {
        assert_eq!(entry["reason"], "invalid_url", "{entry}");
        let error = entry["error"].as_str().unwrap_or_default();
        assert!(!error.is_empty() && !error.contains('\n'), "a one-line reason: {entry}");
    }
}
