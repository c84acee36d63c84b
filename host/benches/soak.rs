//! Soak (issue 9, docs/REFERENCE.md section 5 "Nothing grows without bound"): N messages (default 100 000),
//! half of them wrong in every way a client can get one wrong, half short jobs of the scripted no-op
//! test plugin, through ONE worker, with the dead-letter, results and failures lists bounded small.
//!
//! Every `N / 10` messages, once all of them found their home, it samples Redis `used_memory` and
//! `DBSIZE` and the worker's RSS, and prints a table: they must level off once the lists reach
//! their bound. The worker's RSS also counts the pages of its executable, faulted in as code runs
//! for the first time (tens of MiB for a debug build); its anonymous part (heap and stacks) is what
//! a leak would grow. At the end it asserts what must hold whatever the timing: each message ended in
//! exactly one of the dead-letter, results and failures lists; those lists hold exactly their
//! bound (or all their entries, in a run too short to reach it); no delivery count, queued or
//! processing message or scheduled job is left; every key but the bounded lists and the worker
//! set expires; and the key count stays within the ids the jobs use (good jobs reuse a fixed set
//! of ids, so records are overwritten rather than piling up until their TTL).
//!
//! Which list each message went to is counted from Redis keyspace notifications (`rpush` on each
//! list), since the lists themselves are trimmed.
//!
//! Needs `redis-server` on PATH, and the worker binary plus the scripted test plugin built first:
//! `cargo build --release -p meetbot-host && cargo build --release -p meetbot-test-plugins --examples`,
//! then `cargo bench -p meetbot-host --bench soak` (`-- 20000`, or `MEETBOT_SOAK_MESSAGES=20000`,
//! for a shorter run). `--profile dev` runs it against the debug builds instead (quicker to build on
//! a small machine; the figures of interest, memory and key counts, do not depend on the profile).

mod common;

use common::{Redis, Worker, rss, rss_anon, scripted_worker, worker_binary};

use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::{SecondsFormat, Utc};
use futures::StreamExt;
use redis::{AsyncCommands, aio::MultiplexedConnection};
use serde_json::{Value, json};

const QUEUE: &str = "jobs:meetbot:list";
const PROCESSING: &str = "jobs:meetbot:list:processing:bench-1";
const DEAD: &str = "jobs:meetbot:list:dead";
const RESULTS: &str = "jobs:meetbot:recordings";
const FAILURES: &str = "jobs:meetbot:failures";
const ATTEMPTS: &str = "meetbot:attempts";
const SCHEDULED: &str = "meetbot:scheduled";
const SCHEDULED_INDEX: &str = "meetbot:scheduled:index";
const JOB_PREFIX: &str = "meetbot:job:";
/// Keys that never expire, bounded by other means: the three trimmed lists and the worker set.
const PERMANENT: [&str; 6] = [DEAD, RESULTS, FAILURES, "meetbot:workers", "meetbot:heartbeats", EVENT_STREAM];
/// The event log, capped (approximately) like the lists.
const EVENT_STREAM: &str = "meetbot:events:stream";

/// Messages when neither an argument nor `MEETBOT_SOAK_MESSAGES` says otherwise.
const DEFAULT_MESSAGES: usize = 100_000;
/// `redis.dead_letter_max_len`, `notify.redis_list_max_len` and `notify.event_stream_max_len` here:
/// small, so a short run reaches them.
const LIST_MAX_LEN: usize = 1000;
/// Worker slots.
const SLOTS: usize = 8;
/// Each kind of job cycles through a fixed set of ids, one coming back every this many messages:
/// long after its last run ended (no duplicate), and soon enough that every id is in use after the
/// first sample.
const ID_EVERY: usize = 5000;
/// Messages pushed at once, and most messages left waiting in the queue.
const CHUNK: usize = 500;
const BACKLOG: usize = 1000;
/// Samples over the run.
const SAMPLES: usize = 10;
/// How long the worker may make no progress before the soak gives up.
const STALL: Duration = Duration::from_secs(60);

