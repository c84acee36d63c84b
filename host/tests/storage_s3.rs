//! Storing recordings in an S3-compatible bucket (docs/REFERENCE.md sections 2 and 7, README "Recordings"),
//! against a real `moto_server` (from `tests/.venv`, which `scripts/test-all` creates):
//! - the storage layer itself (`meetbot_host::storage::Storage`): a 20 MiB file goes up as a
//!   multipart upload (its ETag says so), leaves no unfinished upload and comes back byte for byte;
//!   a small file and a document go up whole under `storage.s3.prefix`; a missing bucket fails
//!   (whole or multipart) with an upload error naming the key, in bounded time;
//! - a whole job (queue, real Chromium in the fake Google Meet, ffmpeg): the recording and
//!   `meeting.json` land at `<job_id>/` in the bucket, `recording_url` is
//!   `s3://<bucket>/<job_id>/recording.webm`, the downloaded object is a playable WebM of the call,
//!   the results list names the bucket, and the spool is gone;
//! - a store nobody answers: after the retries the job fails with `upload_failed`, its detail names
//!   the local file, and that file is still there and playable.

mod support;

use std::{
    collections::HashMap,
    path::Path,
    time::{Duration, Instant},
};

use meetbot_fixtures::{MeetingLink, Scenario};
use meetbot_host::{
    config::{S3StorageConfig, StorageConfig, StorageKind},
    storage::{Storage, StorageError},
};
use serde_json::{Value, json};
use support::{
    media::probe,
    meet::{meet_job, meet_worker, turn},
    s3::{ACCESS_KEY_ID, Moto, REGION, SECRET_ACCESS_KEY},
    *,
};

/// Joining, the call, leaving, finalizing and storing, with room to spare on a busy machine.
const JOB_TIMEOUT: Duration = Duration::from_secs(60);

fn s3_config(endpoint: &str, bucket: &str, prefix: &str) -> StorageConfig {
    StorageConfig {
        kind: StorageKind::S3,
        s3: S3StorageConfig {
            bucket: bucket.to_owned(),
            region: REGION.to_owned(),
            endpoint: endpoint.to_owned(),
            access_key_id: ACCESS_KEY_ID.to_owned(),
            secret_access_key: SECRET_ACCESS_KEY.to_owned(),
            prefix: prefix.to_owned(),
            path_style: true,
        },
        ..StorageConfig::default()
    }
}

/// The worker's `[storage]` section for a bucket at `endpoint`.
fn s3_toml(endpoint: &str, bucket: &str) -> String {
    format!(
        "[storage]\nkind = \"s3\"\n[storage.s3]\nbucket = \"{bucket}\"\nendpoint = \"{endpoint}\"\n\
         region = \"{REGION}\"\naccess_key_id = \"{ACCESS_KEY_ID}\"\nsecret_access_key = \"{SECRET_ACCESS_KEY}\"\n\
         path_style = true\n"
    )
}

fn storage(config: &StorageConfig) -> Storage {
    // The worker installs this at start; a library user does the same.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Storage::from_config(config).expect("storage from config")
}

/// Deterministic bytes that do not compress.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut bytes = vec![0u8; len];
    rng.fill(&mut bytes);
    bytes
}

fn secs(record: &HashMap<String, String>, field: &str) -> f64 {
    let text = record.get(field).unwrap_or_else(|| panic!("record has no `{field}`: {record:?}"));
    text.parse().unwrap_or_else(|_| panic!("`{field}` = {text:?} is not a number"))
}

#[test]
fn a_large_file_goes_up_in_parts_and_comes_back_byte_for_byte() {
    let moto = Moto::start();
    moto.create_bucket("big");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("recording.webm");
    let bytes = noise(20 * 1024 * 1024, 7);
    std::fs::write(&file, &bytes).expect("write the file");

    let storage = storage(&s3_config(&moto.endpoint(), "big", ""));
    let started = Instant::now();
    let url = RT.block_on(storage.put_file("job-big/recording.webm", &file)).expect("upload");
    eprintln!("measured: 20 MiB multipart upload to moto in {:?}", started.elapsed());
    assert_eq!(url, "s3://big/job-big/recording.webm");

    let object = moto.get("big", "job-big/recording.webm").expect("the object exists");
    assert_eq!(object.bytes.len(), bytes.len(), "size");
    assert!(object.bytes == bytes, "the stored bytes differ from the file's");
    // A multipart object's ETag is `<md5 of the part md5s>-<parts>`: 20 MiB in 8 MiB parts.
    assert!(object.etag.ends_with("-3"), "uploaded in 3 parts, ETag {:?}", object.etag);
    assert!(moto.pending_multipart_uploads("big").is_empty(), "no unfinished multipart upload is left");
    assert!(file.is_file(), "the local file is the caller's to remove");
}

