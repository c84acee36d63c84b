//! Plugins (docs/REFERENCE.md section 8): `meetbot plugins` lists what loaded, refuses a library built
//! against a changed ABI in one line, refuses a file that is no library, reports a provider
//! claimed twice, and exits 0; a worker with the same folders still runs jobs; and a plugin that
//! panics fails its job with `plugin_crashed` while the host lives on.
//!
//! Safe by default (issue 9, item 7): a plugin folder or library other users can write is refused
//! in one line, the executable's own folder included; a plugin that declares no meeting hosts is
//! refused; and no test plugin is ever built next to the `meetbot` binary.

mod support;

use std::{os::unix::fs::PermissionsExt, path::Path, time::Duration};

use support::*;
use tempfile::TempDir;

/// Two plugin folders: the first with a copy of the scripted plugin, the incompatible one and a
/// garbage `junk.so`; the second with another copy of the scripted plugin.
struct PluginDirs {
    first: TempDir,
    second: TempDir,
}

impl PluginDirs {
    fn new() -> Self {
        let first = tempfile::tempdir().expect("tempdir");
        let second = tempfile::tempdir().expect("tempdir");
        copy_owner_only(&scripted_so(), &first.path().join("libscripted_first.so"));
        copy_owner_only(&incompatible_so(), &first.path().join("libincompatible.so"));
        std::fs::write(first.path().join("junk.so"), b"this is not an ELF file\n").expect("write junk");
        copy_owner_only(&scripted_so(), &second.path().join("libscripted_second.so"));
        Self { first, second }
    }

    fn path(&self, dir: &TempDir, file: &str) -> String {
        dir.path().join(file).display().to_string()
    }

    fn toml(&self) -> String {
        format!("[plugins]\ndirs = [\"{}\", \"{}\"]\n", self.first.path().display(), self.second.path().display())
    }
}

fn lines_naming<'a>(text: &'a str, path: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(path)).collect()
}

#[test]
fn plugins_lists_loaded_refused_and_duplicate_plugins() {
    let dirs = PluginDirs::new();
    let config_dir = tempfile::tempdir().expect("tempdir");
    let config = config_dir.path().join("meetbot.toml");
    std::fs::write(&config, dirs.toml()).expect("write config");
    let output = run_cli(&["plugins", "--config", &config.display().to_string()], Duration::from_secs(20));
    let text = &output.stdout;
    assert!(output.status.success(), "exit {}\nstdout:\n{text}\nstderr:\n{}", output.status, output.stderr);

    let first = dirs.path(&dirs.first, "libscripted_first.so");
    let scripted = lines_naming(text, &first);
    assert!(
        scripted.iter().any(|l| l.contains("scripted") && l.contains("script") && !l.contains("refused")),
        "the first scripted copy is loaded, serving `script`:\n{text}"
    );

    let incompatible = lines_naming(text, &dirs.path(&dirs.first, "libincompatible.so"));
    assert_eq!(incompatible.len(), 1, "one line about the incompatible plugin:\n{text}");
    let line = incompatible[0].to_lowercase();
    assert!(line.contains("refused") && line.contains("abi"), "refused because of the ABI: {line}");

    let junk = lines_naming(text, &dirs.path(&dirs.first, "junk.so"));
    assert_eq!(junk.len(), 1, "one line about junk.so:\n{text}");
    assert!(junk[0].contains("refused"), "junk.so is refused: {}", junk[0]);

    let second = dirs.path(&dirs.second, "libscripted_second.so");
    assert!(
        lines_naming(text, &second).iter().any(|l| l.contains("script") && l.contains(&first)),
        "the second claim on `script` is reported, naming the plugin that keeps it:\n{text}"
    );
    assert!(!output.stderr.contains("panicked"), "stderr:\n{}", output.stderr);
}

#[test]
fn a_worker_with_refused_plugins_still_runs_jobs() {
    let dirs = PluginDirs::new();
    let redis = RedisServer::start();
    let mut worker = Worker::start(&redis, &dirs.toml());
    redis.push(&script_job("with-plugins", "call_ms=10"));
    let record = wait_for_end(&redis, "with-plugins", Duration::from_secs(10));
    assert_ended(&record, "completed", "left_normally");
    assert!(worker.is_running());

    let log = worker.log();
    let refusal = lines_naming(&log, &dirs.path(&dirs.first, "libincompatible.so"));
    assert_eq!(refusal.len(), 1, "the refusal is logged on one line:\n{}", tail(&log, 40));
    let loaded = lines_naming(&log, &dirs.path(&dirs.first, "libscripted_first.so"));
    assert!(!loaded.is_empty(), "the first folder's plugin is loaded:\n{}", tail(&log, 40));
    assert!(Path::new(&dirs.path(&dirs.second, "libscripted_second.so")).is_file());
}

