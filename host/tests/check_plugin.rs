//! `meetbot check-plugin FILE` (issue 11, item 4): a good plugin is described (ABI, manifest,
//! providers, meeting hosts) and its URL rules run on sample links, exit 0; a library the worker
//! would refuse is refused in one line, exit 1, whatever the reason (a changed ABI, not a library,
//! a missing file, a folder others can write); a URL the plugin returns that the host refuses is
//! the plugin's bug, exit 1; a usage error exits 2. With `--scenario`, one session runs as the
//! worker runs a job and every report is printed: without a browser (the scripted plugin), and in
//! real Chromium against the fake Google Meet with the browser switches of `--config`, and once
//! recorded (`--record`), stored where `[storage]` says with frames of `browser.window_size`.
//!
//! The Chromium test needs the Google plugin next to the binary (`cargo build --workspace`) and
//! runs under `flock /tmp/meetbot-e2e.lock` like every browser suite.

mod support;

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    time::Duration,
};

use meetbot_fixtures::{ActionKind, MeetingLink, Scenario};
use support::{
    platform::{self, FIXTURES, GOOGLE},
    *,
};
use tempfile::TempDir;

/// Generous bound for a check without a session.
const QUICK: Duration = Duration::from_secs(30);

/// `file` installed alone in a folder only its owner can write, as a plugin folder must be.
fn installed(file: &Path) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join(file.file_name().expect("file name"));
    install_owner_only(file, &target);
    (dir, target)
}

fn check(args: &[&str]) -> CliOutput {
    let mut all = vec!["check-plugin"];
    all.extend_from_slice(args);
    run_cli(&all, QUICK)
}

fn line_starting<'a>(output: &'a CliOutput, prefix: &str) -> &'a str {
    output
        .stdout
        .lines()
        .find(|line| line.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?}:\n{}\nstderr:\n{}", output.stdout, output.stderr))
}

fn url_line<'a>(output: &'a CliOutput, url: &str) -> &'a str {
    output
        .stdout
        .lines()
        .find(|line| line.starts_with("url") && line.split_whitespace().nth(2) == Some(url))
        .unwrap_or_else(|| panic!("no url line for {url}:\n{}", output.stdout))
}

fn assert_exit(output: &CliOutput, code: i32) {
    assert_eq!(output.status.code(), Some(code), "exit status\nstdout:\n{}\nstderr:\n{}", output.stdout, output.stderr);
}

#[test]
fn a_good_plugin_reports_its_abi_manifest_providers_hosts_and_url_rules() {
    let google = GOOGLE.plugin_dir().join("libmeetbot_plugin_google.so");
    let given = "meet.google.com/ABC-DEFG-HIJ?authuser=0";
    let output = check(&[&google.display().to_string(), "--url", given, "--url", "https://evil.example/abc-defg-hij"]);
    assert_exit(&output, 0);
    let abi = line_starting(&output, "abi");
    assert!(abi.contains("plugin-api ") && abi.contains("compatible with this host's"), "{abi}");
    assert!(line_starting(&output, "plugin").ends_with("google-meet 0.1.0"), "{}", output.stdout);
    assert!(line_starting(&output, "providers").ends_with("google"), "{}", output.stdout);
    assert!(line_starting(&output, "browser").contains("needed"), "{}", output.stdout);
    assert!(line_starting(&output, "hosts").ends_with("meet.google.com"), "{}", output.stdout);
    // One sample per declared host, then the given links, each through the plugin's rules.
    let sample = url_line(&output, "https://meet.google.com/");
    assert!(sample.contains("refused") && sample.contains("names no meeting"), "{sample}");
    assert!(url_line(&output, given).ends_with("ok       https://meet.google.com/abc-defg-hij"), "{}", output.stdout);
    let foreign = url_line(&output, "https://evil.example/abc-defg-hij");
    assert!(foreign.contains("refused") && foreign.contains("evil.example"), "{foreign}");
}

#[test]
fn the_incompatible_test_plugin_is_refused_in_one_line() {
    let (_dir, incompatible) = installed(&incompatible_so());
    let output = check(&[&incompatible.display().to_string()]);
    assert_exit(&output, 1);
    let lines: Vec<&str> = output.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one line:\n{}", output.stdout);
    assert!(lines[0].starts_with("refused") && lines[0].contains(&incompatible.display().to_string()), "{}", lines[0]);
    assert!(lines[0].contains("changed plugin-api ABI"), "{}", lines[0]);
    assert!(!output.stderr.contains("panicked"), "{}", output.stderr);
}

