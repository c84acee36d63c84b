//! What a recording holds, asked of the real `ffprobe` and `ffmpeg`.

use std::{path::Path, process::Command};

use serde_json::Value;

/// One stream of a media file.
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    /// `video` or `audio`.
    pub kind: String,
    /// e.g. `vp8`, `opus`, `h264`, `aac`.
    pub codec: String,
    /// Frame size of a video stream.
    pub size: Option<(u64, u64)>,
}

/// What ffprobe says about a file.
#[derive(Debug, Clone)]
pub struct Probe {
    /// Its streams, in order.
    pub streams: Vec<Stream>,
    /// The container's duration in seconds, when it has one.
    pub duration: Option<f64>,
    /// The container format name(s), e.g. `matroska,webm` or `mov,mp4,m4a,3gp,3g2,mj2`.
    pub format: String,
}

impl Probe {
    /// The streams of one kind.
    pub fn of_kind(&self, kind: &str) -> Vec<&Stream> {
        self.streams.iter().filter(|s| s.kind == kind).collect()
    }
}

/// Runs ffprobe on `file`; panics with its error output when it fails.
pub fn probe(file: &Path) -> Probe {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json", "-show_format", "-show_streams"])
        .arg(file)
        .output()
        .expect("run ffprobe (is ffmpeg installed?)");
    assert!(out.status.success(), "ffprobe {}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).expect("ffprobe prints JSON");
    let streams = json["streams"]
        .as_array()
        .map(|streams| {
            streams
                .iter()
                .map(|s| Stream {
                    kind: s["codec_type"].as_str().unwrap_or_default().to_owned(),
                    codec: s["codec_name"].as_str().unwrap_or_default().to_owned(),
                    size: s["width"].as_u64().zip(s["height"].as_u64()),
                })
                .collect()
        })
        .unwrap_or_default();
    let duration = json["format"]["duration"].as_str().and_then(|d| d.parse().ok());
    let format = json["format"]["format_name"].as_str().unwrap_or_default().to_owned();
    Probe { streams, duration, format }
}

/// The mean and max volume of the audio (ffmpeg `volumedetect`), in dB.
pub fn volume(file: &Path) -> (f64, f64) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(file)
        .args(["-vn", "-af", "volumedetect", "-f", "null", "-"])
        .output()
        .expect("run ffmpeg");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "ffmpeg volumedetect {}: {log}", file.display());
    let value = |name: &str| {
        log.lines()
            .find_map(|l| l.split_once(name).map(|(_, rest)| rest.trim().trim_end_matches("dB").trim().to_owned()))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no `{name}` in ffmpeg's output:\n{log}"))
    };
    (value("mean_volume:"), value("max_volume:"))
}

/// Decodes one video frame at `secs` with input seeking (`ffmpeg -ss <secs> -i file`); the error
/// output when that fails or yields no frame.
pub fn decode_frame_at(file: &Path, secs: f64) -> Result<(), String> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-v", "info", "-ss", &format!("{secs:.2}"), "-i"])
        .arg(file)
        .args(["-frames:v", "1", "-f", "null", "-"])
        .output()
        .expect("run ffmpeg");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(log);
    }
    // `frame=    1` in the final progress line: a frame was decoded there.
    if log.contains("frame=    1") || log.contains("frame=1 ") {
        Ok(())
    } else {
        Err(format!("no frame decoded at {secs:.2} s:\n{log}"))
    }
}

/// Decodes half a second of audio from `secs` on with input seeking (`ffmpeg -ss <secs> -i file`);
/// the error output when that fails or yields less than a quarter second of sound.
pub fn decode_audio_at(file: &Path, secs: f64) -> Result<(), String> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-v", "error", "-ss", &format!("{secs:.2}"), "-i"])
        .arg(file)
        .args(["-t", "0.5", "-vn", "-ac", "1", "-ar", "48000", "-f", "s16le", "-"])
        .output()
        .expect("run ffmpeg");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    // 48000 samples a second, 2 bytes each.
    let decoded_secs = out.stdout.len() as f64 / 96_000.0;
    if out.status.success() && decoded_secs >= 0.25 {
        Ok(())
    } else {
        Err(format!("{decoded_secs:.2} s of sound decoded at {secs:.2} s:\n{log}"))
    }
}

/// Whether a WebM file has a Cues element (the seek index MediaRecorder never writes and the
/// remux adds): its EBML id `1C 53 BB 6B` appears in the file.
pub fn webm_has_cues(file: &Path) -> bool {
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
    bytes.windows(4).any(|w| w == [0x1C, 0x53, 0xBB, 0x6B])
}

/// Whether an MP4 file has its index (`moov`) before its media data (`mdat`), so a player can
/// seek before the whole file arrived (`-movflags +faststart`). Walks the top-level boxes.
pub fn mp4_index_first(file: &Path) -> bool {
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
    let mut offset = 0usize;
    while offset + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[offset..offset + 4].try_into().expect("4 bytes")) as usize;
        match &bytes[offset + 4..offset + 8] {
            b"moov" => return true,
            b"mdat" => return false,
            _ => {}
        }
        let size = match size {
            1 if offset + 16 <= bytes.len() => {
                u64::from_be_bytes(bytes[offset + 8..offset + 16].try_into().expect("8 bytes")) as usize
            }
            0 | 1 => return false,
            size => size,
        };
        offset += size;
    }
    false
}

/// The presentation times (seconds) of every video frame, in order.
pub fn video_frame_times(file: &Path) -> Vec<f64> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .expect("run ffprobe");
    assert!(out.status.success(), "ffprobe frames {}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.trim().trim_end_matches(',').parse().ok()).collect()
}
