//! The spool: recording chunks appended to files as they arrive, so memory stays flat however
//! long the meeting. Each capture of a document is one segment file; a page that navigates during
//! the meeting starts a new segment, and finalizing joins them.
//!
//! What the page sends is not trusted: a chunk's sequence number may only move forward by a
//! bounded step and a chunk's size is bounded, so a hostile page can neither make the spool skip
//! every later chunk nor hand it one enormous string. A segment file is never truncated: a new
//! segment always gets a file name no earlier run used.

use std::path::{Path, PathBuf};

use base64::Engine;
use tokio::{fs::File, io::AsyncWriteExt};

/// Largest base64 chunk accepted (a 1 s slice of a 1280x720 call is ~0.2 MiB).
pub const MAX_CHUNK_BASE64: usize = 8 * 1024 * 1024;
/// How far a chunk's sequence number may jump ahead (chunks the page lost on the way).
const MAX_SEQ_STEP: u64 = 64;

/// Spooled segments of one job's recording.
pub struct Spool {
    dir: PathBuf,
    segments: Vec<PathBuf>,
    file: Option<File>,
    next_seq: u64,
    bytes: u64,
    next_index: usize,
}

/// Spool failures.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// The disk refused (full, I/O error, gone).
    #[error("spool {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A chunk the spool ignored, and why (the page is not trusted; these are logged, not fatal).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ignored {
    /// Its sequence number was seen before (a replay).
    #[error("chunk {0} was already spooled")]
    Replay(u64),
    /// Its sequence number jumps too far ahead.
    #[error("chunk {seq} jumps too far ahead of {expected}")]
    TooFarAhead {
        /// The number sent.
        seq: u64,
        /// The number expected.
        expected: u64,
    },
    /// It is over [`MAX_CHUNK_BASE64`].
    #[error("chunk of {0} bytes is over the limit")]
    TooLarge(usize),
    /// It is not base64.
    #[error("chunk is not base64: {0}")]
    NotBase64(String),
}

impl Spool {
    /// A spool in `dir` (created), with no segment yet. Segment files already in `dir` are left
    /// alone; this spool's segments are numbered after them.
    pub async fn create(dir: &Path) -> Result<Self, SpoolError> {
        tokio::fs::create_dir_all(dir).await.map_err(|source| SpoolError::Io { path: dir.to_owned(), source })?;
        let mut next_index = 0;
        let mut entries =
            tokio::fs::read_dir(dir).await.map_err(|source| SpoolError::Io { path: dir.to_owned(), source })?;
        while let Ok(Some(entry)) = entries.next_entry().await {
            if let Some(index) = segment_index(&entry.file_name().to_string_lossy()) {
                next_index = next_index.max(index + 1);
            }
        }
        Ok(Self { dir: dir.to_owned(), segments: Vec::new(), file: None, next_seq: 0, bytes: 0, next_index })
    }

    /// Starts a new segment file; chunks numbered from 0 go there.
    pub async fn next_segment(&mut self) -> Result<(), SpoolError> {
        self.close_segment().await?;
        let path = self.dir.join(format!("segment-{:03}.webm", self.next_index));
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .map_err(|source| SpoolError::Io { path: path.clone(), source })?;
        self.next_index += 1;
        self.segments.push(path);
        self.file = Some(file);
        self.next_seq = 0;
        Ok(())
    }

    /// Appends one base64 chunk. Chunks arrive in order; a repeated sequence number (a replay
    /// after a reconnect) is skipped, as is anything else the spool will not take from a page
    /// (`Ok(Some(why))`). `Err` only when the disk refused.
    pub async fn append(&mut self, seq: u64, base64: &str) -> Result<Option<Ignored>, SpoolError> {
        if seq < self.next_seq {
            return Ok(Some(Ignored::Replay(seq)));
        }
        if seq - self.next_seq > MAX_SEQ_STEP {
            return Ok(Some(Ignored::TooFarAhead { seq, expected: self.next_seq }));
        }
        if base64.len() > MAX_CHUNK_BASE64 {
            return Ok(Some(Ignored::TooLarge(base64.len())));
        }
        let bytes = match base64::engine::general_purpose::STANDARD.decode(base64) {
            Ok(bytes) => bytes,
            Err(error) => return Ok(Some(Ignored::NotBase64(error.to_string()))),
        };
        if self.file.is_none() {
            self.next_segment().await?;
        }
        let path = self.segments.last().cloned().unwrap_or_default();
        if let Some(file) = self.file.as_mut() {
            file.write_all(&bytes).await.map_err(|source| SpoolError::Io { path, source })?;
        }
        self.bytes += bytes.len() as u64;
        self.next_seq = seq + 1;
        Ok(None)
    }

    async fn close_segment(&mut self) -> Result<(), SpoolError> {
        if let Some(mut file) = self.file.take() {
            let path = self.segments.last().cloned().unwrap_or_default();
            file.flush().await.map_err(|source| SpoolError::Io { path: path.clone(), source })?;
            file.sync_all().await.map_err(|source| SpoolError::Io { path, source })?;
        }
        Ok(())
    }

