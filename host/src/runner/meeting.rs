//! What the runner knows about the meeting while the session runs: the auto-leave rules, whether
//! the bot was admitted, the timeline, and the recorder.

use chrono::Utc;
use tokio::{sync::mpsc, time::Instant};

use super::{Rules, joins::Join, timeline::Timeline};
use crate::{
    browser::JobBrowser,
    config::Config,
    job::{State, record::timestamp},
    plugins::Report,
    recorder::{Recorder, RecorderEvent, Tracks},
    store::{ActiveJob, JobStore},
    workdir::WorkDir,
};

/// RMS level above which the meeting counts as not silent (about -46 dBFS).
const SOUND_LEVEL: f32 = 0.005;

/// The meeting as the runner follows it.
pub struct Meeting {
    /// Auto-leave rules.
    pub rules: Rules,
    /// Whether the bot was ever in the call.
    pub admitted: bool,
    /// This delivery's join outcome, for the metrics.
    pub join: Join,
    /// What happened, for meeting.json.
    pub timeline: Timeline,
    /// The recording, once started.
    pub recorder: Option<Recorder>,
    /// Levels and failures from the recorder.
    pub recorder_events: mpsc::UnboundedReceiver<RecorderEvent>,
    recorder_tx: mpsc::UnboundedSender<RecorderEvent>,
    recording_tried: bool,
    /// Why recording failed for good (the spool could not be written), if it did.
    pub recording_failure: Option<String>,
}

impl Meeting {
    /// A meeting about to be joined.
    pub fn new(rules: Rules, join: Join) -> Self {
        let (recorder_tx, recorder_events) = mpsc::unbounded_channel();
        let mut timeline = Timeline::default();
        timeline.state(State::Joining);
        Self {
            rules,
            admitted: false,
            join,
            timeline,
            recorder: None,
            recorder_events,
            recorder_tx,
            recording_tried: false,
            recording_failure: None,
        }
    }

    /// Applies one plugin report to the record, the rules and the timeline.
    pub async fn on_report(&mut self, store: &JobStore, active: &ActiveJob, report: Report) {
        let now = Instant::now();
        match report {
            Report::State(session_state) => {
                let state = State::from(session_state);
                let first_admission = state == State::InCall && !self.admitted;
                let result = store
                    .transition(active.job_id(), state, |record| {
                        if first_admission {
                            record.joined_at = Some(timestamp(Utc::now()));
                        }
                    })
                    .await;
                match result {
                    Ok(()) => {
                        if first_admission {
                            self.join.admitted(now);
                        }
                        self.admitted |= state == State::InCall;
                        self.rules.on_state(state, now);
                        self.timeline.state(state);
                        tracing::info!(%state, "state changed");
                    }
                    Err(error) => tracing::warn!(%error, "plugin reported an impossible state change; ignored"),
                }
            }
            Report::Participants(count) => {
                self.rules.on_participants(count, now);
                self.timeline.participants(count);
                tracing::debug!(count, "participants");
            }
            Report::Event { kind, detail } => {
                tracing::info!(event = %kind, %detail, "platform event");
                self.timeline.event(&kind, &detail);
            }
        }
    }

    /// Starts recording once the bot is in the call (once per job), into the job's spool folder
    /// under this worker's folder.
    pub async fn start_recording(
        &mut self,
        config: &Config,
        browser: Option<(&JobBrowser, &WorkDir)>,
        active: &ActiveJob,
    ) {
        let Some((browser, workdir)) = browser else {
            return;
        };
        if self.recording_tried || !self.admitted || !config.recording.enabled {
            return;
        }
        self.recording_tried = true;
        let tracks = Tracks {
            size: config.browser.window_size(),
            video: config.recording.video,
            page_frame_rate: Some(config.recording.page_frame_rate).filter(|fps| *fps > 0),
        };
        let spool = match workdir.job_spool(active.job_id(), active.record().attempt) {
            Ok(spool) => spool,
            Err(error) => {
                tracing::error!(%error, "recording could not start; the meeting goes on unrecorded");
                self.timeline.recording(format!("could not start: {error}"));
                return;
            }
        };
        match Recorder::start(browser, &spool, tracks, self.recorder_tx.clone()).await {
            Ok(recorder) => {
                self.recorder = Some(recorder);
                self.timeline.recording(if tracks.video { "started" } else { "started (sound only)" });
                // The silence rule counts from the moment the audio is metered.
                self.rules.on_sound(Instant::now());
            }
            Err(error) => {
                tracing::error!(%error, "recording could not start; the meeting goes on unrecorded");
                self.timeline.recording(format!("could not start: {error}"));
            }
        }
    }

    /// Applies a recorder event; true when recording failed for good and the bot must leave.
    pub fn on_recorder_event(&mut self, event: RecorderEvent) -> bool {
        match event {
            RecorderEvent::Level(level) if level > SOUND_LEVEL => self.rules.on_sound(Instant::now()),
            RecorderEvent::Level(_) => self.rules.on_quiet(Instant::now()),
            RecorderEvent::Failed(message) => {
                tracing::warn!(%message, "recorder reported a problem");
                self.timeline.recording(message);
            }
            RecorderEvent::SpoolFailed(message) => {
                self.timeline.recording(format!("failed: {message}"));
                self.recording_failure = Some(message);
                return true;
            }
        }
        false
    }
}