#[test]
fn a_plugin_panic_fails_the_job_and_never_the_host() {
    let redis = RedisServer::start();
    let mut worker = Worker::start(&redis, "");

    redis.push(&script_job("panic-run", "panic=run"));
    let record = wait_for_end(&redis, "panic-run", Duration::from_secs(10));
    assert_ended(&record, "failed", "plugin_crashed");
    assert!(worker.is_running(), "a panic at session start killed the host");

    redis.push(&script_job("panic-call", "panic=call"));
    let record = wait_for_end(&redis, "panic-call", Duration::from_secs(10));
    assert_ended(&record, "failed", "plugin_crashed");
    assert!(record.contains_key("joined_at"), "it panicked in the call: {record:?}");
    assert!(worker.is_running(), "a panic in the call killed the host");

    let normalize = script_job("panic-normalize", "panic=normalize");
    redis.push(&normalize);
    redis.push(&script_job("after-panics", "call_ms=10"));
    let record = wait_for_end(&redis, "after-panics", Duration::from_secs(10));
    assert_ended(&record, "completed", "left_normally");
    assert!(worker.is_running(), "a panic validating the URL killed the host");

    let dead = redis.dead();
    assert_eq!(dead.len(), 1, "the message whose URL check panicked never runs: {dead:?}");
    assert_eq!(dead[0]["message"].as_str(), Some(normalize.as_str()));
    let failures = redis.failures();
    assert_eq!(failures.len(), 2, "{failures:?}");
    for failure in &failures {
        assert_eq!(failure["status"], "failed", "{failure}");
        assert_eq!(failure["error"]["type"], "plugin_crashed", "{failure}");
    }
    assert_eq!(redis.llen(&processing(&worker.id)), 0);
}

/// A copy of `file` at `target` (its own inode: its mode is its own), mode 0755.
fn copy_owner_only(file: &Path, target: &Path) {
    std::fs::copy(file, target).unwrap_or_else(|e| panic!("copy {} to {}: {e}", file.display(), target.display()));
    chmod(target, 0o755);
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", path.display()));
}

fn plugins_listing(toml: &str, env: &[(&str, &str)]) -> String {
    let config_dir = tempfile::tempdir().expect("tempdir");
    let config = config_dir.path().join("meetbot.toml");
    std::fs::write(&config, toml).expect("write config");
    let output =
        run_cli_with_env(&["plugins", "--config", &config.display().to_string()], env, Duration::from_secs(20));
    assert!(output.status.success(), "exit {}\nstdout:\n{}\nstderr:\n{}", output.status, output.stdout, output.stderr);
    output.stdout
}