    /// Closes the spool; the segment files that hold data, in order. `failure` is why recording
    /// stopped early, if it did; closing after a failure keeps whatever reached the disk.
    pub async fn close(mut self, failure: Option<SpoolError>) -> Spooled {
        let failure = match (failure, self.close_segment().await) {
            (Some(first), _) => Some(first.to_string()),
            (None, Err(error)) => Some(error.to_string()),
            (None, Ok(())) => None,
        };
        let mut segments = Vec::new();
        for segment in self.segments {
            let size = tokio::fs::metadata(&segment).await.map(|m| m.len()).unwrap_or(0);
            if size > 0 {
                segments.push(segment);
            } else {
                let _ = tokio::fs::remove_file(&segment).await;
            }
        }
        Spooled { dir: self.dir, segments, bytes: self.bytes, failure }
    }
}

impl Spooled {
    /// What a spool folder holds when no spool hands it over (its recorder failed, or an earlier
    /// run of the worker left it): its non-empty segment files, in order.
    pub async fn found_in(dir: &Path) -> Self {
        let mut found: Vec<(usize, PathBuf, u64)> = Vec::new();
        if let Ok(mut entries) = tokio::fs::read_dir(dir).await {
            while let Ok(Some(entry)) = entries.next_entry().await {
                let size = entry.metadata().await.map(|m| m.len()).unwrap_or(0);
                if let Some(index) = segment_index(&entry.file_name().to_string_lossy()).filter(|_| size > 0) {
                    found.push((index, entry.path(), size));
                }
            }
        }
        found.sort();
        let bytes = found.iter().map(|(_, _, size)| size).sum();
        Spooled {
            dir: dir.to_owned(),
            segments: found.into_iter().map(|(_, path, _)| path).collect(),
            bytes,
            failure: None,
        }
    }
}

/// `segment-NNN.webm` -> NNN.
fn segment_index(name: &str) -> Option<usize> {
    name.strip_prefix("segment-")?.strip_suffix(".webm")?.parse().ok()
}

/// What a closed spool holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spooled {
    /// The spool folder.
    pub dir: PathBuf,
    /// Non-empty segment files, in recording order.
    pub segments: Vec<PathBuf>,
    /// Bytes recorded.
    pub bytes: u64,
    /// Why recording stopped early (the disk refused a write), if it did.
    pub failure: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn appends_in_order_and_skips_replays() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut spool = Spool::create(dir.path()).await.expect("spool");
        assert_eq!(spool.append(0, "AAEC").await.expect("chunk"), None); // 00 01 02
        assert_eq!(spool.append(0, "AAEC").await.expect("replay"), Some(Ignored::Replay(0)));
        spool.append(1, "Aw==").await.expect("chunk"); // 03
        spool.next_segment().await.expect("segment");
        spool.next_segment().await.expect("empty segment");
        spool.append(0, "BA==").await.expect("chunk"); // 04
        let spooled = spool.close(None).await;
        assert_eq!(spooled.segments.len(), 2, "the empty segment is dropped");
        assert_eq!(std::fs::read(&spooled.segments[0]).expect("read"), vec![0, 1, 2, 3]);
        assert_eq!(std::fs::read(&spooled.segments[1]).expect("read"), vec![4]);
        assert_eq!(spooled.bytes, 5);
        assert_eq!(spooled.failure, None);
    }

    #[tokio::test]
    async fn a_hostile_sequence_number_cannot_make_later_chunks_count_as_replays() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut spool = Spool::create(dir.path()).await.expect("spool");
        spool.append(0, "AA==").await.expect("chunk");
        let ignored = spool.append(u64::MAX, "AQ==").await.expect("not a disk error");
        assert!(matches!(ignored, Some(Ignored::TooFarAhead { .. })));
        assert_eq!(spool.append(1, "Ag==").await.expect("chunk"), None, "the next real chunk still counts");
        assert!(matches!(spool.append(2, "not base64!").await.expect("ignored"), Some(Ignored::NotBase64(_))));
        let huge = "A".repeat(MAX_CHUNK_BASE64 + 4);
        assert!(matches!(spool.append(2, &huge).await.expect("ignored"), Some(Ignored::TooLarge(_))));
        assert_eq!(spool.close(None).await.bytes, 2);
    }

    #[tokio::test]
    async fn a_second_spool_in_the_same_folder_never_truncates_the_first_ones_segments() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut first = Spool::create(dir.path()).await.expect("spool");
        first.append(0, "AAEC").await.expect("chunk");
        let first = first.close(None).await;
        let mut again = Spool::create(dir.path()).await.expect("spool");
        again.append(0, "Aw==").await.expect("chunk");
        let again = again.close(None).await;
        assert_eq!(std::fs::read(&first.segments[0]).expect("read"), vec![0, 1, 2]);
        assert_ne!(first.segments[0], again.segments[0]);
    }
}
