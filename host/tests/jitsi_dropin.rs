//! The drop-in story (issue 11, item 5): a platform plugin built outside this workspace, as a
//! third party builds one, works in an unchanged `meetbot`.
//!
//! The Jitsi Meet example (`examples/jitsi`, its own Cargo workspace and lock) is built with
//! `cargo build --manifest-path examples/jitsi/Cargo.toml` into a target folder of its own (never
//! the `meetbot` binary's folder, which a worker scans for plugins), its library copied into a
//! fresh `plugins.dirs` folder, and then: `meetbot plugins` lists it serving `jitsi` (and refuses
//! it in one line when `MEETBOT_JITSI_HOSTS` is not a host list), `meetbot check-plugin` accepts
//! a Jitsi link, and real workers (real Redis, real Chromium) run `"provider": "jitsi"` jobs
//! against the example's own fake Jitsi pages, served at `meet.jit.si` by the conformance kit's
//! `FakeSite`: the bot joins, is
//! recorded and leaves when the job is cancelled; leaves when everyone else left; and a rejected
//! knock, a kick and a meeting ended for all end the job with their own reasons. What the bot did
//! is read from the pages' own reports (`POST /__testkit/event`).
//!
//! The first test to need the plugin builds it (a cold build of the example takes a few minutes
//! of CPU; afterwards it is incremental). Runs under `flock /tmp/meetbot-e2e.lock` like every
//! browser suite.

mod support;

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::Command,
    sync::LazyLock,
    time::Duration,
};

use meetbot_plugin_testkit::{FakeSite, PageEvent};
use serde_json::{Value, json};
use support::{
    media::probe,
    platform::{Platform, turn},
    *,
};
use tempfile::TempDir;

/// The display name, with characters a "cleaning" bot would rewrite: it must arrive untouched.
const NAME: &str = "Zoë's Notes Bot ✓ (Łódź)";

/// The library the example builds.
const LIBRARY: &str = "libmeetbot_plugin_jitsi.so";

/// Jobs for the `jitsi` provider (its library is installed by [`drop_in`], never taken from the
/// binary's folder).
static JITSI: Platform = Platform::new("jitsi", LIBRARY);

/// Generous bound for one session; every scenario ends within seconds of its scripted event.
const JOB_TIMEOUT: Duration = Duration::from_secs(60);

/// The repository's root.
fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the host crate lies in the repository")
}

