//! Plugins (CONTRACT section 8): `meetbot plugins` lists what loaded, refuses a library built
//! against a changed ABI in one line, refuses a file that is no library, reports a provider
//! claimed twice, and exits 0; a worker with the same folders still runs jobs; and a plugin that
//! panics fails its job with `plugin_crashed` while the host lives on.

mod support;

use std::{path::Path, time::Duration};

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
        std::fs::copy(scripted_so(), first.path().join("libscripted_first.so")).expect("copy scripted");
        std::fs::copy(incompatible_so(), first.path().join("libincompatible.so")).expect("copy incompatible");
        std::fs::write(first.path().join("junk.so"), b"this is not an ELF file\n").expect("write junk");
        std::fs::copy(scripted_so(), second.path().join("libscripted_second.so")).expect("copy scripted");
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
