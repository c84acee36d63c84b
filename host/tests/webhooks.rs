//! Lifecycle webhooks (README "Webhooks", docs/REFERENCE.md sections 1 and 5), with the real binary, a real
//! `redis-server` and a receiver in the test:
//! - every state change of a job is POSTed once, as JSON with the fields of the `meetbot:events`
//!   messages, with `X-Meetbot-Event`, `X-Meetbot-Timestamp` and a `X-Meetbot-Signature` the test
//!   recomputes itself (HMAC-SHA256 of `"<timestamp>.<body>"`); the webhooks carry the same state
//!   changes as the events channel, a scheduled job's included;
//! - a delivery answered with a 500 is sent again and then taken;
//! - an endpoint that is slow and always fails never holds a job up, every failed attempt is
//!   counted in `meetbot_webhook_failures_total`, and without a secret no signature is sent;
//! - the webhook secret never appears in the worker's log (debug level), the job record or the API;
//! - a redirect is never followed (the body and its signature would go to another host): the
//!   delivery fails at once, is not retried, and is logged without the redirect's target.
//!
//! No browser: the jobs run the scripted test plugin.

mod support;

use std::{
    collections::BTreeMap,
    thread,
    time::{Duration, Instant},
};

use serde_json::json;
use support::{
    events::EventsTap,
    webhook::{Delivery, WebhookReceiver, expected_signature, signature_valid},
    *,
};

const SECRET: &str = "whsec-TOP-secret-4711";

/// A script that goes through the lobby and the call and ends normally, in about half a second.
const SCRIPT: &str = "lobby_ms=200&call_ms=300";

fn webhook_config(receiver: &WebhookReceiver, secret: &str) -> String {
    format!("[notify]\nwebhook_url = \"{}\"\nwebhook_secret = \"{secret}\"\n", receiver.url())
}

/// How many times each value occurs.
fn counts<'a>(values: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for value in values {
        *counts.entry(value.to_owned()).or_insert(0) += 1;
    }
    counts
}

fn summary(deliveries: &[Delivery]) -> Vec<String> {
    deliveries.iter().map(|d| format!("{}→{}", d.event(), d.status)).collect()
}