#[test]
fn a_missing_file_a_file_that_is_no_library_and_a_folder_others_can_write_are_refused_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("libmissing.so");
    let output = check(&[&missing.display().to_string()]);
    assert_exit(&output, 1);
    assert_eq!(
        output.stdout.trim_end(),
        format!("refused  {0}  cannot read {0}: No such file or directory (os error 2)", missing.display())
    );

    let junk = dir.path().join("junk.so");
    std::fs::write(&junk, b"this is not an ELF file\n").expect("write junk");
    let output = check(&[&junk.display().to_string()]);
    assert_exit(&output, 1);
    assert_eq!(output.stdout.trim_end(), format!("refused  {}  not a loadable shared library", junk.display()));

    // The worker's own permission checks: a folder others can write is refused with its mode.
    let (open, scripted) = installed(&scripted_so());
    std::fs::set_permissions(open.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let output = check(&[&scripted.display().to_string()]);
    assert_exit(&output, 1);
    assert!(output.stdout.contains("writable by other users (mode 0777)"), "{}", output.stdout);
    assert_eq!(output.stdout.lines().count(), 1, "{}", output.stdout);
}

#[test]
fn a_normalized_url_outside_the_plugins_hosts_is_reported_as_its_bug_and_fails() {
    let (_dir, scripted) = installed(&scripted_so());
    let link = "https://script.test/m?normalized=https%3A%2F%2Fevil.example%2Fm";
    let output = check(&[&scripted.display().to_string(), "--url", link]);
    assert_exit(&output, 1);
    let line = url_line(&output, link);
    assert!(
        line.contains("BUG") && line.contains("returned a URL the host refuses") && line.contains("evil.example"),
        "{line}"
    );
    assert!(url_line(&output, "https://script.test/").contains("ok"), "{}", output.stdout);
}

#[test]
fn usage_errors_exit_2() {
    assert_exit(&check(&[]), 2);
    let (_dir, scripted) = installed(&scripted_so());
    let output = check(&[&scripted.display().to_string(), "--scenario", "https://script.test/m", "--provider", "zoom"]);
    assert_exit(&output, 2);
    assert!(output.stderr.contains("`zoom` is not one of the plugin's providers (script)"), "{}", output.stderr);
    assert_exit(&check(&[&scripted.display().to_string(), "--record"]), 2);
}

#[test]
fn a_scenario_prints_every_report_in_order_and_the_outcome() {
    let (_dir, scripted) = installed(&scripted_so());
    let link = "https://script.test/m?lobby_ms=300&participants=3&call_ms=300";
    let output = check(&[&scripted.display().to_string(), "--scenario", link, "--name", "Check Bot"]);
    assert_exit(&output, 0);
    let scenario = line_starting(&output, "scenario");
    assert!(scenario.contains(link) && scenario.contains("\"Check Bot\"") && scenario.contains("recording off"));
    let events: Vec<String> = output
        .stdout
        .lines()
        .filter(|line| line.trim_start().starts_with('+'))
        .map(|line| line.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        .collect();
    // The plugin's reports in the order it sent them; the host's own record changes travel on
    // another channel and may come before or after them, but no state is printed twice, and the
    // host's terminal state comes last.
    let plugin: Vec<&str> = events.iter().filter(|e| e.starts_with("plugin ")).map(String::as_str).collect();
    assert_eq!(
        plugin,
        [
            format!("plugin event navigated: {link}").as_str(),
            "plugin state joining",
            "plugin event name_typed: Check Bot",
            "plugin state waiting_room",
            "plugin state in_call",
            "plugin participants 3",
        ],
        "{}",
        output.stdout
    );
    // Every report of the plugin is printed; the host adds only states nobody printed before.
    let mut seen: Vec<&str> = Vec::new();
    for event in &events {
        if let Some(state) = event.strip_prefix("host state ") {
            assert!(!seen.contains(&state), "the host repeats state {state}: {}", output.stdout);
        }
        if let Some((_, state)) = event.split_once("state ") {
            seen.push(state);
        }
    }
    assert_eq!(events.last().map(String::as_str), Some("host state completed"), "{}", output.stdout);
    assert_eq!(line_starting(&output, "outcome"), "outcome    completed left_normally  scripted end of call");
}

#[test]
fn a_scenario_whose_job_does_not_complete_exits_1_with_its_reason() {
    let (_dir, scripted) = installed(&scripted_so());
    let output =
        check(&[&scripted.display().to_string(), "--scenario", "https://script.test/m?outcome=denied_admission"]);
    assert_exit(&output, 1);
    assert!(line_starting(&output, "outcome").starts_with("outcome    failed denied_admission"), "{}", output.stdout);
}

#[test]
fn a_scenario_runs_in_chromium_against_a_fake_meet_with_the_browser_and_auto_leave_of_the_config() {
    let _turn = platform::turn();
    let google = GOOGLE.plugin_dir().join("libmeetbot_plugin_google.so");
    let args = toml::Value::Array(FIXTURES.chromium_args().into_iter().map(toml::Value::String).collect());
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("meetbot.toml");
    let toml = format!(
        "[browser]\nexecutable = \"/usr/bin/chromium\"\nargs = {args}\n\
         [auto_leave]\nmax_duration_secs = 3\nwaiting_room_timeout_secs = 20\n\
         [recording]\nspool_dir = \"{}\"\n",
        dir.path().join("spool").display()
    );
    std::fs::write(&config, toml).expect("write config");
    let link = MeetingLink::meet(Scenario::LobbyAdmitted);
    let output = run_cli(
        &[
            "check-plugin",
            &google.display().to_string(),
            "--config",
            &config.display().to_string(),
            "--scenario",
            &link.url,
            "--name",
            "Check Bot",
        ],
        Duration::from_secs(60),
    );
    assert_exit(&output, 0);
    let text = &output.stdout;
    let position = |needle: &str| {
        text.find(needle).unwrap_or_else(|| panic!("no {needle:?} in:\n{text}\nstderr:\n{}", output.stderr))
    };
    assert!(position("plugin state waiting_room") < position("plugin state in_call"), "{text}");
    position("plugin participants ");
    assert!(position("plugin state in_call") < position("host   state completed"), "{text}");
    assert!(line_starting(&output, "outcome").starts_with("outcome    completed max_duration"), "{text}");
    // As the fake meeting saw it: the bot asked to join under its name and clicked Leave at the limit.
    platform::assert_joined_as(&link, "Check Bot");
    platform::wait_action(&link, ActionKind::LeaveClicked, Duration::from_secs(5));
    assert!(!dir.path().join("spool").exists(), "recording is off: the configured spool folder is not touched");
}

/// The sizes (width x height) of every video frame of `file`, by ffprobe, with their counts.
fn frame_sizes(file: &Path) -> std::collections::BTreeMap<String, usize> {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_frames", "-show_entries", "frame=width,height"])
        .args(["-of", "csv=p=0:s=x"])
        .arg(file)
        .output()
        .expect("run ffprobe");
    assert!(out.status.success(), "ffprobe: {}", String::from_utf8_lossy(&out.stderr));
    let mut sizes = std::collections::BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.trim().is_empty()) {
        *sizes.entry(line.trim().to_owned()).or_insert(0) += 1;
    }
    sizes
}

