//! Redis as production runs it (issue 9, item 14): `rediss://` against a real `redis-server`
//! whose certificate a private CA made by the test signed (and a server certificate from another CA
//! refused; client certificates for mutual TLS), a worker running as an ACL user with exactly the
//! rules the README documents, and users lacking a permission: each gets one clear start-up error
//! naming what is missing and exit code 2, within seconds, never a retry loop. Redis unreachable
//! at start-up is no refusal, but a refusal once it answers still stops the worker; permissions
//! revoked while it runs are retried with backoff, not in a busy loop.

mod support;

use std::{
    process::ExitStatus,
    thread,
    time::{Duration, Instant},
};

use chrono::{SecondsFormat, Utc};
use serde_json::json;
use support::{redis_tls::*, *};

/// A refused worker must be gone within this long (the check itself takes milliseconds).
const EXIT_WITHIN: Duration = Duration::from_secs(10);

/// Lines of `log` containing `text`.
fn lines_with<'a>(log: &'a str, text: &str) -> Vec<&'a str> {
    log.lines().filter(|line| line.contains(text)).collect()
}

/// Waits for a refused worker's exit and checks it was one clear error: exit code 2, exactly one
/// line containing `message`, no retries. Returns that line.
fn refused(worker: &mut Worker, message: &str) -> String {
    let started = Instant::now();
    let status: ExitStatus = worker.wait_exit(EXIT_WITHIN);
    let log = worker.log();
    assert_eq!(status.code(), Some(2), "exit code after {:?}\n{log}", started.elapsed());
    let matching = lines_with(&log, message);
    assert_eq!(matching.len(), 1, "one line with {message:?}:\n{log}");
    // The test binary's folder holds an incompatible test plugin, refused with a warning.
    let warnings = log.lines().filter(|l| (l.contains("WARN") || l.contains("ERROR")) && !l.contains("plugin refused"));
    assert_eq!(warnings.count(), 0, "no warning or error logged before the refusal:\n{log}");
    for noise in ["retrying", "NOPERM"] {
        assert!(!log.contains(noise), "no {noise:?} in the log of a refused start:\n{log}");
    }
    assert!(!log.contains(PASSWORD), "the password never reaches the log:\n{log}");
    matching[0].to_owned()
}

#[test]
fn a_job_runs_end_to_end_over_rediss_with_a_private_ca() {
    let redis = TlsRedis::start(TestCa::new("meetbot test CA"), ClientCertificates::NotAsked);
    let worker = Worker::start_with_url(
        &redis.rediss_url(None),
        &format!("[redis]\ntls_ca_file = {}", toml_path(&redis.ca_file())),
    );
    assert_eq!(lines_with(&worker.log(), "redis access checked").len(), 1, "{}", worker.log());

    redis.server.push(&script_job("over-tls", "call_ms=10"));
    assert_ended(&wait_for_end(&redis.server, "over-tls", Duration::from_secs(15)), "completed", "left_normally");
    assert_eq!(redis.server.results().len(), 1);
    let clients: String = redis.server.query(redis::cmd("CLIENT").arg("LIST"));
    let tls_port = format!("laddr=127.0.0.1:{} ", redis.tls_port);
    assert!(clients.lines().any(|c| c.contains(&tls_port)), "the worker is connected on the TLS port:\n{clients}");

    // The client side goes through the same TLS setup.
    let config = worker.config_path.display().to_string();
    let out = run_cli(
        &["enqueue", "--config", &config, "--provider", "script", "--url", "https://script.test/cli-tls?call_ms=10"]
            .into_iter()
            .chain(["--name", "CLI Bot", "--bot-id", "cli-tls", "--wait"])
            .collect::<Vec<_>>(),
        Duration::from_secs(30),
    );
    assert!(out.status.success(), "enqueue over TLS: {out:?}");
    assert!(out.stdout.contains("completed"), "{out:?}");
}

#[test]
fn a_server_certificate_from_another_ca_is_refused_at_start_up() {
    let redis = TlsRedis::start(TestCa::new("the server's CA"), ClientCertificates::NotAsked);
    let other = redis.file("other-ca.pem", &TestCa::new("another CA").cert_pem);
    let mut worker = Worker::spawn(&redis.rediss_url(None), &format!("[redis]\ntls_ca_file = {}", toml_path(&other)));
    let line = refused(&mut worker, "TLS with redis at");
    assert!(line.contains(&format!("127.0.0.1:{}", redis.tls_port)), "{line}");
    assert!(line.contains("not signed by the CA in `redis.tls_ca_file`"), "{line}");

    // No CA file: the system's roots do not know the test CA either.
    let mut worker = Worker::spawn(&redis.rediss_url(None), "");
    let line = refused(&mut worker, "TLS with redis at");
    assert!(line.contains("set `redis.tls_ca_file` to the CA that signed it"), "{line}");
}

