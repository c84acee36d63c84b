//! `browser.spare`: the worker keeps one browser started ahead of the next job, the job runs on it,
//! a new spare follows, and nothing of any of them outlives the worker. Real `meetbot` binary,
//! real Chromium, a real `redis-server` and the fake Google Meet.
//!
//! Needs the plugins next to the binary: run `cargo build --workspace` first.

mod support;

use std::{path::Path, time::Duration};

use meetbot_fixtures::{MeetingLink, Scenario};
use serde_json::json;
use support::{
    platform::{self, GOOGLE, JOB_TIMEOUT},
    *,
};

/// The main Chromium processes (not their renderers and helpers) whose profile is under `dir`,
/// with their profile folders.
fn browsers_under(dir: &Path) -> Vec<(u32, String)> {
    let flag = format!("--user-data-dir={}", dir.display());
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let args: Vec<String> = cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        if args.iter().any(|a| a.starts_with("--type=")) {
            continue;
        }
        if let Some(profile) = args.iter().find_map(|a| a.strip_prefix(&flag)) {
            found.push((pid, profile.to_owned()));
        }
    }
    found
}

/// The one spare browser of the worker whose folder is `dir`, once it runs.
fn wait_for_spare(dir: &Path, other_than: Option<u32>, timeout: Duration) -> u32 {
    let mut spare = None;
    wait_until(timeout, "a spare browser", || {
        spare = browsers_under(dir)
            .into_iter()
            .find(|(pid, profile)| profile.contains("/spare-") && Some(*pid) != other_than)
            .map(|(pid, _)| pid);
        spare.is_some()
    });
    spare.expect("spare browser")
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn a_job_runs_on_the_spare_browser_a_new_one_follows_and_none_outlives_the_worker() {
    let extra = "[browser]\nspare = true\n[recording]\nenabled = false\n[worker]\nmax_concurrent_jobs = 1\n";
    let (_turn, redis, mut worker) = platform::start(|redis| GOOGLE.worker(redis, extra));
    let first = wait_for_spare(worker.dir(), None, Duration::from_secs(20));

    let link = MeetingLink::meet(Scenario::Instant);
    redis.push(&GOOGLE.job("Spare Bot", "spare-1", &link.url, Some(json!({"max_duration_secs": 2}))));
    wait_for_state(&redis, "spare-1", "in_call", Duration::from_secs(20));
    assert!(alive(first), "the spare runs the job's call\n{}", tail(&worker.log(), 40));
    let record = wait_for_end(&redis, "spare-1", JOB_TIMEOUT);
    assert_ended(&record, "completed", "max_duration");
    platform::assert_joined_as(&link, "Spare Bot");
    // The job's browser is closed with the job: the spare was it.
    wait_until(Duration::from_secs(10), "the job's browser closed", || !alive(first));
    let second = wait_for_spare(worker.dir(), Some(first), Duration::from_secs(20));

    worker.sigterm();
    assert!(worker.wait_exit(Duration::from_secs(30)).success(), "{}", tail(&worker.log(), 40));
    wait_until(Duration::from_secs(10), "no browser of the worker left", || browsers_under(worker.dir()).is_empty());
    assert!(!alive(second), "the waiting spare is closed at shutdown");
    let profiles = std::fs::read_dir(worker.dir().join("spool")).expect("spool folder");
    for folder in profiles.flatten() {
        let browsers = folder.path().join("browsers");
        if browsers.is_dir() {
            let left: Vec<_> = std::fs::read_dir(&browsers).expect("browsers folder").flatten().collect();
            assert!(left.is_empty(), "profile folders left: {left:?}");
        }
    }
}

#[test]
fn a_spare_that_died_while_waiting_is_not_given_to_a_job() {
    let extra = "[browser]\nspare = true\n[recording]\nenabled = false\n[worker]\nmax_concurrent_jobs = 1\n";
    let (_turn, redis, worker) = platform::start(|redis| GOOGLE.worker(redis, extra));
    let spare = wait_for_spare(worker.dir(), None, Duration::from_secs(20));
    wait_until(Duration::from_secs(20), "the spare ready", || worker.log().contains("a spare browser is ready"));
    let killed = std::process::Command::new("kill").args(["-9", &spare.to_string()]).status().expect("kill");
    assert!(killed.success());
    wait_until(Duration::from_secs(5), "the spare gone", || !alive(spare));

    let link = MeetingLink::meet(Scenario::Instant);
    redis.push(&GOOGLE.job("Spare Bot", "spare-2", &link.url, Some(json!({"max_duration_secs": 2}))));
    let record = wait_for_end(&redis, "spare-2", JOB_TIMEOUT);
    assert_ended(&record, "completed", "max_duration");
    platform::assert_joined_as(&link, "Spare Bot");
    let log = worker.log();
    assert!(log.contains("the spare browser had exited; the job launches its own"), "{}", tail(&log, 40));
    assert!(!log.contains("the job takes the spare browser"), "{}", tail(&log, 40));
}