/// The example's library, built once per test binary into `<target>/jitsi/` (next to, never
/// inside, the folder of the `meetbot` binary).
static PLUGIN: LazyLock<PathBuf> = LazyLock::new(|| {
    let target = bin().parent().and_then(Path::parent).expect("<target>/<profile>/meetbot").join("jitsi");
    let manifest = repo().join("examples/jitsi/Cargo.toml");
    let output = Command::new(env!("CARGO"))
        .args(["build", "--locked", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("run cargo");
    assert!(
        output.status.success(),
        "building the Jitsi example failed; reproduce with\n  cargo build --locked --manifest-path {} --target-dir {}\n{}",
        manifest.display(),
        target.display(),
        tail(&String::from_utf8_lossy(&output.stderr), 40)
    );
    let library = target.join("debug").join(LIBRARY);
    assert!(library.is_file(), "the build left no {}", library.display());
    library
});

/// A fresh `plugins.dirs` folder holding only the dropped-in library, as an operator installs it:
/// a folder only its owner writes, the library mode 755.
fn drop_in() -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    install_owner_only(&PLUGIN, &dir.path().join(LIBRARY));
    dir
}

/// The example's fake Jitsi pages at `meet.jit.si` (the conformance kit's site), one per run so
/// that its page events are that run's.
fn site() -> FakeSite {
    FakeSite::serve_dir(&["meet.jit.si"], repo().join("examples/jitsi/tests/pages")).expect("serve the fake Jitsi")
}

fn kinds(events: &[PageEvent]) -> Vec<&str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

/// Waits until the page reported `kind`.
fn wait_event(site: &FakeSite, kind: &str, timeout: Duration) -> PageEvent {
    let mut found = None;
    wait_until(timeout, &format!("the page reports {kind}"), || {
        found = site.page_events().into_iter().find(|e| e.kind == kind);
        found.is_some()
    });
    found.expect("found")
}

/// A worker whose `plugins.dirs` is the drop-in folder and whose Chromium reaches the fake Jitsi.
fn worker(redis: &RedisServer, site: &FakeSite, plugins: &TempDir, extra: &str) -> Worker {
    let args = toml::Value::Array(site.chromium_args().into_iter().map(toml::Value::String).collect());
    let config = format!(
        "[plugins]\ndirs = [\"{}\"]\n[browser]\nexecutable = \"/usr/bin/chromium\"\nargs = {args}\n\
         [auto_leave]\nwaiting_room_timeout_secs = 20\n{extra}",
        plugins.path().display()
    );
    Worker::start(redis, &config)
}

/// The queue message of a job for the fake Jitsi room `room`.
fn job(bot_id: &str, room: &str, auto_leave: Option<Value>) -> String {
    JITSI.job(NAME, bot_id, &format!("https://meet.jit.si/{room}"), auto_leave)
}

/// The bot typed its name exactly as given and turned microphone and camera off before joining.
fn assert_joined_as_itself(site: &FakeSite) {
    let events = site.page_events();
    let name = events.iter().find(|e| e.kind == "name_typed").unwrap_or_else(|| panic!("{:?}", kinds(&events)));
    assert_eq!(name.detail, NAME, "the name arrives untouched");
    let position = |kind: &str| events.iter().position(|e| e.kind == kind);
    let join = position("join_clicked").unwrap_or_else(|| panic!("no join click: {:?}", kinds(&events)));
    for device in ["mic_off", "camera_off"] {
        assert!(position(device).is_some_and(|at| at < join), "{device} before joining: {:?}", kinds(&events));
    }
}

fn assert_record(record: &HashMap<String, String>, state: &str, reason: &str) {
    assert_ended(record, state, reason);
    assert!(!record.get("detail").is_some_and(|d| d.contains('\n')), "the detail is one line: {record:?}");
}

#[test]
fn meetbot_plugins_lists_the_dropped_in_plugin_and_refuses_it_without_valid_hosts() {
    let plugins = drop_in();
    let library = plugins.path().join(LIBRARY).display().to_string();
    let config_dir = tempfile::tempdir().expect("tempdir");
    let config = config_dir.path().join("meetbot.toml");
    std::fs::write(&config, format!("[plugins]\ndirs = [\"{}\"]\n", plugins.path().display())).expect("config");
    let config = config.display().to_string();

    let listed = run_cli(&["plugins", "--config", &config], Duration::from_secs(20));
    assert!(listed.status.success(), "exit {}\n{}\n{}", listed.status, listed.stdout, listed.stderr);
    let line = listed.stdout.lines().find(|l| l.contains(&library)).unwrap_or_else(|| panic!("{}", listed.stdout));
    assert!(line.contains("jitsi") && !line.contains("refused"), "loaded, serving `jitsi`: {line}");

    // A host list that is not one: the plugin declares no meeting hosts, the host says so in one line.
    let bad = [("MEETBOT_JITSI_HOSTS", "https://meet.example.org:8443")];
    let refused = run_cli_with_env(&["plugins", "--config", &config], &bad, Duration::from_secs(20));
    let lines: Vec<&str> = refused.stdout.lines().filter(|l| l.contains(&library)).collect();
    assert_eq!(lines.len(), 1, "one line about the plugin:\n{}", refused.stdout);
    assert!(
        lines[0].contains("refused") && lines[0].contains("declares no meeting hosts"),
        "refused for its hosts: {}",
        lines[0]
    );

    // Another deployment, configured: its links are Jitsi links, meet.jit.si's no longer are.
    let own = [("MEETBOT_JITSI_HOSTS", "meet.example.org")];
    let checked = run_cli_with_env(
        &[
            "check-plugin",
            &library,
            "--url",
            "https://meet.example.org/Weekly?jwt=x",
            "--url",
            "https://meet.jit.si/Weekly",
        ],
        &own,
        Duration::from_secs(20),
    );
    assert!(checked.status.success(), "exit {}\n{}\n{}", checked.status, checked.stdout, checked.stderr);
    // `url  <provider>  <link>  ok|refused  <normal form or reason>`: (verdict, the rest).
    let url_line = |url: &str| -> (String, String) {
        let line = checked.stdout.lines().find(|l| l.starts_with("url") && l.split_whitespace().nth(2) == Some(url));
        let words: Vec<&str> =
            line.unwrap_or_else(|| panic!("no line for {url}:\n{}", checked.stdout)).split_whitespace().collect();
        (words[3].to_owned(), words[4..].join(" "))
    };
    let own_link = url_line("https://meet.example.org/Weekly?jwt=x");
    assert_eq!(own_link, ("ok".to_owned(), "https://meet.example.org/Weekly".to_owned()), "{}", checked.stdout);
    let (verdict, why) = url_line("https://meet.jit.si/Weekly");
    assert!(verdict == "refused" && why.contains("not a configured Jitsi host"), "{}", checked.stdout);
}

#[test]
fn a_jitsi_job_joins_is_recorded_and_leaves_when_cancelled() {
    let _turn = turn();
    let site = site();
    let plugins = drop_in();
    let redis = RedisServer::start();
    let worker = worker(&redis, &site, &plugins, "");
    let room = "admitted-cancel";
    redis.push(&job("j-cancel", room, None));
    let in_call = wait_for_state(&redis, "j-cancel", "in_call", JOB_TIMEOUT);
    assert_eq!(in_call["url"], format!("https://meet.jit.si/{room}"), "the normalized link");
    // Some seconds of call on the recording before the cancel.
    std::thread::sleep(Duration::from_secs(4));

    let response = worker.delete("/v1/jobs/j-cancel");
    assert!(response.status < 300, "DELETE /v1/jobs/j-cancel: {response:?}");
    let record = wait_for_end(&redis, "j-cancel", JOB_TIMEOUT);
    assert_record(&record, "completed", "cancelled");
    assert_joined_as_itself(&site);
    wait_event(&site, "leave_clicked", Duration::from_secs(5));
    wait_event(&site, "left", Duration::from_secs(5));
    // The page showed a call of 3, the bot included (the count the plugin reads).
    assert_eq!(wait_event(&site, "admitted", Duration::ZERO).detail, "3");

    let url = record.get("recording_url").unwrap_or_else(|| panic!("no recording_url: {record:?}"));
    let file = PathBuf::from(url.strip_prefix("file://").unwrap_or_else(|| panic!("not a file:// URL: {url}")));
    assert!(file.ends_with("j-cancel/recording.webm"), "{}", file.display());
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    assert!(size > 0, "{} is empty", file.display());
    let probed = probe(&file);
    assert_eq!(probed.of_kind("video").len(), 1, "{probed:?}");
    assert!(probed.duration.is_some_and(|d| d > 2.0), "the call plays: {probed:?}");
}

/// One run of `room` as job `bot_id` on a session worker (not recording), to its end.
struct Ended {
    record: HashMap<String, String>,
    site: FakeSite,
}

impl Ended {
    fn run(bot_id: &str, room: &str, auto_leave: Option<Value>) -> Ended {
        let _turn = turn();
        let site = site();
        let plugins = drop_in();
        let redis = RedisServer::start();
        let _worker = worker(&redis, &site, &plugins, "[recording]\nenabled = false\n");
        redis.push(&job(bot_id, room, auto_leave));
        let record = wait_for_end(&redis, bot_id, JOB_TIMEOUT);
        Ended { record, site }
    }

    /// The kinds of the page's events, space-separated.
    fn page(&self) -> String {
        kinds(&self.site.page_events()).join(" ")
    }
}

#[test]
fn everyone_leaving_is_seen_from_the_participant_count_and_the_bot_hangs_up() {
    let ended = Ended::run("j-alone", "alone-1", Some(json!({"everyone_left_timeout_secs": 1})));
    assert_record(&ended.record, "completed", "everyone_left");
    let counts: Vec<String> =
        ended.site.page_events().into_iter().filter(|e| e.kind == "participants").map(|e| e.detail).collect();
    assert_eq!(counts, ["3", "2", "1"], "the page's count fell to the bot alone");
    wait_event(&ended.site, "leave_clicked", Duration::from_secs(5));
}

#[test]
fn a_rejected_knock_fails_the_job_as_denied_admission() {
    let ended = Ended::run("j-denied", "denied-1", None);
    let record = &ended.record;
    assert_record(record, "failed", "denied_admission");
    assert!(!record.contains_key("joined_at"), "never admitted: {record:?}");
    assert!(record["detail"].contains("rejected"), "the page's words: {record:?}");
    assert_joined_as_itself(&ended.site);
    let events = ended.page();
    assert!(events.contains("lobby") && events.contains("denied"), "{events}");
    assert!(!events.contains("leave_clicked"), "nothing to leave from the lobby: {events}");
}

#[test]
fn a_kick_and_a_meeting_ended_for_all_end_the_job_with_their_own_reasons() {
    for (bot_id, room, reason) in
        [("j-kicked", "kicked-1", "removed_from_meeting"), ("j-ended", "ended-1", "ended_by_host")]
    {
        let ended = Ended::run(bot_id, room, None);
        assert_record(&ended.record, "completed", reason);
        assert!(ended.record.contains_key("joined_at"), "admitted first: {:?}", ended.record);
        assert!(!ended.page().contains("leave_clicked"), "the platform ended it: {room}");
    }
}

#[test]
fn a_moderators_hang_up_menu_is_confirmed_and_a_locked_room_is_blocked() {
    let ended = Ended::run("j-moderator", "moderator-1", Some(json!({"max_duration_secs": 3})));
    assert_record(&ended.record, "completed", "max_duration");
    let events = ended.page();
    assert!(events.contains("leave_clicked leave_confirmed left"), "Leave, then the menu's Leave meeting: {events}");
    assert!(!events.contains("ended_for_all"), "never End meeting for all: {events}");

    let ended = Ended::run("j-password", "password-1", None);
    assert_record(&ended.record, "failed", "blocked_by_platform");
    assert!(ended.record["detail"].contains("locked"), "the page's words: {:?}", ended.record);
}
