//! Jobs the meeting ends by itself (part 6): lobby denial, refusals before asking (blocked, not
//! found, sign-in wall) and everyone leaving, each timed as its goal in docs/NOTES.md says.

use meetbot_fixtures::{Action, ActionKind, FixtureServer, MeetingLink, Scenario};
use redis::AsyncCommands;

use crate::events::Events;
use crate::stats::{outcomes, summary};
use crate::worker::{Worker, meet_job};
use crate::{ENDING_ROUNDS, EVERYONE_LEFT, QUEUE, REPORT_GRACE};

/// One job of a meeting that ends it by itself: the measure (`None` when the page never reported
/// where it starts or ends) and the job's outcome.
pub struct Ending {
    pub ms: Option<f64>,
    pub outcome: String,
}

/// When the page reported its first action that `matches` (ms since the epoch), if it did within
/// [`REPORT_GRACE`].
pub async fn reported(fixtures: &FixtureServer, link: &MeetingLink, matches: impl Fn(&Action) -> bool) -> Option<f64> {
    fixtures.wait_until(&link.id, REPORT_GRACE, matches).await.ok().map(|a| a.at_ms as f64)
}

/// Pushes a job for a meeting of `scenario` once the last job's browser is gone, follows it to its
/// end and measures what the scenario's goal in docs/NOTES.md times (see the module header, part 6).
pub async fn ending_round(
    scenario: Scenario,
    n: usize,
    conn: &mut redis::aio::MultiplexedConnection,
    events: &mut Events,
    worker: &Worker,
    fixtures: &FixtureServer,
) -> Ending {
    let id = format!("bench-{}-{n}", scenario.letter_tag());
    let link = MeetingLink::meet(scenario);
    let auto_leave = (scenario == Scenario::EveryoneLeaves)
        .then(|| serde_json::json!({ "everyone_left_timeout_secs": EVERYONE_LEFT.as_secs() }));
    worker.wait_no_children().await;
    let _: usize = conn.rpush(QUEUE, meet_job(&id, &link.url, auto_leave)).await.expect("RPUSH");
    let joining = events.state(&id, "joining", worker).await.at;
    let terminal = events.terminal(&id, worker).await;
    let kind_is = |kind: ActionKind| move |a: &Action| a.kind == kind;
    let (from, to) = match scenario {
        Scenario::LobbyDenied => (reported(fixtures, &link, kind_is(ActionKind::Denied)).await, Some(terminal.at)),
        Scenario::EveryoneLeaves => {
            let alone = |a: &Action| a.kind == ActionKind::ParticipantsChanged && a.count == Some(1);
            let timeout = EVERYONE_LEFT.as_secs_f64() * 1000.0;
            let alone = reported(fixtures, &link, alone).await.map(|at| at + timeout);
            (alone, reported(fixtures, &link, kind_is(ActionKind::LeaveClicked)).await)
        }
        _ => (Some(joining), Some(terminal.at)),
    };
    Ending { ms: from.zip(to).map(|(from, to)| to - from), outcome: format!("{}/{}", terminal.state, terminal.reason) }
}

/// Runs [`ENDING_ROUNDS`] jobs of `scenario` and prints their figure next to its goal.
pub async fn print_endings(
    scenario: Scenario,
    label: &str,
    goal: &str,
    conn: &mut redis::aio::MultiplexedConnection,
    events: &mut Events,
    worker: &Worker,
    fixtures: &FixtureServer,
) {
    let mut endings = Vec::with_capacity(ENDING_ROUNDS);
    for n in 0..ENDING_ROUNDS {
        endings.push(ending_round(scenario, n, conn, events, worker, fixtures).await);
    }
    let measured: Vec<f64> = endings.iter().filter_map(|e| e.ms).collect();
    let figure = if measured.is_empty() { "no measure".to_owned() } else { summary(&measured) };
    let missing = endings.len() - measured.len();
    let missing = if missing > 0 { format!(" ({missing} runs without the page's report)") } else { String::new() };
    println!(
        "  {label:<54} {figure}  (goal {goal}){missing}; outcomes: {}",
        outcomes(endings.iter().map(|e| e.outcome.as_str()))
    );
}
