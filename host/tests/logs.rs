//! Logs (docs/REFERENCE.md section 1): with `[log] format = "json"` every line the worker writes is one JSON
//! object, and every line about a job (queue, REST or scheduled) carries its `job_id` and its
//! `correlation_id`, the same one its record holds.

mod support;

use std::{collections::HashMap, time::Duration};

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};
use support::*;

/// A field of a JSON log line, at the top level or in its span.
fn field<'a>(line: &'a Value, name: &str) -> Option<&'a str> {
    line.get(name).or_else(|| line.get("span").and_then(|span| span.get(name))).and_then(Value::as_str)
}

#[test]
fn json_lines_about_a_job_carry_its_ids() {
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, "[worker]\nmax_concurrent_jobs = 3\n[log]\nformat = \"json\"");
    redis.push(&script_job("log-queue", "call_ms=50"));
    let mut later = script_job_value("log-scheduled", "call_ms=10");
    let due = Utc::now() + chrono::Duration::milliseconds(1800);
    later["joinAt"] = json!(due.to_rfc3339_opts(SecondsFormat::Millis, true));
    redis.push(&later.to_string());
    assert_eq!(worker.post("/v1/jobs", &script_job_value("log-rest", "call_ms=50")).status, 202);

    let mut correlation = HashMap::new();
    for id in ["log-queue", "log-scheduled", "log-rest"] {
        let record = wait_for_end(&redis, id, Duration::from_secs(10));
        assert_ended(&record, "completed", "left_normally");
        correlation.insert(id.to_owned(), record["correlation_id"].clone());
    }

    let log = worker.log();
    let mut lines_per_job: HashMap<String, usize> = HashMap::new();
    let mut problems = Vec::new();
    for text in log.lines().filter(|l| !l.trim().is_empty()) {
        let line: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("not a JSON line ({e}): {text}"));
        let Some(job_id) = field(&line, "job_id") else { continue };
        *lines_per_job.entry(job_id.to_owned()).or_default() += 1;
        match (field(&line, "correlation_id"), correlation.get(job_id)) {
            (Some(found), Some(expected)) if found == expected => {}
            (found, expected) => {
                problems.push(format!("correlation_id {found:?} (record: {expected:?}) on: {text}"));
            }
        }
    }
    for id in correlation.keys() {
        assert!(lines_per_job.get(id).copied().unwrap_or(0) >= 2, "few lines about {id}: {lines_per_job:?}");
    }
    assert!(problems.is_empty(), "lines about a job without its correlation id:\n{}", problems.join("\n"));
}
