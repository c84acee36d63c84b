//! The quality of a stored recording, measured on the file itself (what the user gets, whatever
//! the page claimed): video frames, frames per second, the longest stretch without video and
//! without audio, and whether the picture's size changed. It goes into `meeting.json` and the
//! metrics. A sound-only recording (`recording.video = false`) has no video figures at all, rather
//! than zeros that would read as a picture that never came.
//!
//! ffprobe reads packet timestamps without decoding, and decodes only key frames for the sizes
//! (VP8 and H.264 change size only at a key frame), so measuring an hour costs seconds, not a
//! second hour of decoding.

use std::path::Path;

use serde::Serialize;
use tokio::process::Command;

use super::finalize::FinalizeError;

/// Gaps shorter than this are the codec's own rhythm (Opus packets are 20 ms, frames at 15 fps
/// 67 ms apart), not a dropout.
const NOTABLE_GAP_SECS: f64 = 0.25;

/// What the recording holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quality {
    /// The picture's figures, side by side with the sound's in `meeting.json`; none for a
    /// sound-only recording.
    #[serde(flatten)]
    pub video: Option<VideoQuality>,
    /// Longest time between two audio packets, in seconds (0 without audio).
    pub longest_audio_gap_secs: f64,
    /// Audio gaps longer than a quarter second (dropouts).
    pub audio_dropouts: u64,
}

/// What the recording's picture holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VideoQuality {
    /// Video frames in the file.
    pub video_frames: u64,
    /// Frames per second over the video's span.
    pub frames_per_second: f64,
    /// Longest time between two video frames, in seconds (0 without video).
    pub longest_video_gap_secs: f64,
    /// The picture's sizes, in order of appearance (`WIDTHxHEIGHT`).
    pub frame_sizes: Vec<String>,
    /// Whether the picture's size ever changed.
    pub frame_size_changed: bool,
}

impl Quality {
    /// Adds this recording to the metrics.
    /// A sound-only recording adds nothing to the video series.
    pub fn count(&self) {
        use crate::metrics_catalog::LONGEST_GAP;
        if let Some(video) = &self.video {
            metrics::histogram!(LONGEST_GAP, "stream" => "video").record(video.longest_video_gap_secs);
            if video.frame_size_changed {
                metrics::counter!("meetbot_recording_frame_size_changes_total").increment(1);
            }
        }
        metrics::histogram!(LONGEST_GAP, "stream" => "audio").record(self.longest_audio_gap_secs);
        metrics::counter!("meetbot_recording_audio_dropouts_total").increment(self.audio_dropouts);
    }
}

/// Measures `file` with ffprobe; its picture too when it is meant to have one (`video`).
///
/// # Errors
/// ffprobe could not run or failed.
pub async fn measure(file: &Path, video: bool) -> Result<Quality, FinalizeError> {
    let audio = summarize_audio(timestamps(file, "a:0").await?);
    let video = if video {
        let times = timestamps(file, "v:0").await?;
        let sizes = key_frame_sizes(file).await?;
        Some(summarize_video(times, sizes))
    } else {
        None
    };
    Ok(Quality { video, ..audio })
}

/// The quality of a sound-only recording with these audio packet times (seconds, any order).
fn summarize_audio(mut audio: Vec<f64>) -> Quality {
    audio.sort_by(f64::total_cmp);
    Quality {
        video: None,
        longest_audio_gap_secs: round(longest_gap(&audio)),
        audio_dropouts: audio.windows(2).filter(|pair| pair[1] - pair[0] > NOTABLE_GAP_SECS).count() as u64,
    }
}

