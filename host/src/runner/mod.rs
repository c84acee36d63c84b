//! Running one job: the plugin session, the reports it sends, the auto-leave rules, cancellation
//! and shutdown, and the job's end.

mod joins;
mod keep;
mod meeting;
mod outcome;
mod rules;
mod timeline;

use std::{path::PathBuf, sync::Arc, task::Poll, time::Duration};

use meetbot_plugin_api::{BrowserTarget, SessionRequest};
use tokio::{
    sync::mpsc,
    time::{Instant, sleep_until},
};
use tracing::Instrument;

use joins::Join;
use meeting::Meeting;
pub use rules::{Limits, Rules};
pub use timeline::Timeline;

use crate::{
    artifacts::{self, Artifacts, Console, Scrub, Stored},
    browser::{self, JobBrowser, Spare},
    config::{ArtifactsWhen, Config},
    job::{JobRequest, Reason, State},
    notify,
    plugins::{LoadedPlugin, MAX_BACKLOG, Report, SessionContext, SessionLink},
    recorder::{Output, Spooled, finalize},
    storage::Storage,
    store::{ActiveJob, Control, JobStore},
    workdir::WorkDir,
};

/// How long a plugin may take to leave once asked, before the host ends the session itself.
const LEAVE_GRACE: Duration = Duration::from_secs(20);

/// Runs jobs to their end.
pub struct Runner {
    config: Arc<Config>,
    store: JobStore,
    browser: Option<Browsers>,
    storage: Option<Storage>,
    tap: Option<ReportTap>,
}

/// A copy of every report a plugin sends, in order, as it arrives (before the host applies it):
/// for `meetbot check-plugin --scenario`, which prints them.
pub type ReportTap = mpsc::UnboundedSender<Report>;

/// What jobs of browser-based plugins need: the Chromium to launch, and this worker's folder for
/// browser profiles and recording spools.
#[derive(Clone)]
pub struct Browsers {
    /// The Chromium executable.
    pub executable: Arc<PathBuf>,
    /// This worker's folder.
    pub workdir: WorkDir,
    /// The browser started ahead of the next job (`browser.spare`).
    pub spare: Option<Arc<Spare>>,
}

/// Why the host asked the bot to leave, and what becomes of the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LeaveRequest {
    reason: Reason,
    /// The message goes back to the queue (shutdown before admission).
    give_back: bool,
    /// The job is another worker's now: nothing is written, the recording stays on local disk.
    lost: bool,
}

/// How a job ends.
#[derive(Debug, Clone, PartialEq)]
enum End {
    /// Its message goes back to the head of the queue (shutdown before admission).
    GiveBack,
    /// A terminal record with this reason and detail.
    Finish(Reason, Option<String>),
    /// Another worker took the job over: the bot left, nothing is written here.
    Lost,
}

impl Runner {
    /// A runner over the worker's store; `browser` is what browser-based plugins need, `storage`
    /// where recordings go.
    pub fn new(config: Arc<Config>, store: JobStore, browser: Option<Browsers>, storage: Option<Storage>) -> Self {
        Self { config, store, browser, storage, tap: None }
    }

    /// The runner also sends a copy of every report to `tap`.
    pub fn with_tap(mut self, tap: Option<ReportTap>) -> Self {
        self.tap = tap;
        self
    }

    /// Runs the job to its end and writes its terminal record (or gives its message back).
    pub async fn run(self, active: ActiveJob, request: JobRequest, plugin: Arc<LoadedPlugin>) {
        let span = tracing::info_span!("job", job_id = %active.job_id(),
            correlation_id = %active.record().correlation_id, provider = %request.provider);
        self.run_job(active, request, plugin).instrument(span).await;
    }