/// Folders: `shared` (mode 0777, the scripted plugin inside), `safe` (0755) with a scripted copy
/// writable by its group, a scripted copy that is a link into `shared`, and a good scripted copy.
#[test]
fn plugin_folders_and_libraries_other_users_can_write_are_refused() {
    let shared = tempfile::tempdir().expect("tempdir");
    let safe = tempfile::tempdir().expect("tempdir");
    copy_owner_only(&scripted_so(), &shared.path().join("libshared.so"));
    chmod(shared.path(), 0o777);
    chmod(safe.path(), 0o755);
    copy_owner_only(&scripted_so(), &safe.path().join("libgroup_writable.so"));
    chmod(&safe.path().join("libgroup_writable.so"), 0o775);
    std::os::unix::fs::symlink(shared.path().join("libshared.so"), safe.path().join("liblinked.so")).expect("symlink");
    copy_owner_only(&scripted_so(), &safe.path().join("libgood.so"));

    let toml = format!("[plugins]\ndirs = [\"{}\", \"{}\"]\n", shared.path().display(), safe.path().display());
    let text = plugins_listing(&toml, &[]);

    let shared_dir = shared.path().display().to_string();
    let folder = lines_naming(&text, &shared_dir);
    let expected = format!("plugin folder {shared_dir} is writable by other users (mode 0777); refused");
    assert!(folder.iter().any(|l| l.contains(&expected)), "one line refuses the shared folder, with its mode:\n{text}");
    assert!(
        !folder.iter().any(|l| l.contains("libshared.so") && !l.contains("liblinked.so")),
        "the files of a refused folder are not even looked at:\n{text}"
    );

    let group_writable = safe.path().join("libgroup_writable.so").display().to_string();
    let line = lines_naming(&text, &group_writable);
    assert_eq!(line.len(), 1, "one line about the group-writable library:\n{text}");
    assert!(
        line[0].contains(&format!("plugin library {group_writable} is writable by other users (mode 0775); refused")),
        "{}",
        line[0]
    );

    let linked = safe.path().join("liblinked.so").display().to_string();
    let line = lines_naming(&text, &linked);
    assert_eq!(line.len(), 1, "one line about the link into the shared folder:\n{text}");
    let real_shared = shared.path().canonicalize().expect("canonical shared folder");
    let expected_link =
        format!("lies in folder {}, which is writable by other users (mode 0777)", real_shared.display());
    assert!(line[0].contains(&expected_link), "{}", line[0]);

    let good = safe.path().join("libgood.so").display().to_string();
    assert!(
        lines_naming(&text, &good).iter().any(|l| l.contains("scripted") && !l.contains("refused")),
        "the good library of the safe folder still loads:\n{text}"
    );

    // A worker with the same folders runs jobs with the plugin that loaded.
    let redis = RedisServer::start();
    let worker = Worker::start(&redis, &toml);
    redis.push(&script_job("after-refusals", "call_ms=10"));
    assert_ended(&wait_for_end(&redis, "after-refusals", Duration::from_secs(10)), "completed", "left_normally");
    let log = worker.log();
    assert_eq!(lines_naming(&log, &expected).len(), 1, "the worker logs the folder refusal once:\n{}", tail(&log, 40));
}

#[test]
fn the_executables_own_folder_is_refused_when_other_users_can_write_it() {
    // Next to the built binary, so the link is a hard link rather than a copy of it.
    let dir = tempfile::tempdir_in(bin().parent().expect("binary folder")).expect("tempdir");
    let binary = dir.path().join("meetbot");
    install_owner_only(&bin(), &binary);
    install_owner_only(&scripted_so(), &dir.path().join("libmeetbot_plugin_scripted.so"));
    chmod(dir.path(), 0o757);
    let work = tempfile::tempdir().expect("tempdir");
    let output = meetbot_command_for(&binary)
        .args(["plugins"])
        .current_dir(work.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run meetbot plugins");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    let expected = format!("plugin folder {} is writable by other users (mode 0757); refused", dir.path().display());
    assert!(text.contains(&expected), "the executable's folder is refused:\n{text}");
    assert!(!text.lines().any(|l| l.contains("scripted") && !l.contains("refused")), "nothing loads:\n{text}");
}

#[test]
fn a_plugin_declaring_no_meeting_hosts_or_bad_ones_is_refused_at_load() {
    for (declared, reason) in [
        ("", "declares no meeting hosts"),
        ("script.test,*.test", "declares `*.test` as a meeting host"),
        ("10.0.0.1", "declares `10.0.0.1` as a meeting host"),
    ] {
        let text = plugins_listing("", &[("MEETBOT_TEST_SCRIPTED_HOSTS", declared)]);
        let lines = lines_naming(&text, "libmeetbot_plugin_scripted.so");
        assert_eq!(lines.len(), 1, "{declared:?}: one line about the scripted plugin:\n{text}");
        assert!(
            lines[0].contains("refused") && lines[0].contains(&format!("plugin `scripted` {reason}")),
            "{declared:?}: {}",
            lines[0]
        );
    }
    let text = plugins_listing("", &[("MEETBOT_TEST_SCRIPTED_HOSTS", "script.test,*.script.test")]);
    let lines = lines_naming(&text, "libmeetbot_plugin_scripted.so");
    assert!(lines.len() == 1 && !lines[0].contains("refused"), "valid hosts load:\n{text}");
}

/// The test plugins are examples of `tests/plugins`: the build puts them in
/// `target/<profile>/examples/`, never next to `meetbot`, where a worker would load them.
#[test]
fn no_test_plugin_is_built_next_to_the_binary() {
    let binary_dir = bin().parent().expect("binary folder").to_owned();
    for file in TEST_PLUGIN_FILES {
        let beside = binary_dir.join(file);
        assert!(
            !beside.exists(),
            "{} lies next to the meetbot binary, where a worker loads it (left by an older build? delete it)",
            beside.display()
        );
    }
    assert!(scripted_so().starts_with(binary_dir.join("examples")) && incompatible_so().is_file());
}
