//! The worker's process tree read from `/proc`: which processes it is (the worker, Chromium's
//! browser, renderers, GPU and utility processes, ffmpeg), their memory at one moment, the peaks
//! over a call, and the CPU each used over a window.

use std::{collections::HashMap, fs, process::Command};

use crate::common::{pss, rss};
use crate::stats::{breakdown, mib};

/// What `/proc/<pid>/stat` says about a process.
pub struct Stat {
    pub ppid: u32,
    /// utime + stime, in clock ticks.
    pub cpu_ticks: u64,
    /// Start time after boot, in clock ticks: with the pid, identifies the process.
    pub start: u64,
}

pub fn stat(pid: u32) -> Option<Stat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name: state is field 3, ppid 4, utime 14, stime 15,
    // starttime 22.
    let after = text.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok());
    Some(Stat { ppid: u32::try_from(field(1)?).ok()?, cpu_ticks: field(11)? + field(12)?, start: field(19)? })
}

/// `root` and every process below it, root first.
pub fn tree(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        if let Some(stat) = stat(pid) {
            children.entry(stat.ppid).or_default().push(pid);
        }
    }
    let mut all = vec![root];
    let mut next = 0;
    while next < all.len() {
        if let Some(kids) = children.get(&all[next]) {
            all.extend(kids);
        }
        next += 1;
    }
    all
}

/// What a process of the tree is, for the per-process figures: `host` (the worker), Chromium's
/// process type (`browser`, `renderer`, `gpu-process`, `zygote`, utilities by service:
/// `network`, `audio`, `storage`), or the command name (ffmpeg while finalizing).
pub fn kind(pid: u32, root: u32) -> String {
    if pid == root {
        return "host".to_owned();
    }
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    // Chromium rewrites its command line into one space-separated string.
    let args: Vec<String> =
        String::from_utf8_lossy(&cmdline).split(['\0', ' ']).filter(|a| !a.is_empty()).map(str::to_owned).collect();
    let value = |name: &str| args.iter().find_map(|a| a.strip_prefix(name).map(str::to_owned));
    if let Some(service) = value("--utility-sub-type=") {
        // `network.mojom.NetworkService` -> `network`
        return service.split('.').next().unwrap_or("utility").to_owned();
    }
    if let Some(kind) = value("--type=") {
        return kind;
    }
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_owned();
    if comm.contains("chrom") { "browser".to_owned() } else { comm }
}

/// Memory of the worker and its descendants at one moment.
#[derive(Default, Clone)]
pub struct Memory {
    pub host_rss: u64,
    pub host_pss: Option<u64>,
    pub total_rss: u64,
    /// `None` when some process's `smaps_rollup` could not be read.
    pub total_pss: Option<u64>,
    pub processes: usize,
    /// PSS per process kind (see [`kind`]), bytes.
    pub pss_by_kind: HashMap<String, u64>,
}

pub fn memory(root: u32) -> Memory {
    let pids = tree(root);
    let mut sample =
        Memory { host_rss: rss(root).unwrap_or(0), host_pss: pss(root), total_pss: Some(0), ..Memory::default() };
    for pid in pids {
        // A process that exits between the walk and the read is skipped.
        let Some(resident) = rss(pid) else { continue };
        sample.processes += 1;
        sample.total_rss += resident;
        let own = pss(pid);
        if let Some(own) = own {
            *sample.pss_by_kind.entry(kind(pid, root)).or_default() += own;
        }
        sample.total_pss = match (sample.total_pss, own) {
            (Some(total), Some(own)) => Some(total + own),
            _ => None,
        };
    }
    sample
}

/// Peaks over a series of [`Memory`] samples.
#[derive(Default)]
pub struct Peaks {
    pub host_rss: u64,
    pub total_rss: u64,
    pub total_pss: Option<u64>,
    pub processes: usize,
    pub samples: usize,
    pub pss_missing: usize,
    /// PSS per process kind in the sample with the highest total PSS.
    pub pss_by_kind_at_peak: HashMap<String, u64>,
}

impl Peaks {
    pub fn add(&mut self, sample: Memory) {
        self.samples += 1;
        self.host_rss = self.host_rss.max(sample.host_rss);
        self.total_rss = self.total_rss.max(sample.total_rss);
        self.processes = self.processes.max(sample.processes);
        match sample.total_pss {
            Some(pss) => {
                if self.total_pss.is_none_or(|peak| pss > peak) {
                    self.pss_by_kind_at_peak = sample.pss_by_kind;
                }
                self.total_pss = Some(self.total_pss.unwrap_or(0).max(pss));
            }
            None => self.pss_missing += 1,
        }
    }

    /// `renderer 123.4 MiB, gpu-process ...` at the PSS peak.
    pub fn pss_breakdown(&self) -> String {
        let mib_by_kind = self.pss_by_kind_at_peak.iter().map(|(k, v)| (k.clone(), mib(*v))).collect();
        breakdown(&mib_by_kind, " MiB", 1)
    }
}

/// CPU seconds this bench process has used so far.
pub fn own_cpu(ticks_per_sec: f64) -> f64 {
    stat(std::process::id()).map_or(0.0, |s| s.cpu_ticks as f64 / ticks_per_sec)
}

pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU ticks per process of a tree, followed over time: each process's ticks since it was first
/// seen (or since it started, when it started later), so processes that come and go count too.
/// A process that exits loses at most one sampling period.
pub struct CpuTracker {
    pub root: u32,
    pub baseline: HashMap<(u32, u64), u64>,
    pub latest: HashMap<(u32, u64), u64>,
    /// What each process is (see [`kind`]).
    pub kinds: HashMap<(u32, u64), String>,
}

impl CpuTracker {
    pub fn start(root: u32) -> Self {
        let mut tracker = Self { root, baseline: HashMap::new(), latest: HashMap::new(), kinds: HashMap::new() };
        for pid in tree(root) {
            if let Some(stat) = stat(pid) {
                tracker.baseline.insert((pid, stat.start), stat.cpu_ticks);
                tracker.kinds.insert((pid, stat.start), kind(pid, root));
            }
        }
        tracker.latest = tracker.baseline.clone();
        tracker
    }

    pub fn sample(&mut self) {
        for pid in tree(self.root) {
            if let Some(stat) = stat(pid) {
                self.latest.insert((pid, stat.start), stat.cpu_ticks);
                self.kinds.entry((pid, stat.start)).or_insert_with(|| kind(pid, self.root));
            }
        }
    }

    /// CPU seconds per process kind since the start.
    pub fn by_kind(&self, ticks_per_sec: f64) -> HashMap<String, f64> {
        let mut seconds: HashMap<String, f64> = HashMap::new();
        for (key, latest) in &self.latest {
            let delta = latest.saturating_sub(self.baseline.get(key).copied().unwrap_or(0));
            let kind = self.kinds.get(key).cloned().unwrap_or_else(|| "?".to_owned());
            *seconds.entry(kind).or_default() += delta as f64 / ticks_per_sec;
        }
        seconds
    }

    /// (root's CPU seconds, everything below it) since the start.
    pub fn used(&self, ticks_per_sec: f64) -> (f64, f64) {
        let (mut root, mut rest) = (0u64, 0u64);
        for (key, latest) in &self.latest {
            let delta = latest.saturating_sub(self.baseline.get(key).copied().unwrap_or(0));
            if key.0 == self.root {
                root += delta;
            } else {
                rest += delta;
            }
        }
        (root as f64 / ticks_per_sec, rest as f64 / ticks_per_sec)
    }
}