/// Waits until the receiver has a delivery of `event` for `job_id` that it answered with 200.
fn wait_for_delivery(receiver: &WebhookReceiver, job_id: &str, event: &str, timeout: Duration) {
    wait_until(timeout, &format!("a `{event}` webhook for `{job_id}` answered 200"), || {
        receiver.of_job(job_id).iter().any(|d| d.event() == event && d.status == 200)
    });
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// What every delivery about `job_id` must look like.
fn assert_well_formed(delivery: &Delivery, job_id: &str, secret: &str, worker: &Worker, correlation_id: &str) {
    assert_eq!(delivery.method, "POST", "{delivery:?}");
    assert_eq!(delivery.path, "/hooks/meetbot", "posted to the configured URL: {delivery:?}");
    assert!(
        delivery.header("content-type").is_some_and(|t| t.starts_with("application/json")),
        "JSON content type: {delivery:?}"
    );
    let body = delivery.json();
    assert_eq!(body["job_id"], job_id, "{body}");
    assert_eq!(body["state"], delivery.event(), "X-Meetbot-Event is the body's state: {delivery:?}");
    assert_eq!(body["botId"], job_id, "{body}");
    assert_eq!(body["provider"], "script", "{body}");
    assert_eq!(body["teamId"], "team-1", "{body}");
    assert_eq!(body["userId"], "user-1", "{body}");
    assert_eq!(body["worker"], worker.id, "{body}");
    assert_eq!(body["correlation_id"], correlation_id, "{body}");
    assert_eq!(body["attempt"], 1, "{body}");
    assert!(body["at"].as_str().is_some_and(|at| chrono::DateTime::parse_from_rfc3339(at).is_ok()), "{body}");

    let timestamp = delivery.header("x-meetbot-timestamp").unwrap_or_else(|| panic!("no timestamp: {delivery:?}"));
    let secs: i64 = timestamp.parse().unwrap_or_else(|_| panic!("timestamp is not unix seconds: {timestamp:?}"));
    assert!((secs - unix_now()).abs() < 60, "timestamp {secs} is not about now ({})", unix_now());
    let signature = delivery.header("x-meetbot-signature").unwrap_or_else(|| panic!("no signature: {delivery:?}"));
    assert_eq!(signature, expected_signature(secret, timestamp, &delivery.body), "{delivery:?}");
    assert!(signature_valid(delivery, secret), "constant-time verification: {delivery:?}");
    assert!(!signature_valid(delivery, "another-secret"), "a signature made with another secret verifies");
    assert!(!delivery.body.contains(secret), "the body carries the secret: {}", delivery.body);
    assert!(!delivery.body.contains("tok-test"), "the body carries the job's bearer token: {}", delivery.body);
}

#[test]
fn every_state_change_is_posted_once_signed_with_the_events_fields() {
    let receiver = WebhookReceiver::start();
    let redis = RedisServer::start();
    let tap = EventsTap::start(&redis);
    let worker = Worker::start(&redis, &format!("{}[log]\nlevel = \"debug\"\n", webhook_config(&receiver, SECRET)));
    redis.push(&script_job("wh-states", SCRIPT));

    let record = wait_for_end(&redis, "wh-states", Duration::from_secs(15));
    assert_ended(&record, "completed", "left_normally");
    wait_for_delivery(&receiver, "wh-states", "completed", Duration::from_secs(10));
    wait_until(Duration::from_secs(5), "the terminal event on meetbot:events", || {
        tap.states("wh-states").iter().any(|s| s == "completed")
    });
    thread::sleep(Duration::from_millis(300)); // anything late or duplicated would show up now

    let deliveries = receiver.of_job("wh-states");
    let correlation_id = &record["correlation_id"];
    for delivery in &deliveries {
        assert_well_formed(delivery, "wh-states", SECRET, &worker, correlation_id);
        assert_eq!(delivery.status, 200);
    }
    // Deliveries run on their own tasks and may arrive in any order; each change comes once.
    let posted = counts(deliveries.iter().map(Delivery::event));
    for state in ["joining", "waiting_room", "in_call", "completed"] {
        assert_eq!(posted.get(state), Some(&1), "one POST for `{state}`: {:?}", summary(&deliveries));
    }
    let published = tap.states("wh-states");
    assert_eq!(posted, counts(published.iter().map(String::as_str)), "webhooks vs meetbot:events: {published:?}");
    let completed = deliveries.iter().find(|d| d.event() == "completed").expect("completed").json();
    assert_eq!(completed["reason"], "left_normally", "{completed}");
    assert!(receiver.deliveries().iter().all(|d| d.job_id() == "wh-states"), "only this job's webhooks");

    // Nothing failed, and the secret is nowhere: log (debug level), record, API.
    assert!(worker.metric("meetbot_webhook_failures_total").unwrap_or(0.0) == 0.0, "no failures counted");
    let log = worker.log();
    assert!(!log.contains(SECRET), "the webhook secret is in the worker log:\n{}", tail(&log, 40));
    assert!(!format!("{record:?}").contains(SECRET), "the webhook secret is in the job record");
    let api = worker.get("/v1/jobs/wh-states");
    assert_eq!(api.status, 200, "{api:?}");
    assert!(!api.body.contains(SECRET), "the webhook secret is in the API's answer: {}", api.body);
}

#[test]
fn a_scheduled_job_is_announced_like_every_other_state_change() {
    let receiver = WebhookReceiver::start();
    let redis = RedisServer::start();
    let tap = EventsTap::start(&redis);
    let _worker = Worker::start(&redis, &webhook_config(&receiver, SECRET));
    let mut job = script_job_value("wh-later", "call_ms=200");
    job["joinAt"] = json!((chrono::Utc::now() + chrono::Duration::seconds(3)).to_rfc3339());
    redis.push(&job.to_string());

    wait_for_state(&redis, "wh-later", "scheduled", Duration::from_secs(10));
    assert_ended(&wait_for_end(&redis, "wh-later", Duration::from_secs(20)), "completed", "left_normally");
    wait_for_delivery(&receiver, "wh-later", "completed", Duration::from_secs(10));
    thread::sleep(Duration::from_millis(300));

    let published = tap.states("wh-later");
    assert!(published.iter().any(|s| s == "scheduled"), "meetbot:events has `scheduled`: {published:?}");
    let deliveries = receiver.of_job("wh-later");
    assert_eq!(
        counts(deliveries.iter().map(Delivery::event)),
        counts(published.iter().map(String::as_str)),
        "the webhooks carry the same state changes as meetbot:events ({published:?}); posted: {:?}",
        summary(&deliveries)
    );
}

#[test]
fn a_delivery_answered_500_is_sent_again() {
    // The first `in_call` delivery of the job fails; everything else is taken.
    let receiver = WebhookReceiver::with_rule(|d| {
        if d.event() == "in_call" && d.nth == 0 { (500, Duration::ZERO) } else { (200, Duration::ZERO) }
    });
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, &webhook_config(&receiver, SECRET));
    redis.push(&script_job("wh-retry", SCRIPT));

    let record = wait_for_end(&redis, "wh-retry", Duration::from_secs(15));
    assert_ended(&record, "completed", "left_normally");
    wait_for_delivery(&receiver, "wh-retry", "in_call", Duration::from_secs(10));
    wait_for_delivery(&receiver, "wh-retry", "completed", Duration::from_secs(10));
    thread::sleep(Duration::from_millis(300));

    let deliveries = receiver.of_job("wh-retry");
    let in_call: Vec<&Delivery> = deliveries.iter().filter(|d| d.event() == "in_call").collect();
    assert_eq!(in_call.len(), 2, "the failed delivery is sent once more: {:?}", summary(&deliveries));
    assert_eq!((in_call[0].status, in_call[1].status), (500, 200));
    assert_eq!(in_call[0].body, in_call[1].body, "the retry carries the same event");
    let gap = in_call[1].at - in_call[0].at;
    assert!(
        gap >= Duration::from_millis(400) && gap < Duration::from_secs(5),
        "retried after a backoff (0.5 s first): {gap:?}"
    );
    for delivery in &deliveries {
        assert_well_formed(delivery, "wh-retry", SECRET, &worker, &record["correlation_id"]);
    }
    let posted = counts(deliveries.iter().map(Delivery::event));
    for state in ["joining", "waiting_room", "completed"] {
        assert_eq!(posted.get(state), Some(&1), "taken the first time: {:?}", summary(&deliveries));
    }
    wait_until(Duration::from_secs(5), "the failure counted", || {
        worker.metric("meetbot_webhook_failures_total") == Some(1.0)
    });
}

