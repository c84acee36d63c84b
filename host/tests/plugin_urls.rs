//! The plugin boundary's URL guard and passcode masking (issue 9, items 2 and 4), with the real
//! binary and the scripted plugin:
//! - every URL a plugin's `normalize_url` returns is checked by the host (https only, no user
//!   name, no IP address, no port but 443, a host the plugin declared, no control characters); a
//!   refused one is `invalid_url`: dead-lettered from the queue, 400 over REST, never run;
//! - passcodes and tokens in a meeting URL (Zoom `pwd`, Teams `p`, ...) never reach the worker's
//!   log, whether the plugin logs the URL, reports it in an event or an outcome, or echoes it in a
//!   refusal.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::*;

/// `text` with every byte but ASCII letters and digits percent-encoded, as a query value.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// A scripted job whose plugin normalizes its link to `target`.
fn normalized_to(bot_id: &str, target: &str) -> Value {
    script_job_value(bot_id, &format!("normalized={}", encoded(target)))
}

/// The dead-letter entry of `bot_id`'s message.
fn dead_entry(redis: &RedisServer, bot_id: &str) -> Option<Value> {
    redis.dead().into_iter().find(|entry| {
        entry["message"]
            .as_str()
            .and_then(|m| serde_json::from_str::<Value>(m).ok())
            .is_some_and(|m| m["botId"] == bot_id)
    })
}

#[test]
fn urls_a_plugin_normalizes_outside_the_policy_are_dead_lettered_as_invalid_url() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    let refused = [
        ("to-http", "http://script.test/x", "its scheme `http` is not https"),
        ("to-userinfo", "https://user:pw@script.test/x", "it carries a user name or password"),
        ("to-ipv4", "https://127.0.0.1/x", "its host is an IP address"),
        ("to-ipv6", "https://[::1]/x", "its host is an IP address"),
        ("to-port", "https://script.test:8443/x", "its port 8443 is not 443"),
        (
            "to-other-host",
            "https://evil.example/x",
            "its host `evil.example` is not one of the plugin's meeting hosts (script.test)",
        ),
        ("to-lookalike", "https://script.test.evil.example/x", "is not one of the plugin's meeting hosts"),
        ("to-newline", "https://script.test/x\r\nX-Evil: 1", "it contains a control character (U+000D)"),
    ];
    for (bot_id, target, _) in refused {
        redis.push(&normalized_to(bot_id, target).to_string());
    }
    // A plugin may normalize to another URL on its own hosts.
    let elsewhere = "https://script.test/elsewhere?call_ms=10";
    redis.push(&normalized_to("to-script-test", elsewhere).to_string());
    let record = wait_for_end(&redis, "to-script-test", Duration::from_secs(10));
    assert_ended(&record, "completed", "left_normally");
    assert_eq!(record["url"], elsewhere, "the job runs the URL the plugin returned");

    wait_until(Duration::from_secs(10), "every refused message dead-lettered", || redis.dead().len() == refused.len());
    for (bot_id, _, reason) in refused {
        let entry = dead_entry(&redis, bot_id).unwrap_or_else(|| panic!("{bot_id} is not dead-lettered"));
        assert_eq!(entry["reason"], "invalid_url", "{entry}");
        let error = entry["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("plugin `scripted` returned a URL the host refuses") && error.contains(reason),
            "{bot_id}: {error}"
        );
        assert!(!error.contains('\n') && !error.contains('\r'), "one line: {error:?}");
        assert!(redis.job(bot_id).is_empty(), "{bot_id} never ran");
    }
    assert_eq!(redis.llen(&processing(&worker.id)), 0);
}

#[test]
fn a_url_a_plugin_normalizes_outside_the_policy_is_a_400_over_rest() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "");
    let response = worker.post("/v1/jobs", &normalized_to("rest-evil", "https://evil.example/x"));
    assert_eq!(response.status, 400, "{response:?}");
    let error = response.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.contains("its host `evil.example` is not one of the plugin's meeting hosts"), "{error}");
    assert!(redis.job("rest-evil").is_empty(), "nothing was started");
    assert_eq!(worker.busy(), 0);
}

#[test]
fn passcodes_in_a_meeting_url_never_reach_the_worker_log() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "[log]\nlevel = \"debug\"");

    // Logged (`opening <url>`), reported (`navigated` event) and named in the outcome's detail.
    redis.push(&script_job("pwd-outcome", "outcome=meeting_not_found&pwd=SECRET-1&p=SECRET-2"));
    let record = wait_for_end(&redis, "pwd-outcome", Duration::from_secs(10));
    assert_ended(&record, "failed", "meeting_not_found");
    let detail = record.get("detail").cloned().unwrap_or_default();
    assert!(detail.contains("pwd=********&p=********") && !detail.contains("SECRET"), "{detail}");

    redis.push(&script_job("pwd-call", "call_ms=10&tk=SECRET-3"));
    assert_ended(&wait_for_end(&redis, "pwd-call", Duration::from_secs(10)), "completed", "left_normally");

    // The plugin's refusal echoes the link; the host's own refusal never repeats it.
    let mut echoed = script_job_value("pwd-refused", "");
    echoed["url"] = json!("https://other.test/x?pwd=SECRET-4");
    redis.push(&echoed.to_string());
    redis.push(&normalized_to("pwd-bad-target", "https://evil.example/x?pwd=SECRET-5").to_string());
    wait_until(Duration::from_secs(10), "both refusals dead-lettered", || redis.dead().len() == 2);
    for bot_id in ["pwd-refused", "pwd-bad-target"] {
        let entry = dead_entry(&redis, bot_id).unwrap_or_else(|| panic!("{bot_id} is not dead-lettered"));
        let error = entry["error"].as_str().unwrap_or_default();
        assert!(!error.contains("SECRET"), "{bot_id}: {error}");
    }
    let refused = dead_entry(&redis, "pwd-refused").expect("dead-lettered");
    assert!(refused["error"].as_str().is_some_and(|e| e.contains("pwd=********")), "{refused}");

    let log = worker.log();
    assert!(log.contains("opening https://script.test/pwd-outcome?"), "the plugin logged its URL:\n{}", tail(&log, 60));
    assert!(log.contains("pwd=********"), "masked, not dropped:\n{}", tail(&log, 60));
    let leaks: Vec<&str> = log.lines().filter(|line| line.contains("SECRET")).collect();
    assert!(leaks.is_empty(), "passcodes in the worker's log:\n{}", leaks.join("\n"));
}
