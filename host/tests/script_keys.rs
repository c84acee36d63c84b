//! Every Lua script passes every key it touches in KEYS (issue 10: Redis Cluster routes a script by
//! its keys, and Redis documents keys a script builds itself as unsupported). A MONITOR connection
//! sees each EVALSHA with its KEYS, followed by the commands the script ran (marked `lua`); every
//! key of each of those commands (as `COMMAND GETKEYS` names them) must be among its script's KEYS.
//! Workers go through flows that run every script in `src/broker/lua` (the test checks each was
//! seen), including the duplicate checks that need a live owner's keys, the recovery of a dead peer
//! with queue and REST jobs, and a restart with REST jobs left behind.

mod support;

use std::{
    collections::{BTreeMap, BTreeSet, HashSet},
    io::{BufRead, BufReader, Write},
    net::TcpStream,
    sync::{Arc, Mutex},
    thread,
    time::Duration,
};

use chrono::{SecondsFormat, Utc};
use meetbot_host::broker::{Keys, scripts};
use serde_json::json;
use support::*;

/// Every line a MONITOR connection received, collected by a thread until the server goes away.
struct Monitor(Arc<Mutex<Vec<String>>>);

impl Monitor {
    fn start(redis: &RedisServer) -> Self {
        let mut stream = TcpStream::connect(("127.0.0.1", redis.port)).expect("connect for MONITOR");
        stream.write_all(b"MONITOR\r\n").expect("send MONITOR");
        let mut reader = BufReader::new(stream);
        let mut ok = String::new();
        reader.read_line(&mut ok).expect("MONITOR answer");
        assert_eq!(ok.trim_end(), "+OK");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        thread::spawn(move || {
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                sink.lock().expect("monitor lines").push(line.trim_end().to_owned());
                line.clear();
            }
        });
        Monitor(lines)
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().expect("monitor lines").clone()
    }
}

/// One MONITOR line: whether a script ran the command, and its arguments (bytes, unescaped).
fn parse(line: &str) -> Option<(bool, Vec<Vec<u8>>)> {
    let line = line.strip_prefix('+')?;
    let open = line.find('[')?;
    let close = open + line[open..].find(']')?;
    let by_script = line[open..close].ends_with(" lua");
    let mut args = Vec::new();
    let mut bytes = line[close + 1..].bytes().peekable();
    while let Some(b) = bytes.next() {
        if b != b'"' {
            continue;
        }
        let mut arg = Vec::new();
        while let Some(b) = bytes.next() {
            match b {
                b'"' => break,
                b'\\' => match bytes.next()? {
                    b'n' => arg.push(b'\n'),
                    b'r' => arg.push(b'\r'),
                    b't' => arg.push(b'\t'),
                    b'a' => arg.push(7),
                    b'b' => arg.push(8),
                    b'x' => {
                        let hex = [bytes.next()?, bytes.next()?];
                        arg.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
                    }
                    other => arg.push(other),
                },
                other => arg.push(other),
            }
        }
        args.push(arg);
    }
    Some((by_script, args))
}

/// The scripts of `src/broker/lua` by the SHA1 EVALSHA names them with (prelude, newline, file).
fn our_scripts() -> BTreeMap<String, String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/broker/lua");
    let prelude = std::fs::read_to_string(dir.join("prelude.lua")).expect("prelude");
    let mut scripts = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("lua folder") {
        let path = entry.expect("entry").path();
        let name = path.file_stem().expect("name").to_string_lossy().into_owned();
        if name != "prelude" {
            let text = format!("{prelude}\n{}", std::fs::read_to_string(&path).expect("script"));
            scripts.insert(sha1_smol::Sha1::from(text).digest().to_string(), name);
        }
    }
    scripts
}

/// What the MONITOR lines show of our scripts: the keys touched but not passed (script, command,
/// key), and per script the most KEYS one call passed.
struct Seen {
    undeclared: Vec<(String, String, String)>,
    most_keys: BTreeMap<String, usize>,
}

fn check(redis: &RedisServer, lines: &[String], ours: &BTreeMap<String, String>) -> Seen {
    let mut seen = Seen { undeclared: Vec::new(), most_keys: BTreeMap::new() };
    let mut current: Option<(String, HashSet<Vec<u8>>)> = None;
    for line in lines {
        let Some((by_script, args)) = parse(line) else { continue };
        let Some(name) = args.first().map(|a| String::from_utf8_lossy(a).to_uppercase()) else { continue };
        if !by_script {
            current = None;
            if name == "EVALSHA" || name == "EVAL" {
                let sha = if name == "EVAL" {
                    sha1_smol::Sha1::from(&args[1]).digest().to_string()
                } else {
                    String::from_utf8_lossy(&args[1]).into_owned()
                };
                if let Some(script) = ours.get(&sha) {
                    let count: usize = String::from_utf8_lossy(&args[2]).parse().expect("numkeys");
                    let most = seen.most_keys.entry(script.clone()).or_default();
                    *most = (*most).max(count);
                    current = Some((script.clone(), args[3..3 + count].iter().cloned().collect()));
                }
            }
            continue;
        }
        let Some((script, declared)) = &current else { continue };
        for key in command_keys(redis, &args) {
            if !declared.contains(&key) {
                let key = String::from_utf8_lossy(&key).into_owned();
                seen.undeclared.push((script.clone(), name.clone(), key));
            }
        }
    }
    seen
}