#[test]
fn a_recorded_scenario_is_stored_with_frames_of_the_configured_window_size() {
    let _turn = platform::turn();
    let google = GOOGLE.plugin_dir().join("libmeetbot_plugin_google.so");
    let args = toml::Value::Array(FIXTURES.chromium_args().into_iter().map(toml::Value::String).collect());
    let dir = tempfile::tempdir().expect("tempdir");
    let (spool, recordings) = (dir.path().join("spool"), dir.path().join("recordings"));
    let config = dir.path().join("meetbot.toml");
    // Written with `X`, which the config always accepted (issue 11, item 8). The recorder sizes its
    // frames itself, so this proves the recorder's reading; Chromium's `--window-size` from the same
    // parser is proven by the unit test in `browser/switches.rs`.
    let toml = format!(
        "[browser]\nexecutable = \"/usr/bin/chromium\"\nargs = {args}\nwindow_size = \"960X540\"\n\
         [recording]\nspool_dir = \"{}\"\n[storage]\nkind = \"local\"\n[storage.local]\ndir = \"{}\"\n",
        spool.display(),
        recordings.display()
    );
    std::fs::write(&config, toml).expect("write config");
    let link = MeetingLink::meet(Scenario::EndedByHost);
    let output = run_cli(
        &[
            "check-plugin",
            &google.display().to_string(),
            "--config",
            &config.display().to_string(),
            "--scenario",
            &link.url,
            "--record",
        ],
        Duration::from_secs(90),
    );
    assert_exit(&output, 0);
    assert!(line_starting(&output, "scenario").contains("recording on"), "{}", output.stdout);
    assert!(line_starting(&output, "outcome").starts_with("outcome    completed ended_by_host"), "{}", output.stdout);
    assert!(output.stdout.contains("host   state finalizing"), "{}", output.stdout);
    let url = line_starting(&output, "recording").trim_start_matches("recording").trim();
    let file = PathBuf::from(url.strip_prefix("file://").unwrap_or_else(|| panic!("not a file URL: {url}")));
    assert!(file.starts_with(recordings.canonicalize().expect("recordings")), "{}", file.display());
    let sizes = frame_sizes(&file);
    assert_eq!(sizes.keys().collect::<Vec<_>>(), ["960x540"], "every frame is the configured size: {sizes:?}");
    assert!(sizes["960x540"] > 10, "the call was recorded: {sizes:?}");
}
