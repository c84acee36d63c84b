//! This worker's folder on local disk: `<recording.spool_dir>/<worker.id>/`, made canonical once at
//! start-up. Everything the worker writes for a job lives under it, and nothing outside it is ever
//! created or removed by a job: paths are built from validated job ids only, and every removal is
//! checked to lie strictly inside the folder.
//!
//! ```text
//! <spool_dir>/<worker.id>/
//!   jobs/<job_id>.<attempt>/     a running job's recording segments (and its debug artifacts)
//!   kept/<job_id>.<attempt>/     recordings kept on local disk on purpose (the upload failed, the
//!                                job was taken over by another worker): never removed by meetbot
//!   browsers/<job_id>-XXXXXX/    each job's Chromium profile
//! ```
//!
//! Per worker id, so a worker restarted with its id finds exactly what its earlier run left
//! behind (see `leftovers.rs`), and two workers sharing a disk never touch each other's files.

use std::{
    io,
    path::{Path, PathBuf},
};

use crate::job::id;

/// Why a path was not built or not removed.
#[derive(Debug, thiserror::Error)]
pub enum WorkDirError {
    /// The folder could not be created or resolved.
    #[error("`recording.spool_dir` {}: {source}", path.display())]
    Create {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A name that is not a valid job or worker id was given.
    #[error("refused to build a path from `{0}`: not a valid id")]
    BadName(String),
    /// A removal outside the folder was asked for.
    #[error("refused to remove {}: not inside {}", path.display(), root.display())]
    Outside {
        /// The path asked for.
        path: PathBuf,
        /// This worker's folder.
        root: PathBuf,
    },
    /// The removal failed.
    #[error("cannot remove {}: {source}", path.display())]
    Remove {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
}

/// This worker's canonical folder.
#[derive(Debug, Clone)]
pub struct WorkDir {
    root: PathBuf,
}

impl WorkDir {
    /// Creates (if needed) and resolves `<spool_dir>/<worker_id>/` and its subfolders.
    pub fn open(spool_dir: &Path, worker_id: &str) -> Result<Self, WorkDirError> {
        if !id::is_valid(worker_id) {
            return Err(WorkDirError::BadName(worker_id.to_owned()));
        }
        let wanted = spool_dir.join(worker_id);
        let create = |path: &Path| {
            std::fs::create_dir_all(path).map_err(|source| WorkDirError::Create { path: path.to_owned(), source })
        };
        create(&wanted)?;
        let root = wanted.canonicalize().map_err(|source| WorkDirError::Create { path: wanted.clone(), source })?;
        let dir = Self { root };
        for sub in [dir.jobs(), dir.kept(), dir.browsers()] {
            create(&sub)?;
        }
        Ok(dir)
    }

    /// The folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where running jobs spool.
    pub fn jobs(&self) -> PathBuf {
        self.root.join("jobs")
    }

    /// Where recordings are kept on purpose.
    pub fn kept(&self) -> PathBuf {
        self.root.join("kept")
    }

    /// Where browser profiles live.
    pub fn browsers(&self) -> PathBuf {
        self.root.join("browsers")
    }

    /// The spool folder of delivery `attempt` of `job_id` (not created).
    pub fn job_spool(&self, job_id: &str, attempt: u32) -> Result<PathBuf, WorkDirError> {
        Ok(self.jobs().join(Self::job_folder(job_id, attempt)?))
    }

    /// Where delivery `attempt` of `job_id` is kept (not created).
    pub fn kept_for(&self, job_id: &str, attempt: u32) -> Result<PathBuf, WorkDirError> {
        Ok(self.kept().join(Self::job_folder(job_id, attempt)?))
    }

    fn job_folder(job_id: &str, attempt: u32) -> Result<String, WorkDirError> {
        if !id::is_valid(job_id) {
            return Err(WorkDirError::BadName(job_id.to_owned()));
        }
        Ok(format!("{job_id}.{attempt}"))
    }

    /// The job id and attempt a folder of `jobs/` or `kept/` is named for.
    pub fn parse_job_folder(name: &str) -> Option<(String, u32)> {
        let (job_id, attempt) = name.rsplit_once('.')?;
        Some((job_id.to_owned(), attempt.parse().ok()?)).filter(|(job_id, _)| id::is_valid(job_id))
    }

    /// Removes `path` and everything in it, only if it lies strictly inside this worker's folder
    /// (after resolving links and `..`).
    pub fn remove(&self, path: &Path) -> Result<(), WorkDirError> {
        let resolved = match path.canonicalize() {
            Ok(resolved) => resolved,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(WorkDirError::Remove { path: path.to_owned(), source }),
        };
        if resolved == self.root || !resolved.starts_with(&self.root) {
            return Err(WorkDirError::Outside { path: path.to_owned(), root: self.root.clone() });
        }
        std::fs::remove_dir_all(&resolved).map_err(|source| WorkDirError::Remove { path: resolved, source })
    }

    /// Removes the folder's empty parts at a clean exit (a worker with a `<hostname>-<pid>` id
    /// never comes back to them); anything kept or left stays.
    pub fn tidy(&self) {
        for sub in [self.jobs(), self.kept(), self.browsers()] {
            let _ = std::fs::remove_dir(sub);
        }
        let _ = std::fs::remove_dir(&self.root);
    }

    /// Moves a job's spool folder to `kept/` (same file system: a rename); the new path.
    pub fn keep(&self, spool: &Path, job_id: &str, attempt: u32) -> Result<PathBuf, WorkDirError> {
        let target = self.kept_for(job_id, attempt)?;
        let resolved =
            spool.canonicalize().map_err(|source| WorkDirError::Remove { path: spool.to_owned(), source })?;
        if !resolved.starts_with(self.jobs()) || resolved == self.jobs() {
            return Err(WorkDirError::Outside { path: spool.to_owned(), root: self.jobs() });
        }
        let _ = std::fs::remove_dir_all(&target);
        std::fs::rename(&resolved, &target).map_err(|source| WorkDirError::Remove { path: resolved, source })?;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_built_from_valid_ids_only() {
        let base = tempfile::tempdir().expect("tempdir");
        let dir = WorkDir::open(base.path(), "w1").expect("open");
        assert!(dir.job_spool("bot-1", 2).expect("valid").ends_with("w1/jobs/bot-1.2"));
        for bad in ["..", "../x", "/srv/x", "a/b", ""] {
            assert!(dir.job_spool(bad, 1).is_err(), "{bad:?}");
        }
        assert!(WorkDir::open(base.path(), "../w").is_err());
    }

    #[test]
    fn removal_stays_strictly_inside_the_folder() {
        let base = tempfile::tempdir().expect("tempdir");
        let dir = WorkDir::open(base.path(), "w1").expect("open");
        let outside = base.path().join("precious");
        std::fs::create_dir_all(&outside).expect("mkdir");
        assert!(dir.remove(&outside).is_err());
        assert!(dir.remove(&dir.jobs().join("..").join("..")).is_err());
        assert!(dir.remove(dir.root()).is_err());
        let link = dir.jobs().join("link.1");
        std::os::unix::fs::symlink(&outside, &link).expect("symlink");
        assert!(dir.remove(&link).is_err(), "a link out of the folder is not followed");
        assert!(outside.exists());
        let spool = dir.job_spool("bot-1", 1).expect("valid");
        std::fs::create_dir_all(&spool).expect("mkdir");
        dir.remove(&spool).expect("removed");
        assert!(!spool.exists());
    }

    #[test]
    fn job_folders_name_their_job_and_attempt() {
        assert_eq!(WorkDir::parse_job_folder("bot.v2.3"), Some(("bot.v2".to_owned(), 3)));
        assert_eq!(WorkDir::parse_job_folder("bot"), None);
        assert_eq!(WorkDir::parse_job_folder(".x.1"), None);
    }
}
