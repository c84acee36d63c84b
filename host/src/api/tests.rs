//! Router-level tests: status codes and exact bodies of the contract, without a network socket.

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use metrics_exporter_prometheus::PrometheusBuilder;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{ApiState, body::JsonObject, compat, router};
use crate::{app::App, config::Config, dispatch::Dispatcher, plugins::Registry, store::JobStore};

const TOKEN: &str = "s3cret-token";

fn app_with(token: &str, registry: Registry) -> App {
    let mut config = Config::default();
    config.api.auth_token = token.to_owned();
    app_with_config(config, registry)
}

fn app_with_config(mut config: Config, registry: Registry) -> App {
    config.worker.id = "test-worker".to_owned();
    let config = Arc::new(config);
    let store = JobStore::new(1, None, 10);
    let registry = Arc::new(registry);
    let dispatcher = Dispatcher::new(config.clone(), store.clone(), registry.clone());
    let metrics = PrometheusBuilder::new().build_recorder().handle();
    App { config, store, registry, dispatcher, metrics }
}

fn app() -> App {
    app_with("", Registry::default())
}

/// Sends one request; returns the status and the body as JSON (`Value::String` for non-JSON).
async fn call(
    router: &Router,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request.body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned()))).expect("request");
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn job(provider: Option<&str>, url: &str, bot_id: Option<&str>) -> Value {
    let mut body = json!({
        "url": url,
        "name": "Notes Bot",
        "teamId": "team-1",
        "userId": "user-1",
        "bearerToken": "tok-secret",
        "timezone": "Europe/Berlin",
    });
    if let Some(provider) = provider {
        body["provider"] = provider.into();
    }
    if let Some(bot_id) = bot_id {
        body["botId"] = bot_id.into();
    }
    body
}

