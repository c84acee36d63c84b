//! Where recordings are kept: a local folder or an S3-compatible bucket, both through
//! object_store so one code path writes either. Large files go up in multipart uploads read from
//! disk piece by piece (never whole in memory); each upload is retried with backoff, and a spool
//! file is removed only after the store confirmed the upload.

use std::{path::Path, sync::Arc, time::Duration};

use object_store::{
    BackoffConfig, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart, aws::AmazonS3Builder,
    local::LocalFileSystem, path::Path as ObjectPath,
};
use tokio::io::AsyncReadExt;

use crate::{
    backoff::Backoff,
    config::{StorageConfig, StorageKind},
};

/// A record's `metadata.storage`: where the configured storage keeps the recording at `url`.
pub fn described(config: &StorageConfig, url: Option<&str>) -> serde_json::Value {
    match config.kind {
        StorageKind::Local => serde_json::json!({"type": "local", "url": url}),
        StorageKind::S3 => serde_json::json!({"type": "s3", "bucket": config.s3.bucket, "url": url}),
    }
}

/// Parts of a multipart upload.
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Files at least this large go up in parts.
const MULTIPART_FROM: u64 = 16 * 1024 * 1024;
/// Whole-upload attempts before giving up.
const ATTEMPTS: usize = 4;

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The configuration is unusable.
    #[error("storage configuration: {0}")]
    Config(String),
    /// Reading the local file failed.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The store refused, after retries.
    #[error("upload of {key} failed: {message}")]
    Upload {
        /// The object key.
        key: String,
        /// The store's last error.
        message: String,
    },
}

/// A configured store.
#[derive(Clone, Debug)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    base_url: String,
    prefix: String,
}

impl Storage {
    /// The store `config` describes (the local folder is created if missing).
    pub fn from_config(config: &StorageConfig) -> Result<Self, StorageError> {
        match config.kind {
            StorageKind::Local => {
                let dir = &config.local.dir;
                std::fs::create_dir_all(dir)
                    .map_err(|e| StorageError::Config(format!("`storage.local.dir` = {}: {e}", dir.display())))?;
                let dir = dir.canonicalize().map_err(|e| StorageError::Config(e.to_string()))?;
                let store = LocalFileSystem::new_with_prefix(&dir).map_err(|e| StorageError::Config(e.to_string()))?;
                Ok(Self {
                    store: Arc::new(store),
                    base_url: format!("file://{}", dir.display()),
                    prefix: String::new(),
                })
            }
            StorageKind::S3 => {
                let s3 = &config.s3;
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(if s3.region.is_empty() { "us-east-1" } else { &s3.region })
                    .with_virtual_hosted_style_request(!s3.path_style)
                    .with_retry(RetryConfig {
                        backoff: BackoffConfig::default(),
                        max_retries: 5,
                        retry_timeout: Duration::from_secs(120),
                    });
                if !s3.endpoint.is_empty() {
                    builder = builder.with_endpoint(&s3.endpoint).with_allow_http(s3.endpoint.starts_with("http://"));
                }
                if !s3.access_key_id.is_empty() {
                    builder =
                        builder.with_access_key_id(&s3.access_key_id).with_secret_access_key(&s3.secret_access_key);
                }
                let store = builder.build().map_err(|e| StorageError::Config(e.to_string()))?;
                let prefix = s3.prefix.trim_matches('/').to_owned();
                Ok(Self { store: Arc::new(store), base_url: format!("s3://{}", s3.bucket), prefix })
            }
        }
    }

    fn location(&self, key: &str) -> ObjectPath {
        if self.prefix.is_empty() { ObjectPath::from(key) } else { ObjectPath::from(format!("{}/{key}", self.prefix)) }
    }

    /// The URL an object is reachable at (`file://...` or `s3://bucket/...`).
    pub fn url(&self, key: &str) -> String {
        format!("{}/{}", self.base_url, self.location(key))
    }