/// The keys of a command, as Redis itself names them (a channel is not a key).
fn command_keys(redis: &RedisServer, args: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let name = String::from_utf8_lossy(&args[0]).to_uppercase();
    if name == "TIME" {
        return Vec::new();
    }
    let mut getkeys = redis::cmd("COMMAND");
    getkeys.arg("GETKEYS");
    for arg in args {
        getkeys.arg(arg.as_slice());
    }
    match redis.try_query::<Vec<Vec<u8>>>(&getkeys) {
        Ok(keys) => keys,
        Err(error) if error.to_string().contains("no key arguments") => Vec::new(),
        Err(error) => panic!("COMMAND GETKEYS {name}: {error}"),
    }
}

/// A job due in a minute.
fn due_later(id: &str) -> serde_json::Value {
    let mut job = script_job_value(id, "call_ms=10");
    let due = Utc::now() + chrono::Duration::seconds(60);
    job["joinAt"] = json!(due.to_rfc3339_opts(SecondsFormat::Millis, true));
    job
}

fn wait_for_dead(redis: &RedisServer, error: &str, count: usize) {
    let what = format!("{count} dead-letter entries with error `{error}`");
    wait_until(Duration::from_secs(10), &what, || {
        redis.dead().iter().filter(|entry| entry["error"].as_str().is_some_and(|e| e.contains(error))).count() >= count
    });
}