    async fn run_job(self, mut active: ActiveJob, request: JobRequest, plugin: Arc<LoadedPlugin>) {
        let started = Instant::now();
        tracing::info!(name = %request.name, attempt = active.record().attempt, "job started");
        let rules = Rules::new(Limits::new(&self.config.auto_leave, &request.auto_leave), started);
        let mut meeting = Meeting::new(rules, Join::new(&request.provider, started));
        let mut spooled = None;
        let mut artifacts = None;
        let end = match self.open_browser(&active, &plugin).await {
            Ok(browser) => {
                // Only a browser's artifacts are scrubbed: a job without one does not pay for it.
                let scrub = browser.as_ref().map(|_| Scrub::new(&request.url, request.bearer_token.expose()));
                // The console is looked up while the session starts, not before: the page may
                // take the host's connection a few polls to show up, and the plugin does not wait.
                let (console, end) = tokio::join!(
                    self.collect_console(browser.as_ref(), scrub.as_ref()),
                    self.session(&mut active, &request, &plugin, browser.as_ref(), &mut meeting)
                );
                if let Some(recorder) = &meeting.recorder {
                    recorder.show_page().await;
                }
                artifacts = self.take_artifacts(&end, browser.as_ref(), console.as_ref(), scrub.as_ref()).await;
                drop(console);
                spooled = self.stop_recording(&mut meeting).await;
                if let Some(browser) = browser {
                    browser.close().await;
                }
                end
            }
            Err(detail) => End::Finish(Reason::BrowserCrashed, Some(detail)),
        };
        match end {
            End::GiveBack => {
                tracing::info!("shutdown before admission: message given back to the head of the queue");
                self.store.give_back(active.job_id(), "given back at shutdown before admission").await;
            }
            End::Finish(reason, detail) => {
                let ending = keep::Ending { reason, detail, artifacts, recordable: plugin.needs_browser };
                let (reason, detail) = self.keep(&active, spooled, &mut meeting, ending).await;
                meeting.join.ended(reason);
                self.finish(&active, &request, reason, detail, started).await;
            }
            End::Lost => {
                self.keep_locally(&active, spooled).await;
                self.store.finish(active.job_id(), Reason::InternalError, None, |_| None).await;
            }
        }
    }

    /// Starts collecting the console of the job's page for its debug artifacts, unless they are
    /// off (or the job has no browser, or the page cannot be reached: then without a console).
    async fn collect_console(&self, browser: Option<&JobBrowser>, scrub: Option<&Scrub>) -> Option<Console> {
        if self.config.debug.artifacts == ArtifactsWhen::Off || self.storage.is_none() {
            return None;
        }
        let (browser, scrub) = (browser?, scrub?);
        let page = browser.page().await?;
        Some(Console::collect(page, scrub.clone()))
    }

    /// The debug artifacts of the page as the session ended, when the job's end wants them
    /// (`debug.artifacts`) and the browser is still there to take them from.
    async fn take_artifacts(
        &self,
        end: &End,
        browser: Option<&JobBrowser>,
        console: Option<&Console>,
        scrub: Option<&Scrub>,
    ) -> Option<Artifacts> {
        let End::Finish(reason, _) = end else {
            return None;
        };
        if !self.config.debug.artifacts.wanted(*reason) || *reason == Reason::BrowserCrashed || self.storage.is_none() {
            return None;
        }
        artifacts::capture(browser?, console, scrub?, self.config.browser.window_size()).await
    }

    /// Stops the recorder, if one runs; what it spooled.
    async fn stop_recording(&self, meeting: &mut Meeting) -> Option<Spooled> {
        let recorder = meeting.recorder.take()?;
        let spooled = recorder.stop().await;
        meeting.timeline.recording(format!("stopped: {} bytes", spooled.bytes));
        Some(spooled)
    }

    /// A job another worker took over keeps its partial recording on local disk only (the other
    /// worker stores the job's recording under the job's name): finalized if it can be, moved to
    /// this worker's `kept/` folder, and logged with its path.
    async fn keep_locally(&self, active: &ActiveJob, spooled: Option<Spooled>) {
        let (Some(spooled), Some(browsers)) = (spooled, &self.browser) else {
            return;
        };
        if let Err(error) =
            finalize::finalize(&spooled.segments, Output::of(&self.config.recording), &spooled.dir).await
        {
            tracing::warn!(%error, "the partial recording could not be finalized; its segments are kept");
        }
        match browsers.workdir.keep(&spooled.dir, active.job_id(), active.record().attempt) {
            Ok(kept) => {
                tracing::warn!(path = %kept.display(), "the partial recording of a job taken over by another worker is kept on local disk")
            }
            Err(error) => tracing::error!(%error, "the partial recording could not be moved to the kept folder"),
        }
    }

    /// Finalizes and stores the recording, the debug artifacts and meeting.json; the reason and
    /// detail to end with.
    async fn keep(
        &self,
        active: &ActiveJob,
        spooled: Option<Spooled>,
        meeting: &mut Meeting,
        ending: keep::Ending,
    ) -> (Reason, Option<String>) {
        let Some(storage) = &self.storage else {
            return (ending.reason, ending.detail);
        };
        if spooled.is_some() {
            let _ = self.store.transition(active.job_id(), State::Finalizing, |_| {}).await;
            meeting.timeline.state(State::Finalizing);
        }
        let record = self.store.get(active.job_id()).await.ok().flatten().unwrap_or_else(|| active.record().clone());
        let workdir = self.browser.as_ref().map(|b| &b.workdir);
        let kept = keep::keep(&self.config, storage, workdir, &record, spooled, &mut meeting.timeline, ending).await;
        let debug_url = kept.debug.as_ref().and_then(Stored::folder);
        if kept.recording_url.is_some() || kept.duration_secs.is_some() || debug_url.is_some() {
            self.store
                .update(active.job_id(), |record| {
                    record.recording_url = kept.recording_url.clone();
                    record.duration_secs = kept.duration_secs;
                    record.debug_url = debug_url;
                })
                .await;
        }
        (kept.reason, kept.detail)
    }

