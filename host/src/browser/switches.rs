//! The Chromium command line (see docs/NOTES.md, "Browser, recording, storage", for why each switch is there).

use std::path::Path;

use crate::config::BrowserConfig;

/// The UI language browsers are launched with: the language whose texts every plugin's tables
/// know (plugins match the other languages they know too).
const LANGUAGE: &str = "en-US";

/// The user agent a normal desktop Chrome of this major version sends: platforms degrade or block
/// browsers whose agent says "HeadlessChrome".
fn user_agent(major: &str) -> String {
    format!("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{major}.0.0.0 Safari/537.36")
}

/// Chromium features a meeting bot has no use for, turned off for their memory (PSS measured while
/// recording a call): the omnibox popup is a web page Chromium keeps loaded in a renderer of its
/// own (~55 MiB); the spare renderer is a process started ahead for the next navigation (~20 MiB);
/// the audio service runs in the browser process instead of its own (~20 MiB less). Tab capture,
/// its audio included, works the same.
const DISABLED_FEATURES: &[&str] = &[
    "WebUIOmniboxPopup",
    "WebUIOmniboxAimPopup",
    "WebUIOmniboxFullPopup",
    "SpareRendererForSitePerProcess",
    "AudioServiceOutOfProcess",
];

/// Chromium features turned on: the network service in the browser process instead of its own
/// (~10 MiB less).
const ENABLED_FEATURES: &[&str] = &["NetworkServiceInProcess2"];

/// The features of a `--enable-features` / `--disable-features` value.
fn features(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|f| !f.is_empty())
}

/// Every switch for one job's browser; the configured extra `browser.args` come last so they can
/// override. Chromium honours only the last `--disable-features` (and `--enable-features`), so
/// configured ones are merged into ours.
pub fn switches(config: &BrowserConfig, user_data_dir: &Path, chrome_major: &str) -> Vec<String> {
    let (width, height) = config.window_size();
    let mut disabled: Vec<&str> = DISABLED_FEATURES.to_vec();
    let mut enabled: Vec<&str> = ENABLED_FEATURES.to_vec();
    let mut configured = Vec::with_capacity(config.args.len());
    for arg in &config.args {
        if let Some(list) = arg.strip_prefix("--disable-features=") {
            disabled.extend(features(list));
        } else if let Some(list) = arg.strip_prefix("--enable-features=") {
            enabled.extend(features(list));
        } else {
            configured.push(arg.clone());
        }
    }
    let mut args = vec![
        "--remote-debugging-port=0".to_owned(),
        format!("--user-data-dir={}", user_data_dir.display()),
        // A closed network must not be flooded with Google service traffic.
        "--no-first-run".to_owned(),
        "--no-default-browser-check".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-default-apps".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        // Tab capture of the page's own video and audio, without a picker.
        "--auto-accept-this-tab-capture".to_owned(),
        // Meeting audio plays (and is recorded) however the plugin clicked.
        "--autoplay-policy=no-user-gesture-required".to_owned(),
        // Present as an ordinary Chrome, in the language the plugins' tables expect.
        "--disable-blink-features=AutomationControlled".to_owned(),
        format!("--lang={LANGUAGE}"),
        format!("--user-agent={}", user_agent(chrome_major)),
        format!("--window-size={width},{height}"),
        format!("--disable-features={}", disabled.join(",")),
        format!("--enable-features={}", enabled.join(",")),
    ];
    if config.headless {
        args.push("--headless".to_owned());
    }
    // Chromium refuses to run as root with its sandbox on.
    if is_root() {
        args.push("--no-sandbox".to_owned());
    }
    args.extend(configured);
    args.push("about:blank".to_owned());
    args
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
    fn no_switch_that_breaks_tab_capture_or_announces_automation() {
        let args = switches(&BrowserConfig::default(), Path::new("/tmp/x"), "156");
        for forbidden in ["--mute-audio", "--enable-automation", "--use-fake-ui-for-media-stream"] {
            assert!(!args.iter().any(|a| a.starts_with(forbidden)), "{forbidden}");
        }
        assert!(args.contains(&"--auto-accept-this-tab-capture".to_owned()));
        assert!(args.contains(&"--window-size=1280,720".to_owned()));
        assert!(args.iter().any(|a| a.starts_with("--user-agent=") && !a.contains("Headless")));
    }

    #[test]
    fn one_switch_per_feature_list_with_the_configured_features_merged() {
        let config = BrowserConfig {
            args: vec![
                "--disable-features=Translate, MediaRouter".into(),
                "--enable-features=Foo".into(),
                "--foo".into(),
            ],
            ..BrowserConfig::default()
        };
        let args = switches(&config, Path::new("/tmp/x"), "156");
        let list = |prefix: &str| args.iter().filter(|a| a.starts_with(prefix)).cloned().collect::<Vec<String>>();
        assert_eq!(
            list("--disable-features="),
            [format!("--disable-features={},Translate,MediaRouter", DISABLED_FEATURES.join(","))]
        );
        assert_eq!(list("--enable-features="), [format!("--enable-features={},Foo", ENABLED_FEATURES.join(","))]);
        assert_eq!(args[args.len() - 2], "--foo");
    }

    #[test]
    fn the_window_is_the_configured_size_whatever_the_case_of_its_x() {
        for (configured, switch) in [("1920X1080", "--window-size=1920,1080"), ("1024x768", "--window-size=1024,768")] {
            let config = BrowserConfig { window_size: configured.to_owned(), ..BrowserConfig::default() };
            let args = switches(&config, Path::new("/tmp/x"), "156");
            assert_eq!(args.iter().filter(|a| a.starts_with("--window-size=")).collect::<Vec<_>>(), [switch]);
            // The recorder's frame size is read by the same parser (`runner::meeting`).
            let (width, height) = config.window_size();
            assert_eq!(format!("--window-size={width},{height}"), switch);
        }
    }

    #[test]
    fn configured_args_come_last() {
        let config = BrowserConfig { args: vec!["--foo".into()], ..BrowserConfig::default() };
        let args = switches(&config, Path::new("/tmp/x"), "156");
        assert_eq!(args[args.len() - 2], "--foo");
    }
}