#[test]
fn small_files_and_documents_go_up_whole_under_the_prefix() {
    let moto = Moto::start();
    moto.create_bucket("small");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("recording.webm");
    let bytes = noise(300 * 1024, 8);
    std::fs::write(&file, &bytes).expect("write the file");

    let storage = storage(&s3_config(&moto.endpoint(), "small", "/meetings/2026/"));
    let url = RT.block_on(storage.put_file("job-1/recording.webm", &file)).expect("upload");
    assert_eq!(url, "s3://small/meetings/2026/job-1/recording.webm");
    let document = br#"{"job":{"job_id":"job-1"},"timeline":[]}"#.to_vec();
    let doc_url = RT.block_on(storage.put_bytes("job-1/meeting.json", document.clone())).expect("put bytes");
    assert_eq!(doc_url, "s3://small/meetings/2026/job-1/meeting.json");
    assert_eq!(storage.url("job-1/meeting.json"), doc_url);

    let object = moto.get("small", "meetings/2026/job-1/recording.webm").expect("the recording exists");
    assert!(object.bytes == bytes, "the stored bytes differ from the file's");
    assert!(!object.etag.contains('-'), "a small file goes up in one PUT, ETag {:?}", object.etag);
    assert_eq!(moto.get("small", "meetings/2026/job-1/meeting.json").expect("the document").bytes, document);
    let mut keys = moto.keys("small");
    keys.sort();
    assert_eq!(keys, ["meetings/2026/job-1/meeting.json", "meetings/2026/job-1/recording.webm"]);
}

#[test]
fn a_missing_bucket_fails_with_an_upload_error_in_bounded_time() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let small = dir.path().join("small.webm");
    std::fs::write(&small, noise(1024, 9)).expect("write");
    let large = dir.path().join("large.webm");
    std::fs::write(&large, noise(17 * 1024 * 1024, 10)).expect("write");
    let storage = storage(&s3_config(&moto.endpoint(), "no-such-bucket", ""));

    for (file, key) in [(&small, "job-x/small.webm"), (&large, "job-x/large.webm")] {
        let started = Instant::now();
        let error = RT.block_on(storage.put_file(key, file)).expect_err("a missing bucket takes nothing");
        let took = started.elapsed();
        eprintln!("measured: upload of {} to a missing bucket failed after {took:?}: {error}", file.display());
        match &error {
            StorageError::Upload { key: failed, .. } => assert_eq!(failed, key),
            other => panic!("expected an upload error, got {other:?}"),
        }
        assert!(error.to_string().contains(key), "the error names the key: {error}");
        assert!(took < Duration::from_secs(30), "giving up took {took:?}");
        assert!(file.is_file(), "the local file stays");
    }
}

/// Runs a Google Meet job that stays `in_call_secs` in the call (its `max_duration_secs`) on a
/// worker with `storage` as its `[storage]` section; the terminal record and the worker.
fn run_meeting(
    redis: &RedisServer,
    job_id: &str,
    storage: &str,
    spool: &Path,
    in_call_secs: u64,
) -> (HashMap<String, String>, Worker) {
    let config = format!("[recording]\nenabled = true\nspool_dir = \"{}\"\n{storage}", spool.display());
    let worker = meet_worker(redis, &config);
    let link = MeetingLink::meet(Scenario::Instant);
    redis.push(&meet_job(job_id, &link.url, Some(json!({"max_duration_secs": in_call_secs}))));
    let record = wait_for_end(redis, job_id, JOB_TIMEOUT);
    (record, worker)
}

