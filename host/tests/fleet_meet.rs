//! Failover with real Chromium (issue 10 item 7): three workers with two slots each on one
//! `redis-server`, each loading the Google Meet, Teams and Zoom plugins, run twelve meetings on the
//! fake platforms whose scenarios end in different ways, while one worker is killed with `kill -9`
//! with both of its jobs in the lobby and never restarted:
//! - every meeting ends with the state and reason its scenario ends with in the single-platform
//!   e2e tests (e2e_google.rs, e2e_microsoft.rs, e2e_zoom.rs), exactly once: one terminal record,
//!   one entry in the results or failures list, one terminal event;
//! - the killed worker's browsers go with it (nothing of its process groups is left);
//! - its two jobs go back to the queue once its heartbeat expired and are run again by the
//!   survivors (attempt 2): each bot asks to join again, waits in the lobby again, is admitted and
//!   ends as the host makes it end;
//! - nothing is left in the queue, a processing list or the dead letters, and no record is running.
//!
//! No timing is asserted: the bounds are generous, for a loaded 2-core machine. Needs the plugins
//! next to the binary (`cargo build --workspace`) and /usr/bin/chromium.

mod support;

use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use meetbot_fixtures::{ActionKind, MeetingLink, Scenario};
use serde_json::{Value, json};
use support::{
    platform::{FIXTURES, GOOGLE, MICROSOFT, Platform, ZOOM, kinds, turn, worker_for},
    *,
};

/// Small, so the dead worker's jobs come back quickly.
const HEARTBEAT_TTL_SECS: u64 = 4;

/// The worker that is killed.
const DOOMED: &str = "fleet-doomed";
/// The workers that survive.
const SURVIVORS: [&str; 2] = ["fleet-b", "fleet-c"];

/// Bound for anything the fleet does with one meeting: a job may wait in the queue behind others
/// and Chromium starts slowly when four of them run on two cores.
const PATIENCE: Duration = Duration::from_secs(120);

/// A worker of the fleet: every platform, two slots, no recording, the small heartbeat TTL, and a
/// waiting-room bound that a slow start on a busy machine never reaches (the scenarios that end in
/// the lobby end there by the platform's own doing, seconds after asking).
fn fleet_worker(redis: &RedisServer, id: &str) -> Worker {
    worker_for(
        &[&GOOGLE, &MICROSOFT, &ZOOM],
        redis,
        &format!(
            "[worker]\nid = \"{id}\"\nmax_concurrent_jobs = 2\nheartbeat_ttl_secs = {HEARTBEAT_TTL_SECS}\n\
             [recording]\nenabled = false\n[auto_leave]\nwaiting_room_timeout_secs = 90\n"
        ),
    )
}

/// One meeting of the fleet and how its job must end.
struct Meeting {
    job_id: &'static str,
    platform: &'static Platform,
    link: MeetingLink,
    auto_leave: Option<Value>,
    state: &'static str,
    reason: &'static str,
}

impl Meeting {
    fn new(
        job_id: &'static str,
        platform: &'static Platform,
        link: MeetingLink,
        auto_leave: Option<Value>,
        (state, reason): (&'static str, &'static str),
    ) -> Meeting {
        Meeting { job_id, platform, link, auto_leave, state, reason }
    }

    fn message(&self) -> String {
        self.platform.job("Fleet Bot", self.job_id, &self.link.url, self.auto_leave.clone())
    }
}

/// The ten meetings the survivors run from the start: scripted scenarios, each ending by itself.
fn scripted_meetings() -> Vec<Meeting> {
    let alone = || Some(json!({"everyone_left_timeout_secs": 1}));
    let max_duration = || Some(json!({"max_duration_secs": 3}));
    vec![
        Meeting::new("fleet-g-ended", &GOOGLE, MeetingLink::meet(Scenario::EndedByHost), None, COMPLETED_ENDED),
        Meeting::new("fleet-g-denied", &GOOGLE, MeetingLink::meet(Scenario::LobbyDenied), None, DENIED),
        Meeting::new(
            "fleet-g-not-found",
            &GOOGLE,
            MeetingLink::meet(Scenario::NotFound),
            None,
            ("failed", "meeting_not_found"),
        ),
        Meeting::new(
            "fleet-ms-lobby-timeout",
            &MICROSOFT,
            MeetingLink::teams(Scenario::LobbyTimeout),
            None,
            ("failed", "waiting_room_timeout"),
        ),
        Meeting::new(
            "fleet-ms-removed",
            &MICROSOFT,
            MeetingLink::teams(Scenario::Removed),
            None,
            ("completed", "removed_from_meeting"),
        ),
        Meeting::new(
            "fleet-ms-alone",
            &MICROSOFT,
            MeetingLink::teams(Scenario::EveryoneLeaves),
            alone(),
            EVERYONE_LEFT,
        ),
        Meeting::new(
            "fleet-ms-blocked",
            &MICROSOFT,
            MeetingLink::teams(Scenario::Blocked),
            None,
            ("failed", "blocked_by_platform"),
        ),
        Meeting::new(
            "fleet-z-maxdur",
            &ZOOM,
            MeetingLink::zoom(Scenario::LobbyAdmitted),
            max_duration(),
            ("completed", "max_duration"),
        ),
        Meeting::new(
            "fleet-z-sign-in",
            &ZOOM,
            MeetingLink::zoom(Scenario::SignInRequired),
            None,
            ("failed", "sign_in_required"),
        ),
        Meeting::new("fleet-z-denied", &ZOOM, MeetingLink::zoom(Scenario::LobbyDenied), None, DENIED),
    ]
}