    /// The job's own browser, when its plugin needs one.
    async fn open_browser(&self, active: &ActiveJob, plugin: &LoadedPlugin) -> Result<Option<JobBrowser>, String> {
        if !plugin.needs_browser {
            return Ok(None);
        }
        let browsers = self.browser.as_ref().ok_or("no browser executable configured")?;
        if let Some(spare) = &browsers.spare
            && let Some(browser) = spare.take().await
        {
            return Ok(Some(browser));
        }
        let profiles = browsers.workdir.browsers();
        let browser = browser::launch(&self.config.browser, &browsers.executable, &profiles, active.job_id())
            .await
            .map_err(|e| e.to_string())?;
        tracing::debug!(target_id = %browser.target_id, "browser launched");
        Ok(Some(browser))
    }

    /// The plugin session, from start to the plugin's outcome (or the host giving up on it).
    async fn session(
        &self,
        active: &mut ActiveJob,
        request: &JobRequest,
        plugin: &LoadedPlugin,
        browser: Option<&JobBrowser>,
        meeting: &mut Meeting,
    ) -> End {
        let started = Instant::now();
        let (context, mut link) = SessionContext::new(tracing::Span::current());
        tracing::debug!(target: "meetbot::join", "join step: plugin run called");
        let session = plugin.run(self.session_request(active, request, browser), context);
        tokio::pin!(session);

        let mut leave: Option<LeaveRequest> = None;
        let mut leave_deadline: Option<Instant> = None;
        let mut drain_deadline: Option<Instant> = None;
        let mut browser_died = false;
        // A century past a monotonic clock's reading since boot cannot overflow it.
        let far = started + Duration::from_secs(100 * 365 * 24 * 3600);

        let outcome = loop {
            let (rule_at, rule_reason) = meeting.rules.next().unwrap_or((far, Reason::InternalError));
            // The session's end first: reports still queued when it ended are then drained below
            // (for a job without a browser, written with its end in one script). Only this one
            // look is ordered: the select stays fair, so no stream of reports can hold off a
            // cancel, an auto-leave rule or the leave deadline.
            if let Poll::Ready(outcome) = futures::poll!(&mut session) {
                break Some(outcome);
            }
            tokio::select! {
                outcome = &mut session => break Some(outcome),
                Some(report) = link.recv() => {
                    self.on_report(meeting, active, report).await;
                    let recording = browser.zip(self.browser.as_ref().map(|b| &b.workdir));
                    meeting.start_recording(&self.config, recording, active).await;
                }
                Some(event) = meeting.recorder_events.recv() => {
                    if meeting.on_recorder_event(event) {
                        ask_to_leave(&link, &mut leave, &mut leave_deadline, LeaveRequest::because(Reason::RecordingFailed));
                    }
                }
                Some(control) = active.control.recv() => match control {
                    Control::Leave(reason) => ask_to_leave(&link, &mut leave, &mut leave_deadline, LeaveRequest::because(reason)),
                    Control::Lost => {
                        let lost = LeaveRequest { reason: Reason::InternalError, give_back: false, lost: true };
                        // Whatever was asked before, the job is no longer this worker's to end.
                        leave = None;
                        ask_to_leave(&link, &mut leave, &mut leave_deadline, lost);
                    }
                    Control::Shutdown if !meeting.admitted => {
                        let give_back = active.message().is_some();
                        let request = LeaveRequest { reason: Reason::Shutdown, give_back, lost: false };
                        ask_to_leave(&link, &mut leave, &mut leave_deadline, request);
                    }
                    Control::Shutdown => match (drain_deadline, self.config.worker.drain_timeout_secs) {
                        // A second shutdown signal means: stop draining, leave now.
                        (Some(_), _) => ask_to_leave(&link, &mut leave, &mut leave_deadline, LeaveRequest::because(Reason::Shutdown)),
                        (None, 0) => {
                            tracing::info!("shutdown: the meeting may go on until it ends");
                            drain_deadline = Some(far);
                        }
                        (None, secs) => drain_deadline = Some(later(Instant::now(), Duration::from_secs(secs), far)),
                    },
                },
                () = sleep_until(rule_at), if leave.is_none() => {
                    tracing::info!(reason = %rule_reason, "auto-leave rule fired");
                    ask_to_leave(&link, &mut leave, &mut leave_deadline, LeaveRequest::because(rule_reason));
                }
                () = sleep_until(drain_deadline.unwrap_or(far)), if drain_deadline.is_some() && leave.is_none() => {
                    tracing::info!("drain timeout passed; leaving");
                    ask_to_leave(&link, &mut leave, &mut leave_deadline, LeaveRequest::because(Reason::Shutdown));
                }
                () = browser_exit(browser) => {
                    browser_died = true;
                    break None;
                }
                () = sleep_until(leave_deadline.unwrap_or(far)), if leave_deadline.is_some() => break None,
            }
        };
        if browser.is_none() {
            // Nothing but the end follows a session without a browser: the states it reported
            // last go with the end.
            self.store.closing(active.job_id());
        }
        while let Some(report) = link.try_recv() {
            self.on_report(meeting, active, report).await;
        }
        if link.dropped() > 0 {
            tracing::warn!(
                dropped = link.dropped(),
                backlog = MAX_BACKLOG,
                "the plugin reported events and participant counts faster than the host applies them; those beyond the backlog were dropped"
            );
        }
        if browser_died {
            tracing::warn!("the browser died during the session");
            return End::Finish(
                Reason::BrowserCrashed,
                Some("the browser process exited during the meeting".to_owned()),
            );
        }
        if let Some(LeaveRequest { lost: true, .. }) = leave {
            return End::Lost;
        }
        if let Some(LeaveRequest { give_back: true, .. }) = leave
            && !meeting.admitted
        {
            return End::GiveBack;
        }
        let (reason, detail) = outcome::resolve(outcome, leave.map(|l| l.reason), LEAVE_GRACE);
        End::Finish(reason, detail)
    }

