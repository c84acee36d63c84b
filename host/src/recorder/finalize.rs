//! Finalizing a recording with ffmpeg: MediaRecorder's WebM has no duration and no cues, so it
//! is remuxed (`-c copy`) into a seekable WebM, or transcoded to H.264/AAC MP4; segments from
//! in-meeting page changes are joined. ffprobe then gives the true duration.

use std::path::{Path, PathBuf};

use tokio::process::Command;

use crate::config::RecordingFormat;

/// Finalizing failures.
#[derive(Debug, thiserror::Error)]
pub enum FinalizeError {
    /// Nothing was recorded.
    #[error("nothing was recorded")]
    Empty,
    /// ffmpeg or ffprobe could not run.
    #[error("cannot run {tool}: {source} (install ffmpeg)")]
    Spawn {
        /// The tool.
        tool: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// ffmpeg failed.
    #[error("ffmpeg failed: {0}")]
    Ffmpeg(String),
    /// ffprobe gave no duration.
    #[error("ffprobe: {0}")]
    Probe(String),
}

/// The file name a recording is stored under.
pub fn file_name(format: RecordingFormat) -> &'static str {
    match format {
        RecordingFormat::Webm => "recording.webm",
        RecordingFormat::Mp4 => "recording.mp4",
    }
}

/// Joins and converts `segments` into `dir/recording.<ext>`; returns its path and duration in
/// seconds.
pub async fn finalize(
    segments: &[PathBuf],
    format: RecordingFormat,
    dir: &Path,
) -> Result<(PathBuf, f64), FinalizeError> {
    if segments.is_empty() {
        return Err(FinalizeError::Empty);
    }
    let output = dir.join(file_name(format));
    let mut command = Command::new("ffmpeg");
    command.args(["-y", "-hide_banner", "-loglevel", "error", "-fflags", "+genpts"]);
    if segments.len() == 1 {
        command.arg("-i").arg(&segments[0]);
    } else {
        let list = dir.join("segments.txt");
        let text: String = segments.iter().map(|s| format!("file '{}'\n", s.display())).collect();
        tokio::fs::write(&list, text).await.map_err(|source| FinalizeError::Spawn { tool: "ffmpeg", source })?;
        command.args(["-f", "concat", "-safe", "0", "-i"]).arg(&list);
    }
    match format {
        RecordingFormat::Webm => command.args(["-c", "copy"]),
        // MediaRecorder's WebM has a 1 kHz time base and no frame rate: without `vfr` ffmpeg would
        // write a constant 1000 fps stream, duplicating every frame.
        RecordingFormat::Mp4 => command.args([
            "-fps_mode",
            "vfr",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-movflags",
            "+faststart",
        ]),
    };
    let out = command.arg(&output).output().await.map_err(|source| FinalizeError::Spawn { tool: "ffmpeg", source })?;
    if !out.status.success() {
        return Err(FinalizeError::Ffmpeg(String::from_utf8_lossy(&out.stderr).trim().to_owned()));
    }
    let duration = probe_duration(&output).await?;
    Ok((output, duration))
}

/// The container duration ffprobe reports, in seconds.
pub async fn probe_duration(file: &Path) -> Result<f64, FinalizeError> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1"])
        .arg(file)
        .output()
        .await
        .map_err(|source| FinalizeError::Spawn { tool: "ffprobe", source })?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    text.parse().map_err(|_| FinalizeError::Probe(format!("no duration in `{text}`")))
}
