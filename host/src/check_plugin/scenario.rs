//! `meetbot check-plugin --scenario URL`: one real session of the plugin, run exactly as the
//! worker runs a job (the dispatcher's checks, a slot, the runner, Chromium launched with the
//! configured switches, the auto-leave rules, the job's end), in this process and without Redis.
//! Every report the plugin sends is printed as it arrives, with the host's own state changes and
//! the job's outcome. Recording is off unless asked for (`--record`), so a check leaves nothing
//! behind: browser profiles live in a temporary folder.

use std::{io::Write, sync::Arc, time::Instant};

use serde_json::json;
use tokio::sync::{broadcast::error::RecvError, mpsc};

use super::CheckError;
use crate::{
    browser::find_executable,
    config::Config,
    dispatch::Dispatcher,
    job::{JobRecord, JobRequest, Reason, State},
    plugins::{Registry, Report},
    runner::Browsers,
    storage::Storage,
    store::JobStore,
    workdir::WorkDir,
};

/// The one job the scenario runs.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The meeting link.
    pub url: String,
    /// The job's provider (one the plugin serves).
    pub provider: String,
    /// The bot's display name.
    pub name: String,
    /// Whether the meeting is recorded and stored as the config says.
    pub record: bool,
}

/// Runs the scenario in a runtime of its own; true when the job ended `completed`.
pub fn run(registry: Registry, scenario: Scenario, config: Config, out: &mut impl Write) -> Result<bool, CheckError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CheckError::Setup(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(session(registry, scenario, config, out))
}

async fn session(
    registry: Registry,
    scenario: Scenario,
    mut config: Config,
    out: &mut impl Write,
) -> Result<bool, CheckError> {
    let setup = |what: &str, error: &dyn std::fmt::Display| CheckError::Setup(format!("{what}: {error}"));
    // TLS for S3 uploads, on the worker's crypto provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    config.recording.enabled = scenario.record;
    let config = Arc::new(config);
    let needs_browser = registry.plugins.iter().any(|plugin| plugin.needs_browser);

    // Recordings spool where the worker's do (an upload that fails keeps its file there, under
    // `check-plugin/kept/`); without one, everything lives in a folder removed at the end.
    let temporary = tempfile::tempdir().map_err(|e| setup("cannot create a temporary folder", &e))?;
    let spool_dir = if scenario.record { config.recording.spool_dir.clone() } else { temporary.path().to_owned() };
    let workdir = WorkDir::open(&spool_dir, "check-plugin").map_err(|e| setup("work folder", &e))?;
    let store = JobStore::new(1, None, 0);
    let (tap, mut reports) = mpsc::unbounded_channel();
    let mut dispatcher = Dispatcher::new(config.clone(), store.clone(), Arc::new(registry)).with_report_tap(tap);
    if needs_browser {
        let executable = find_executable(&config.browser.executable).map_err(|e| setup("browser", &e))?;
        dispatcher = dispatcher.with_browser(Browsers {
            executable: Arc::new(executable),
            workdir: workdir.clone(),
            spare: None,
        });
    }
    if scenario.record {
        let storage = Storage::from_config(&config.storage).map_err(|e| setup("recording storage", &e))?;
        dispatcher = dispatcher.with_storage(storage);
    }

    let job_id = format!("check-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let message = json!({
        "url": scenario.url,
        "provider": scenario.provider,
        "name": scenario.name,
        "teamId": "check-plugin",
        "userId": "check-plugin",
        "bearerToken": "check-plugin",
        "timezone": "UTC",
        "botId": job_id,
    });
    let request = JobRequest::from_message(&message.to_string()).map_err(|e| CheckError::Usage(e.to_string()))?;
    let recording = if scenario.record { "on" } else { "off" };
    let _ = writeln!(
        out,
        "scenario   {} {} as {:?}, job {job_id}, recording {recording}",
        scenario.provider, scenario.url, scenario.name
    );

    let started = Instant::now();
    let mut changes = store.subscribe();
    dispatcher.submit_rest(request).await.map_err(|e| setup("the job did not start", &e))?;
    let mut lines = Lines { out, started, printed: Vec::new() };
    let mut interrupted = false;
    let ended = loop {
        tokio::select! {
            // A report reaches the tap before the host applies it: printed first, so a state
            // the plugin reported is not printed again as the host's.
            biased;
            Some(report) = reports.recv() => lines.report(&report),
            change = changes.recv() => match change {
                Ok(record) if record.job_id == job_id => {
                    lines.job_state(record.state);
                    if record.state.is_terminal() {
                        break record;
                    }
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return Err(CheckError::Setup("the job store closed".to_owned())),
            },
            _ = tokio::signal::ctrl_c(), if !interrupted => {
                interrupted = true;
                lines.note("interrupted: asking the bot to leave");
                store.request_leave(&job_id, Reason::Cancelled);
            }
        }
    };
    while let Ok(report) = reports.try_recv() {
        lines.report(&report);
    }
    // The runner is done once its slot is free: the browser is closed, the recording stored.
    store.until_idle().await;
    lines.outcome(&ended);
    if scenario.record {
        workdir.tidy();
    }
    Ok(ended.state == State::Completed)
}

/// The scenario's output: one line per event, stamped with the seconds since the job started.
struct Lines<'a, W: Write> {
    out: &'a mut W,
    started: Instant,
    /// The job states printed so far: each is printed once, whoever reported it first (the
    /// host's own record changes and the plugin's reports travel on different channels, so
    /// either may come first).
    printed: Vec<State>,
}

impl<W: Write> Lines<'_, W> {
    fn line(&mut self, source: &str, text: &str) {
        let secs = self.started.elapsed().as_secs_f64();
        let _ = writeln!(self.out, "{:>+8.2}s  {source:<7}{text}", secs);
    }

    /// A report as the plugin sent it.
    fn report(&mut self, report: &Report) {
        match report {
            Report::State(state) => {
                let state = State::from(*state);
                if !self.printed.contains(&state) {
                    self.printed.push(state);
                }
                self.line("plugin", &format!("state {state}"));
            }
            Report::Participants(count) => self.line("plugin", &format!("participants {count}")),
            Report::Event { kind, detail } => self.line("plugin", &format!("event {kind}: {detail}")),
        }
    }

    /// The job's state as the host wrote it, unless that state was printed already.
    fn job_state(&mut self, state: State) {
        if !self.printed.contains(&state) {
            self.printed.push(state);
            self.line("host", &format!("state {state}"));
        }
    }

    fn note(&mut self, text: &str) {
        self.line("check", text);
    }

    /// The job's terminal record.
    fn outcome(&mut self, record: &JobRecord) {
        let reason = record.reason.map_or("-", Reason::as_str);
        let detail = record.detail.as_deref().unwrap_or("");
        let _ = writeln!(self.out, "outcome    {} {reason}  {detail}", record.state);
        if let Some(url) = &record.recording_url {
            let _ = writeln!(self.out, "recording  {url}");
        }
    }
}
