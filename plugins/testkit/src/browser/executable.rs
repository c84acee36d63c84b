//! Finding the Chromium to test with: `MEETBOT_TEST_CHROMIUM`, else the names the worker tries on
//! PATH. Never a silent skip: a browser test without a browser fails and says what to install.

use std::path::{Path, PathBuf};

use crate::TestkitError;

/// The variable naming the browser to test with (a path, or a name looked up on PATH).
pub const CHROMIUM_VARIABLE: &str = "MEETBOT_TEST_CHROMIUM";

/// Names tried on PATH, in order (the worker's own list).
const CANDIDATES: [&str; 5] = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"];

/// The Chromium executable to launch.
pub fn find_chromium() -> Result<PathBuf, TestkitError> {
    if let Some(chosen) = std::env::var_os(CHROMIUM_VARIABLE).filter(|v| !v.is_empty()) {
        let chosen = PathBuf::from(chosen);
        let found = if chosen.components().count() > 1 {
            is_executable(&chosen).then_some(chosen.clone())
        } else {
            on_path(&chosen)
        };
        return found.ok_or_else(|| {
            TestkitError::ChromiumNotFound(format!(
                "{CHROMIUM_VARIABLE}={} is not an executable file",
                chosen.display()
            ))
        });
    }
    CANDIDATES.iter().find_map(|name| on_path(Path::new(name))).ok_or_else(|| {
        TestkitError::ChromiumNotFound(format!(
            "{CHROMIUM_VARIABLE} is unset and none of {} is on PATH",
            CANDIDATES.join(", ")
        ))
    })
}

fn on_path(name: &Path) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