/// Where a message must end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    Dead,
    Result,
    Failure,
}

/// One kind of message the soak sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    // Jobs that run.
    Noop,
    /// The same message twice in a row (a client retrying): one runs, the other is a duplicate.
    Twice,
    /// Two messages for the same job id in a row: one runs, the other is a duplicate.
    TwiceVaried,
    EndedByHost,
    Lobby,
    ByEventId,
    DerivedId,
    Denied,
    PanicAtStart,
    PanicInCall,
    MaxDuration,
    Scheduled,
    // Messages that never run.
    NotJson,
    Empty,
    JsonArray,
    JsonNumber,
    NotUtf8,
    DotDotId,
    AbsoluteId,
    LongId,
    NulId,
    QuoteNewlineId,
    UnknownProvider,
    AutoLeaveOverflow,
    AutoLeaveZero,
    AutoLeaveText,
    AutoLeaveUnknownKey,
    Oversized,
    UrlBoolean,
    TeamIdObject,
    MissingUrl,
    OtherHost,
    RefusedByPlugin,
    NormalizedToEvil,
    BadJoinAt,
    JoinAtYear10000,
}

/// The mix per 1000 draws (a draw is one message, or two for the kinds pushed twice): half jobs,
/// half refused. Slow jobs (a 1 s call, a 2 s schedule, the 200 ms ones pushed twice) are rare.
const MIX: &[(Kind, usize)] = &[
    (Kind::Noop, 240),
    (Kind::Twice, 5),
    (Kind::TwiceVaried, 5),
    (Kind::EndedByHost, 50),
    (Kind::Lobby, 50),
    (Kind::ByEventId, 40),
    (Kind::DerivedId, 20),
    (Kind::Denied, 60),
    (Kind::PanicAtStart, 15),
    (Kind::PanicInCall, 8),
    (Kind::MaxDuration, 2),
    (Kind::Scheduled, 5),
    (Kind::NotJson, 22),
    (Kind::Empty, 20),
    (Kind::JsonArray, 20),
    (Kind::JsonNumber, 20),
    (Kind::NotUtf8, 20),
    (Kind::DotDotId, 22),
    (Kind::AbsoluteId, 22),
    (Kind::LongId, 22),
    (Kind::NulId, 22),
    (Kind::QuoteNewlineId, 22),
    (Kind::UnknownProvider, 22),
    (Kind::AutoLeaveOverflow, 22),
    (Kind::AutoLeaveZero, 22),
    (Kind::AutoLeaveText, 22),
    (Kind::AutoLeaveUnknownKey, 22),
    (Kind::Oversized, 10),
    (Kind::UrlBoolean, 20),
    (Kind::TeamIdObject, 20),
    (Kind::MissingUrl, 20),
    (Kind::OtherHost, 22),
    (Kind::RefusedByPlugin, 22),
    (Kind::NormalizedToEvil, 22),
    (Kind::BadJoinAt, 20),
    (Kind::JoinAtYear10000, 22),
];