/// The picture's figures, from its packet times (seconds, any order) and key-frame sizes.
fn summarize_video(mut video: Vec<f64>, sizes: Vec<String>) -> VideoQuality {
    video.sort_by(f64::total_cmp);
    let span = match (video.first(), video.last()) {
        (Some(first), Some(last)) if last > first => last - first,
        _ => 0.0,
    };
    let frames = video.len() as u64;
    let mut frame_sizes: Vec<String> = Vec::new();
    for size in sizes {
        if frame_sizes.last() != Some(&size) {
            frame_sizes.push(size);
        }
    }
    let distinct = {
        let mut all = frame_sizes.clone();
        all.sort();
        all.dedup();
        all.len()
    };
    VideoQuality {
        video_frames: frames,
        // N frames span N-1 intervals.
        frames_per_second: if span > 0.0 { round((frames - 1) as f64 / span) } else { 0.0 },
        longest_video_gap_secs: round(longest_gap(&video)),
        frame_size_changed: distinct > 1,
        frame_sizes,
    }
}

fn longest_gap(times: &[f64]) -> f64 {
    times.windows(2).map(|pair| pair[1] - pair[0]).fold(0.0, f64::max)
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// The timestamps of the packets of `stream` (`v:0`, `a:0`); none when the file has no such stream.
async fn timestamps(file: &Path, stream: &str) -> Result<Vec<f64>, FinalizeError> {
    let text = probe(file, &["-select_streams", stream, "-show_entries", "packet=pts_time"]).await?;
    Ok(text.lines().filter_map(|line| line.trim().trim_end_matches(',').parse().ok()).collect())
}

/// `WIDTHxHEIGHT` of each key frame of the first video stream, in order.
async fn key_frame_sizes(file: &Path) -> Result<Vec<String>, FinalizeError> {
    let text =
        probe(file, &["-select_streams", "v:0", "-skip_frame", "nokey", "-show_entries", "frame=width,height"]).await?;
    Ok(text
        .lines()
        .filter_map(|line| {
            let (width, height) = line.trim().trim_end_matches(',').split_once(',')?;
            Some(format!("{}x{}", width.parse::<u32>().ok()?, height.parse::<u32>().ok()?))
        })
        .collect())
}

async fn probe(file: &Path, args: &[&str]) -> Result<String, FinalizeError> {
    let out = Command::new("ffprobe")
        .args(["-v", "error"])
        .args(args)
        .args(["-of", "csv=p=0"])
        .arg(file)
        .output()
        .await
        .map_err(|source| FinalizeError::Spawn { tool: "ffprobe", source })?;
    if !out.status.success() {
        return Err(FinalizeError::Probe(String::from_utf8_lossy(&out.stderr).trim().to_owned()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quality of a recording with these packet times (seconds, any order) and key-frame
    /// sizes, and its picture's figures.
    fn summarize(video: Vec<f64>, audio: Vec<f64>, sizes: Vec<String>) -> (VideoQuality, Quality) {
        let picture = summarize_video(video, sizes);
        (picture.clone(), Quality { video: Some(picture), ..summarize_audio(audio) })
    }

    fn every(step: f64, from: f64, to: f64) -> Vec<f64> {
        (0..).map(|i| from + f64::from(i) * step).take_while(|t| *t <= to + 1e-9).collect()
    }

    #[test]
    fn a_steady_recording_has_its_frame_rate_and_no_gaps() {
        let (video, quality) =
            summarize(every(1.0 / 15.0, 0.0, 10.0), every(0.02, 0.0, 10.0), vec!["1280x720".to_owned(); 3]);
        assert_eq!(video.video_frames, 151);
        assert_eq!(video.frames_per_second, 15.0);
        assert!(video.longest_video_gap_secs < 0.07, "{video:?}");
        assert_eq!(quality.audio_dropouts, 0);
        assert_eq!(video.frame_sizes, ["1280x720"]);
        assert!(!video.frame_size_changed);
    }

    #[test]
    fn stalls_show_as_the_longest_gaps_and_audio_dropouts() {
        let mut video = every(0.1, 0.0, 2.0);
        video.extend(every(0.1, 3.5, 5.0));
        let mut audio = every(0.02, 0.0, 1.0);
        audio.extend(every(0.02, 1.6, 5.0));
        audio.reverse(); // packet order does not matter
        let (video, quality) = summarize(video, audio, vec![]);
        assert_eq!(video.longest_video_gap_secs, 1.5);
        assert_eq!(quality.longest_audio_gap_secs, 0.6);
        assert_eq!(quality.audio_dropouts, 1);
    }

    #[test]
    fn a_size_that_changes_and_comes_back_is_a_change() {
        let sizes = ["1280x720", "1280x720", "1264x698", "1280x720"].map(str::to_owned).to_vec();
        let (video, _) = summarize(vec![0.0, 1.0], vec![], sizes);
        assert_eq!(video.frame_sizes, ["1280x720", "1264x698", "1280x720"]);
        assert!(video.frame_size_changed);
    }

    #[test]
    fn no_video_and_no_audio_measure_as_zero() {
        let (video, quality) = summarize(vec![], vec![], vec![]);
        assert_eq!((video.video_frames, video.frames_per_second, video.longest_video_gap_secs), (0, 0.0, 0.0));
        assert!(!video.frame_size_changed);
        assert_eq!((quality.longest_audio_gap_secs, quality.audio_dropouts), (0.0, 0));
    }

    #[test]
    fn a_sound_only_recording_has_no_video_figures_in_meeting_json() {
        let mut audio = every(0.02, 0.0, 1.0);
        audio.extend(every(0.02, 1.5, 3.0));
        let quality = summarize_audio(audio);
        let json = serde_json::to_value(&quality).expect("serializes");
        assert_eq!(json, serde_json::json!({"longest_audio_gap_secs": 0.5, "audio_dropouts": 1}));
        let (_, with_picture) = summarize(vec![0.0, 0.5], vec![], vec!["1280x720".to_owned()]);
        let json = serde_json::to_value(&with_picture).expect("serializes");
        assert_eq!(json["video_frames"], 2, "a recording with a picture keeps its figures side by side: {json}");
        assert_eq!(json["frame_sizes"], serde_json::json!(["1280x720"]), "{json}");
    }

    /// A WebM clip of `size` for `secs` seconds at 15 fps with a tone, made by the real ffmpeg.
    async fn clip(path: &Path, size: &str, secs: u32) {
        let out = Command::new("ffmpeg")
            .args(["-y", "-v", "error", "-f", "lavfi", "-i"])
            .arg(format!("testsrc=size={size}:rate=15:duration={secs}"))
            .args(["-f", "lavfi", "-i"])
            .arg(format!("sine=frequency=440:duration={secs}"))
            .args(["-c:v", "libvpx", "-c:a", "libopus"])
            .arg(path)
            .output()
            .await
            .expect("ffmpeg");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    #[tokio::test]
    async fn a_real_file_is_measured_without_decoding_it_all() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (first, second, joined) =
            (dir.path().join("a.webm"), dir.path().join("b.webm"), dir.path().join("ab.webm"));
        clip(&first, "320x240", 2).await;
        let quality = measure(&first, true).await.expect("measured");
        let video = quality.video.clone().expect("video figures");
        assert!((28..=31).contains(&video.video_frames), "{quality:?}");
        assert!((14.0..=16.0).contains(&video.frames_per_second), "{quality:?}");
        assert!(quality.longest_audio_gap_secs < NOTABLE_GAP_SECS, "{quality:?}");
        assert_eq!(video.frame_sizes, ["320x240"]);
        let sound_only = measure(&first, false).await.expect("measured as sound only");
        assert_eq!(sound_only.video, None, "{sound_only:?}");
        assert_eq!(sound_only.longest_audio_gap_secs, quality.longest_audio_gap_secs);

        // Two clips of different sizes joined without re-encoding: the picture's size changes.
        clip(&second, "160x120", 2).await;
        let list = dir.path().join("list.txt");
        std::fs::write(&list, "file 'a.webm'\nfile 'b.webm'\n").expect("list");
        let out = Command::new("ffmpeg")
            .args(["-y", "-v", "error", "-f", "concat", "-safe", "0", "-i"])
            .arg(&list)
            .args(["-c", "copy"])
            .arg(&joined)
            .output()
            .await
            .expect("ffmpeg concat");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let video = measure(&joined, true).await.expect("measured").video.expect("video figures");
        assert_eq!(video.frame_sizes, ["320x240", "160x120"], "{video:?}");
        assert!(video.frame_size_changed);
    }
}
