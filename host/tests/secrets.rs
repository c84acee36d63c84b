//! Secrets (docs/REFERENCE.md sections 1, 2 and 5): with `api.auth_token` set every endpoint but /health,
//! /readyz and /metrics needs the token; and a job's bearer token and the API token never appear
//! in the worker's log (even at debug level), in the API's answers, or anywhere in Redis except the
//! queue and the dead-letter list, which keep clients' raw messages; nor does the password in
//! `redis.url`, nor the token in the path of `notify.webhook_url` (its deliveries failing, the
//! failures are logged without it).

mod support;

use std::time::Duration;

use serde_json::json;
use support::*;

const BEARER: &str = "tok-SECRET-123";
const AUTH: &str = "auth-SECRET-456";
const PASSWORD: &str = "pw-SECRET-789";
/// In the webhook URL's path, as hook services put their tokens. Nothing listens on port 1.
const HOOK_TOKEN: &str = "hook-SECRET-321";

#[test]
fn the_api_token_guards_every_endpoint_but_health_and_metrics() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, &format!("[api]\nauth_token = \"{AUTH}\""));
    let url = |path: &str| worker.url(path);
    let get = |path: &str, token: Option<&str>| {
        send(reqwest::Method::GET, &url(path), token, None).unwrap_or_else(|| panic!("GET {path}: no answer"))
    };
    assert_eq!(get("/isbusy", None).status, 401, "no token");
    assert_eq!(get("/isbusy", Some("wrong-token")).status, 401, "wrong token");
    assert_eq!(get("/isbusy", Some(AUTH)).status, 200, "right token");
    assert_eq!(get("/v1/jobs/nothing", None).status, 401);
    let post = send(reqwest::Method::POST, &url("/v1/jobs"), None, Some(script_job_value("no-auth", "call_ms=10")))
        .expect("POST answered");
    assert_eq!(post.status, 401, "{post:?}");
    assert!(redis.job("no-auth").is_empty(), "an unauthenticated POST starts nothing");
    assert_eq!(get("/health", None).status, 200, "/health needs no token");
    assert_eq!(get("/metrics", None).status, 200, "/metrics needs no token");
    assert_eq!(get("/readyz", None).status, 200, "/readyz needs no token (and plugins and redis are up)");
    let unauthorized = get("/isbusy", None).body;
    assert!(!unauthorized.contains(AUTH), "the 401 body echoes the token");
}

#[test]
fn bearer_api_and_redis_secrets_never_leak() {
    let redis = RedisServer::start_with_password(PASSWORD);
    let worker = Worker::start(
        &redis,
        &format!(
            "[api]\nauth_token = \"{AUTH}\"\n[log]\nlevel = \"debug\"\n\
             [notify]\nwebhook_url = \"http://127.0.0.1:1/hooks/T0/{HOOK_TOKEN}\""
        ),
    );

    let with_token = |id: &str, query: &str| {
        let mut job = script_job_value(id, query);
        job["bearerToken"] = json!(BEARER);
        job
    };
    redis.push(&with_token("secret-queue", "call_ms=200&participants=3").to_string());
    redis.push(&with_token("secret-failed", "outcome=denied_admission").to_string());
    let queue_record = wait_for_end(&redis, "secret-queue", Duration::from_secs(10));
    assert_ended(&queue_record, "completed", "left_normally");
    assert_ended(&wait_for_end(&redis, "secret-failed", Duration::from_secs(10)), "failed", "denied_admission");

    let accepted = worker.post("/v1/jobs", &with_token("secret-rest", "call_ms=200"));
    assert_eq!(accepted.status, 202, "{accepted:?}");
    assert!(!accepted.body.contains(BEARER), "POST answer: {}", accepted.body);
    assert_ended(&wait_for_end(&redis, "secret-rest", Duration::from_secs(10)), "completed", "left_normally");
    // A rejected REST request with the token (busy or not, it must not be echoed).
    let mut invalid = with_token("secret-invalid", "");
    invalid["url"] = json!("https://example.com/x");
    let refused = worker.post("/v1/jobs", &invalid);
    assert_eq!(refused.status, 400);
    assert!(!refused.body.contains(BEARER), "400 answer: {}", refused.body);

    let paths = ["/v1/jobs/secret-queue", "/v1/jobs/secret-rest", "/v1/jobs/secret-failed", "/v1/jobs", "/metrics"];
    for path in paths.into_iter().chain(["/health", "/readyz", "/v1/plugins", "/isbusy"]) {
        let response = worker.get(path);
        let body = &response.body;
        assert!(![BEARER, AUTH, PASSWORD, HOOK_TOKEN].iter().any(|s| body.contains(s)), "GET {path}: {body}");
    }

    let mut looked_at = 0;
    for key in redis.keys() {
        assert!(!key.contains(BEARER), "a key name holds the token: {key}");
        if key == QUEUE || key == DEAD {
            continue;
        }
        let kind: String = redis.query(redis::cmd("TYPE").arg(&key));
        let values: Vec<String> = match kind.as_str() {
            "string" => vec![redis.query(redis::cmd("GET").arg(&key))],
            "hash" => redis.query(redis::cmd("HGETALL").arg(&key)),
            "list" => redis.lrange(&key),
            "set" => redis.query(redis::cmd("SMEMBERS").arg(&key)),
            "zset" => redis.query(redis::cmd("ZRANGE").arg(&key).arg(0).arg(-1)),
            "stream" => {
                let entries: Vec<(String, Vec<(String, String)>)> =
                    redis.query(redis::cmd("XRANGE").arg(&key).arg("-").arg("+"));
                entries.into_iter().flat_map(|(_, fields)| fields.into_iter().map(|(_, value)| value)).collect()
            }
            other => panic!("unexpected key type {other} for {key}"),
        };
        looked_at += 1;
        for value in values {
            assert!(!value.contains(BEARER), "{kind} `{key}` holds the bearer token: {value}");
            assert!(!value.contains(AUTH), "{kind} `{key}` holds the API token: {value}");
            assert!(!value.contains(PASSWORD), "{kind} `{key}` holds the redis password: {value}");
            assert!(!value.contains(HOOK_TOKEN), "{kind} `{key}` holds the webhook URL's token: {value}");
        }
    }
    assert!(looked_at >= 4, "expected records and result lists in redis, saw {looked_at} keys");

    let log = worker.log();
    assert!(log.contains("DEBUG"), "the log is at debug level:\n{}", tail(&log, 20));
    assert!(log.contains("secret-queue"), "the log talks about the job");
    assert!(log.contains("webhook delivery failed"), "the webhook failures are logged:\n{}", tail(&log, 20));
    for secret in [BEARER, AUTH, PASSWORD, HOOK_TOKEN] {
        let leaks: Vec<&str> = log.lines().filter(|l| l.contains(secret)).take(3).collect();
        assert!(leaks.is_empty(), "the log shows {secret}:\n{}", leaks.join("\n"));
    }
}