#[test]
fn a_slow_failing_endpoint_never_holds_a_job_up_and_its_failures_are_counted() {
    // Every delivery waits a second and then fails; no secret is configured.
    let receiver = WebhookReceiver::with_rule(|_| (500, Duration::from_secs(1)));
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, &webhook_config(&receiver, ""));
    let pushed = Instant::now();
    redis.push(&script_job("wh-down-1", SCRIPT));
    redis.push(&script_job("wh-down-2", SCRIPT));

    // One slot: the second job starts only once the first has ended, webhooks or not.
    let first = wait_for_end(&redis, "wh-down-1", Duration::from_secs(15));
    let second = wait_for_end(&redis, "wh-down-2", Duration::from_secs(15));
    let took = pushed.elapsed();
    assert_ended(&first, "completed", "left_normally");
    assert_ended(&second, "completed", "left_normally");
    for record in [&first, &second] {
        let ran = time(record, "ended_at") - time(record, "started_at");
        assert!(ran < chrono::Duration::seconds(3), "a job of ~0.5 s took {ran} with a failing webhook endpoint");
    }
    assert!(took < Duration::from_secs(6), "two ~0.5 s jobs took {took:?} with a failing webhook endpoint");

    // The endpoint was tried, again and again, and every failed attempt is counted.
    wait_until(Duration::from_secs(15), "retries of the terminal webhooks", || {
        ["wh-down-1", "wh-down-2"]
            .iter()
            .all(|job| receiver.of_job(job).iter().filter(|d| d.event() == "completed").count() >= 2)
    });
    let answered = receiver.deliveries().len();
    wait_until(Duration::from_secs(5), "the failures counted", || {
        worker.metric("meetbot_webhook_failures_total").unwrap_or(0.0) >= answered as f64
    });
    let counted = worker.metric("meetbot_webhook_failures_total").unwrap_or(0.0);
    let seen = receiver.deliveries().len();
    assert!(counted <= seen as f64, "{counted} failures counted, only {seen} requests were made");
    for delivery in receiver.deliveries() {
        assert!(delivery.header("x-meetbot-timestamp").is_some(), "{delivery:?}");
        assert!(delivery.header("x-meetbot-signature").is_none(), "no secret, no signature: {delivery:?}");
    }
    let log = worker.log();
    assert!(log.contains("webhook delivery failed"), "failures are logged:\n{}", tail(&log, 40));
}

#[test]
fn a_redirect_is_never_followed_nor_retried() {
    let elsewhere = WebhookReceiver::start();
    let redirector = WebhookReceiver::redirecting(307, elsewhere.url());
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, &webhook_config(&redirector, SECRET));
    redis.push(&script_job("wh-redirect", SCRIPT));

    assert_ended(&wait_for_end(&redis, "wh-redirect", Duration::from_secs(15)), "completed", "left_normally");
    wait_until(Duration::from_secs(10), "the `completed` webhook reached the redirecting endpoint", || {
        redirector.of_job("wh-redirect").iter().any(|d| d.event() == "completed")
    });
    // Four times the first retry delay (0.5 s): a retry would have come by now.
    thread::sleep(Duration::from_secs(2));

    assert!(elsewhere.deliveries().is_empty(), "the redirect was followed: {:?}", summary(&elsewhere.deliveries()));
    let deliveries = redirector.of_job("wh-redirect");
    let posted = counts(deliveries.iter().map(Delivery::event));
    for state in ["joining", "waiting_room", "in_call", "completed"] {
        assert_eq!(posted.get(state), Some(&1), "each event once, never retried: {:?}", summary(&deliveries));
    }
    for delivery in &deliveries {
        assert!(signature_valid(delivery, SECRET), "signed for the configured URL: {delivery:?}");
    }
    wait_until(Duration::from_secs(5), "every redirected delivery counted as failed", || {
        worker.metric("meetbot_webhook_failures_total") == Some(redirector.deliveries().len() as f64)
    });
    let log = worker.log();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("redirect, which is not followed")).collect();
    assert_eq!(lines.len(), deliveries.len(), "each refused delivery is logged:\n{}", tail(&log, 40));
    assert!(lines.iter().all(|l| l.contains("ERROR") && l.contains("status=307")), "with its status:\n{lines:?}");
    let target = format!("127.0.0.1:{}", elsewhere.port);
    assert!(!log.contains(&target), "the redirect's target is logged:\n{}", tail(&log, 40));
}
