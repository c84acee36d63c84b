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

/// The file name the partial recording of an earlier, unfinished delivery is stored under
/// (`recording.attempt-1.webm`): beside the job's own recording, never over it.
pub fn attempt_file_name(format: RecordingFormat, attempt: u32) -> String {
    match format {
        RecordingFormat::Webm => format!("recording.attempt-{attempt}.webm"),
        RecordingFormat::Mp4 => format!("recording.attempt-{attempt}.mp4"),
    }
}

/// Joins and converts `segments` into `dir/recording.<ext>`; returns its path and duration in
/// seconds. `dir` may be another folder than the segments'. When it fails, what it wrote in `dir`
/// is removed again (a half-written file must not pass for a recording, and on a full disk the
/// room is wanted back).
pub async fn finalize(
    segments: &[PathBuf],
    format: RecordingFormat,
    dir: &Path,
) -> Result<(PathBuf, f64), FinalizeError> {
    if segments.is_empty() {
        return Err(FinalizeError::Empty);
    }
    let mut written = Vec::new();
    let finalized = join_and_convert(segments, format, dir, &mut written).await;
    if finalized.is_err() {
        for file in written {
            let _ = tokio::fs::remove_file(file).await;
        }
    }
    finalized
}

/// [`finalize`]'s work; every file it creates in `dir` is first pushed onto `written`.
async fn join_and_convert(
    segments: &[PathBuf],
    format: RecordingFormat,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> Result<(PathBuf, f64), FinalizeError> {
    let output = dir.join(file_name(format));
    let mut command = ffmpeg();
    command.args(["-fflags", "+genpts"]);
    if segments.len() == 1 {
        command.arg("-i").arg(&segments[0]);
    } else {
        let mut ordered = Vec::with_capacity(segments.len());
        for (i, segment) in segments.iter().enumerate() {
            let file = dir.join(format!("ordered-{i:03}.webm"));
            written.push(file.clone());
            video_first(segment, &file).await?;
            ordered.push(file);
        }
        // Names relative to the list (the concat demuxer resolves them from its folder), each
        // quoted: no path of the operator's or the job's reaches ffmpeg's list syntax.
        let list = dir.join("segments.txt");
        written.push(list.clone());
        let text: String = ordered
            .iter()
            .filter_map(|path| path.file_name())
            .map(|name| format!("file {}\n", concat_quoted(&name.to_string_lossy())))
            .collect();
        tokio::fs::write(&list, text).await.map_err(|source| FinalizeError::Spawn { tool: "ffmpeg", source })?;
        command.args(["-f", "concat", "-i"]).arg(&list);
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
    written.push(output.clone());
    run(command.arg(&output)).await?;
    let duration = probe_duration(&output).await?;
    Ok((output, duration))
}

/// A file name as the concat demuxer reads it: single-quoted, a quote inside written `'\''`, and
/// line breaks (which end an entry whatever the quoting) replaced.
fn concat_quoted(name: &str) -> String {
    let escaped = name.replace(['\n', '\r'], "_").replace('\'', r"'\''");
    format!("'{escaped}'")
}

fn ffmpeg() -> Command {
    let mut command = Command::new("ffmpeg");
    command.args(["-y", "-hide_banner", "-loglevel", "error"]);
    command
}

async fn run(command: &mut Command) -> Result<(), FinalizeError> {
    let out = command.output().await.map_err(|source| FinalizeError::Spawn { tool: "ffmpeg", source })?;
    if !out.status.success() {
        return Err(FinalizeError::Ffmpeg(String::from_utf8_lossy(&out.stderr).trim().to_owned()));
    }
    Ok(())
}

/// Copies a segment with its video stream first and its audio second. MediaRecorder's WebM muxer
/// adds each track when its first frame arrives, so a segment whose audio came first has the
/// streams the other way round; the concat demuxer pairs streams by position, and would put one
/// segment's audio into another's video.
async fn video_first(segment: &Path, output: &Path) -> Result<(), FinalizeError> {
    run(ffmpeg().arg("-i").arg(segment).args(["-map", "0:v?", "-map", "0:a?", "-c", "copy"]).arg(output)).await
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2 s WebM segment of a test picture and a tone, made by the real ffmpeg; `audio_first`
    /// writes the streams the other way round, as MediaRecorder does when audio arrives first.
    async fn segment(path: &Path, audio_first: bool) {
        let maps: [&str; 4] = if audio_first { ["-map", "1:a", "-map", "0:v"] } else { ["-map", "0:v", "-map", "1:a"] };
        let mut command = ffmpeg();
        command
            .args(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=15:duration=2"])
            .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=2"])
            .args(maps)
            .args(["-c:v", "libvpx", "-c:a", "libopus"])
            .arg(path);
        run(&mut command).await.expect("make a test segment");
    }

    /// Packets in a file's video stream, counted by ffprobe.
    async fn video_frames(file: &Path) -> usize {
        let out = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-count_packets",
                "-show_entries",
                "stream=nb_read_packets",
            ])
            .args(["-of", "csv=p=0"])
            .arg(file)
            .output()
            .await
            .expect("run ffprobe");
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0)
    }

    #[tokio::test]
    async fn a_failed_finalize_leaves_nothing_of_its_own_behind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (good, broken) = (dir.path().join("segment-000.webm"), dir.path().join("segment-001.webm"));
        segment(&good, false).await;
        std::fs::write(&broken, b"not a webm").expect("write a broken segment");
        let failed = finalize(&[good.clone(), broken.clone()], RecordingFormat::Webm, dir.path()).await;
        assert!(matches!(failed, Err(FinalizeError::Ffmpeg(_))), "{failed:?}");
        let mut left: Vec<_> = std::fs::read_dir(dir.path()).expect("read").flatten().map(|e| e.path()).collect();
        left.sort();
        assert_eq!(left, [good, broken], "only the segments stay");
    }

    #[test]
    fn concat_entries_are_quoted() {
        assert_eq!(concat_quoted("ordered-000.webm"), "'ordered-000.webm'");
        assert_eq!(concat_quoted("a'b\nc"), r"'a'\''b_c'");
    }

    #[tokio::test]
    async fn segments_with_streams_in_either_order_join_into_one_picture_and_sound() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (first, second) = (dir.path().join("segment-000.webm"), dir.path().join("segment-001.webm"));
        segment(&first, false).await;
        segment(&second, true).await;
        let (file, duration) =
            finalize(&[first, second], RecordingFormat::Webm, dir.path()).await.expect("finalize two segments");
        assert!((duration - 4.0).abs() < 0.3, "both segments are in it: {duration} s");
        let frames = video_frames(&file).await;
        assert!((55..=65).contains(&frames), "the video of both segments and nothing else: {frames} packets of 60");
        let decoded = ffmpeg().arg("-i").arg(&file).args(["-f", "null", "-"]).output().await.expect("decode");
        let errors = String::from_utf8_lossy(&decoded.stderr);
        assert!(decoded.status.success() && errors.trim().is_empty(), "it decodes cleanly: {errors}");
    }
}
