//! At most one worker acts for a job (docs/REFERENCE.md section 6), with real Chromium in a fake Google Meet
//! call: worker A is paused (`SIGSTOP`) in a long call for longer than the heartbeat's TTL, its
//! browser still in the meeting; worker B takes the job over and joins the same meeting. Once A
//! runs again:
//! - A's bot clicks "Leave call" within the TTL, as the fake meeting itself records;
//! - A writes nothing more: the job's record is B's, no event published after the takeover names
//!   A, and A adds nothing to the results or failures lists;
//! - A keeps its partial recording on local disk, under `kept/` in its worker folder, and logs its
//!   path; the file plays;
//! - B's end is the job's only terminal record.
//!
//! The same with the scripted plugin (no browser) is in ownership.rs. Needs the Google Meet plugin
//! next to the binary (`cargo build --workspace`), /usr/bin/chromium and ffmpeg/ffprobe.

mod support;

use std::{
    path::PathBuf,
    thread,
    time::{Duration, Instant},
};

use meetbot_fixtures::{ActionKind, MeetingLink, Scenario};
use serde_json::Value;
use support::{
    events::EventsTap,
    media::probe,
    platform::{FIXTURES, GOOGLE, JOB_TIMEOUT, kinds, turn, wait_action},
    *,
};

/// The heartbeat's TTL: small, so a pause longer than it is short.
const TTL: Duration = Duration::from_secs(4);

/// A Meet worker with id `id` and the small TTL; it records (into its own folder).
fn worker(redis: &RedisServer, id: &str) -> Worker {
    GOOGLE.worker(redis, &format!("[worker]\nid = \"{id}\"\nheartbeat_ttl_secs = {}\n", TTL.as_secs()))
}

/// How many times the meeting saw `kind`.
fn count(link: &MeetingLink, kind: ActionKind) -> usize {
    FIXTURES.actions(&link.id).iter().filter(|action| action.kind == kind).count()
}

/// The `path=` of the first line of the worker's log that has `text`, once there is one.
fn logged_path(worker: &Worker, text: &str, timeout: Duration) -> PathBuf {
    let mut found = None;
    wait_until(timeout, &format!("`{text}` with a path in the log of {}", worker.id), || {
        found = worker.log().lines().filter(|line| line.contains(text)).find_map(|line| {
            let (_, rest) = line.split_once("path=")?;
            Some(PathBuf::from(rest.split_whitespace().next()?.trim_matches('"')))
        });
        found.is_some()
    });
    found.expect("found")
}

#[test]
fn a_paused_workers_bot_leaves_the_call_a_peer_took_over_and_its_partial_recording_stays_local() {
    let _turn = turn();
    let redis = RedisServer::start();
    let events = EventsTap::start(&redis);
    let first = worker(&redis, "meet-paused");
    let link = MeetingLink::meet(Scenario::Instant);
    redis.push(&GOOGLE.job("Recorder Bot", "meet-contested", &link.url, None));
    let joined = wait_for_state(&redis, "meet-contested", "in_call", Duration::from_secs(30));
    assert_eq!(joined["worker"], "meet-paused", "{joined:?}");
    thread::sleep(Duration::from_secs(3)); // something to record
    let second = worker(&redis, "meet-peer");

    // A pauses; its Chromium stays in the call. B takes the job over once A's heartbeat expired,
    // and its own bot joins the same meeting.
    first.signal("STOP");
    let paused = Instant::now();
    let taken = wait_for_record(
        &redis,
        "meet-contested",
        |f| {
            f.get("worker").map(String::as_str) == Some("meet-peer")
                && f.get("state").map(String::as_str) == Some("in_call")
        },
        Duration::from_secs(60),
    );
    assert_eq!(taken["attempt"], "2", "{taken:?}");
    assert!(paused.elapsed() > TTL, "taken over only after the TTL: {:?}", paused.elapsed());
    assert_eq!(
        count(&link, ActionKind::Admitted),
        2,
        "both bots are in the call: {:?}",
        kinds(&FIXTURES.actions(&link.id))
    );
    assert_eq!(count(&link, ActionKind::LeaveClicked), 0, "nobody left yet");

    // A runs again: its bot leaves within the TTL (the only Leave click yet: B stays).
    first.signal("CONT");
    let resumed = Instant::now();
    wait_action(&link, ActionKind::LeaveClicked, TTL);
    eprintln!("measured: A's bot clicked Leave {:.2} s after A ran again", resumed.elapsed().as_secs_f64());
    wait_action(&link, ActionKind::Left, Duration::from_secs(5));

    // It keeps its partial recording under its own folder's kept/, and says where.
    let kept = logged_path(&first, "kept on local disk", Duration::from_secs(30));
    let folder = first.dir().join("spool").join("meet-paused").join("kept").join("meet-contested.1");
    assert_eq!(kept.canonicalize().ok(), folder.canonicalize().ok(), "kept under the worker folder's kept/");
    let recording = folder.join("recording.webm");
    let probed = probe(&recording);
    assert_eq!((probed.of_kind("video").len(), probed.of_kind("audio").len()), (1, 1), "{probed:?}");
    let duration = probed.duration.unwrap_or_else(|| panic!("no duration: {probed:?}"));
    assert!(duration > 2.0, "A's part of the call plays: {duration:.2} s");
    wait_until(Duration::from_secs(5), "A's slot is free", || first.busy() == 0);

    // A wrote nothing: the record is B's as it took it, and nothing A published came later.
    thread::sleep(Duration::from_millis(500));
    let record = redis.job("meet-contested");
    assert_eq!(record["worker"], "meet-peer", "{record:?}");
    assert_eq!((record["state"].as_str(), record["attempt"].as_str()), ("in_call", "2"), "{record:?}");
    assert!(redis.lrange(&processing("meet-paused")).is_empty(), "A holds no message");
    assert!(redis.results().is_empty() && redis.failures().is_empty(), "A ended nothing");
    let published = events.of("meet-contested");
    let takeover = published.iter().position(|e| e["worker"] == "meet-peer").expect("B's claim was published");
    let late: Vec<&Value> = published[takeover..].iter().filter(|e| e["worker"] != "meet-peer").collect();
    assert!(late.is_empty(), "nothing published after the takeover but B's: {late:?}");

    // B's end is the job's only end.
    assert_eq!(second.delete("/v1/jobs/meet-contested").status, 202);
    let ended = wait_for_end(&redis, "meet-contested", JOB_TIMEOUT);
    assert_ended(&ended, "completed", "cancelled");
    assert_eq!(ended["worker"], "meet-peer", "{ended:?}");
    assert!(ended.contains_key("recording_url"), "B stored its recording: {ended:?}");
    assert_eq!(count(&link, ActionKind::LeaveClicked), 2, "B's bot left too");
    thread::sleep(Duration::from_millis(500));
    let results: Vec<Value> = redis.results();
    assert_eq!(results.len(), 1, "one terminal record: {results:?}");
    assert_eq!(results[0]["recordingId"], "meet-contested");
    assert!(redis.failures().is_empty(), "{:?}", redis.failures());
    let terminal: Vec<Value> = events
        .of("meet-contested")
        .into_iter()
        .filter(|e| e["state"] == "completed" || e["state"] == "failed")
        .collect();
    assert_eq!(terminal.len(), 1, "one terminal event: {terminal:?}");
    assert_eq!(terminal[0]["worker"], "meet-peer");
}
