//! The testkit hands a plugin what the worker hands it, and holds it to the worker's bounds: this
//! reads the worker's own source (`host/src`), so a change there that the testkit does not follow
//! fails here, naming what drifted. Checked: every Chromium switch, the features turned on and
//! off, the user agent, the UI language, the window size, and the leave bound.

use std::{collections::BTreeSet, path::Path};

use meetbot_plugin_testkit::{
    LEAVE_BOUND,
    browser::switches::{LANGUAGE, WINDOW, switches, user_agent},
};

const WORKER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../host/src");

fn worker_source(file: &str) -> String {
    let path = Path::new(WORKER).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (moved? update this test)", path.display()))
}

/// Every `.rs` file of the worker, concatenated.
fn whole_worker() -> String {
    fn walk(dir: &Path, into: &mut String) {
        for entry in std::fs::read_dir(dir).expect("read host/src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, into);
            } else if path.extension().is_some_and(|e| e == "rs") {
                into.push_str(&std::fs::read_to_string(&path).expect("read"));
            }
        }
    }
    let mut all = String::new();
    walk(Path::new(WORKER), &mut all);
    all
}

/// The worker's switches file without its tests (which name switches it must never use).
fn worker_switches() -> String {
    let source = worker_source("browser/switches.rs");
    source.split("#[cfg(test)]").next().unwrap_or_default().to_owned()
}

/// The quoted strings between `start` and the next `];`.
fn quoted_list(source: &str, start: &str) -> Vec<String> {
    let from = source.find(start).unwrap_or_else(|| panic!("`{start}` not in the worker's source (update this test)"));
    let list = &source[from + start.len()..];
    let list = &list[..list.find("];").expect("list end")];
    list.split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

/// The value of `const <name>: <type> = <value>;` anywhere in `source`.
fn constant<'a>(source: &'a str, declaration: &str) -> &'a str {
    let from =
        source.find(declaration).unwrap_or_else(|| panic!("`{declaration}` not in the worker (update this test)"));
    let value = &source[from + declaration.len()..];
    value[..value.find(';').expect("end")].trim()
}

#[test]
fn the_browser_has_the_workers_switches() {
    let worker = worker_switches();
    let worker_names: BTreeSet<String> = worker
        .split("\"--")
        .skip(1)
        .map(|rest| format!("--{}", rest.split(['=', '"', '{']).next().unwrap_or_default()))
        .collect();
    let mut ours: BTreeSet<String> = switches(Path::new("/p"), "139", &[])
        .iter()
        .filter(|a| a.starts_with("--"))
        .map(|a| a.split('=').next().unwrap_or_default().to_owned())
        .collect();
    // Both add it only when running as root.
    ours.insert("--no-sandbox".to_owned());
    assert_eq!(ours, worker_names, "the testkit's switches against host/src/browser/switches.rs");

    let args = switches(Path::new("/p"), "139", &[]);
    let value = |switch: &str| {
        let prefix = format!("{switch}=");
        args.iter().find_map(|a| a.strip_prefix(&prefix).map(str::to_owned)).unwrap_or_default()
    };
    assert_eq!(value("--disable-features"), quoted_list(&worker, "DISABLED_FEATURES: &[&str] = &[").join(","));
    assert_eq!(value("--enable-features"), quoted_list(&worker, "ENABLED_FEATURES: &[&str] = &[").join(","));
    assert!(
        worker.contains(&format!("format!(\"{}\")", user_agent("{major}"))),
        "the user agent differs from the worker's"
    );
}

#[test]
fn the_language_window_and_leave_bound_are_the_workers() {
    let worker = whole_worker();
    assert_eq!(constant(&worker, "const LANGUAGE: &str ="), format!("{LANGUAGE:?}"));
    assert_eq!(constant(&worker, "const DEFAULT_WINDOW_SIZE: (u32, u32) ="), format!("{WINDOW:?}"));
    assert_eq!(
        constant(&worker, "const LEAVE_GRACE: Duration ="),
        format!("Duration::from_secs({})", LEAVE_BOUND.as_secs())
    );
}