    /// Applies one plugin report, after copying it to the tap.
    async fn on_report(&self, meeting: &mut Meeting, active: &ActiveJob, report: Report) {
        if let Some(tap) = &self.tap {
            let _ = tap.send(report.clone());
        }
        meeting.on_report(&self.store, active, report).await;
    }

    async fn finish(
        &self,
        active: &ActiveJob,
        request: &JobRequest,
        reason: Reason,
        detail: Option<String>,
        started: Instant,
    ) {
        let client_detail = detail.clone();
        let notify = |record: &crate::job::JobRecord| {
            Some(notify::results::client_record(&self.config, record, client_detail.as_deref()))
        };
        let Some(record) = self.store.finish(active.job_id(), reason, detail, notify).await else {
            return;
        };
        let elapsed = started.elapsed().as_secs_f64();
        metrics::counter!("meetbot_jobs_total", "provider" => request.provider.clone(),
            "outcome" => record.state.as_str(), "reason" => reason.as_str())
        .increment(1);
        metrics::histogram!("meetbot_job_duration_seconds").record(elapsed);
        tracing::info!(state = %record.state, %reason, detail = record.detail.as_deref().unwrap_or(""),
            secs = elapsed, "job ended");
    }

    fn session_request(
        &self,
        active: &ActiveJob,
        request: &JobRequest,
        browser: Option<&JobBrowser>,
    ) -> SessionRequest {
        SessionRequest {
            job_id: active.job_id().into(),
            correlation_id: active.record().correlation_id.as_str().into(),
            provider: request.provider.as_str().into(),
            url: request.url.as_str().into(),
            bot_name: request.name.as_str().into(),
            timezone: request.timezone.as_str().into(),
            browser: browser
                .map(|b| BrowserTarget {
                    websocket_url: b.websocket_url.as_str().into(),
                    target_id: b.target_id.as_str().into(),
                })
                .into(),
            job_json: request.public_json().to_string().into(),
        }
    }
}

impl LeaveRequest {
    /// Leaving for `reason`; the job ends here with it.
    fn because(reason: Reason) -> Self {
        Self { reason, give_back: false, lost: false }
    }
}

fn ask_to_leave(
    link: &SessionLink,
    leave: &mut Option<LeaveRequest>,
    deadline: &mut Option<Instant>,
    request: LeaveRequest,
) {
    if leave.is_some() {
        return;
    }
    tracing::info!(reason = %request.reason, lost = request.lost, "asking the bot to leave");
    *leave = Some(request);
    *deadline = Some(Instant::now() + LEAVE_GRACE);
    link.request_leave();
}

/// `base + wait`, or `far` when that cannot be represented (an hours-long configured wait is
/// fine; no value may panic the runner).
fn later(base: Instant, wait: Duration, far: Instant) -> Instant {
    base.checked_add(wait).map_or(far, |at| at.min(far))
}

/// Resolves when the job's browser exits; never when there is none.
async fn browser_exit(browser: Option<&JobBrowser>) {
    match browser {
        Some(browser) => browser.process.exited().await,
        None => std::future::pending().await,
    }
}
