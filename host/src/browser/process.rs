//! The Chromium process of one job: started in its own process group with its own user-data-dir,
//! watched for an unexpected exit, and killed with every child it spawned (renderers, GPU, zygote)
//! when the job is done. Nothing of it outlives the job: not a process, not a temp dir.

use std::{path::Path, process::Stdio, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
    sync::{OnceCell, watch},
};

use super::switches::switches;
use crate::config::BrowserConfig;

/// A running Chromium.
pub struct BrowserProcess {
    pid: i32,
    websocket_url: String,
    exited: watch::Receiver<bool>,
    user_data_dir: Option<tempfile::TempDir>,
}

impl BrowserProcess {
    /// Starts Chromium with a new profile folder under `profiles`, and waits until it announces
    /// its DevTools websocket.
    pub async fn spawn(
        executable: &Path,
        config: &BrowserConfig,
        profiles: &Path,
        job_id: &str,
        timeout: Duration,
    ) -> std::io::Result<Self> {
        let safe_id: String =
            job_id.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).take(40).collect();
        let user_data_dir = tempfile::Builder::new().prefix(&format!("{safe_id}-")).tempdir_in(profiles)?;
        let mut command = Command::new(executable);
        command
            .args(switches(config, user_data_dir.path(), chrome_major(executable).await))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        // `pre_exec` is unsafe (the closure runs between fork and exec); the workspace denies
        // unsafe code, so it is allowed here, for this one call.
        // SAFETY: prctl(2) is async-signal-safe and touches no memory of the parent.
        #[allow(unsafe_code)]
        unsafe {
            // If the worker dies (even by kill -9), the kernel kills its browsers too.
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command.spawn()?;
        tracing::debug!(target: "meetbot::join", "join step: browser process spawned");
        let pid = child.id().and_then(|id| i32::try_from(id).ok()).unwrap_or_default();
        let stderr = child.stderr.take().ok_or_else(|| std::io::Error::other("no stderr pipe"))?;
        let (url_tx, url_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(read_stderr(stderr, url_tx));
        let (exited_tx, exited) = watch::channel(false);
        tokio::spawn(watch_exit(child, exited_tx));
        let mut process = Self { pid, websocket_url: String::new(), exited, user_data_dir: Some(user_data_dir) };
        match tokio::time::timeout(timeout, url_rx).await {
            Ok(Ok(url)) => {
                tracing::debug!(target: "meetbot::join", "join step: DevTools up");
                process.websocket_url = url;
                Ok(process)
            }
            Ok(Err(_)) => Err(std::io::Error::other("chromium exited before announcing DevTools")),
            Err(_) => Err(std::io::Error::other(format!("chromium did not start within {} s", timeout.as_secs()))),
        }
    }

    /// The browser's DevTools websocket URL.
    pub fn websocket_url(&self) -> &str {
        &self.websocket_url
    }

    /// Whether the browser process still runs.
    pub fn is_running(&self) -> bool {
        !*self.exited.borrow()
    }

    /// Resolves if the browser process exits.
    pub async fn exited(&self) {
        let mut exited = self.exited.clone();
        let _ = exited.wait_for(|gone| *gone).await;
    }

    /// Kills the whole process tree, waits for the main process to go, and removes the
    /// user-data-dir.
    pub async fn shutdown(mut self) {
        kill_group(self.pid);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.exited()).await;
        if let Some(dir) = self.user_data_dir.take() {
            let _ = tokio::task::spawn_blocking(move || remove_user_data_dir(dir)).await;
        }
    }
}

impl Drop for BrowserProcess {
    /// A browser dropped without [`BrowserProcess::shutdown`] (a launch that failed, a task that
    /// unwound) is killed too; its folder is removed on the blocking pool when a runtime is there
    /// to take it, so no async thread waits on the disk.
    fn drop(&mut self) {
        kill_group(self.pid);
        if let Some(dir) = self.user_data_dir.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn_blocking(move || remove_user_data_dir(dir))),
                Err(_) => remove_user_data_dir(dir),
            }
        }
    }
}

/// Removes a browser's user-data-dir; blocking (disk and a short sleep), so never called on an
/// async thread.
fn remove_user_data_dir(dir: tempfile::TempDir) {
    let path = dir.path().to_owned();
    if let Err(error) = dir.close() {
        // Chromium children may still be flushing; one more try after they are surely gone.
        std::thread::sleep(Duration::from_millis(200));
        if std::fs::remove_dir_all(&path).is_err() {
            tracing::warn!(%error, dir = %path.display(), "could not remove the browser's user-data-dir");
        }
    }
}

/// SIGKILL to the browser's process group: the browser and every child it started.
fn kill_group(pid: i32) {
    if pid > 0 {
        // libc calls are unsafe; the workspace denies unsafe code, so it is allowed for this one.
        // SAFETY: kill(2) with a negative pid signals a process group; no memory is touched.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

async fn read_stderr(stderr: tokio::process::ChildStderr, url_tx: tokio::sync::oneshot::Sender<String>) {
    let mut lines = BufReader::new(stderr).lines();
    let mut url_tx = Some(url_tx);
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(url) = line.strip_prefix("DevTools listening on ") {
            if let Some(tx) = url_tx.take() {
                let _ = tx.send(url.trim().to_owned());
            }
        } else {
            tracing::trace!(target: "meetbot::chromium", "{line}");
        }
    }
}

async fn watch_exit(mut child: Child, exited: watch::Sender<bool>) {
    let status = child.wait().await;
    tracing::debug!(?status, "chromium exited");
    exited.send_replace(true);
}

/// Asks the installed Chromium for its version ahead of the first launch (the worker's start-up
/// calls it), so no job waits for `chromium --version` (~0.1-0.2 s on a busy machine).
pub async fn prepare(executable: std::path::PathBuf) {
    chrome_major(&executable).await;
}

/// The major version of the installed Chromium, for a user agent that matches it: asked once
/// per process (`chromium --version`, without blocking the async thread).
async fn chrome_major(executable: &Path) -> &'static str {
    static MAJOR: OnceCell<String> = OnceCell::const_new();
    MAJOR
        .get_or_init(|| async {
            let output = Command::new(executable).arg("--version").stdin(Stdio::null()).output().await;
            output
                .ok()
                .and_then(|out| major_version(&String::from_utf8_lossy(&out.stdout)))
                .unwrap_or_else(|| "156".to_owned())
        })
        .await
}

/// The major version in `chromium --version`'s answer (`Chromium 139.0.7258.5 built on Debian`).
fn major_version(text: &str) -> Option<String> {
    text.split_whitespace()
        .find(|word| word.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .and_then(|version| version.split('.').next().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_major_version_is_read_from_the_version_line() {
        assert_eq!(
            major_version("Chromium 139.0.7258.5 built on Debian GNU/Linux 13 (trixie)").as_deref(),
            Some("139")
        );
        assert_eq!(major_version("Google Chrome 126.0.6478.126 ").as_deref(), Some("126"));
        assert_eq!(major_version("nothing here"), None);
    }
}
