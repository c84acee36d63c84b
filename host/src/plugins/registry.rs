//! All plugins found at start-up, and which one serves each provider.

use std::{
    collections::{BTreeMap, HashSet},
    path::{Path, PathBuf},
    sync::Arc,
};

use serde::Serialize;

use super::{LoadedPlugin, Refusal, load_library, permissions};

/// A provider claimed by two plugins: the first in `plugins.dirs` order keeps it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Conflict {
    /// The provider.
    pub provider: String,
    /// The library that serves it.
    #[schema(value_type = String)]
    pub kept: PathBuf,
    /// The library whose claim was ignored.
    #[schema(value_type = String)]
    pub ignored: PathBuf,
}

/// The loaded plugins by provider, plus every refusal and conflict, for `meetbot plugins`.
#[derive(Debug, Default)]
pub struct Registry {
    /// Loaded plugins, in load order.
    pub plugins: Vec<Arc<LoadedPlugin>>,
    /// Libraries that were not loaded.
    pub refused: Vec<Refusal>,
    /// Providers claimed twice.
    pub conflicts: Vec<Conflict>,
    by_provider: BTreeMap<String, Arc<LoadedPlugin>>,
}

/// Whether a file name looks like a shared library on this platform.
fn is_library(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == std::env::consts::DLL_EXTENSION)
}

impl Registry {
    /// Scans `dirs` in order (not recursively), then the folder of the running executable, and
    /// loads every library found. A folder that does not exist is skipped; a folder other users
    /// can write is refused with all its files, as is a library file they can write; a library
    /// that cannot be loaded is refused; the others still load.
    pub fn load(dirs: &[PathBuf]) -> Self {
        let mut search: Vec<PathBuf> = dirs.to_vec();
        if let Some(exe_dir) = std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_owned)) {
            search.push(exe_dir);
        }
        let mut seen_dirs = HashSet::new();
        let mut seen = HashSet::new();
        let mut registry = Registry::default();
        for dir in search {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                tracing::debug!(dir = %dir.display(), "plugin folder not found, skipped");
                continue;
            };
            if !seen_dirs.insert(dir.canonicalize().unwrap_or_else(|_| dir.clone())) {
                continue;
            }
            if let Some(refusal) = permissions::check_folder(&dir) {
                registry.refused.push(refusal);
                continue;
            }
            let mut files: Vec<PathBuf> =
                entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file() && is_library(p)).collect();
            files.sort();
            for file in files {
                let canonical = file.canonicalize().unwrap_or_else(|_| file.clone());
                if !seen.insert(canonical.clone()) {
                    continue;
                }
                match permissions::check_library(&file, &canonical) {
                    Some(refusal) => registry.refused.push(refusal),
                    None => registry.add(file),
                }
            }
        }
        registry
    }

    /// Loads the one library `file` (for `meetbot check-plugin`) through the same checks as
    /// [`Registry::load`]: its folder and the file itself must not be writable by other users,
    /// and it must load. A file that cannot be read is refused with the OS's reason.
    pub fn load_file(file: &Path) -> Self {
        let mut registry = Registry::default();
        let refuse = |reason: String| Refusal { path: file.to_owned(), reason };
        let canonical = match file.canonicalize() {
            Ok(canonical) => canonical,
            Err(error) => {
                registry.refused.push(refuse(format!("cannot read {}: {error}", file.display())));
                return registry;
            }
        };
        if let Err(error) = std::fs::File::open(&canonical) {
            registry.refused.push(refuse(format!("cannot read {}: {error}", file.display())));
            return registry;
        }
        if !canonical.is_file() {
            registry.refused.push(refuse(format!("{} is not a file", file.display())));
            return registry;
        }
        let dir = file.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
        match permissions::check_folder(dir).or_else(|| permissions::check_library(file, &canonical)) {
            Some(refusal) => registry.refused.push(refusal),
            None => registry.add(file.to_owned()),
        }
        registry
    }

    fn add(&mut self, file: PathBuf) {
        match load_library(&file) {
            Ok(plugin) => {
                let plugin = Arc::new(plugin);
                for provider in &plugin.providers {
                    match self.by_provider.get(provider) {
                        Some(kept) => self.conflicts.push(Conflict {
                            provider: provider.clone(),
                            kept: kept.path.clone(),
                            ignored: file.clone(),
                        }),
                        None => {
                            self.by_provider.insert(provider.clone(), plugin.clone());
                        }
                    }
                }
                self.plugins.push(plugin);
            }
            Err(refusal) => self.refused.push(refusal),
        }
    }

    /// The plugin serving `provider`.
    pub fn for_provider(&self, provider: &str) -> Option<Arc<LoadedPlugin>> {
        self.by_provider.get(provider).cloned()
    }

    /// Every provider some plugin serves.
    pub fn providers(&self) -> Vec<String> {
        self.by_provider.keys().cloned().collect()
    }

    /// Logs what was loaded, refused and overridden: one line each.
    pub fn log_summary(&self) {
        for plugin in &self.plugins {
            tracing::info!(file = %plugin.path.display(), name = %plugin.name, version = %plugin.version,
                providers = ?plugin.providers, meeting_hosts = %plugin.meeting_hosts, "plugin loaded");
        }
        for refusal in &self.refused {
            tracing::warn!(file = %refusal.path.display(), reason = %refusal.reason, "plugin refused");
        }
        for conflict in &self.conflicts {
            tracing::warn!(provider = %conflict.provider, kept = %conflict.kept.display(),
                ignored = %conflict.ignored.display(), "provider claimed twice; the first plugin keeps it");
        }
    }
}
