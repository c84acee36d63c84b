//! Join speed (part 2): one instant-admission meeting at a time, on the fake Google Meet and then
//! the fake Teams, from the RPUSH through the page's own actions and the worker's events and log
//! to the host ending the call; with the join path traced step by step (`crate::trace`).

use std::time::Duration;

use meetbot_fixtures::{ActionKind, FixtureServer, MeetingLink, Scenario};
use redis::AsyncCommands;

use crate::calls::{InCall, end_call};
use crate::events::Events;
use crate::stats::{outcomes, summary};
use crate::trace::{Trace, join_trace, print_traces};
use crate::worker::{Worker, job};
use crate::{JOIN_CALL, JOIN_ROUNDS, QUEUE, WAIT, now_ms};

/// A fake meeting platform the join is measured on.
#[derive(Clone, Copy)]
pub struct Platform {
    /// What the figures call it.
    pub name: &'static str,
    /// The jobs' `provider`.
    pub provider: &'static str,
    /// A new meeting of the scenario on this platform.
    pub link: fn(Scenario) -> MeetingLink,
    /// The goal for job taken → `join_asked`, ms.
    pub goal_ms: f64,
}

/// The fake Google Meet.
pub const MEET: Platform =
    Platform { name: "Google Meet", provider: "google", link: MeetingLink::meet, goal_ms: 1000.0 };
/// The fake Teams.
pub const TEAMS: Platform =
    Platform { name: "Teams", provider: "microsoft", link: MeetingLink::teams, goal_ms: 1500.0 };

/// One join round's measures, ms.
#[derive(Default)]
pub struct Round {
    pub push_to_joining: f64,
    pub joining_to_page: f64,
    pub joining_to_name: f64,
    pub joining_to_asked: f64,
    pub push_to_name: f64,
    pub push_to_asked: f64,
    pub admitted_to_in_call: f64,
    pub admitted_to_recording: f64,
    pub end_to_terminal: f64,
    pub end_to_leaving: Option<f64>,
    pub outcome: String,
    pub trace: Trace,
    /// The worker's own RSS in the call, recording (bytes; its browser not counted).
    pub host_rss_in_call: u64,
}

/// Pushes the `n`-th join job once the last job's browser is gone, follows it into the call and
/// out again, and times each step.
pub async fn join_round(
    platform: Platform,
    n: usize,
    conn: &mut redis::aio::MultiplexedConnection,
    events: &mut Events,
    worker: &Worker,
    fixtures: &FixtureServer,
) -> Round {
    let id = format!("bench-join-{}-{n}", platform.provider);
    let link = (platform.link)(Scenario::Instant);
    worker.wait_no_children().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pushed = now_ms();
    let _: usize = conn.rpush(QUEUE, job(platform.provider, &id, &link.url, None)).await.expect("RPUSH");
    let joining = events.state(&id, "joining", worker).await.at;
    let in_call = events.state(&id, "in_call", worker).await.at;
    let page = action_ms(fixtures, &link, ActionKind::PageLoaded).await;
    let name = action_ms(fixtures, &link, ActionKind::NameTyped).await;
    let asked = action_ms(fixtures, &link, ActionKind::JoinAsked).await;
    let admitted = action_ms(fixtures, &link, ActionKind::Admitted).await;
    let (recording, status) = worker.wait_logged(&id, "recording started", pushed).await;
    if n == 0 {
        println!("  (recorder status of the first job: {status:?})");
    }
    tokio::time::sleep(JOIN_CALL).await;
    let host_rss_in_call = crate::proc_tree::memory(worker.pid()).host_rss;
    let call = InCall { id: id.clone(), link, recording_started: recording };
    let (ended, terminal) = end_call(fixtures, events, worker, &call).await;
    let trace = join_trace(worker, &id, pushed);
    let leaving = events.seen.get(&id).and_then(|all| all.iter().find(|e| e.state == "leaving")).map(|e| e.at - ended);
    Round {
        push_to_joining: joining - pushed,
        joining_to_page: page - joining,
        joining_to_name: name - joining,
        joining_to_asked: asked - joining,
        push_to_name: name - pushed,
        push_to_asked: asked - pushed,
        admitted_to_in_call: in_call - admitted,
        admitted_to_recording: recording - admitted,
        end_to_terminal: terminal.at - ended,
        end_to_leaving: leaving,
        outcome: format!("{}/{}", terminal.state, terminal.reason),
        trace,
        host_rss_in_call,
    }
}

