//! Memory figures of a process from `/proc`, as the benches report them.

use std::fs;

/// A `kB` line of a `/proc` file, in bytes.
fn kb_field(path: &str, name: &str) -> Option<u64> {
    let text = fs::read_to_string(path).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':')?.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

/// Resident set size in bytes (`VmRSS`); `None` once the process is gone.
pub fn rss(pid: u32) -> Option<u64> {
    kb_field(&format!("/proc/{pid}/status"), "VmRSS")
}

/// The anonymous part of the resident set in bytes (`RssAnon`): the heap and stacks, without the
/// pages of the executable and libraries, which a process faults in as it first runs their code.
pub fn rss_anon(pid: u32) -> Option<u64> {
    kb_field(&format!("/proc/{pid}/status"), "RssAnon")
}

/// Proportional set size in bytes (`Pss` of `smaps_rollup`, which not every kernel lets us read).
pub fn pss(pid: u32) -> Option<u64> {
    kb_field(&format!("/proc/{pid}/smaps_rollup"), "Pss")
}
