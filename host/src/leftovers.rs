//! What an earlier run of this worker id left on local disk, dealt with once at start-up, before
//! any job runs: a worker killed mid-meeting leaves its jobs' spool folders and its browsers'
//! profiles behind (its browsers die with it). Each spool folder's recording is finalized and
//! stored beside the job's own recording as `<job_id>/recording.attempt-<n>.<ext>` (the job itself
//! is delivered again and records the rest), then the folder is removed; a recording that cannot
//! be stored is moved to `kept/` instead. Browser profiles are removed.

use std::path::Path;

use crate::{
    recorder::{Output, Spooled, finalize},
    storage::Storage,
    workdir::WorkDir,
};

/// Deals with everything in `workdir` an earlier run left; `storage` is where recordings go (none
/// when this worker records nothing: then they are kept).
pub async fn recover(workdir: &WorkDir, storage: Option<&Storage>, output: Output) {
    for dir in folders(&workdir.browsers()) {
        if let Err(error) = workdir.remove(&dir) {
            tracing::warn!(%error, "an earlier run's browser profile was not removed");
        }
    }
    for dir in folders(&workdir.jobs()) {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match WorkDir::parse_job_folder(&name) {
            Some((job_id, attempt)) => recover_spool(workdir, storage, output, &dir, &job_id, attempt).await,
            None => {
                if let Err(error) = workdir.remove(&dir) {
                    tracing::warn!(%error, "an unknown folder in the spool was not removed");
                }
            }
        }
    }
}

async fn recover_spool(
    workdir: &WorkDir,
    storage: Option<&Storage>,
    output: Output,
    dir: &Path,
    job_id: &str,
    attempt: u32,
) {
    let spooled = Spooled::found_in(dir).await;
    if spooled.segments.is_empty() {
        if let Err(error) = workdir.remove(dir) {
            tracing::warn!(%error, "an earlier run's empty spool was not removed");
        }
        return;
    }
    let stored = match (finalize::finalize(&spooled.segments, output, dir).await, storage) {
        (Ok((file, duration)), Some(storage)) => {
            let key = format!("{job_id}/{}", output.attempt_file_name(attempt));
            match storage.put_file(&key, &file).await {
                Ok(url) => {
                    tracing::warn!(
                        job_id,
                        attempt,
                        url,
                        duration,
                        "stored the partial recording an earlier run of this worker left"
                    );
                    true
                }
                Err(error) => {
                    tracing::error!(%error, job_id, attempt, "the partial recording an earlier run left could not be stored");
                    false
                }
            }
        }
        (Ok(_), None) => false,
        (Err(error), _) => {
            tracing::error!(%error, job_id, attempt, "the recording an earlier run left could not be finalized");
            false
        }
    };
    let outcome =
        if stored { workdir.remove(dir).map(|()| None) } else { workdir.keep(dir, job_id, attempt).map(Some) };
    match outcome {
        Ok(Some(kept)) => {
            tracing::warn!(job_id, attempt, path = %kept.display(), "an earlier run's recording is kept on local disk")
        }
        Ok(None) => {}
        Err(error) => tracing::error!(%error, "an earlier run's spool folder could not be cleared"),
    }
}

/// The folders directly inside `dir`.
fn folders(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries.filter_map(Result::ok).map(|entry| entry.path()).filter(|path| path.is_dir()).collect()
}