    /// Stores a small document.
    pub async fn put_bytes(&self, key: &str, bytes: Vec<u8>) -> Result<String, StorageError> {
        let location = self.location(key);
        let mut backoff = Backoff::with_cap(Duration::from_secs(10));
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            match self.store.put(&location, PutPayload::from(bytes.clone())).await.map_err(store_failure) {
                Ok(_) => return Ok(self.url(key)),
                Err(UploadFailure::Final(error)) => {
                    return Err(StorageError::Upload { key: key.to_owned(), message: error });
                }
                Err(UploadFailure::Store(error)) => last = error,
                Err(UploadFailure::Read(error)) => return Err(error),
            }
            backoff.wait().await;
        }
        Err(StorageError::Upload { key: key.to_owned(), message: last })
    }

    /// Stores a file, in parts when it is large.
    pub async fn put_file(&self, key: &str, file: &Path) -> Result<String, StorageError> {
        let size = tokio::fs::metadata(file)
            .await
            .map_err(|source| StorageError::Read { path: file.display().to_string(), source })?
            .len();
        let mut backoff = Backoff::with_cap(Duration::from_secs(10));
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            let result =
                if size >= MULTIPART_FROM { self.multipart(key, file).await } else { self.single(key, file).await };
            match result {
                Ok(()) => return Ok(self.url(key)),
                Err(UploadFailure::Read(error)) => return Err(error),
                Err(UploadFailure::Store(error)) => {
                    tracing::warn!(key, attempt, %error, "upload failed; retrying");
                    last = error;
                }
                Err(UploadFailure::Final(error)) => {
                    return Err(StorageError::Upload { key: key.to_owned(), message: error });
                }
            }
            backoff.wait().await;
        }
        Err(StorageError::Upload { key: key.to_owned(), message: last })
    }

    async fn single(&self, key: &str, file: &Path) -> Result<(), UploadFailure> {
        let bytes = tokio::fs::read(file).await.map_err(|source| read_error(file, source))?;
        self.store.put(&self.location(key), PutPayload::from(bytes)).await.map_err(store_failure)?;
        Ok(())
    }

    async fn multipart(&self, key: &str, file: &Path) -> Result<(), UploadFailure> {
        let upload = self.store.put_multipart(&self.location(key)).await.map_err(store_failure)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut reader = tokio::fs::File::open(file).await.map_err(|source| read_error(file, source))?;
        let mut buffer = vec![0u8; 1024 * 1024];
        loop {
            let read = reader.read(&mut buffer).await.map_err(|source| read_error(file, source))?;
            if read == 0 {
                break;
            }
            // At most two parts in flight: memory stays bounded whatever the file size.
            if let Err(error) = writer.wait_for_capacity(2).await {
                let _ = writer.abort().await;
                return Err(store_failure(error));
            }
            writer.write(&buffer[..read]);
        }
        writer.finish().await.map_err(store_failure)?;
        Ok(())
    }
}

enum UploadFailure {
    Read(StorageError),
    /// Worth another try (network, server errors).
    Store(String),
    /// Will fail the same way again (no such bucket, access denied).
    Final(String),
}

/// Sorts a store error into one worth retrying or not.
fn store_failure(error: object_store::Error) -> UploadFailure {
    match error {
        object_store::Error::NotFound { .. }
        | object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => UploadFailure::Final(error.to_string()),
        other => UploadFailure::Store(other.to_string()),
    }
}

fn read_error(file: &Path, source: std::io::Error) -> UploadFailure {
    UploadFailure::Read(StorageError::Read { path: file.display().to_string(), source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LocalStorageConfig;

    #[tokio::test]
    async fn local_storage_returns_file_urls_and_writes_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = StorageConfig {
            kind: StorageKind::Local,
            local: LocalStorageConfig { dir: dir.path().join("recordings") },
            ..StorageConfig::default()
        };
        let storage = Storage::from_config(&config).expect("storage");
        let source = dir.path().join("spool.webm");
        std::fs::write(&source, b"webm bytes").expect("write");
        let url = storage.put_file("job-1/recording.webm", &source).await.expect("upload");
        let path = url.strip_prefix("file://").expect("file url");
        assert_eq!(std::fs::read(path).expect("stored"), b"webm bytes");
        assert!(path.ends_with("recordings/job-1/recording.webm"));
    }
}
