//! The command line (docs/REFERENCE.md sections 1 and 2): `check-config` refuses an unknown key with exit 2
//! and a message naming it, and prints a good file's effective config with secrets masked (the
//! webhook URL down to its scheme and host) and environment overrides applied; `enqueue` pushes a
//! job exactly as a client would, and with `--wait` follows it live, exiting 0 for `completed` and
//! 1 otherwise.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::*;

const TIMEOUT: Duration = Duration::from_secs(20);

fn config_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("meetbot.toml");
    std::fs::write(&path, text).expect("write config");
    let path = path.display().to_string();
    (dir, path)
}

#[test]
fn check_config_names_an_unknown_key_and_exits_2() {
    let (_dir, path) = config_file("[worker]\nmax_concurent_jobs = 2\n");
    let output = run_cli(&["check-config", "--config", &path], TIMEOUT);
    assert_eq!(output.status.code(), Some(2), "stdout:\n{}\nstderr:\n{}", output.stdout, output.stderr);
    assert!(
        output.stderr.contains("worker.max_concurent_jobs"),
        "the message names the unknown key:\n{}",
        output.stderr
    );
    assert!(output.stderr.lines().count() <= 3, "a clear, short message:\n{}", output.stderr);
}

#[test]
fn check_config_prints_the_effective_config_with_secrets_masked() {
    let (_dir, path) = config_file(
        r#"
        [worker]
        max_concurrent_jobs = 3
        [api]
        auth_token = "auth-AAAA-1111"
        [redis]
        url = "redis://bot:pw-BBBB-2222@127.0.0.1:6390/1"
        [notify]
        webhook_secret = "hook-CCCC-3333"
        webhook_url = "https://hooks.example.com/services/T0/B0/url-EEEE-5555"
        [storage.s3]
        secret_access_key = "s3-DDDD-4444"
        "#,
    );
    let output = run_cli_with_env(
        &["check-config", "--config", &path],
        &[("MEETBOT__WORKER__DRAIN_TIMEOUT_SECS", "42")],
        TIMEOUT,
    );
    assert!(output.status.success(), "exit {}\nstderr:\n{}", output.status, output.stderr);
    let text = &output.stdout;
    for secret in ["auth-AAAA-1111", "pw-BBBB-2222", "hook-CCCC-3333", "s3-DDDD-4444", "url-EEEE-5555", "T0/B0"] {
        assert!(!text.contains(secret) && !output.stderr.contains(secret), "{secret} is shown:\n{text}");
    }
    assert!(text.contains("********"), "secrets show as masked:\n{text}");
    assert!(text.contains("redis://bot:********@127.0.0.1:6390/1"), "the URL keeps all but its password:\n{text}");
    assert!(
        text.contains("webhook_url = \"https://hooks.example.com/********\""),
        "the webhook URL keeps its scheme and host only:\n{text}"
    );
    let printed: toml::Table = text.parse().unwrap_or_else(|e| panic!("output is not TOML ({e}):\n{text}"));
    assert_eq!(printed["worker"]["max_concurrent_jobs"].as_integer(), Some(3), "the file's value");
    assert_eq!(printed["worker"]["drain_timeout_secs"].as_integer(), Some(42), "the environment wins");
    assert_eq!(printed["worker"]["heartbeat_ttl_secs"].as_integer(), Some(15), "defaults fill the rest");
}

#[test]
fn enqueue_pushes_the_job_as_a_client_would() {
    let redis = RedisServer::start();
    let (_dir, path) = config_file(&format!("[redis]\nenabled = true\nurl = \"{}\"\n", redis.url()));
    let output = run_cli(
        &[
            "enqueue",
            "--provider",
            "script",
            "--url",
            "https://script.test/cli?call_ms=10",
            "--name",
            "CLI Bot",
            "--bot-id",
            "cli-push",
            "--config",
            &path,
        ],
        TIMEOUT,
    );
    assert!(output.status.success(), "exit {}\nstderr:\n{}", output.status, output.stderr);
    let queue = redis.lrange(QUEUE);
    assert_eq!(queue.len(), 1, "{queue:?}");
    let job: Value = serde_json::from_str(&queue[0]).expect("the message is JSON");
    assert_eq!(job["provider"], "script");
    assert_eq!(job["url"], "https://script.test/cli?call_ms=10");
    assert_eq!(job["name"], "CLI Bot");
    assert_eq!(job["botId"], "cli-push");
    for field in ["teamId", "userId", "bearerToken", "timezone"] {
        assert!(job[field].as_str().is_some_and(|v| !v.is_empty()), "`{field}` is set: {job}");
    }
}

fn enqueue_and_wait(worker: &Worker, bot_id: &str, query: &str) -> CliOutput {
    let url = format!("https://script.test/{bot_id}?{query}");
    let config = worker.config_path.display().to_string();
    run_cli(
        &[
            "enqueue",
            "--provider",
            "script",
            "--url",
            &url,
            "--name",
            "CLI Bot",
            "--bot-id",
            bot_id,
            "--wait",
            "--config",
            &config,
        ],
        TIMEOUT,
    )
}

#[test]
fn enqueue_wait_exits_0_for_a_completed_job() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    let output = enqueue_and_wait(&worker, "cli-ok", "join_ms=100&call_ms=300");
    assert_eq!(output.status.code(), Some(0), "stdout:\n{}\nstderr:\n{}", output.stdout, output.stderr);
    let lines: Vec<&str> = output.stdout.lines().filter(|l| l.contains("cli-ok")).collect();
    assert!(lines.len() >= 3, "state lines as the job goes on:\n{}", output.stdout);
    assert!(output.stdout.contains("in_call"), "the call is shown:\n{}", output.stdout);
    let last = lines.last().copied().unwrap_or_default();
    assert!(lines.iter().any(|l| l.contains("completed")), "the end is shown:\n{}", output.stdout);
    assert!(last.ends_with("recording: none"), "then where the recording is (the test plugin records none): {last}");
    assert_ended(&redis.job("cli-ok"), "completed", "left_normally");
}

#[test]
fn enqueue_wait_exits_1_for_a_failed_job() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    let output = enqueue_and_wait(&worker, "cli-denied", "lobby_ms=100&outcome=denied_admission");
    assert_eq!(output.status.code(), Some(1), "stdout:\n{}\nstderr:\n{}", output.stdout, output.stderr);
    assert!(
        output.stdout.lines().any(|l| l.contains("failed") && l.contains("denied_admission")),
        "the end and its reason are shown:\n{}",
        output.stdout
    );
    assert_ended(&redis.job("cli-denied"), "failed", "denied_admission");
}

#[test]
fn enqueue_wait_exits_1_for_a_dead_lettered_job() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    let output = enqueue_and_wait(&worker, "cli-refused", "invalid");
    assert_eq!(output.status.code(), Some(1), "stdout:\n{}\nstderr:\n{}", output.stdout, output.stderr);
    assert!(output.stdout.contains("dead"), "the dead letter is shown:\n{}", output.stdout);
    let dead = redis.dead();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["reason"], "invalid_url");
}
