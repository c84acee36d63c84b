//! How the figures are summarised and printed: medians and maxima of a series of times, per-kind
//! breakdowns, MiB, and counts of job outcomes.

use std::collections::HashMap;

/// `name value, name value, ...` of a per-kind breakdown, largest first.
pub fn breakdown(values: &HashMap<String, f64>, unit: &str, precision: usize) -> String {
    let mut sorted: Vec<(&String, &f64)> = values.iter().filter(|(_, v)| **v > 0.0).collect();
    sorted.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
    sorted.iter().map(|(k, v)| format!("{k} {v:.precision$}{unit}")).collect::<Vec<_>>().join(", ")
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

pub fn mib_or(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "n/a (smaps_rollup not readable)".to_owned(), |b| format!("{:.1} MiB", mib(b)))
}

pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) { (sorted[mid - 1] + sorted[mid]) / 2.0 } else { sorted[mid] }
}

pub fn max(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// `median … ms  max … ms  (each sample)`.
pub fn summary(values: &[f64]) -> String {
    let each: Vec<String> = values.iter().map(|v| format!("{v:.0}")).collect();
    format!("median {:>6.0} ms  max {:>6.0} ms  (runs: {})", median(values), max(values), each.join(", "))
}

/// `outcome ×count, ...` in order of first appearance.
pub fn outcomes<'a>(all: impl IntoIterator<Item = &'a str>) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for outcome in all {
        match counts.iter_mut().find(|(o, _)| *o == outcome) {
            Some((_, n)) => *n += 1,
            None => counts.push((outcome, 1)),
        }
    }
    counts.iter().map(|(o, n)| format!("{o} ×{n}")).collect::<Vec<_>>().join(", ")
}