#[tokio::test]
async fn missing_fields_are_listed_exactly() {
    let router = router(app());
    let (status, body) = call(&router, Method::POST, "/google/join", None, Some("{}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"success": false, "error": "Missing required fields: url, name, teamId, userId, bearerToken, timezone"})
    );
    let (status, body) =
        call(&router, Method::POST, "/zoom/join", None, Some(r#"{"url":"https://zoom.us/j/1","teamId":"t"}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"success": false, "error": "Missing required fields: name, userId, bearerToken, timezone"})
    );
    let (status, body) = call(&router, Method::POST, "/v1/jobs", None, Some(r#"{"url":"x"}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"success": false, "error": "Missing required fields: provider, name, teamId, userId, bearerToken, timezone"})
    );
}

#[tokio::test]
async fn compat_join_needs_a_bot_or_event_id() {
    let router = router(app());
    let body = job(None, "https://meet.google.com/abc-defg-hij", None).to_string();
    let (status, body) = call(&router, Method::POST, "/google/join", None, Some(&body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"success": false, "error": "Missing required fields: botId or eventId"}));
}

#[tokio::test]
async fn bodies_that_are_not_json_objects_are_refused() {
    let router = router(app());
    for text in ["not json", "[1,2]", ""] {
        let (status, body) = call(&router, Method::POST, "/microsoft/join", None, Some(text)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
        assert_eq!(body["success"], false);
        assert!(body["error"].is_string());
    }
}

#[tokio::test]
async fn unknown_provider_is_a_bad_request() {
    let router = router(app());
    let body = job(None, "https://meet.google.com/abc-defg-hij", Some("bot-1")).to_string();
    let (status, reply) = call(&router, Method::POST, "/google/join", None, Some(&body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(reply["success"], false);
    assert!(reply["error"].as_str().is_some_and(|e| e.starts_with("unknown provider `google`")), "{reply}");
    let body = job(Some("nope"), "https://x.test/", Some("bot-2")).to_string();
    let (status, reply) = call(&router, Method::POST, "/v1/jobs", None, Some(&body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(reply["error"].as_str().is_some_and(|e| e.starts_with("unknown provider `nope`")), "{reply}");
    assert!(!reply.to_string().contains("tok-secret"));
}

/// Sends one request with exactly `headers`; returns the status, the response headers and the
/// body as JSON.
async fn call_with(
    router: &Router,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut request = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Body::from(body.to_owned())).expect("request");
    let response = router.clone().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body");
    (parts.status, parts.headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_body_must_be_declared_as_json() {
    let router = router(app());
    let body = job(Some("nope"), "https://x.test/", Some("bot-1")).to_string();
    let refused = json!({"success": false, "error": "Content-Type must be application/json"});
    for content_type in
        [None, Some("text/plain"), Some("text/plain; charset=utf-8"), Some("application/x-www-form-urlencoded")]
    {
        let headers: Vec<(&str, &str)> = content_type.map(|t| ("content-type", t)).into_iter().collect();
        for path in ["/v1/jobs", "/google/join", "/microsoft/join", "/zoom/join"] {
            let (status, _, reply) = call_with(&router, Method::POST, path, &headers, &body).await;
            assert_eq!(
                (status, reply),
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, refused.clone()),
                "{path} {content_type:?}"
            );
        }
    }
    // Declared as JSON, the same body gets as far as the provider check.
    for content_type in ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"] {
        let (status, _, reply) =
            call_with(&router, Method::POST, "/v1/jobs", &[("content-type", content_type)], &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{content_type}: {reply}");
        assert!(reply["error"].as_str().is_some_and(|e| e.starts_with("unknown provider")), "{reply}");
    }
}

#[tokio::test]
async fn a_foreign_origin_is_forbidden_everywhere_and_listed_ones_get_cors() {
    let forbidden = json!({"success": false, "error": "origin not allowed"});
    let router = router(app());
    for (method, path) in [
        (Method::GET, "/health"),
        (Method::GET, "/isbusy"),
        (Method::DELETE, "/v1/jobs/x"),
        (Method::POST, "/v1/jobs"),
        (Method::OPTIONS, "/v1/jobs"),
    ] {
        let headers = [("origin", "https://evil.example"), ("content-type", "application/json")];
        let (status, answer_headers, reply) = call_with(&router, method.clone(), path, &headers, "{}").await;
        assert_eq!((status, reply), (StatusCode::FORBIDDEN, forbidden.clone()), "{method} {path}");
        assert!(answer_headers.get("access-control-allow-origin").is_none());
    }
    let (status, answer_headers, _) = call_with(&router, Method::GET, "/health", &[], "").await;
    assert_eq!(status, StatusCode::OK, "no Origin header: not a browser, not refused");
    assert!(answer_headers.get("access-control-allow-origin").is_none(), "no CORS headers by default");

    let mut config = Config::default();
    config.api.allowed_origins = vec!["https://app.example.com".to_owned()];
    let router = super::router(app_with_config(config, Registry::default()));
    let (status, answer_headers, _) =
        call_with(&router, Method::GET, "/isbusy", &[("origin", "https://app.example.com")], "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer_headers.get("access-control-allow-origin").map(|v| v.as_bytes()),
        Some(&b"https://app.example.com"[..])
    );
    let (status, _, reply) =
        call_with(&router, Method::GET, "/isbusy", &[("origin", "https://evil.example")], "").await;
    assert_eq!((status, reply), (StatusCode::FORBIDDEN, forbidden));
}

#[tokio::test]
async fn token_guards_everything_but_probes_and_metrics() {
    let router = router(app_with(TOKEN, Registry::default()));
    let unauthorized = json!({"success": false, "error": "unauthorized"});
    for (method, path) in [
        (Method::GET, "/isbusy"),
        (Method::GET, "/v1/jobs"),
        (Method::GET, "/v1/jobs/x"),
        (Method::DELETE, "/v1/jobs/x"),
        (Method::GET, "/v1/plugins"),
        (Method::GET, "/openapi.json"),
        (Method::POST, "/google/join"),
        (Method::POST, "/v1/jobs"),
    ] {
        assert_eq!(
            call(&router, method.clone(), path, None, None).await,
            (StatusCode::UNAUTHORIZED, unauthorized.clone())
        );
        let wrong = call(&router, method, path, Some("s3cret-tokeN"), None).await;
        assert_eq!(wrong, (StatusCode::UNAUTHORIZED, unauthorized.clone()), "{path}");
    }
    assert_eq!(call(&router, Method::GET, "/isbusy", Some(TOKEN), None).await.0, StatusCode::OK);
    assert_eq!(call(&router, Method::GET, "/health", None, None).await.0, StatusCode::OK);
    assert_eq!(call(&router, Method::GET, "/metrics", None, None).await.0, StatusCode::OK);
    // Open, and not ready: no plugins are loaded.
    assert_eq!(call(&router, Method::GET, "/readyz", None, None).await.0, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn isbusy_reports_full_slots_and_shutdown() {
    let app = app();
    let router = router(app.clone());
    assert_eq!(
        call(&router, Method::GET, "/isbusy", None, None).await,
        (StatusCode::OK, json!({"success": true, "data": 0}))
    );
    let slot = app.store.try_reserve();
    assert!(slot.is_some());
    assert_eq!(call(&router, Method::GET, "/isbusy", None, None).await.1, json!({"success": true, "data": 1}));
    drop(slot);
    assert_eq!(call(&router, Method::GET, "/isbusy", None, None).await.1["data"], 0);
    app.store.stop_accepting();
    assert_eq!(call(&router, Method::GET, "/isbusy", None, None).await.1["data"], 1);
}

#[tokio::test]
async fn health_and_readiness_bodies() {
    let router = router(app());
    let (status, body) = call(&router, Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["worker"], "test-worker");
    assert_eq!(body["running"], 0);
    assert!(body["uptime_secs"].is_u64());
    let (status, body) = call(&router, Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, json!({"ready": false, "reason": "no plugins loaded"}));
}

#[tokio::test]
async fn unknown_jobs_are_not_found() {
    let router = router(app());
    let not_found = (StatusCode::NOT_FOUND, json!({"success": false, "error": "job not found"}));
    assert_eq!(call(&router, Method::GET, "/v1/jobs/nope", None, None).await, not_found);
    assert_eq!(call(&router, Method::DELETE, "/v1/jobs/nope", None, None).await, not_found);
}

#[tokio::test]
async fn job_list_filters_by_state() {
    let router = router(app());
    assert_eq!(call(&router, Method::GET, "/v1/jobs", None, None).await, (StatusCode::OK, json!({"jobs": []})));
    assert_eq!(
        call(&router, Method::GET, "/v1/jobs?state=in_call", None, None).await,
        (StatusCode::OK, json!({"jobs": []}))
    );
    // An empty value filters nothing, and the document says so (Schemathesis found it undocumented).
    assert_eq!(call(&router, Method::GET, "/v1/jobs?state=", None, None).await, (StatusCode::OK, json!({"jobs": []})));
    let doc = serde_json::to_value(<super::openapi::ApiDoc as utoipa::OpenApi>::openapi()).expect("document");
    let state = &doc["paths"]["/v1/jobs"]["get"]["parameters"][0];
    assert_eq!(state["name"], "state");
    assert_eq!(state["required"], false);
    assert_eq!(
        state["schema"]["oneOf"],
        json!([{"$ref": "#/components/schemas/State"}, {"type": "string", "enum": [""]}])
    );
    let (status, body) = call(&router, Method::GET, "/v1/jobs?state=bogus", None, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"success": false, "error": "unknown state `bogus`"}));
}

#[tokio::test]
async fn plugins_list_is_empty_without_plugins() {
    let router = router(app());
    let expected = json!({"plugins": [], "refused": [], "conflicts": []});
    assert_eq!(call(&router, Method::GET, "/v1/plugins", None, None).await, (StatusCode::OK, expected));
}

#[tokio::test]
async fn metrics_list_every_contract_family() {
    let router = router(app());
    let (status, body) = call(&router, Method::GET, "/metrics", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let text = body.as_str().expect("plain text");
    for name in [
        "meetbot_jobs_total",
        "meetbot_jobs_running",
        "meetbot_slots_free",
        "meetbot_queue_depth",
        "meetbot_dead_letter_depth",
        "meetbot_job_duration_seconds",
        "meetbot_redis_up",
    ] {
        assert!(text.contains(&format!("# TYPE {name} ")), "{name} missing from\n{text}");
    }
}

#[tokio::test]
async fn every_documented_route_is_served() {
    let router = router(app_with(TOKEN, Registry::default()));
    let doc = serde_json::to_value(<super::openapi::ApiDoc as utoipa::OpenApi>::openapi()).expect("document");
    let paths = doc["paths"].as_object().expect("paths");
    for (path, operations) in paths {
        for method in operations.as_object().expect("operations").keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let uri = path.replace("{id}", "some-id");
            let (status, body) = call(&router, method.clone(), &uri, Some(TOKEN), Some("{}")).await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert_ne!(body.get("error").and_then(Value::as_str), Some("no such endpoint"), "{method} {path}");
        }
    }
    let (status, doc) = call(&router, Method::GET, "/openapi.json", Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["paths"]["/v1/jobs/{id}"]["delete"].is_object());
}

/// The scripted test plugin, when it has been built (`cargo build -p meetbot-plugin-scripted`):
/// the registry also scans the test executable's folder, where cargo puts it.
fn scripted_registry() -> Option<Registry> {
    let registry = Registry::load(&[]);
    if registry.for_provider("script").is_some() {
        Some(registry)
    } else {
        eprintln!("scripted test plugin not built; skipping");
        None
    }
}

async fn wait_for_end(app: &App, job_id: &str) -> Value {
    for _ in 0..200 {
        if let Ok(Some(record)) = app.store.get(job_id).await
            && record.state.is_terminal()
        {
            return serde_json::to_value(record).expect("record");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {job_id} did not end");
}

#[tokio::test]
async fn a_job_runs_is_listed_refuses_company_and_is_cancelled() {
    let Some(registry) = scripted_registry() else {
        return;
    };
    let app = app_with("", registry);
    let router = router(app.clone());
    let url = "https://script.test/x?call_ms=5000";

    let (status, ready) = call(&router, Method::GET, "/readyz", None, None).await;
    assert_eq!((status, ready), (StatusCode::OK, json!({"ready": true})));
    let (_, plugins) = call(&router, Method::GET, "/v1/plugins", None, None).await;
    // Other plugins built next to the test binary may be listed too.
    let scripted = plugins["plugins"].as_array().and_then(|all| all.iter().find(|p| p["name"] == "scripted"));
    assert_eq!(scripted.map(|p| p["providers"].clone()), Some(json!(["script"])));

    let body = job(Some("script"), url, Some("bot-1")).to_string();
    let (status, record) = call(&router, Method::POST, "/v1/jobs", None, Some(&body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{record}");
    assert_eq!(record["job_id"], "bot-1");
    assert_eq!(record["provider"], "script");
    assert!(!record.to_string().contains("tok-secret"));
    assert_eq!(call(&router, Method::GET, "/isbusy", None, None).await.1["data"], 1);

    let ids = json!({"userId": "user-1", "teamId": "team-1", "eventId": null, "botId": "bot-1"});
    let (status, reply) = call(&router, Method::POST, "/v1/jobs", None, Some(&body)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(reply, json!({"success": false, "error": "A job with this botId is already active", "data": ids}));

    let other = job(Some("script"), url, Some("bot-2")).to_string();
    let (status, reply) = call(&router, Method::POST, "/v1/jobs", None, Some(&other)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let busy_ids = json!({"userId": "user-1", "teamId": "team-1", "eventId": null, "botId": "bot-2"});
    assert_eq!(reply, json!({"success": false, "error": super::error::BUSY, "data": busy_ids}));

    let (status, got) = call(&router, Method::GET, "/v1/jobs/bot-1", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["job_id"], "bot-1");
    let (status, listed) = call(&router, Method::GET, "/v1/jobs", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["jobs"][0]["job_id"], "bot-1");

    let (status, cancelled) = call(&router, Method::DELETE, "/v1/jobs/bot-1", None, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{cancelled}");
    assert_eq!(cancelled["job_id"], "bot-1");
    let ended = wait_for_end(&app, "bot-1").await;
    assert_eq!((ended["state"].clone(), ended["reason"].clone()), (json!("completed"), json!("cancelled")));
    let (status, reply) = call(&router, Method::DELETE, "/v1/jobs/bot-1", None, None).await;
    assert_eq!((status, reply), (StatusCode::CONFLICT, json!({"success": false, "error": "job already ended"})));
    let (_, done) = call(&router, Method::GET, "/v1/jobs?state=completed", None, None).await;
    assert_eq!(done["jobs"][0]["job_id"], "bot-1");
}

#[tokio::test]
async fn compat_join_answers_like_the_original_service() {
    let Some(registry) = scripted_registry() else {
        return;
    };
    let app = app_with("", registry);
    let state = ApiState { app: app.clone(), started: std::time::Instant::now() };
    let mut body = job(None, "https://script.test/x?call_ms=100", None);
    body["eventId"] = "event-9".into();
    let map = body.as_object().cloned().expect("object");
    let (status, axum::Json(accepted)) = compat::join(state, "script", JsonObject(map)).await.expect("accepted");
    assert_eq!(status, StatusCode::ACCEPTED);
    let expected = json!({
        "success": true,
        "message": "Meeting join request accepted",
        "data": {"userId": "user-1", "teamId": "team-1", "eventId": "event-9", "botId": null,
                 "jobId": "event-9", "status": "processing"}
    });
    assert_eq!(serde_json::to_value(accepted).expect("json"), expected);
    wait_for_end(&app, "event-9").await;
}

#[tokio::test]
async fn serves_over_tcp_and_stops_on_shutdown() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(super::serve(app(), listener, async move {
        let _ = stop_rx.await;
    }));
    let reply = reqwest::get(format!("http://{addr}/isbusy")).await.expect("request");
    assert_eq!(reply.status(), reqwest::StatusCode::OK);
    assert_eq!(reply.json::<Value>().await.expect("json"), json!({"success": true, "data": 0}));
    let _ = stop_tx.send(());
    let served = tokio::time::timeout(Duration::from_secs(5), server).await.expect("stops in time");
    assert!(served.expect("task").is_ok());
}