#[test]
fn mutual_tls_sends_the_client_certificate_a_server_requires() {
    let redis = TlsRedis::start(TestCa::new("mutual CA"), ClientCertificates::Required);
    let client = redis.ca.client_certificate();
    let cert = redis.file("client.pem", &client.cert_pem);
    let key = redis.file("client.key", &client.key_pem);
    let ca = toml_path(&redis.ca_file());

    let mut without = Worker::spawn(&redis.rediss_url(None), &format!("[redis]\ntls_ca_file = {ca}"));
    let line = refused(&mut without, "TLS with redis at");
    assert!(line.contains("`redis.tls_cert_file`"), "{line}");

    let with = format!(
        "[redis]\ntls_ca_file = {ca}\ntls_cert_file = {}\ntls_key_file = {}",
        toml_path(&cert),
        toml_path(&key)
    );
    let _worker = Worker::start_with_url(&redis.rediss_url(None), &with);
    redis.server.push(&script_job("mutual", "call_ms=10"));
    assert_ended(&wait_for_end(&redis.server, "mutual", Duration::from_secs(15)), "completed", "left_normally");
}

#[test]
fn tls_and_an_acl_user_together_as_production_runs_them() {
    let redis = TlsRedis::start(TestCa::new("production-like CA"), ClientCertificates::NotAsked);
    set_user(&redis.server, "meetbot", &documented_rules());
    let worker = Worker::start_with_url(
        &redis.rediss_url(Some("meetbot")),
        &format!("[redis]\ntls_ca_file = {}", toml_path(&redis.ca_file())),
    );
    redis.server.push(&script_job("tls-acl", "call_ms=10"));
    assert_ended(&wait_for_end(&redis.server, "tls-acl", Duration::from_secs(15)), "completed", "left_normally");
    let clients: String = redis.server.query(redis::cmd("CLIENT").arg("LIST"));
    assert!(clients.lines().any(|c| c.contains(" user=meetbot ")), "{clients}");
    assert!(!worker.log().contains(PASSWORD));
}

#[test]
fn a_worker_with_exactly_the_documented_acl_does_all_its_work() {
    let redis = RedisServer::start();
    set_user(&redis, "meetbot", &documented_rules());
    let worker =
        Worker::start_with_url(&user_url(&redis, "meetbot"), "[worker]\nid = \"acl-1\"\nheartbeat_ttl_secs = 3");
    assert_eq!(lines_with(&worker.log(), "redis access checked").len(), 1, "{}", worker.log());

    // A queue job, run to its end with its results record.
    redis.push(&script_job("acl-queue", "call_ms=10"));
    assert_ended(&wait_for_end(&redis, "acl-queue", Duration::from_secs(15)), "completed", "left_normally");
    assert_eq!(redis.results()[0]["recordingId"], "acl-queue");

    // A message that can never run is dead-lettered.
    redis.push("not a job");
    wait_until(Duration::from_secs(10), "the bad message dead-lettered", || redis.llen(DEAD) == 1);

    // A failing job writes the failures list.
    redis.push(&script_job("acl-fail", "outcome=meeting_not_found"));
    assert_eq!(wait_for_end(&redis, "acl-fail", Duration::from_secs(15))["state"], "failed");
    wait_until(Duration::from_secs(5), "a failures record", || redis.llen(FAILURES) == 1);

    // A scheduled job is promoted and runs.
    let mut scheduled = script_job_value("acl-scheduled", "call_ms=10");
    let due = Utc::now() + chrono::Duration::seconds(2);
    scheduled["joinAt"] = json!(due.to_rfc3339_opts(SecondsFormat::Millis, true));
    redis.push(&scheduled.to_string());
    assert_ended(&wait_for_end(&redis, "acl-scheduled", Duration::from_secs(20)), "completed", "left_normally");

    // A REST job.
    let response = worker.post("/v1/jobs", &script_job_value("acl-rest", "call_ms=10"));
    assert!((200..300).contains(&response.status), "{response:?}");
    assert_ended(&wait_for_end(&redis, "acl-rest", Duration::from_secs(15)), "completed", "left_normally");

    // Heartbeat, and recovery of a dead peer's message.
    assert!(redis.exists(&heartbeat_key("acl-1")), "the heartbeat is written");
    let _: i64 = redis.query(redis::cmd("SADD").arg("meetbot:workers").arg("ghost"));
    redis.rpush(&processing("ghost"), &script_job("from-ghost", "call_ms=10"));
    let recovered = wait_for_end(&redis, "from-ghost", Duration::from_secs(15));
    assert_ended(&recovered, "completed", "left_normally");
    assert_eq!(recovered["worker"], "acl-1");

    // Probes and metrics.
    assert_eq!(worker.get("/readyz").status, 200);
    assert_eq!(worker.metric("meetbot_redis_up"), Some(1.0));
    assert!(worker.metric("meetbot_queue_depth").is_some());

    let log = worker.log();
    for denied in ["NOPERM", "can't run this command"] {
        assert!(!log.contains(denied), "nothing was denied:\n{log}");
    }
}

