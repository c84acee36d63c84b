//! The floors: a bare headless Chromium launched and timed until it prints "DevTools listening on"
//! (part 1 of the bench, the floor of the join figures), and what such a browser costs while it
//! only shows `about:blank` (the first row of the cost per meeting).

use std::{
    io::{BufRead, BufReader},
    os::unix::process::CommandExt,
    process::{Command, Stdio},
    sync::mpsc as std_mpsc,
    time::{Duration, Instant},
};

use crate::CHROMIUM;
use crate::common::signal;
use crate::proc_tree::CpuTracker;

/// Launches Chromium as a bare `about:blank` and times it until it prints its DevTools address;
/// then ends its whole process group.
pub fn bare_launch() -> Duration {
    bare_browser(|_| ())
}

/// Launches the bare browser, waits until it listens, and measures the cores of its whole tree
/// over `window`.
pub fn bare_cores(window: Duration, ticks: f64) -> f64 {
    let mut cores = 0.0;
    bare_browser(|pid| {
        let mut cpu = CpuTracker::start(pid);
        let begun = Instant::now();
        while begun.elapsed() < window {
            std::thread::sleep(Duration::from_secs(1));
            cpu.sample();
        }
        let (browser, children) = cpu.used(ticks);
        cores = (browser + children) / begun.elapsed().as_secs_f64();
    });
    cores
}

/// Launches Chromium as a bare `about:blank`, calls `listening` with its pid once it prints its
/// DevTools address, and returns how long that took; then ends its whole process group.
fn bare_browser(listening: impl FnOnce(u32)) -> Duration {
    let profile = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let mut child = Command::new(CHROMIUM)
        .args(["--headless", "--no-sandbox", "--remote-debugging-port=0"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("start {CHROMIUM}: {e}"));
    let group = i32::try_from(child.id()).expect("pid fits i32");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = std_mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains("DevTools listening on") {
                let _ = tx.send(Ok(Instant::now()));
            }
            seen.push(line);
        }
        let _ = tx.send(Err(seen.join("\n")));
    });
    let result = rx.recv_timeout(Duration::from_secs(30));
    if let Ok(Ok(_)) = result {
        listening(child.id());
    }
    // The whole group: the browser and its zygotes, renderers and helpers.
    signal(-group, libc::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(-group, libc::SIGKILL);
    let _ = child.wait();
    let _ = reader.join();
    match result {
        Ok(Ok(at)) => at.duration_since(started),
        Ok(Err(stderr)) => panic!("Chromium exited without a DevTools address; its stderr:\n{stderr}"),
        Err(_) => panic!("Chromium printed no DevTools address within 30 s"),
    }
}
