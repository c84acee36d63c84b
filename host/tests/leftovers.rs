//! What a worker's earlier run left on local disk (issue: a worker killed mid-meeting leaves its
//! spool and its browsers' profiles). A worker starting with the same `worker.id` stores the
//! recording it can still finalize beside the job's own (`<job_id>/recording.attempt-<n>.webm`),
//! and removes the spool folders and profiles; another worker id's files are never touched.

mod support;

use std::{path::Path, process::Command, time::Duration};

use support::*;

/// A 2 s WebM segment (test picture and tone), as MediaRecorder would have spooled it.
fn segment(path: &Path) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let status = Command::new("ffmpeg")
        .args(["-y", "-hide_banner", "-loglevel", "error"])
        .args(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=15:duration=2"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=2"])
        .args(["-c:v", "libvpx", "-c:a", "libopus"])
        .arg(path)
        .status()
        .expect("run ffmpeg");
    assert!(status.success(), "ffmpeg made no segment");
}

#[test]
fn a_restarted_worker_stores_what_its_earlier_run_recorded_and_clears_its_spool() {
    let redis = RedisServer::start();
    let spool = tempfile::tempdir().expect("spool");
    let mine = spool.path().join("w-left");
    segment(&mine.join("jobs/bot-old.1/segment-000.webm"));
    std::fs::create_dir_all(mine.join("jobs/empty-job.2")).expect("mkdir");
    std::fs::create_dir_all(mine.join("browsers/bot-old-abc123/Default")).expect("mkdir");
    std::fs::write(mine.join("browsers/bot-old-abc123/Default/Cookies"), b"x").expect("write");
    let theirs = spool.path().join("w-other/jobs/bot-theirs.1/segment-000.webm");
    segment(&theirs);

    let recordings = tempfile::tempdir().expect("recordings");
    let config = format!(
        "[worker]\nid = \"w-left\"\n[recording]\nspool_dir = \"{}\"\n[storage.local]\ndir = \"{}\"",
        spool.path().display(),
        recordings.path().display()
    );
    let worker = Worker::start(&redis, &config);

    let stored = recordings.path().join("bot-old/recording.attempt-1.webm");
    assert!(stored.is_file(), "the earlier run's recording is stored:\n{}", worker.log());
    let probe = media::probe(&stored);
    assert!(probe.duration.is_some_and(|secs| (secs - 2.0).abs() < 0.5), "the whole segment is in it: {probe:?}");
    assert!(!recordings.path().join("bot-old/recording.webm").exists(), "never the job's own name");
    let left: Vec<_> = std::fs::read_dir(mine.join("jobs")).expect("jobs").collect();
    assert!(left.is_empty(), "the spool is cleared: {left:?}");
    let left: Vec<_> = std::fs::read_dir(mine.join("browsers")).expect("browsers").collect();
    assert!(left.is_empty(), "the profiles are removed: {left:?}");
    assert!(theirs.is_file(), "another worker id's spool is never touched");

    // Its own jobs still run.
    redis.push(&script_job("after-the-leftovers", "call_ms=10"));
    assert_ended(&wait_for_end(&redis, "after-the-leftovers", Duration::from_secs(10)), "completed", "left_normally");
}
