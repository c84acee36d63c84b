//! The page's video frame counts, turned into metrics: `meetbot_recording_frames_total`,
//! `meetbot_recording_video_gaps_total` and the `meetbot_recording_frame_rate` histogram. The page
//! counts (no message per frame) and reports once a second with the audio level; the host trusts
//! none of its numbers: each count is bounded by what the time since the previous report, on the
//! host's own clock, allows.

use tokio::time::{Duration, Instant};

use crate::metrics_catalog::FRAME_RATE;

/// How many times the capture's frame rate a report may claim, for jitter (a report that arrives
/// late covers more frames).
const SLACK: u64 = 2;

/// The page's frame reports of one recording.
#[derive(Debug)]
pub struct FrameMeter {
    /// The capture's frame rate (frames a second at most).
    frame_rate: u32,
    last_report: Instant,
}

/// One report's counts, bounded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counted {
    /// Video frames since the previous report.
    pub frames: u64,
    /// Gaps (more than 1 s without a frame) since the previous report.
    pub gaps: u64,
    /// Frames a second over the time since the previous report.
    pub rate: f64,
}

impl FrameMeter {
    /// A meter for a capture of at most `frame_rate` frames a second that started at `now`.
    pub fn new(frame_rate: u32, now: Instant) -> Self {
        Self { frame_rate, last_report: now }
    }

    /// The page reports `frames` and `gaps` since its last report, at `now`; `periodic` for its
    /// once-a-second report (whose frame rate is observed), not the last one at stop (which covers
    /// part of a second). Reports without counts (no video passes through the page) count nothing.
    pub fn report(&mut self, frames: Option<f64>, gaps: Option<f64>, now: Instant, periodic: bool) {
        let counted = self.bounded(frames, gaps, now);
        self.last_report = now;
        let Some(counted) = counted else { return };
        metrics::counter!("meetbot_recording_frames_total").increment(counted.frames);
        metrics::counter!("meetbot_recording_video_gaps_total").increment(counted.gaps);
        if periodic {
            metrics::histogram!(FRAME_RATE).record(counted.rate);
        }
    }

    /// The counts a report may claim at `now`; `None` when it has none.
    fn bounded(&self, frames: Option<f64>, gaps: Option<f64>, now: Instant) -> Option<Counted> {
        let (frames, gaps) = (frames?, gaps?);
        let elapsed = now.saturating_duration_since(self.last_report).max(Duration::from_secs(1));
        let whole_secs = elapsed.as_secs().saturating_add(1);
        let frames = count(frames, whole_secs.saturating_mul(u64::from(self.frame_rate)).saturating_mul(SLACK));
        // A gap lasts more than a second: at most one a second, plus one that began before.
        let gaps = count(gaps, whole_secs.saturating_add(1));
        Some(Counted { frames, gaps, rate: frames as f64 / elapsed.as_secs_f64() })
    }
}

/// A count from the page: a whole number from 0 to `max` (anything else is clamped or 0).
fn count(value: f64, max: u64) -> u64 {
    if value.is_finite() && value > 0.0 { (value.floor() as u64).min(max) } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meter_at(start: Instant) -> FrameMeter {
        FrameMeter::new(15, start)
    }

    #[test]
    fn a_steady_capture_counts_its_frames_and_rate() {
        let start = Instant::now();
        let counted = meter_at(start).bounded(Some(15.0), Some(0.0), start + Duration::from_secs(1));
        assert_eq!(counted, Some(Counted { frames: 15, gaps: 0, rate: 15.0 }));
    }

    #[test]
    fn counts_beyond_what_the_time_allows_are_clamped() {
        let start = Instant::now();
        let meter = meter_at(start);
        let one_second = start + Duration::from_secs(1);
        let counted = meter.bounded(Some(1e12), Some(1e9), one_second).expect("counts");
        assert_eq!((counted.frames, counted.gaps), (2 * 15 * 2, 3), "two whole seconds at twice the rate");
        let later = meter.bounded(Some(100.0), Some(0.0), start + Duration::from_secs(5)).expect("counts");
        assert_eq!(later.frames, 100, "a late report covers the seconds since the last one");
        assert_eq!(later.rate, 20.0);
    }

    #[test]
    fn hostile_numbers_count_nothing() {
        let start = Instant::now();
        let meter = meter_at(start);
        let at = start + Duration::from_secs(1);
        for bad in [-5.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let counted = meter.bounded(Some(bad), Some(bad), at).expect("counts");
            assert_eq!((counted.frames, counted.gaps), (0, 0), "{bad}");
        }
        assert_eq!(meter.bounded(Some(2.7), Some(0.5), at).map(|c| (c.frames, c.gaps)), Some((2, 0)), "whole numbers");
        assert_eq!(meter.bounded(None, Some(1.0), at), None, "no frame count, no report");
    }

    #[test]
    fn reports_in_quick_succession_count_a_second_each() {
        let start = Instant::now();
        let counted = meter_at(start).bounded(Some(15.0), Some(0.0), start + Duration::from_millis(10));
        assert_eq!(counted.map(|c| c.rate), Some(15.0), "no rate of 1500 a second from two reports 10 ms apart");
    }
}