impl Kind {
    /// Where its messages must end, one fate per message.
    fn fates(self) -> &'static [Fate] {
        match self {
            Kind::Twice | Kind::TwiceVaried => &[Fate::Result, Fate::Dead],
            _ => std::slice::from_ref(self.fate()),
        }
    }

    /// Where a job of this kind ends, or that it never runs.
    fn fate(self) -> &'static Fate {
        match self {
            Kind::Noop
            | Kind::EndedByHost
            | Kind::Lobby
            | Kind::ByEventId
            | Kind::DerivedId
            | Kind::MaxDuration
            | Kind::Scheduled
            | Kind::Twice
            | Kind::TwiceVaried => &Fate::Result,
            Kind::Denied | Kind::PanicAtStart | Kind::PanicInCall => &Fate::Failure,
            _ => &Fate::Dead,
        }
    }

    /// Its share of every 1000 messages.
    fn weight(self) -> usize {
        MIX.iter().find(|(kind, _)| *kind == self).map_or(0, |&(_, weight)| weight)
    }

    /// How many ids jobs of this kind cycle through.
    fn ids(self) -> usize {
        (self.weight() * ID_EVERY / 1000).max(1)
    }

    /// The messages of the `n`th draw of this kind.
    fn messages(self, n: usize) -> Vec<Vec<u8>> {
        let id = format!("soak-{self:?}-{}", n % self.ids()).to_lowercase();
        match self {
            // The first runs long enough (200 ms) for the second to be taken meanwhile.
            Kind::Twice => vec![job(&id, "call_ms=200").to_string().into_bytes(); 2],
            Kind::TwiceVaried => {
                vec![job(&id, "call_ms=200").to_string().into_bytes(), job(&id, "call_ms=201").to_string().into_bytes()]
            }
            _ => vec![self.message(&id)],
        }
    }

    /// The message of a kind pushed once, whose job (if any) has this id.
    fn message(self, id: &str) -> Vec<u8> {
        let mut job = job(id, "call_ms=0");
        let set = |job: &mut Value, field: &str, value: Value| job[field] = value;
        match self {
            Kind::Noop | Kind::Twice | Kind::TwiceVaried => {}
            Kind::EndedByHost => set(&mut job, "url", url("call_ms=0&end=ended_by_host")),
            Kind::Lobby => set(&mut job, "url", url("lobby_ms=1&call_ms=1")),
            Kind::ByEventId => {
                job.as_object_mut().expect("object").remove("botId");
                set(&mut job, "eventId", json!(id));
            }
            Kind::DerivedId => {
                // No id: it is derived from the message, which repeats, so the ids do too.
                job.as_object_mut().expect("object").remove("botId");
                set(&mut job, "name", json!(id));
            }
            Kind::Denied => set(&mut job, "url", url("outcome=denied_admission")),
            Kind::PanicAtStart => set(&mut job, "url", url("panic=run")),
            Kind::PanicInCall => set(&mut job, "url", url("panic=call")),
            Kind::MaxDuration => {
                // In the call until the worker makes it leave, after a second.
                set(&mut job, "url", url(""));
                set(&mut job, "autoLeave", json!({"max_duration_secs": 1}));
            }
            Kind::Scheduled => {
                let due = Utc::now() + chrono::Duration::seconds(2);
                set(&mut job, "joinAt", json!(due.to_rfc3339_opts(SecondsFormat::Millis, true)));
            }
            Kind::NotJson => return b"{\"url\": this is not JSON".to_vec(),
            Kind::Empty => return Vec::new(),
            Kind::JsonArray => return json!([job]).to_string().into_bytes(),
            Kind::JsonNumber => return b"42".to_vec(),
            Kind::NotUtf8 => {
                let mut bytes = job.to_string().into_bytes();
                bytes.splice(1..1, [0xff, 0xfe, 0xc3]);
                return bytes;
            }
            Kind::DotDotId => set(&mut job, "botId", json!("..")),
            Kind::AbsoluteId => set(&mut job, "botId", json!("/srv/x")),
            Kind::LongId => set(&mut job, "botId", json!("a".repeat(300))),
            Kind::NulId => set(&mut job, "botId", json!("ab\0cd")),
            Kind::QuoteNewlineId => set(&mut job, "botId", json!("a'b\nc")),
            Kind::UnknownProvider => set(&mut job, "provider", json!("nosuch")),
            Kind::AutoLeaveOverflow => {
                set(&mut job, "autoLeave", json!({"waiting_room_timeout_secs": 18_446_744_073_709_551_615u64}))
            }
            Kind::AutoLeaveZero => set(&mut job, "autoLeave", json!({"max_duration_secs": 0})),
            Kind::AutoLeaveText => set(&mut job, "autoLeave", json!({"max_duration_secs": "600"})),
            Kind::AutoLeaveUnknownKey => set(&mut job, "autoLeave", json!({"forever": 1})),
            Kind::Oversized => set(&mut job, "name", json!("x".repeat(70 * 1024))),
            Kind::UrlBoolean => set(&mut job, "url", json!(true)),
            Kind::TeamIdObject => set(&mut job, "teamId", json!({"id": 1})),
            Kind::MissingUrl => {
                job.as_object_mut().expect("object").remove("url");
            }
            Kind::OtherHost => set(&mut job, "url", json!("https://evil.example/soak?call_ms=0")),
            Kind::RefusedByPlugin => set(&mut job, "url", url("invalid")),
            Kind::NormalizedToEvil => {
                set(&mut job, "url", url("normalized=https%3A%2F%2Fuser%40evil.example%3A8443%2Fx"))
            }
            Kind::BadJoinAt => set(&mut job, "joinAt", json!("tomorrow at noon")),
            Kind::JoinAtYear10000 => set(&mut job, "joinAt", json!("9999-12-31T23:59:59-01:00")),
        }
        job.to_string().into_bytes()
    }
}

