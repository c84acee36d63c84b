//! Finding the Chromium to launch: `browser.executable`, else the usual names on PATH.

use std::path::{Path, PathBuf};

/// Names tried on PATH when `browser.executable` is empty, in order.
const CANDIDATES: [&str; 5] = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"];

/// No usable Chromium.
#[derive(Debug, thiserror::Error)]
pub enum BrowserNotFound {
    /// The configured path is not an executable file.
    #[error("`browser.executable` = {0}: no such executable file")]
    Configured(String),
    /// Nothing on PATH.
    #[error(
        "no Chromium found on PATH (tried {}); install it (Debian: apt-get install chromium) or set `browser.executable`",
        CANDIDATES.join(", ")
    )]
    NotOnPath,
}

/// The browser executable to use.
pub fn find_executable(configured: &str) -> Result<PathBuf, BrowserNotFound> {
    if !configured.is_empty() {
        let path = Path::new(configured);
        if path.components().count() > 1 {
            return is_executable(path)
                .then(|| path.to_owned())
                .ok_or_else(|| BrowserNotFound::Configured(configured.to_owned()));
        }
        return on_path(configured).ok_or_else(|| BrowserNotFound::Configured(configured.to_owned()));
    }
    CANDIDATES.iter().find_map(|name| on_path(name)).ok_or(BrowserNotFound::NotOnPath)
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_path_must_exist() {
        assert!(matches!(find_executable("/nonexistent/chromium"), Err(BrowserNotFound::Configured(_))));
        assert!(find_executable("/bin/sh").is_ok());
        assert!(find_executable("sh").is_ok());
    }
}
