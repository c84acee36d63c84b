//! Plugin folders and libraries other users can write are refused, as ssh refuses a key file
//! others can write: whoever can replace a plugin library, or drop one into a plugin folder, runs
//! code inside the worker with its credentials. A folder writable by its group or by others
//! (`mode & 0o022`, the sticky `/tmp` included) is refused with every file in it; so is a library
//! file with such a mode, or one that is a link into such a folder.

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
};

use super::Refusal;

/// The permission bits that let users other than the owner write.
const WRITABLE_BY_OTHERS: u32 = 0o022;

/// Whether a file with `mode` can be written by users other than its owner.
fn others_can_write(mode: u32) -> bool {
    mode & WRITABLE_BY_OTHERS != 0
}

/// The permission bits of `mode` as `ls` and `chmod` write them (`0755`, `1777`).
fn shown(mode: u32) -> String {
    format!("{:04o}", mode & 0o7777)
}

/// The refusal of plugin folder `dir` when other users can write it; `None` when it is safe or
/// cannot be read (a folder that does not exist is skipped elsewhere).
pub fn check_folder(dir: &Path) -> Option<Refusal> {
    let mode = std::fs::metadata(dir).ok()?.permissions().mode();
    others_can_write(mode).then(|| Refusal {
        path: dir.to_owned(),
        reason: format!("plugin folder {} is writable by other users (mode {}); refused", dir.display(), shown(mode)),
    })
}

/// The refusal of library `file` (found in a safe folder; `canonical` is where it really lives)
/// when other users can write it or the folder it really lives in.
pub fn check_library(file: &Path, canonical: &Path) -> Option<Refusal> {
    let refuse = |reason: String| Some(Refusal { path: file.to_owned(), reason });
    let mode = std::fs::metadata(canonical).ok()?.permissions().mode();
    if others_can_write(mode) {
        return refuse(format!(
            "plugin library {} is writable by other users (mode {}); refused",
            file.display(),
            shown(mode)
        ));
    }
    // A link from a safe folder into an unsafe one is as unsafe as the folder it points into.
    let real_dir: PathBuf = canonical.parent()?.to_owned();
    let dir_mode = std::fs::metadata(&real_dir).ok()?.permissions().mode();
    if others_can_write(dir_mode) {
        return refuse(format!(
            "plugin library {} lies in folder {}, which is writable by other users (mode {}); refused",
            file.display(),
            real_dir.display(),
            shown(dir_mode)
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_or_other_write_permission_is_unsafe() {
        for mode in [0o777, 0o775, 0o757, 0o1777, 0o664, 0o646, 0o40777, 0o100666] {
            assert!(others_can_write(mode), "{mode:o}");
        }
    }

    #[test]
    fn owner_only_write_permission_is_safe() {
        for mode in [0o755, 0o700, 0o555, 0o644, 0o600, 0o40755, 0o100755, 0o4755] {
            assert!(!others_can_write(mode), "{mode:o}");
        }
    }

    #[test]
    fn modes_are_shown_as_chmod_writes_them() {
        assert_eq!(shown(0o40777), "0777");
        assert_eq!(shown(0o41777), "1777");
        assert_eq!(shown(0o100644), "0644");
    }
}
