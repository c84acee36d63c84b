//! One `meetbot run` process of the fleet: its worker id, its own JSON log file (read afterwards
//! for the runs it made), and what the bench did to it (killed, paused), with wall-clock times the
//! run check compares against the log's timestamps.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use chrono::{DateTime, Utc};

use crate::common::{WorkDir, Worker, install_plugin};

/// What the bench needs to start a worker process.
pub struct Launch<'a> {
    pub binary: &'a Path,
    pub plugin: &'a Path,
    pub redis_url: &'a str,
    pub slots: usize,
    pub heartbeat_ttl_secs: u64,
    pub root: &'a Path,
}

/// A worker process, running or ended.
pub struct Process {
    pub worker_id: String,
    pub log: PathBuf,
    /// When the bench killed it (kill -9) or it exited after SIGTERM; its runs without an end in
    /// the log ended then.
    pub ended_at: Option<DateTime<Utc>>,
    /// The spans it was cut off from Redis (paused by SIGSTOP, or Redis down), from the moment it
    /// was cut off to the moment it could reach Redis again: a run it had then may overlap a
    /// peer's for up to the heartbeat TTL after that (the time it takes to learn it lost the job,
    /// docs/REFERENCE.md section 6).
    pub cut_off: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    worker: Worker,
}

impl Process {
    /// Starts `worker_id` (the n-th process of that id when it was started before) and waits for
    /// `GET /health`.
    pub async fn start(launch: &Launch<'_>, worker_id: &str, incarnation: usize) -> Self {
        let dir = WorkDir::at(launch.root.join(format!("{worker_id}.{incarnation}")));
        let plugins = install_plugin(launch.plugin, dir.path());
        let config = |api: &str| {
            format!(
                "[worker]\nid = \"{worker_id}\"\nmax_concurrent_jobs = {slots}\nheartbeat_ttl_secs = {ttl}\n\
                 drain_timeout_secs = 0\n\n\
                 [api]\nlisten = \"{api}\"\n\n\
                 [redis]\nenabled = true\nurl = \"{url}\"\n\n\
                 [plugins]\ndirs = [\"{plugins}\"]\n\n\
                 [recording]\nspool_dir = \"{spool}\"\n\n\
                 [log]\nlevel = \"info\"\nformat = \"json\"\n",
                slots = launch.slots,
                ttl = launch.heartbeat_ttl_secs,
                url = launch.redis_url,
                plugins = plugins.display(),
                spool = launch.root.join("spool").display(),
            )
        };
        let worker = Worker::start(launch.binary, dir, config, &[]).await;
        Self { worker_id: worker_id.to_owned(), log: worker.log_path(), ended_at: None, cut_off: Vec::new(), worker }
    }

    /// kill -9.
    pub fn kill(&mut self) {
        self.worker.kill();
        self.ended_at.get_or_insert_with(Utc::now);
    }

    /// SIGSTOP for `pause`, then SIGCONT.
    pub async fn pause(&mut self, pause: Duration) {
        let stopped = Utc::now();
        self.worker.signal(libc::SIGSTOP);
        tokio::time::sleep(pause).await;
        self.worker.signal(libc::SIGCONT);
        self.cut_off.push((stopped, Utc::now()));
    }

    /// SIGTERM, and waits for the process to exit (graceful shutdown); true when it exited 0.
    pub async fn terminate(&mut self, within: Duration) -> bool {
        let status = self.worker.terminate(within).await;
        self.ended_at = Some(Utc::now());
        status.is_some_and(|s| s.success())
    }

    pub fn running(&self) -> bool {
        self.ended_at.is_none()
    }
}
