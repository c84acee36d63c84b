//! The REST API is safe by default (docs/REFERENCE.md section 4), with the real binary:
//! - a worker listening beyond loopback without `api.auth_token` does not start (nor does
//!   `check-config` pass), and the message names `api.listen` and `api.auth_token`, unless
//!   `api.allow_unauthenticated = true`; the legacy `PORT` (every interface) included;
//! - a POST whose body is not declared `application/json` gets 415 and starts nothing;
//! - a request with an `Origin` header not in `api.allowed_origins` gets 403 on every route,
//!   preflights included; listed origins are served, with CORS headers;
//! - `/readyz` says "redis down" without Redis' own error text.
//!
//! Connection timeouts and the connection limit are in `rest_connections.rs`.

mod support;

use std::{sync::LazyLock, time::Duration};

use reqwest::{Method, header::HeaderMap};
use serde_json::json;
use support::*;

const TIMEOUT: Duration = Duration::from_secs(20);

/// A response with its headers.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(|| {
    let _guard = RT.enter();
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("http client")
});

/// One request with exactly these headers and body.
fn request(worker: &Worker, method: Method, path: &str, headers: &[(&str, &str)], body: Option<String>) -> Answer {
    let mut builder = CLIENT.request(method.clone(), worker.url(path));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    if let Some(body) = body {
        builder = builder.body(body);
    }
    RT.block_on(async {
        let response = builder.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        Answer { status, headers, body }
    })
}

fn config_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("meetbot.toml");
    std::fs::write(&path, text).expect("write config");
    let path = path.display().to_string();
    (dir, path)
}

fn assert_names_both_keys(output: &CliOutput, what: &str) {
    assert_eq!(output.status.code(), Some(2), "{what}: stdout:\n{}\nstderr:\n{}", output.stdout, output.stderr);
    assert!(
        output.stderr.contains("`api.listen`") && output.stderr.contains("`api.auth_token`"),
        "{what}: the message names both keys:\n{}",
        output.stderr
    );
    assert!(output.stderr.lines().count() <= 3, "{what}: a clear, short message:\n{}", output.stderr);
}

#[test]
fn a_public_address_without_a_token_stops_start_up() {
    let port = free_port();
    let (_dir, path) = config_file(&format!("[api]\nlisten = \"0.0.0.0:{port}\"\n[plugins]\ndirs = []\n"));
    let run = run_cli(&["run", "--config", &path], TIMEOUT);
    assert_names_both_keys(&run, "meetbot run");
    let check = run_cli(&["check-config", "--config", &path], TIMEOUT);
    assert_names_both_keys(&check, "meetbot check-config");

    // The original deployment's PORT listens on every interface: the same refusal, naming PORT.
    let legacy = run_cli_with_env(&["check-config"], &[("PORT", &port.to_string())], TIMEOUT);
    assert_names_both_keys(&legacy, "PORT");
    assert!(legacy.stderr.contains("PORT"), "names the variable:\n{}", legacy.stderr);

    let with_token =
        run_cli_with_env(&["check-config"], &[("PORT", "3000"), ("MEETBOT__API__AUTH_TOKEN", "t")], TIMEOUT);
    assert!(with_token.status.success(), "with a token:\n{}", with_token.stderr);
    assert!(with_token.stdout.contains("listen = \"0.0.0.0:3000\""), "{}", with_token.stdout);

    let defaults = run_cli(&["check-config"], TIMEOUT);
    assert!(defaults.status.success(), "{}", defaults.stderr);
    assert!(defaults.stdout.contains("listen = \"127.0.0.1:3000\""), "loopback by default:\n{}", defaults.stdout);
}

#[test]
fn a_public_address_is_served_without_a_token_only_when_explicitly_allowed() {
    let redis = RedisServer::start();
    let port = free_port();
    let worker = Worker::start(
        &redis,
        &format!("[api]\nlisten = \"0.0.0.0:{port}\"\nallow_unauthenticated = true\n[redis]\nenabled = false"),
    );
    assert_eq!(worker.busy(), 0, "served without a token");
    let log = worker.log();
    assert!(
        log.lines().any(|l| l.contains("WARN") && l.contains("allow_unauthenticated")),
        "the operator is warned:\n{}",
        tail(&log, 20)
    );
}

#[test]
fn a_body_not_declared_as_json_is_refused_with_415_and_starts_nothing() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    let job = |id: &str| script_job_value(id, "call_ms=10").to_string();
    for (id, content_type) in [
        ("plain", Some("text/plain")),
        ("form", Some("application/x-www-form-urlencoded")),
        ("multipart", Some("multipart/form-data; boundary=x")),
        ("untyped", None),
    ] {
        let headers: Vec<(&str, &str)> = content_type.map(|t| ("content-type", t)).into_iter().collect();
        for path in ["/v1/jobs", "/google/join"] {
            let answer = request(&worker, Method::POST, path, &headers, Some(job(id)));
            assert_eq!(answer.status, 415, "POST {path} as {content_type:?}: {}", answer.body);
            let body: serde_json::Value = serde_json::from_str(&answer.body).expect("JSON error body");
            assert_eq!(body, json!({"success": false, "error": "Content-Type must be application/json"}));
        }
        assert!(redis.job(id).is_empty(), "a refused POST ({content_type:?}) left a record");
    }
    assert_eq!(worker.busy(), 0, "nothing was started");

    for (id, content_type) in [("charset", "application/json; charset=utf-8"), ("capitals", "Application/JSON")] {
        let answer = request(&worker, Method::POST, "/v1/jobs", &[("content-type", content_type)], Some(job(id)));
        assert_eq!(answer.status, 202, "{content_type}: {}", answer.body);
        assert_ended(&wait_for_end(&redis, id, Duration::from_secs(10)), "completed", "left_normally");
        wait_until(Duration::from_secs(5), "the slot is free", || worker.busy() == 0);
    }
}

