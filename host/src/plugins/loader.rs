//! Loading one plugin library.
//!
//! `RootModule::load_from_file` caches one library per root-module type, so a second plugin would
//! come back as the first: each file goes through `lib_header_from_path(..).init_root_module()`,
//! which still checks the ABI version and the layout of every type that crosses the boundary.

use std::path::{Path, PathBuf};

use abi_stable::{
    library::{LibraryError, lib_header_from_path},
    std_types::RResult,
};
use meetbot_plugin_api::{PluginManifest, PluginRootRef, SessionOutcome, SessionRequest};
use serde::Serialize;

use super::SessionContext;

/// A plugin library that loaded and described itself.
#[derive(Clone)]
pub struct LoadedPlugin {
    /// The library file.
    pub path: PathBuf,
    /// Plugin name.
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// Providers it declares.
    pub providers: Vec<String>,
    /// Whether its sessions need a browser.
    pub needs_browser: bool,
    root: PluginRootRef,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin").field("path", &self.path).field("name", &self.name).finish_non_exhaustive()
    }
}

/// A library that was not loaded, with the one-line reason.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Refusal {
    /// The file.
    #[schema(value_type = String)]
    pub path: PathBuf,
    /// Why it was refused, in one line.
    pub reason: String,
}

impl LoadedPlugin {
    /// Asks the plugin to validate and normalize a meeting link.
    pub fn normalize_url(&self, provider: &str, url: &str) -> Result<String, String> {
        match (self.root.normalize_url())(provider.into(), url.into()) {
            RResult::ROk(url) => Ok(url.into()),
            RResult::RErr(why) => Err(why.into()),
        }
    }

    /// Runs one session; the future is driven by the plugin's own runtime.
    pub async fn run(&self, request: SessionRequest, context: SessionContext) -> SessionOutcome {
        (self.root.run())(request, context.into_ffi()).await
    }
}

/// Loads the plugin at `path`, or says in one line why not. The full abi_stable text of a refusal
/// goes to the debug log: it can be pages long.
pub fn load_library(path: &Path) -> Result<LoadedPlugin, Refusal> {
    let refuse = |reason: String| Refusal { path: path.to_owned(), reason };
    let root =
        lib_header_from_path(path).and_then(|header| header.init_root_module::<PluginRootRef>()).map_err(|error| {
            tracing::debug!(path = %path.display(), %error, "plugin refused (full reason)");
            refuse(one_line(&error))
        })?;
    let PluginManifest { name, version, providers, needs_browser } = (root.manifest())();
    if providers.is_empty() {
        return Err(refuse(format!("plugin `{name}` declares no providers")));
    }
    Ok(LoadedPlugin {
        path: path.to_owned(),
        name: name.into(),
        version: version.into(),
        providers: providers.into_iter().map(Into::into).collect(),
        needs_browser,
        root,
    })
}

fn one_line(error: &LibraryError) -> String {
    match error {
        LibraryError::OpenError { .. } => "not a loadable shared library".to_owned(),
        LibraryError::GetSymbolError { .. } => "not a meetbot plugin (no abi_stable root module)".to_owned(),
        LibraryError::ParseVersionError(_) => "unreadable plugin-api version".to_owned(),
        LibraryError::IncompatibleVersionNumber { expected_version, actual_version, .. } => {
            format!("built against plugin-api {actual_version}, incompatible with this host's {expected_version}")
        }
        LibraryError::AbiInstability(_) => {
            "built against a changed plugin-api ABI (type layouts differ from this host's)".to_owned()
        }
        LibraryError::InvalidAbiHeader(_) => "built with an incompatible abi_stable version".to_owned(),
        LibraryError::InvalidCAbi { .. } => "built with an incompatible C ABI".to_owned(),
        other => other.to_string().lines().next().unwrap_or("refused").to_owned(),
    }
}