const COMPLETED_ENDED: (&str, &str) = ("completed", "ended_by_host");
const DENIED: (&str, &str) = ("failed", "denied_admission");
const EVERYONE_LEFT: (&str, &str) = ("completed", "everyone_left");

/// The process groups of the worker's browsers: of the processes other than the worker whose
/// command line names its folder (a browser keeps its profile there and leads a group of its own).
fn browser_groups(worker: &Worker) -> HashSet<u32> {
    let needle = worker.dir().as_os_str().as_encoded_bytes();
    let mut groups = HashSet::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy() == worker.pid().to_string() {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if cmdline.windows(needle.len()).any(|window| window == needle)
            && let Some(group) = process_group(&entry.path())
        {
            groups.insert(group);
        }
    }
    groups
}

/// The process group of `/proc/<pid>` (field 5 of its `stat`, the 3rd after the command's `)`).
fn process_group(proc_dir: &std::path::Path) -> Option<u32> {
    let stat = std::fs::read_to_string(proc_dir.join("stat")).ok()?;
    stat[stat.rfind(')')? + 1..].split_whitespace().nth(2)?.parse().ok()
}

/// Whether any process is left in one of `groups`.
fn any_process_in(groups: &HashSet<u32>) -> bool {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .any(|entry| process_group(&entry.path()).is_some_and(|group| groups.contains(&group)))
}

/// How many times the meeting saw `kind`.
fn count(link: &MeetingLink, kind: ActionKind) -> usize {
    FIXTURES.actions(&link.id).iter().filter(|action| action.kind == kind).count()
}

