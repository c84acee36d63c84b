//! What a finalized recording is: its container (`recording.format`) and whether it has a picture
//! (`recording.video`). Both decide the stored file's name and how ffmpeg writes it; an audio-only
//! MP4 is stored as `recording.m4a`, the name players and users expect for sound alone.

use crate::config::{RecordingConfig, RecordingFormat};

/// The kind of file a recording is finalized into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    /// The container.
    pub format: RecordingFormat,
    /// Whether the file has a video stream (`false`: sound only).
    pub video: bool,
}

impl Output {
    /// The file the configuration asks for.
    pub fn of(config: &RecordingConfig) -> Self {
        Self { format: config.format, video: config.video }
    }

    /// The file name a recording is stored under: `recording.webm`, `recording.mp4`, or
    /// `recording.m4a` for sound only in MP4.
    pub fn file_name(self) -> String {
        format!("recording.{}", self.extension())
    }

    /// The file name the partial recording of an earlier, unfinished delivery is stored under
    /// (`recording.attempt-1.webm`): beside the job's own recording, never over it.
    pub fn attempt_file_name(self, attempt: u32) -> String {
        format!("recording.attempt-{attempt}.{}", self.extension())
    }

    fn extension(self) -> &'static str {
        match (self.format, self.video) {
            (RecordingFormat::Webm, _) => "webm",
            (RecordingFormat::Mp4, true) => "mp4",
            (RecordingFormat::Mp4, false) => "m4a",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sound_only_in_mp4_is_an_m4a_and_webm_stays_webm() {
        let names = |format, video| {
            let output = Output { format, video };
            (output.file_name(), output.attempt_file_name(2))
        };
        let expect = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        assert_eq!(names(RecordingFormat::Webm, true), expect("recording.webm", "recording.attempt-2.webm"));
        assert_eq!(names(RecordingFormat::Webm, false), expect("recording.webm", "recording.attempt-2.webm"));
        assert_eq!(names(RecordingFormat::Mp4, true), expect("recording.mp4", "recording.attempt-2.mp4"));
        assert_eq!(names(RecordingFormat::Mp4, false), expect("recording.m4a", "recording.attempt-2.m4a"));
    }

    #[test]
    fn the_default_configuration_records_a_picture() {
        assert_eq!(Output::of(&RecordingConfig::default()), Output { format: RecordingFormat::Webm, video: true });
    }
}