#[test]
fn a_foreign_origin_is_refused_on_every_route() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    let forbidden = json!({"success": false, "error": "origin not allowed"});
    let json_type = ("content-type", "application/json");
    for origin in ["https://evil.example", "null", "http://127.0.0.1", "http://localhost:3000"] {
        for (method, path) in [
            (Method::GET, "/health"),
            (Method::GET, "/readyz"),
            (Method::GET, "/metrics"),
            (Method::GET, "/isbusy"),
            (Method::GET, "/v1/jobs"),
            (Method::GET, "/openapi.json"),
            (Method::DELETE, "/v1/jobs/some-job"),
            (Method::GET, "/no-such-route"),
        ] {
            let answer = request(&worker, method.clone(), path, &[("origin", origin)], None);
            assert_eq!(answer.status, 403, "{method} {path} from {origin}: {}", answer.body);
            assert_eq!(serde_json::from_str::<serde_json::Value>(&answer.body).ok(), Some(forbidden.clone()));
            assert!(answer.header("access-control-allow-origin").is_none(), "no CORS without allowed origins");
        }
        let id = format!("from-{}", origin.len());
        let post =
            request(&worker, Method::POST, "/v1/jobs", &[("origin", origin), json_type], Some(script_job(&id, "")));
        assert_eq!(post.status, 403, "POST from {origin}: {}", post.body);
        assert!(redis.job(&id).is_empty(), "a POST from {origin} started a job");
        let preflight = request(
            &worker,
            Method::OPTIONS,
            "/v1/jobs",
            &[("origin", origin), ("access-control-request-method", "POST")],
            None,
        );
        assert_eq!(preflight.status, 403, "preflight from {origin}");
        assert!(preflight.header("access-control-allow-origin").is_none());
    }
    assert_eq!(worker.busy(), 0);
    assert_eq!(request(&worker, Method::GET, "/health", &[], None).status, 200, "no Origin, no refusal");
}

#[test]
fn listed_origins_are_served_with_cors_headers() {
    let redis = RedisServer::start();
    let app = "https://app.example.com";
    let worker = Worker::start(&redis, &format!("[api]\nallowed_origins = [\"{app}\", \"http://localhost:8080\"]"));

    let preflight = request(
        &worker,
        Method::OPTIONS,
        "/v1/jobs",
        &[
            ("origin", app),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type"),
        ],
        None,
    );
    assert_eq!(preflight.status, 200, "{}", preflight.body);
    assert_eq!(preflight.header("access-control-allow-origin"), Some(app));
    let methods = preflight.header("access-control-allow-methods").unwrap_or_default().to_ascii_uppercase();
    assert!(methods.contains("POST") && methods.contains("DELETE"), "{methods}");
    let headers = preflight.header("access-control-allow-headers").unwrap_or_default().to_ascii_lowercase();
    assert!(headers.contains("content-type") && headers.contains("authorization"), "{headers}");
    assert!(preflight.header("access-control-allow-credentials").is_none(), "no cookies");

    let answer = request(
        &worker,
        Method::POST,
        "/v1/jobs",
        &[("origin", app), ("content-type", "application/json")],
        Some(script_job("from-app", "call_ms=10")),
    );
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.header("access-control-allow-origin"), Some(app));
    assert_ended(&wait_for_end(&redis, "from-app", Duration::from_secs(10)), "completed", "left_normally");

    let other = request(&worker, Method::GET, "/isbusy", &[("origin", "https://app.example.com.evil.example")], None);
    assert_eq!(other.status, 403, "only exact origins: {}", other.body);
    let similar = request(&worker, Method::GET, "/isbusy", &[("origin", "http://localhost:8081")], None);
    assert_eq!(similar.status, 403, "{}", similar.body);
}

#[test]
fn readyz_says_redis_down_without_redis_words() {
    let mut redis = RedisServer::start_with_password("pw-ready-123");
    let worker = Worker::start(&redis, "");
    assert_eq!(worker.get("/readyz").status, 200, "ready while redis answers");
    redis.kill9();
    wait_until(Duration::from_secs(10), "/readyz answers 503", || worker.get("/readyz").status == 503);
    let answer = worker.get("/readyz");
    assert_eq!(answer.json(), json!({"ready": false, "reason": "redis down"}), "{}", answer.body);
}