/// When the page reported its first action of `kind` (ms since the epoch); panics after [`WAIT`].
pub async fn action_ms(fixtures: &FixtureServer, link: &MeetingLink, kind: ActionKind) -> f64 {
    let action = fixtures.wait_for_action(&link.id, kind, WAIT).await.unwrap_or_else(|e| panic!("{e}"));
    action.at_ms as f64
}

/// Runs [`JOIN_ROUNDS`] join rounds and prints their figures next to their goals and the bare
/// launch (`launch`, ms).
pub async fn print_joins(
    platform: Platform,
    launch: f64,
    conn: &mut redis::aio::MultiplexedConnection,
    events: &mut Events,
    worker: &Worker,
    fixtures: &FixtureServer,
) {
    let name = platform.name;
    println!("join, fake {name} with instant admission, {JOIN_ROUNDS} recorded jobs one at a time:");
    let mut rounds = Vec::with_capacity(JOIN_ROUNDS);
    for n in 0..JOIN_ROUNDS {
        rounds.push(join_round(platform, n, conn, events, worker, fixtures).await);
    }
    let column = |f: fn(&Round) -> f64| rounds.iter().map(f).collect::<Vec<f64>>();
    println!("  RPUSH → `joining` event (job taken):          {}", summary(&column(|r| r.push_to_joining)));
    println!("  job taken → page loaded (browser launch + goto): {}", summary(&column(|r| r.joining_to_page)));
    println!("  job taken → `name_typed`:                     {}", summary(&column(|r| r.joining_to_name)));
    println!(
        "  job taken → `join_asked`:                     {}  (goal ≤ {:.0} ms; bare launch {launch:.0} ms)",
        summary(&column(|r| r.joining_to_asked)),
        platform.goal_ms
    );
    println!("  RPUSH → `name_typed`:                         {}", summary(&column(|r| r.push_to_name)));
    println!("  RPUSH → `join_asked`:                         {}", summary(&column(|r| r.push_to_asked)));
    println!(
        "  admitted → `in_call` event:                   {}  (goal ≤ 300 ms)",
        summary(&column(|r| r.admitted_to_in_call))
    );
    println!(
        "  admitted → \"recording started\" (worker log):  {}  (goal ≤ 1000 ms)",
        summary(&column(|r| r.admitted_to_recording))
    );
    println!(
        "  end_meeting → terminal event:                 {}  (goal ≤ 1000 ms, ended_by_host); outcomes: {}",
        summary(&column(|r| r.end_to_terminal)),
        outcomes(rounds.iter().map(|r| r.outcome.as_str()))
    );
    let rss: Vec<f64> = rounds.iter().map(|r| crate::stats::mib(r.host_rss_in_call)).collect();
    println!(
        "  worker RSS in the call, recording (MiB):       median {:.1}  max {:.1}  (goal ≤ 30 MiB)",
        crate::stats::median(&rss),
        crate::stats::max(&rss)
    );
    let leaving: Vec<f64> = rounds.iter().filter_map(|r| r.end_to_leaving).collect();
    if !leaving.is_empty() {
        println!("    of which end_meeting → `leaving` event:      {}", summary(&leaving));
    }
    // The first job of a worker also pays for one-time work (the plugin's runtime, the first
    // `chromium --version`): the trace is of the others.
    let traces: Vec<Trace> = rounds.iter().skip(1).map(|r| r.trace.clone()).collect();
    println!("  the join path, median ms since the message was taken (worker log; jobs 2-{JOIN_ROUNDS}):");
    print_traces(&traces);
    let asked: Vec<f64> = rounds.iter().skip(1).map(|r| r.push_to_asked).collect();
    println!("    {:<58} {:>7.0} ms  (RPUSH → the page's own stamp)", "page: join_asked", crate::stats::median(&asked));
}
