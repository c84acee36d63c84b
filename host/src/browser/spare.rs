//! One browser started ahead of the next job (`browser.spare`). Between spawning Chromium and the
//! plugin having its page lies ~0.5-0.65 s of Chromium starting (its launch, then ~180 ms in which
//! it answers no DevTools request, then its first renderer; docs/NOTES.md, join speed): a job that
//! takes the spare starts on a browser already past all of it. The next spare is started a few
//! seconds later, once the job's own join no longer competes with it for the CPU.
//!
//! A spare has its own new profile and has shown nothing but its blank first page, so a job on it
//! starts as clean as on a browser launched for it; one that died while waiting is never handed
//! out (the job launches its own).

use std::{
    path::PathBuf,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use tokio::{task::JoinHandle, time::Instant};

use super::{BrowserError, JobBrowser, launch};
use crate::config::BrowserConfig;

/// How long after a spare was taken the next one starts: past the busiest part of the join that
/// took it (the page's load and the plugin's first steps).
const REFILL_AFTER: Duration = Duration::from_secs(3);

/// The spare browser of one worker.
pub struct Spare {
    config: BrowserConfig,
    executable: Arc<PathBuf>,
    profiles: PathBuf,
    state: Mutex<State>,
}

/// The spare being started or waiting, and whether the worker still wants one.
struct State {
    next: Option<JoinHandle<Result<JobBrowser, BrowserError>>>,
    /// When the next spare's start begins; before that, a job gains nothing by waiting for it.
    starts_at: Instant,
    closed: bool,
}

impl Spare {
    /// Starts the first spare at once.
    pub fn start(config: BrowserConfig, executable: Arc<PathBuf>, profiles: PathBuf) -> Arc<Self> {
        let state = State { next: None, starts_at: Instant::now(), closed: false };
        let spare = Arc::new(Self { config, executable, profiles, state: Mutex::new(state) });
        spare.refill(Duration::ZERO);
        spare
    }

    /// The spare browser for a job, waited for if it is still starting (it started earlier than
    /// a browser launched now would); `None` when there is none, its start has not begun yet, or
    /// it failed or died. The next spare starts [`REFILL_AFTER`] later.
    pub async fn take(self: &Arc<Self>) -> Option<JobBrowser> {
        let next = {
            let mut state = self.lock();
            if Instant::now() < state.starts_at {
                return None;
            }
            state.next.take()?
        };
        self.refill(REFILL_AFTER);
        match next.await {
            Ok(Ok(browser)) if browser.process.is_running() => {
                tracing::info!("the job takes the spare browser");
                Some(browser)
            }
            Ok(Ok(browser)) => {
                tracing::warn!("the spare browser had exited; the job launches its own");
                browser.close().await;
                None
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "the spare browser did not start; the job launches its own");
                None
            }
            Err(error) => {
                tracing::warn!(%error, "the spare browser's start was cut short; the job launches its own");
                None
            }
        }
    }

    /// No more spares: a waiting one is closed, one still starting is stopped (its process is
    /// killed and its profile removed as the start is dropped).
    pub async fn close(&self) {
        let next = {
            let mut state = self.lock();
            state.closed = true;
            state.next.take()
        };
        let Some(next) = next else { return };
        next.abort();
        if let Ok(Ok(browser)) = next.await {
            browser.close().await;
        }
    }

    /// Starts the next spare after `delay`, unless the worker closed its spares.
    fn refill(self: &Arc<Self>, delay: Duration) {
        let mut state = self.lock();
        if state.closed {
            return;
        }
        let (config, executable, profiles) = (self.config.clone(), Arc::clone(&self.executable), self.profiles.clone());
        state.starts_at = Instant::now() + delay;
        state.next = Some(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let launched = launch(&config, &executable, &profiles, "spare").await;
            if launched.is_ok() {
                tracing::info!("a spare browser is ready for the next job");
            }
            launched
        }));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
