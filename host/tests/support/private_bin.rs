//! A folder of its own for a `meetbot` binary and exactly the plugins a run should load. A worker
//! also scans the folder of its executable for plugins, and every plugin the workspace builds lies
//! next to `target/<profile>/meetbot`: run from there, it would load them all. Shared by the
//! process-level tests (`tests/support`) and the benches (`benches/common`, through `#[path]`).

use std::{
    fs,
    path::{Path, PathBuf},
};

/// Puts a hard link (or a copy) of `file` at `target`, readable and executable by all but
/// writable by its owner only: the worker refuses plugin files and folders others can write, and
/// what a build leaves behind follows the umask.
pub fn install_owner_only(file: &Path, target: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if fs::hard_link(file, target).is_err() {
        fs::copy(file, target).unwrap_or_else(|e| panic!("copy {} to {}: {e}", file.display(), target.display()));
    }
    fs::set_permissions(target, fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", target.display()));
}

/// `root/<this process's id>/`, made afresh (writable by its owner only) with links of `files`
/// in it (see [`install_owner_only`]); the folders under `root` of earlier processes that are gone
/// are removed first.
pub fn private_folder(root: &Path, files: &[&Path]) -> PathBuf {
    for entry in fs::read_dir(root).into_iter().flatten().flatten() {
        let pid = entry.file_name().to_string_lossy().parse::<u32>().ok();
        if pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
    let dir = root.join(std::process::id().to_string());
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", dir.display()));
    for file in files {
        install_owner_only(file, &dir.join(file.file_name().expect("file name")));
    }
    dir
}
