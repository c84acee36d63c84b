//! Finalizing a recording with ffmpeg: MediaRecorder's WebM has no duration and no cues, so it
//! is remuxed (`-c copy`) into a seekable WebM, or transcoded to H.264/AAC MP4 (AAC alone in an
//! M4A for a sound-only recording); segments from in-meeting page changes are joined. ffprobe then
//! gives the true duration.

use std::path::{Path, PathBuf};

use tokio::process::Command;

use super::output::Output;
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

/// Joins and converts `segments` into `dir/<output's file name>`; returns its path and duration in
/// seconds. `dir` may be another folder than the segments'. When it fails, what it wrote in `dir`
/// is removed again (a half-written file must not pass for a recording, and on a full disk the
/// room is wanted back).
pub async fn finalize(segments: &[PathBuf], output: Output, dir: &Path) -> Result<(PathBuf, f64), FinalizeError> {
    if segments.is_empty() {
        return Err(FinalizeError::Empty);
    }
    let mut written = Vec::new();
    let finalized = join_and_convert(segments, output, dir, &mut written).await;
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
    output: Output,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> Result<(PathBuf, f64), FinalizeError> {
    let file = dir.join(output.file_name());
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
    if !output.video {
        // Whatever the segments hold, a sound-only recording has no video stream.
        command.arg("-vn");
    }
    match (output.format, output.video) {
        (RecordingFormat::Webm, _) => command.args(["-c", "copy"]),
        (RecordingFormat::Mp4, false) => command.args(AAC).args(FASTSTART),
        // MediaRecorder's WebM has a 1 kHz time base and no frame rate: without `vfr` ffmpeg would
        // write a constant 1000 fps stream, duplicating every frame.
        (RecordingFormat::Mp4, true) => command
            .args(["-fps_mode", "vfr", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p"])
            .args(AAC)
            .args(FASTSTART),
    };
    written.push(file.clone());
    run(command.arg(&file)).await?;
    let duration = probe_duration(&file).await?;
    Ok((file, duration))
}

/// The audio of an MP4 or M4A: AAC at the bitrate MediaRecorder's Opus had.
const AAC: [&str; 4] = ["-c:a", "aac", "-b:a", "128k"];
/// The MP4/M4A index before the media, so a player can seek before the whole file arrived.
const FASTSTART: [&str; 2] = ["-movflags", "+faststart"];

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

    const WEBM: Output = Output { format: RecordingFormat::Webm, video: true };

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
        let failed = finalize(&[good.clone(), broken.clone()], WEBM, dir.path()).await;
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
        let (file, duration) = finalize(&[first, second], WEBM, dir.path()).await.expect("finalize two segments");
        assert!((duration - 4.0).abs() < 0.3, "both segments are in it: {duration} s");
        let frames = video_frames(&file).await;
        assert!((55..=65).contains(&frames), "the video of both segments and nothing else: {frames} packets of 60");
        let decoded = ffmpeg().arg("-i").arg(&file).args(["-f", "null", "-"]).output().await.expect("decode");
        let errors = String::from_utf8_lossy(&decoded.stderr);
        assert!(decoded.status.success() && errors.trim().is_empty(), "it decodes cleanly: {errors}");
    }

    /// A 2 s WebM segment of a tone alone, as MediaRecorder writes a sound-only capture.
    async fn sound_segment(path: &Path) {
        let mut command = ffmpeg();
        command.args(["-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "libopus"]).arg(path);
        run(&mut command).await.expect("make a sound-only test segment");
    }

    /// `codec_type:codec_name` of each stream of `file`, in order.
    async fn streams(file: &Path) -> Vec<String> {
        let out = Command::new("ffprobe")
            .args(["-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "csv=p=0"])
            .arg(file)
            .output()
            .await
            .expect("run ffprobe");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut found: Vec<String> = text
            .lines()
            .map(|line| {
                let mut fields: Vec<&str> = line.trim().trim_end_matches(',').split(',').collect();
                // ffprobe prints the fields in its own order; name the kind first.
                fields.sort_by_key(|field| !matches!(*field, "audio" | "video"));
                fields.join(":")
            })
            .collect();
        found.retain(|stream| !stream.is_empty());
        found
    }

    #[tokio::test]
    async fn sound_only_segments_join_into_one_opus_webm_or_an_aac_m4a() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (first, second) = (dir.path().join("segment-000.webm"), dir.path().join("segment-001.webm"));
        sound_segment(&first).await;
        sound_segment(&second).await;
        let segments = [first, second];

        let webm = Output { format: RecordingFormat::Webm, video: false };
        let (file, duration) = finalize(&segments, webm, dir.path()).await.expect("finalize to WebM");
        assert_eq!(file, dir.path().join("recording.webm"));
        assert_eq!(streams(&file).await, ["audio:opus"], "one Opus stream and nothing else");
        assert!((duration - 4.0).abs() < 0.3, "both segments are in it: {duration} s");

        let m4a = Output { format: RecordingFormat::Mp4, video: false };
        let (file, duration) = finalize(&segments, m4a, dir.path()).await.expect("finalize to M4A");
        assert_eq!(file, dir.path().join("recording.m4a"));
        assert_eq!(streams(&file).await, ["audio:aac"], "one AAC stream and nothing else");
        assert!((duration - 4.0).abs() < 0.3, "both segments are in it: {duration} s");
    }

    #[tokio::test]
    async fn a_sound_only_recording_drops_any_picture_the_segments_have() {
        let dir = tempfile::tempdir().expect("tempdir");
        let with_picture = dir.path().join("segment-000.webm");
        segment(&with_picture, false).await;
        let output = Output { format: RecordingFormat::Webm, video: false };
        let (file, _) = finalize(&[with_picture], output, dir.path()).await.expect("finalize");
        assert_eq!(streams(&file).await, ["audio:opus"]);
    }
}