#[test]
fn every_script_touches_only_the_keys_it_is_given() {
    let redis = RedisServer::start();
    let monitor = Monitor::start(&redis);
    let beat = "heartbeat_ttl_secs = 3";

    // A restart with the same id: the earlier run's queue job was delivered max_attempts times
    // (reclaim_own, claim exhausted, fail_unrun) and its REST job ends (end_own_rest); then it
    // stops (retire).
    let phoenix = "[worker]\nid = \"keys-phoenix\"\nmax_concurrent_jobs = 2\n[redis]\nmax_attempts = 1";
    let mut first_run = Worker::start(&redis, phoenix);
    redis.push(&script_job("p-queue", ""));
    assert_eq!(first_run.post("/v1/jobs", &script_job_value("p-rest", "")).status, 202);
    wait_for_state(&redis, "p-queue", "in_call", Duration::from_secs(10));
    wait_for_state(&redis, "p-rest", "in_call", Duration::from_secs(10));
    first_run.kill9();
    let mut second_run = Worker::start(&redis, phoenix);
    assert_ended(&wait_for_end(&redis, "p-rest", Duration::from_secs(10)), "failed", "internal_error");
    assert_eq!(wait_for_end(&redis, "p-queue", Duration::from_secs(10))["state"], "failed");
    second_run.sigterm();
    assert!(second_run.wait_exit(Duration::from_secs(10)).success());

    // A dead peer with a queue job and a REST job: a live worker recovers both (expired_peers,
    // recover_peer) and runs the queue job itself.
    let mut doomed = Worker::start(&redis, &format!("[worker]\nid = \"keys-doomed\"\nmax_concurrent_jobs = 2\n{beat}"));
    redis.push(&script_job("held", ""));
    assert_eq!(doomed.post("/v1/jobs", &script_job_value("d-rest", "")).status, 202);
    wait_for_state(&redis, "held", "in_call", Duration::from_secs(10));
    wait_for_state(&redis, "d-rest", "in_call", Duration::from_secs(10));
    let owner = Worker::start(&redis, &format!("[worker]\nid = \"keys-owner\"\n{beat}"));
    doomed.kill9();
    assert_ended(&wait_for_end(&redis, "d-rest", Duration::from_secs(15)), "failed", "internal_error");
    wait_for_record(
        &redis,
        "held",
        |f| f.get("worker").map(String::as_str) == Some("keys-owner") && f.get("state").is_some_and(|s| s == "in_call"),
        Duration::from_secs(15),
    );

    // Duplicates of the job the owner runs, on another worker: claim, start_rest and schedule each
    // need the owner's keys (a second call).
    let mut other = Worker::start(&redis, &format!("[worker]\nid = \"keys-other\"\n{beat}"));
    redis.push(&script_job("held", "call_ms=10"));
    wait_for_dead(&redis, "duplicate", 1);
    assert_eq!(other.post("/v1/jobs", &script_job_value("held", "call_ms=10")).status, 409);
    assert_eq!(other.post("/v1/jobs", &due_later("held")).status, 409);

    // Ordinary work on the other worker: a queue job (claim, transition, finish), a bad message
    // (dead_letter), a REST job (start_rest), a scheduled one cancelled (schedule, cancel_scheduled).
    redis.push(&script_job("plain", "call_ms=10"));
    assert_ended(&wait_for_end(&redis, "plain", Duration::from_secs(10)), "completed", "left_normally");
    redis.push("not json");
    wait_for_dead(&redis, "", 3);
    assert_eq!(other.post("/v1/jobs", &script_job_value("rest", "call_ms=10")).status, 202);
    assert_ended(&wait_for_end(&redis, "rest", Duration::from_secs(10)), "completed", "left_normally");
    redis.push(&due_later("later").to_string());
    wait_for_state(&redis, "later", "scheduled", Duration::from_secs(10));
    assert!((200..300).contains(&other.delete("/v1/jobs/later").status));
    assert_ended(&wait_for_end(&redis, "later", Duration::from_secs(10)), "completed", "cancelled");

    // A job in the waiting room when its worker stops goes back to the queue (give_back, retire).
    redis.push(&script_job("lobby", "lobby_ms=forever"));
    wait_for_state(&redis, "lobby", "waiting_room", Duration::from_secs(10));
    other.sigterm();
    assert!(other.wait_exit(Duration::from_secs(10)).success());
    assert_eq!(redis.job("lobby")["state"], "queued");

    // A message that could not start goes back (requeue): the race it answers is not worth staging.
    let mut config = meetbot_host::config::Config::default();
    config.worker.id = "keys-test".to_owned();
    let keys = Keys::new(&config);
    redis.rpush(&keys.processing, "requeued");
    let mut conn = redis.conn();
    RT.block_on(async {
        let client = redis::Client::open(redis.url()).expect("redis url");
        let mut conn = client.get_multiplexed_async_connection().await.expect("connect");
        scripts::requeue(&mut conn, &keys, "requeued").await.expect("requeue");
    });
    let _: i64 = redis::cmd("LREM").arg(QUEUE).arg(0).arg("requeued").query(&mut conn).expect("LREM");

    // The owner ends its job (finish); its beats have checked it all along (check_owned).
    assert!((200..300).contains(&owner.delete("/v1/jobs/held").status));
    assert_ended(&wait_for_end(&redis, "held", Duration::from_secs(10)), "completed", "cancelled");
    thread::sleep(Duration::from_millis(1500));

    let seen = check(&redis, &monitor.lines(), &our_scripts());
    assert!(seen.undeclared.is_empty(), "keys touched but not passed in KEYS: {:#?}", seen.undeclared);
    let all: BTreeSet<String> = our_scripts().into_values().collect();
    let run: BTreeSet<String> = seen.most_keys.keys().cloned().collect();
    assert_eq!(run, all, "every script ran while MONITOR watched");
    // The duplicate checks were given the owner's keys, and the recoveries the REST jobs' records.
    let most = |script: &str| seen.most_keys[script];
    assert_eq!(most("claim"), 8, "claim with the owner's heartbeat and processing list");
    assert_eq!(most("start_rest"), 7, "start_rest with the owner's heartbeat");
    assert_eq!(most("schedule"), 10, "schedule with the owner's heartbeat and processing list");
    assert_eq!(most("recover_peer"), 10, "recover_peer with the dead peer's REST job");
    assert_eq!(most("end_own_rest"), 5, "end_own_rest with the earlier run's REST job");
}

#[test]
fn a_script_touching_a_key_it_was_not_given_is_caught() {
    let redis = RedisServer::start();
    let monitor = Monitor::start(&redis);
    let script = "redis.call('SET', KEYS[1], 'x'); redis.call('SET', ARGV[1], 'x'); redis.call('PUBLISH', 'ch', 'm')";
    let _: () = redis::cmd("EVAL")
        .arg(script)
        .arg(1)
        .arg("declared")
        .arg("built:from:argv")
        .query(&mut redis.conn())
        .expect("EVAL");
    thread::sleep(Duration::from_millis(300));
    let ours = BTreeMap::from([(sha1_smol::Sha1::from(script).digest().to_string(), "builds_a_key".to_owned())]);
    let seen = check(&redis, &monitor.lines(), &ours);
    let expected = [("builds_a_key".to_owned(), "SET".to_owned(), "built:from:argv".to_owned())];
    assert_eq!(seen.undeclared, expected, "only the key built from ARGV; a channel is not a key");
    assert_eq!(seen.most_keys["builds_a_key"], 1);
}