#[test]
fn a_fleet_of_three_loses_a_worker_mid_lobby_and_every_meeting_still_ends_with_its_own_reason() {
    let _turn = turn();
    let redis = RedisServer::start();

    // The doomed worker alone takes the two lobby meetings, which wait for a host who is not there
    // yet: both of its slots are taken, so it runs nothing else.
    let mut doomed = fleet_worker(&redis, DOOMED);
    let lobbies = [
        Meeting::new("fleet-g-lobby", &GOOGLE, MeetingLink::meet(Scenario::Manual), None, COMPLETED_ENDED),
        Meeting::new(
            "fleet-z-lobby",
            &ZOOM,
            MeetingLink::zoom(Scenario::Manual),
            Some(json!({"everyone_left_timeout_secs": 1})),
            EVERYONE_LEFT,
        ),
    ];
    for meeting in &lobbies {
        redis.push(&meeting.message());
    }
    for meeting in &lobbies {
        let lobby = wait_for_state(&redis, meeting.job_id, "waiting_room", PATIENCE);
        assert_eq!((lobby["worker"].as_str(), lobby["attempt"].as_str()), (DOOMED, "1"), "{lobby:?}");
    }

    // The survivors join, the other ten meetings are queued, and the doomed worker is killed with
    // its bots in the lobby.
    let survivors: Vec<Worker> = SURVIVORS.iter().map(|id| fleet_worker(&redis, id)).collect();
    let scripted = scripted_meetings();
    for meeting in &scripted {
        redis.push(&meeting.message());
    }
    let browsers = browser_groups(&doomed);
    assert!(!browsers.is_empty(), "the doomed worker's browsers run");
    for meeting in &lobbies {
        let record = redis.job(meeting.job_id);
        assert_eq!((record["state"].as_str(), record["worker"].as_str()), ("waiting_room", DOOMED), "{record:?}");
    }
    doomed.kill9();
    let killed = Instant::now();
    wait_until(Duration::from_secs(20), "the killed worker's browsers are gone with it", || !any_process_in(&browsers));

    // Its jobs come back after the TTL and a survivor's bot waits in the lobby again; the host lets
    // it in, then ends the Meet call and leaves the Zoom bot alone.
    for meeting in &lobbies {
        let again = wait_for_record(
            &redis,
            meeting.job_id,
            |f| {
                f.get("state").map(String::as_str) == Some("waiting_room")
                    && f.get("attempt").map(String::as_str) == Some("2")
            },
            PATIENCE,
        );
        assert!(SURVIVORS.contains(&again["worker"].as_str()), "a survivor runs it again: {again:?}");
        eprintln!(
            "measured: {} back in the lobby on {} {:.1} s after the kill",
            meeting.job_id,
            again["worker"],
            killed.elapsed().as_secs_f64()
        );
        FIXTURES.admit(&meeting.link.id);
    }
    wait_for_state(&redis, lobbies[0].job_id, "in_call", PATIENCE);
    FIXTURES.end_meeting(&lobbies[0].link.id);
    wait_for_state(&redis, lobbies[1].job_id, "in_call", PATIENCE);
    FIXTURES.set_participants(&lobbies[1].link.id, 1);

    // Every meeting ends with its own reason, once, on a survivor.
    let meetings: Vec<&Meeting> = lobbies.iter().chain(&scripted).collect();
    for meeting in &meetings {
        let record = wait_for_end(&redis, meeting.job_id, PATIENCE);
        assert_ended(&record, meeting.state, meeting.reason);
        assert!(SURVIVORS.contains(&record["worker"].as_str()), "ended by a survivor: {record:?}");
        let redelivered = lobbies.iter().any(|lobby| lobby.job_id == meeting.job_id);
        assert_eq!(record["attempt"], if redelivered { "2" } else { "1" }, "{record:?}");
        eprintln!(
            "{}: {}/{} on {}, attempt {}",
            meeting.job_id, meeting.state, meeting.reason, record["worker"], record["attempt"]
        );
    }
    for meeting in &lobbies {
        let actions = FIXTURES.actions(&meeting.link.id);
        assert!(count(&meeting.link, ActionKind::JoinAsked) >= 2, "both bots asked to join: {:?}", kinds(&actions));
        assert_eq!(
            count(&meeting.link, ActionKind::Admitted),
            1,
            "only the survivor's bot got in: {:?}",
            kinds(&actions)
        );
    }

    // Exactly one end told per job: one results or failures entry, one terminal event.
    wait_until(Duration::from_secs(10), "every end is in the results or failures list", || {
        redis.llen(RESULTS) + redis.llen(FAILURES) >= meetings.len()
    });
    let told: Vec<(String, Value)> = redis
        .results()
        .into_iter()
        .map(|entry| ("completed".to_owned(), entry))
        .chain(redis.failures().into_iter().map(|entry| ("failed".to_owned(), entry)))
        .collect();
    assert_eq!(told.len(), meetings.len(), "one entry per job: {told:?}");
    // Events from the durable stream: the pub/sub channel may drop a message for a slow reader.
    let stream = redis.event_stream();
    for meeting in &meetings {
        let entries: Vec<&(String, Value)> = told.iter().filter(|(_, e)| e["recordingId"] == meeting.job_id).collect();
        assert_eq!(entries.len(), 1, "{}: {entries:?}", meeting.job_id);
        assert_eq!(entries[0].0, meeting.state, "{}: {entries:?}", meeting.job_id);
        let terminal: Vec<Value> = stream
            .iter()
            .filter(|(job, state, _)| job == meeting.job_id && (state == "completed" || state == "failed"))
            .map(|(_, _, event)| event.clone())
            .collect();
        assert_eq!(terminal.len(), 1, "{}: one terminal event: {terminal:?}", meeting.job_id);
    }

    // Nothing in flight is left behind.
    assert_eq!(redis.llen(QUEUE), 0, "{:?}", redis.lrange(QUEUE));
    for (list, len) in redis.processing_lists() {
        assert_eq!(len, 0, "{list} is not empty");
    }
    assert!(redis.dead().is_empty(), "{:?}", redis.dead());
    assert_eq!(redis.running_records(), 0, "no record is left running");
    for worker in &survivors {
        wait_until(Duration::from_secs(10), &format!("{} is idle", worker.id), || worker.busy() == 0);
    }
}