fn url(script: &str) -> Value {
    json!(format!("https://script.test/soak?{script}"))
}

fn job(bot_id: &str, script: &str) -> Value {
    json!({
        "url": url(script),
        "provider": "script",
        "name": "Soak",
        "teamId": "t",
        "userId": "u",
        "bearerToken": "b",
        "timezone": "UTC",
        "botId": bot_id,
    })
}

/// The kinds in a fixed shuffled order, one cycle per 1000 messages, so every stretch of the run
/// carries the same mix (and the trimmed lists the same composition).
fn cycle() -> Vec<Kind> {
    let mut kinds: Vec<Kind> = MIX.iter().flat_map(|&(kind, weight)| std::iter::repeat_n(kind, weight)).collect();
    assert_eq!(kinds.len(), 1000, "the mix is per 1000 draws");
    fastrand::Rng::with_seed(9).shuffle(&mut kinds);
    kinds
}

/// Messages that landed in each list, counted from keyspace notifications (the lists are trimmed).
#[derive(Default)]
struct Landed {
    dead: AtomicUsize,
    results: AtomicUsize,
    failures: AtomicUsize,
}

impl Landed {
    fn get(&self) -> (usize, usize, usize) {
        (self.dead.load(Ordering::SeqCst), self.results.load(Ordering::SeqCst), self.failures.load(Ordering::SeqCst))
    }

    fn total(&self) -> usize {
        let (dead, results, failures) = self.get();
        dead + results + failures
    }

