//! What Redis holds once the fleet is done: every key by kind, and the checks that nothing is left
//! in flight (queue, processing lists, schedule, delivery counts) and that each job has exactly
//! one terminal record and one results/failures entry.

use std::collections::BTreeMap;

use redis::aio::MultiplexedConnection;
use serde_json::Value;

use crate::{FAILURES, PREFIX, QUEUE, RESULTS};

/// Keys grouped by what they are.
pub async fn keys_by_kind(conn: &mut MultiplexedConnection) -> BTreeMap<String, usize> {
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query_async(conn).await.expect("KEYS");
    let mut kinds = BTreeMap::new();
    for key in keys {
        *kinds.entry(kind_of(&key)).or_insert(0) += 1;
    }
    kinds
}

fn kind_of(key: &str) -> String {
    let processing = format!("{QUEUE}:processing:");
    let job = format!("{PREFIX}:job:");
    let heartbeat = format!("{PREFIX}:worker:");
    let rest = format!("{PREFIX}:rest:");
    if key.starts_with(&processing) {
        "processing list (in flight!)".into()
    } else if key.starts_with(&job) {
        "job record".into()
    } else if let Some(worker) = key.strip_prefix(&heartbeat) {
        format!("heartbeat of {worker}")
    } else if key.starts_with(&rest) {
        "REST job set".into()
    } else {
        key.to_owned()
    }
}

/// The keys that may be left once every worker has stopped: records, the clients' lists and the
/// (capped) event log.
pub fn is_expected_at_rest(kind: &str) -> bool {
    let at_rest = [RESULTS.to_owned(), FAILURES.to_owned(), format!("{QUEUE}:dead"), format!("{PREFIX}:events:stream")];
    kind == "job record" || at_rest.iter().any(|key| key == kind)
}

/// How many results and failures entries name each job id.
pub async fn entries_per_job(conn: &mut MultiplexedConnection) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for list in [RESULTS, FAILURES] {
        let entries: Vec<String> =
            redis::cmd("LRANGE").arg(list).arg(0).arg(-1).query_async(conn).await.expect("LRANGE");
        for entry in entries {
            let value: Value = serde_json::from_str(&entry).expect("a JSON results/failures entry");
            let id = value["recordingId"].as_str().unwrap_or_default().to_owned();
            *counts.entry(id).or_insert(0) += 1;
        }
    }
    counts
}