#[test]
fn a_meetings_recording_is_stored_in_the_bucket() {
    let _turn = turn();
    let moto = Moto::start();
    moto.create_bucket("recordings");
    let redis = RedisServer::start();
    let spool = tempfile::tempdir().expect("tempdir");
    let (record, worker) = run_meeting(&redis, "s3-job", &s3_toml(&moto.endpoint(), "recordings"), spool.path(), 5);
    assert_ended(&record, "completed", "max_duration");
    assert_eq!(record.get("recording_url").map(String::as_str), Some("s3://recordings/s3-job/recording.webm"));

    let object = moto.get("recordings", "s3-job/recording.webm").expect("the recording is in the bucket");
    let downloaded = tempfile::tempdir().expect("tempdir");
    let file = downloaded.path().join("recording.webm");
    std::fs::write(&file, &object.bytes).expect("write the download");
    let probe = probe(&file);
    assert_eq!(probe.of_kind("video").len(), 1, "{probe:?}");
    assert_eq!(probe.of_kind("audio").len(), 1, "{probe:?}");
    let duration = probe.duration.unwrap_or_else(|| panic!("no duration: {probe:?}"));
    assert!((duration - secs(&record, "duration_secs")).abs() < 0.2, "{duration} vs {record:?}");
    eprintln!("measured: s3 object {} bytes, {duration:.2} s", object.bytes.len());

    let meeting: Value =
        serde_json::from_slice(&moto.get("recordings", "s3-job/meeting.json").expect("meeting.json").bytes)
            .expect("meeting.json is JSON");
    assert_eq!(meeting["job"]["state"], "completed", "{meeting}");
    assert_eq!(meeting["job"]["recording_url"], "s3://recordings/s3-job/recording.webm", "{meeting}");
    assert!(meeting["timeline"].as_array().is_some_and(|t| t.iter().any(|e| e["state"] == "in_call")), "{meeting}");
    let mut keys = moto.keys("recordings");
    keys.sort();
    assert_eq!(keys, ["s3-job/meeting.json", "s3-job/recording.webm"]);

    let results = redis.results();
    assert_eq!(results.len(), 1, "{results:?}");
    // (`blobUrl` there is checked in recording.rs, `the_results_list_names_the_stored_recording`.)
    assert_eq!(results[0]["metadata"]["storage"]["type"], "s3", "{}", results[0]);
    assert_eq!(results[0]["metadata"]["storage"]["bucket"], "recordings", "{}", results[0]);
    let jobs = spool.path().join(&worker.id).join("jobs");
    assert!(jobs.is_dir(), "the worker spools under {}", jobs.display());
    assert!(!jobs.join("s3-job.1").exists(), "the spool of the job is removed after the upload");
}

#[test]
fn an_unreachable_store_fails_the_job_and_keeps_the_file() {
    let _turn = turn();
    let redis = RedisServer::start();
    let spool = tempfile::tempdir().expect("tempdir");
    let nobody = format!("http://127.0.0.1:{}", free_port());
    let (record, worker) = run_meeting(&redis, "s3-down", &s3_toml(&nobody, "recordings"), spool.path(), 4);
    assert_ended(&record, "failed", "upload_failed");
    assert!(!record.contains_key("recording_url"), "nothing was stored: {record:?}");

    let detail = record.get("detail").cloned().unwrap_or_default();
    // Kept in the worker folder's kept/ (`<spool_dir>/<worker.id>/kept/<job_id>.<attempt>/`).
    let kept =
        spool.path().canonicalize().expect("spool folder").join(&worker.id).join("kept/s3-down.1/recording.webm");
    assert!(
        detail.contains(&kept.display().to_string()),
        "the detail names the local file {}: {detail}",
        kept.display()
    );
    assert!(kept.is_file(), "the recording stays on disk");
    let meeting: serde_json::Value = serde_json::from_slice(
        &std::fs::read(kept.with_file_name("meeting.json")).expect("meeting.json stays beside the kept recording"),
    )
    .expect("meeting.json is JSON");
    assert_eq!(meeting["job"]["reason"], "upload_failed", "{meeting}");
    assert!(meeting["timeline"].as_array().is_some_and(|t| !t.is_empty()), "{meeting}");
    let probe = probe(&kept);
    assert_eq!((probe.of_kind("video").len(), probe.of_kind("audio").len()), (1, 1), "{probe:?}");

    // The bot left after 4 s in the call; the rest is finalizing and the upload's retries.
    let joined_to_end = (time(&record, "ended_at") - time(&record, "joined_at")).num_milliseconds() as f64 / 1000.0;
    eprintln!("measured: unreachable store, joined_at to ended_at {joined_to_end:.1} s (4 s in the call); {detail}");
    assert!(joined_to_end < 60.0, "giving up on the store took {joined_to_end} s");
    let failures = redis.failures();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["error"]["type"], "upload_failed", "{}", failures[0]);
    let message = failures[0]["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(&kept.display().to_string()), "{message}");
    assert!(worker.log().contains("recording upload failed"), "the failure is logged");
}