    /// Counts every `rpush` on the three lists from now on.
    async fn follow(redis: &Redis) -> (Arc<Self>, tokio::task::JoinHandle<()>) {
        let _: () = redis::cmd("CONFIG")
            .arg("SET")
            .arg("notify-keyspace-events")
            .arg("Kl")
            .query_async(&mut redis.conn().await)
            .await
            .expect("CONFIG SET notify-keyspace-events");
        let mut pubsub = redis.client.get_async_pubsub().await.expect("pub/sub connection");
        for list in [DEAD, RESULTS, FAILURES] {
            pubsub.subscribe(format!("__keyspace@0__:{list}")).await.expect("SUBSCRIBE");
        }
        let landed = Arc::new(Self::default());
        let counts = landed.clone();
        let task = tokio::spawn(async move {
            let mut stream = pubsub.into_on_message();
            while let Some(message) = stream.next().await {
                if message.get_payload::<String>().ok().as_deref() != Some("rpush") {
                    continue;
                }
                let counter = match message.get_channel_name().rsplit_once("__:").map(|(_, key)| key) {
                    Some(DEAD) => &counts.dead,
                    Some(RESULTS) => &counts.results,
                    Some(FAILURES) => &counts.failures,
                    _ => continue,
                };
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        (landed, task)
    }
}

/// Figures at one point of the run, taken once every message so far found its home.
struct Sample {
    messages: usize,
    at: Duration,
    used_memory: u64,
    redis_rss: u64,
    dbsize: u64,
    lists: (usize, usize, usize),
    attempts: usize,
    worker_rss: u64,
    worker_anon: u64,
}

async fn sample(conn: &mut MultiplexedConnection, worker: &Worker, messages: usize, started: Instant) -> Sample {
    let info: String = redis::cmd("INFO").arg("memory").query_async(conn).await.expect("INFO memory");
    let field = |name: &str| -> u64 {
        info.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':')?.trim().parse().ok()).unwrap_or(0)
    };
    let (dbsize, dead, results, failures, attempts): (u64, usize, usize, usize, usize) = redis::pipe()
        .cmd("DBSIZE")
        .llen(DEAD)
        .llen(RESULTS)
        .llen(FAILURES)
        .hlen(ATTEMPTS)
        .query_async(conn)
        .await
        .expect("DBSIZE and lengths");
    Sample {
        messages,
        at: started.elapsed(),
        used_memory: field("used_memory"),
        redis_rss: field("used_memory_rss"),
        dbsize,
        lists: (dead, results, failures),
        attempts,
        worker_rss: rss(worker.pid()).unwrap_or(0),
        worker_anon: rss_anon(worker.pid()).unwrap_or(0),
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn print_header() {
    println!(
        "{:>9} {:>8} {:>8} {:>12} {:>10} {:>7} {:>6} {:>7} {:>8} {:>8} {:>11} {:>12}",
        "messages",
        "time s",
        "msg/s",
        "used_memory",
        "redis RSS",
        "DBSIZE",
        "dead",
        "results",
        "failures",
        "attempts",
        "worker RSS",
        "(anonymous)"
    );
}

fn print_row(row: &Sample, previous: Option<&Sample>) {
    let rate = previous
        .map_or(0.0, |p| (row.messages - p.messages) as f64 / (row.at.as_secs_f64() - p.at.as_secs_f64()).max(1e-9));
    let (dead, results, failures) = row.lists;
    println!(
        "{:>9} {:>8.1} {:>8.0} {:>8.2} MiB {:>6.1} MiB {:>7} {:>6} {:>7} {:>8} {:>8} {:>7.1} MiB {:>8.1} MiB",
        row.messages,
        row.at.as_secs_f64(),
        rate,
        mib(row.used_memory),
        mib(row.redis_rss),
        row.dbsize,
        dead,
        results,
        failures,
        row.attempts,
        mib(row.worker_rss),
        mib(row.worker_anon)
    );
}

async fn push(conn: &mut MultiplexedConnection, messages: &[Vec<u8>]) {
    let mut pipe = redis::pipe();
    for message in messages {
        pipe.rpush(QUEUE, message).ignore();
    }
    let () = pipe.query_async(conn).await.expect("pipelined RPUSH");
}

/// Waits until every message pushed so far has landed in one of the lists and nothing is left
/// queued, in hand or scheduled.
async fn drain(conn: &mut MultiplexedConnection, landed: &Landed, pushed: usize, worker: &mut Worker) {
    let mut last = (landed.total(), Instant::now());
    loop {
        let (queued, processing, scheduled): (usize, usize, usize) =
            redis::pipe().llen(QUEUE).llen(PROCESSING).zcard(SCHEDULED).query_async(conn).await.expect("LLEN");
        let done = landed.total();
        if done >= pushed && queued + processing + scheduled == 0 {
            assert_eq!(done, pushed, "more messages landed than were pushed");
            return;
        }
        if done != last.0 {
            last = (done, Instant::now());
        }
        if let Some(status) = worker.try_exit() {
            panic!("the worker exited ({status}); its log:\n{}", worker.log_tail());
        }
        assert!(
            last.1.elapsed() < STALL,
            "no progress for {} s: {done} of {pushed} messages landed, {queued} queued, {processing} in hand, \
             {scheduled} scheduled; worker log:\n{}",
            STALL.as_secs(),
            worker.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Every key by family (job records as one), with how many of them never expire.
async fn key_families(conn: &mut MultiplexedConnection) -> BTreeMap<String, (usize, usize)> {
    let keys: Vec<String> = {
        let mut iter = conn.scan::<String>().await.expect("SCAN");
        let mut keys = Vec::new();
        while let Some(key) = iter.next().await {
            keys.push(key.expect("SCAN"));
        }
        keys
    };
    let mut families = BTreeMap::new();
    for key in keys {
        let ttl: i64 = conn.ttl(&key).await.expect("TTL");
        let family = if key.starts_with(JOB_PREFIX) { format!("{JOB_PREFIX}*") } else { key };
        let entry: &mut (usize, usize) = families.entry(family).or_default();
        entry.0 += 1;
        if ttl < 0 {
            entry.1 += 1;
        }
    }
    families
}

fn messages_wanted() -> usize {
    // `cargo bench` passes `--bench`; the count is the first number among the arguments.
    std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .or_else(|| std::env::var("MEETBOT_SOAK_MESSAGES").ok().and_then(|v| v.parse().ok()))
        .unwrap_or(DEFAULT_MESSAGES)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let total = messages_wanted();
    let (binary, plugin) = worker_binary();
    println!(
        "meetbot soak: {total} messages (half refused, half no-op jobs) through one worker with {SLOTS} slots; \
         dead-letter, results and failures lists bounded to {LIST_MAX_LEN}; {}",
        binary.display()
    );
    let redis = Redis::start().await;
    let (landed, follower) = Landed::follow(&redis).await;
    let mut conn = redis.conn().await;
    let bound = LIST_MAX_LEN.to_string();
    let env = [
        ("MEETBOT__REDIS__DEAD_LETTER_MAX_LEN", bound.clone()),
        ("MEETBOT__NOTIFY__REDIS_LIST_MAX_LEN", bound.clone()),
        ("MEETBOT__NOTIFY__EVENT_STREAM_MAX_LEN", bound),
    ];
    let mut worker = scripted_worker(&binary, &plugin, redis.port, SLOTS, &env).await;

    let kinds = cycle();
    let mut per_kind: HashMap<Kind, usize> = HashMap::new();
    let mut expected = (0usize, 0usize, 0usize);
    let started = Instant::now();
    let mut samples = vec![sample(&mut conn, &worker, 0, started).await];
    print_header();
    print_row(&samples[0], None);
    let every = total.div_ceil(SAMPLES).max(1);
    let (mut pushed, mut draws, mut next_sample) = (0, 0, every);
    while pushed < total {
        while redis::cmd("LLEN").arg(QUEUE).query_async::<usize>(&mut conn).await.expect("LLEN") >= BACKLOG {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let mut messages: Vec<Vec<u8>> = Vec::with_capacity(CHUNK + 1);
        while messages.len() < CHUNK && pushed + messages.len() < next_sample.min(total) {
            let kind = kinds[draws % kinds.len()];
            draws += 1;
            let count = per_kind.entry(kind).or_default();
            *count += 1;
            for (message, fate) in kind.messages(*count).into_iter().zip(kind.fates()) {
                match fate {
                    Fate::Dead => expected.0 += 1,
                    Fate::Result => expected.1 += 1,
                    Fate::Failure => expected.2 += 1,
                }
                messages.push(message);
            }
        }
        push(&mut conn, &messages).await;
        pushed += messages.len();
        if pushed >= next_sample || pushed >= total {
            next_sample += every;
            drain(&mut conn, &landed, pushed, &mut worker).await;
            let row = sample(&mut conn, &worker, pushed, started).await;
            print_row(&row, samples.last());
            samples.push(row);
        }
    }
    let elapsed = started.elapsed();
    follower.abort();

    let first = &samples[samples.len() / 2];
    let last = samples.last().expect("samples");
    println!(
        "{pushed} messages in {:.1} s = {:.0} messages/s (each sample waits until every message so far has landed)",
        elapsed.as_secs_f64(),
        pushed as f64 / elapsed.as_secs_f64()
    );
    println!(
        "from {} to {} messages: used_memory {:+.1} KiB, DBSIZE {:+}, worker RSS {:+.1} MiB (anonymous {:+.1} MiB)",
        first.messages,
        last.messages,
        (last.used_memory as f64 - first.used_memory as f64) / 1024.0,
        last.dbsize as i64 - first.dbsize as i64,
        mib(last.worker_rss) - mib(first.worker_rss),
        mib(last.worker_anon) - mib(first.worker_anon)
    );
    let landed = landed.get();
    println!(
        "landed: {} dead-lettered, {} results, {} failures (expected {} / {} / {})",
        landed.0, landed.1, landed.2, expected.0, expected.1, expected.2
    );
    let families = key_families(&mut conn).await;
    let listing: Vec<String> = families
        .iter()
        .map(|(family, (count, permanent))| format!("{family} {count} ({permanent} without TTL)"))
        .collect();
    println!("keys: {}", listing.join(", "));

    let log = worker.log();
    let count = |level: &str| log.lines().filter(|line| line.contains(level)).count();
    println!(
        "worker log: {} lines, {} ERROR, {} WARN, {} panics (the scripted panics print one each)",
        log.lines().count(),
        count(" ERROR "),
        count(" WARN "),
        count("panicked at")
    );
    let unexpected: Vec<&str> = log
        .lines()
        .filter(|line| (line.contains(" WARN ") || line.contains(" ERROR ")) && !line.contains("message dead-lettered"))
        .collect();
    for line in unexpected.iter().take(5) {
        println!("  {}", line.chars().take(240).collect::<String>());
    }

    // What must hold whatever the timing.
    assert_eq!(landed, expected, "each message must land in the list its kind calls for (dead, results, failures)");
    let (dead, results, failures) = last.lists;
    assert_eq!(dead, expected.0.min(LIST_MAX_LEN), "Q:dead holds its newest redis.dead_letter_max_len entries");
    assert_eq!(results, expected.1.min(LIST_MAX_LEN), "results hold their newest notify.redis_list_max_len entries");
    assert_eq!(failures, expected.2.min(LIST_MAX_LEN), "failures hold their newest notify.redis_list_max_len entries");
    assert_eq!(last.attempts, 0, "P:attempts holds no delivery count once every delivery ended");
    let events: usize = redis::cmd("XLEN").arg(EVENT_STREAM).query_async(&mut conn).await.expect("XLEN");
    // Trimmed with `MAXLEN ~`: whole nodes of up to 100 entries go at once.
    assert!(events < LIST_MAX_LEN + 100, "the event stream keeps about its bound: {events}");
    let (queued, processing, scheduled, index): (usize, usize, usize, usize) = redis::pipe()
        .llen(QUEUE)
        .llen(PROCESSING)
        .zcard(SCHEDULED)
        .hlen(SCHEDULED_INDEX)
        .query_async(&mut conn)
        .await
        .expect("LLEN");
    assert_eq!((queued, processing, scheduled, index), (0, 0, 0, 0), "queue, processing list and schedule are empty");
    for (family, (_, permanent)) in &families {
        assert!(*permanent == 0 || PERMANENT.contains(&family.as_str()), "{family}: {permanent} keys never expire");
    }
    let records: usize = MIX.iter().filter(|(kind, _)| *kind.fate() != Fate::Dead).map(|(kind, _)| kind.ids()).sum();
    let key_bound = records + PERMANENT.len() + 1; // + the heartbeat
    assert!(last.dbsize as usize <= key_bound, "DBSIZE {} over the {key_bound} keys the soak can make", last.dbsize);
    println!(
        "bounds hold: lists at their bound, no delivery count left, queue empty, {} keys ≤ {key_bound}",
        last.dbsize
    );
    drop(worker);
}
