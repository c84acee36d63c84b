//! The Chromium command line of a test browser: the worker's own switches (host
//! `host/src/browser/switches.rs`; a test of this crate fails when the two drift apart), so the
//! page a plugin drives in a test behaves as in production: the same language, user agent,
//! window, autoplay and tab-capture policy, and the same features off. Only what belongs to the
//! test differs: the fake site's switches, and always headless.

use std::path::Path;

/// The UI language the worker launches browsers in; plugins' tables must know it.
pub const LANGUAGE: &str = "en-US";

/// The worker's default window size.
pub const WINDOW: (u32, u32) = (1280, 720);

/// Chromium features the worker turns off (for memory; nothing a page can see).
const DISABLED_FEATURES: &[&str] = &[
    "WebUIOmniboxPopup",
    "WebUIOmniboxAimPopup",
    "WebUIOmniboxFullPopup",
    "SpareRendererForSitePerProcess",
    "AudioServiceOutOfProcess",
];

/// Chromium features the worker turns on.
const ENABLED_FEATURES: &[&str] = &["NetworkServiceInProcess2"];

/// The user agent of a normal desktop Chrome of this major version, as the worker sends it.
pub fn user_agent(major: &str) -> String {
    format!("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{major}.0.0.0 Safari/537.36")
}

/// Every switch for one test browser; `site_args` (the fake site's) before the blank page.
pub fn switches(user_data_dir: &Path, chrome_major: &str, site_args: &[String]) -> Vec<String> {
    let (width, height) = WINDOW;
    let mut args = vec![
        "--remote-debugging-port=0".to_owned(),
        format!("--user-data-dir={}", user_data_dir.display()),
        "--no-first-run".to_owned(),
        "--no-default-browser-check".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-default-apps".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--auto-accept-this-tab-capture".to_owned(),
        "--autoplay-policy=no-user-gesture-required".to_owned(),
        "--disable-blink-features=AutomationControlled".to_owned(),
        format!("--lang={LANGUAGE}"),
        format!("--user-agent={}", user_agent(chrome_major)),
        format!("--window-size={width},{height}"),
        format!("--disable-features={}", DISABLED_FEATURES.join(",")),
        format!("--enable-features={}", ENABLED_FEATURES.join(",")),
        "--headless".to_owned(),
    ];
    // Chromium refuses to run as root with its sandbox on (the worker does the same).
    if is_root() {
        args.push("--no-sandbox".to_owned());
    }
    args.extend(site_args.iter().cloned());
    args.push("about:blank".to_owned());
    args
}

/// The major version in `chromium --version`'s answer (`Chromium 139.0.7258.5 built on Debian`).
pub fn major_version(text: &str) -> Option<String> {
    text.split_whitespace()
        .find(|word| word.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .and_then(|version| version.split('.').next().map(str::to_owned))
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_switches_come_before_the_blank_page() {
        let args = switches(Path::new("/tmp/p"), "139", &["--ignore-certificate-errors".to_owned()]);
        assert_eq!(args[args.len() - 2], "--ignore-certificate-errors");
        assert_eq!(args.last().map(String::as_str), Some("about:blank"));
        assert!(
            args.iter().any(|a| a.starts_with("--user-agent=") && a.contains("Chrome/139") && !a.contains("Headless"))
        );
        assert_eq!(major_version("Chromium 139.0.7258.5 built on Debian").as_deref(), Some("139"));
    }
}