#[test]
fn a_wrong_password_is_one_clear_start_up_error() {
    let redis = RedisServer::start();
    set_user(&redis, "meetbot", &documented_rules());
    let url = format!("redis://meetbot:not-the-password@127.0.0.1:{}", redis.port);
    let mut worker = Worker::spawn(&url, "");
    let line = refused(&mut worker, "refused user `meetbot`");
    assert!(line.contains("wrong password, or the user does not exist or is disabled"), "{line}");
    assert!(!line.contains("not-the-password"), "{line}");
}

/// Starts a worker as a user with the documented rules changed by `change`, expects one refusal
/// naming `missing`, then grants what the error says and expects a worker to start.
fn refused_then_granted(change: impl Fn(&mut Vec<String>), missing: &str) {
    let redis = RedisServer::start();
    let mut rules = documented_rules();
    change(&mut rules);
    set_user(&redis, "meetbot", &rules);
    let url = user_url(&redis, "meetbot");
    let mut worker = Worker::spawn(&url, "");
    let line = refused(&mut worker, "lacks permissions this worker needs");
    assert!(line.contains(&format!("needs: {missing}; grant them with")), "{line}");
    assert!(redis.keys().is_empty(), "the check wrote nothing: {:?}", redis.keys());

    // The rules the error suggests are enough.
    let grant = line.split("grant them with `").nth(1).and_then(|rest| rest.split('`').next()).expect("a grant line");
    let words: Vec<String> = grant.split_whitespace().skip(3).map(str::to_owned).collect();
    set_user(&redis, "meetbot", &words);
    let worker = Worker::start_with_url(&url, "");
    redis.push(&script_job("granted", "call_ms=10"));
    assert_ended(&wait_for_end(&redis, "granted", Duration::from_secs(15)), "completed", "left_normally");
    assert!(!worker.log().contains("NOPERM"), "{}", worker.log());
}

#[test]
fn a_user_missing_a_command_category_is_one_clear_start_up_error() {
    refused_then_granted(|rules| rules.push("-@scripting".to_owned()), "commands evalsha, script|load");
}

#[test]
fn a_user_without_multi_is_refused_before_any_probe_could_run_for_real() {
    refused_then_granted(
        |rules| rules.retain(|r| r != "+multi"),
        "commands multi (the rest is checked once this is granted)",
    );
}

#[test]
fn a_user_missing_a_key_pattern_is_one_clear_start_up_error() {
    refused_then_granted(|rules| rules.retain(|r| r != "~jobs:meetbot:list:dead"), "keys jobs:meetbot:list:dead");
}

#[test]
fn a_user_without_the_events_channel_is_one_clear_start_up_error() {
    refused_then_granted(|rules| rules.retain(|r| r != "&meetbot:events"), "channel meetbot:events");
}

#[test]
fn a_refusal_once_unreachable_redis_answers_stops_the_worker() {
    let port = free_port();
    let mut worker = Worker::spawn(&format!("redis://meetbot:{PASSWORD}@127.0.0.1:{port}"), "");
    if let Err(why) = worker.wait_healthy(Duration::from_secs(10)) {
        panic!("unreachable redis at start-up must not stop the worker: {why}\n{}", worker.log());
    }
    assert!(worker.log().contains("its access is checked once it answers"), "{}", worker.log());

    // This server has no user `meetbot`.
    let _redis = RedisServer::start_on(port);
    let status = worker.wait_exit(EXIT_WITHIN);
    let log = worker.log();
    assert_eq!(status.code(), Some(2), "{log}");
    assert!(log.contains("shutting down: redis refuses this worker"), "{log}");
    assert_eq!(lines_with(&log, "meetbot: redis at").len(), 1, "the error at exit:\n{log}");
}

#[test]
fn permissions_revoked_while_running_are_retried_with_backoff_not_a_busy_loop() {
    let redis = RedisServer::start();
    let rules = documented_rules();
    set_user(&redis, "meetbot", &rules);
    let worker = Worker::start_with_url(&user_url(&redis, "meetbot"), "[worker]\nheartbeat_ttl_secs = 3");

    let _: () = redis.query(redis::cmd("ACL").arg("SETUSER").arg("meetbot").arg("-blmove").arg("-evalsha"));
    let before = worker.log().lines().count();
    thread::sleep(Duration::from_secs(6));
    let log = worker.log();
    let new_lines: Vec<&str> = log.lines().skip(before).collect();
    assert!(new_lines.iter().any(|l| l.contains("NOPERM") || l.contains("no permissions")), "{log}");
    // Capped backoff: a few lines a second at first, then one per loop every few seconds. A busy
    // loop would write thousands.
    assert!(new_lines.len() < 60, "{} lines in 6 s:\n{}", new_lines.len(), new_lines.join("\n"));

    set_user(&redis, "meetbot", &rules);
    redis.push(&script_job("after-revocation", "call_ms=10"));
    assert_ended(&wait_for_end(&redis, "after-revocation", Duration::from_secs(20)), "completed", "left_normally");
}
