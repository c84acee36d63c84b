//! The spool: recording chunks appended to files as they arrive, so memory stays flat however
//! long the meeting. Each capture of a document is one segment file; a page that navigates during
//! the meeting starts a new segment, and finalizing joins them.

use std::path::{Path, PathBuf};

use base64::Engine;
use tokio::{fs::File, io::AsyncWriteExt};

/// Spooled segments of one job's recording.
pub struct Spool {
    dir: PathBuf,
    segments: Vec<PathBuf>,
    file: Option<File>,
    next_seq: u64,
    bytes: u64,
}

/// Spool failures.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// The disk refused.
    #[error("spool {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A chunk was not base64.
    #[error("recording chunk is not base64: {0}")]
    Decode(#[from] base64::DecodeError),
}

impl Spool {
    /// A spool in `dir` (created), with no segment yet.
    pub async fn create(dir: &Path) -> Result<Self, SpoolError> {
        tokio::fs::create_dir_all(dir).await.map_err(|source| SpoolError::Io { path: dir.to_owned(), source })?;
        Ok(Self { dir: dir.to_owned(), segments: Vec::new(), file: None, next_seq: 0, bytes: 0 })
    }

    /// Starts a new segment file; chunks numbered from 0 go there.
    pub async fn next_segment(&mut self) -> Result<(), SpoolError> {
        self.close_segment().await?;
        let path = self.dir.join(format!("segment-{:03}.webm", self.segments.len()));
        let file = File::create(&path).await.map_err(|source| SpoolError::Io { path: path.clone(), source })?;
        self.segments.push(path);
        self.file = Some(file);
        self.next_seq = 0;
        Ok(())
    }

    /// Appends one base64 chunk. Chunks arrive in order; a repeated sequence number (a replay
    /// after a reconnect) is skipped.
    pub async fn append(&mut self, seq: u64, base64: &str) -> Result<(), SpoolError> {
        if seq < self.next_seq {
            return Ok(());
        }
        if self.file.is_none() {
            self.next_segment().await?;
        }
        let bytes = base64::engine::general_purpose::STANDARD.decode(base64)?;
        let path = self.segments.last().cloned().unwrap_or_default();
        if let Some(file) = self.file.as_mut() {
            file.write_all(&bytes).await.map_err(|source| SpoolError::Io { path, source })?;
        }
        self.bytes += bytes.len() as u64;
        self.next_seq = seq + 1;
        Ok(())
    }

    async fn close_segment(&mut self) -> Result<(), SpoolError> {
        if let Some(mut file) = self.file.take() {
            let path = self.segments.last().cloned().unwrap_or_default();
            file.flush().await.map_err(|source| SpoolError::Io { path: path.clone(), source })?;
            file.sync_all().await.map_err(|source| SpoolError::Io { path, source })?;
        }
        Ok(())
    }

    /// Closes the spool; the segment files that hold data, in order.
    pub async fn close(mut self) -> Result<Spooled, SpoolError> {
        self.close_segment().await?;
        let mut segments = Vec::new();
        for segment in self.segments {
            let size = tokio::fs::metadata(&segment).await.map(|m| m.len()).unwrap_or(0);
            if size > 0 {
                segments.push(segment);
            } else {
                let _ = tokio::fs::remove_file(&segment).await;
            }
        }
        Ok(Spooled { dir: self.dir, segments, bytes: self.bytes })
    }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn appends_in_order_and_skips_replays() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut spool = Spool::create(dir.path()).await.expect("spool");
        spool.append(0, "AAEC").await.expect("chunk"); // 00 01 02
        spool.append(0, "AAEC").await.expect("replay");
        spool.append(1, "Aw==").await.expect("chunk"); // 03
        spool.next_segment().await.expect("segment");
        spool.next_segment().await.expect("empty segment");
        spool.append(0, "BA==").await.expect("chunk"); // 04
        let spooled = spool.close().await.expect("close");
        assert_eq!(spooled.segments.len(), 2, "the empty segment is dropped");
        assert_eq!(std::fs::read(&spooled.segments[0]).expect("read"), vec![0, 1, 2, 3]);
        assert_eq!(std::fs::read(&spooled.segments[1]).expect("read"), vec![4]);
        assert_eq!(spooled.bytes, 5);
    }
}
