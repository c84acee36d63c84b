//! [`ChromiumProcess`]: one test browser's process, in its own process group with its own
//! profile, killed with every child it started (renderers, GPU, zygote) when the test is done,
//! and by the kernel if the test process dies first.

use std::{path::Path, process::Stdio, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, ChildStderr, Command},
    sync::oneshot,
};

use super::switches::{major_version, switches};
use crate::TestkitError;

/// The major version assumed when `--version` says nothing usable.
const FALLBACK_MAJOR: &str = "139";

/// A running Chromium.
pub(super) struct ChromiumProcess {
    child: Child,
    pid: i32,
    websocket_url: String,
    profile: Option<tempfile::TempDir>,
}

impl ChromiumProcess {
    /// Starts `executable` with a fresh profile and waits until it announces its DevTools
    /// websocket.
    pub(super) async fn spawn(executable: &Path, extra: &[String], timeout: Duration) -> Result<Self, TestkitError> {
        let version = Command::new(executable).arg("--version").stdin(Stdio::null()).output().await;
        let major = version
            .ok()
            .and_then(|out| major_version(&String::from_utf8_lossy(&out.stdout)))
            .unwrap_or_else(|| FALLBACK_MAJOR.to_owned());
        let profile = tempfile::Builder::new().prefix("meetbot-testkit-").tempdir()?;
        let mut command = Command::new(executable);
        command
            .args(switches(profile.path(), &major, extra))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        // `pre_exec` is unsafe (the closure runs between fork and exec); allowed for this call.
        // SAFETY: prctl(2) is async-signal-safe and touches no memory of the parent.
        #[allow(unsafe_code)]
        unsafe {
            // A test process that dies (a panic that aborts, a kill -9) takes its browsers along.
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command.spawn().map_err(|e| TestkitError::Browser(format!("{}: {e}", executable.display())))?;
        let pid = child.id().and_then(|id| i32::try_from(id).ok()).unwrap_or_default();
        let stderr = child.stderr.take().ok_or_else(|| TestkitError::Browser("no stderr pipe".to_owned()))?;
        let (url_tx, url_rx) = oneshot::channel();
        tokio::spawn(read_stderr(stderr, url_tx));
        let mut process = Self { child, pid, websocket_url: String::new(), profile: Some(profile) };
        match tokio::time::timeout(timeout, url_rx).await {
            Ok(Ok(url)) => {
                process.websocket_url = url;
                Ok(process)
            }
            Ok(Err(_)) => {
                Err(TestkitError::Browser(format!("{} exited before announcing DevTools", executable.display())))
            }
            Err(_) => Err(TestkitError::Browser(format!(
                "{} did not announce DevTools within {} s",
                executable.display(),
                timeout.as_secs()
            ))),
        }
    }

    pub(super) fn websocket_url(&self) -> &str {
        &self.websocket_url
    }

    /// Kills the process tree, waits for the main process, removes the profile.
    pub(super) async fn shutdown(mut self) {
        kill_group(self.pid);
        self.pid = 0;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        if let Some(profile) = self.profile.take() {
            let _ = tokio::task::spawn_blocking(move || profile.close()).await;
        }
    }
}

impl Drop for ChromiumProcess {
    /// A browser not shut down (a test that failed half-way) is killed too; its profile goes with
    /// the `TempDir`.
    fn drop(&mut self) {
        kill_group(self.pid);
    }
}

/// Reads Chromium's stderr: the DevTools line, then everything (so the pipe never fills).
async fn read_stderr(stderr: ChildStderr, url_tx: oneshot::Sender<String>) {
    let mut lines = BufReader::new(stderr).lines();
    let mut url_tx = Some(url_tx);
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(url) = line.strip_prefix("DevTools listening on ")
            && let Some(tx) = url_tx.take()
        {
            let _ = tx.send(url.trim().to_owned());
        }
    }
}

/// SIGKILL to the browser's process group: the browser and every child it started.
fn kill_group(pid: i32) {
    if pid > 0 {
        // libc calls are unsafe; allowed for this one.
        // SAFETY: kill(2) with a negative pid signals a process group; no memory is touched.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}
