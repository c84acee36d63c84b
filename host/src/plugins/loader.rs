//! Loading one plugin library, and the host's guard around what it answers.
//!
//! `RootModule::load_from_file` caches one library per root-module type, so a second plugin would
//! come back as the first: each file goes through `lib_header_from_path(..).init_root_module()`,
//! which still checks the ABI version and the layout of every type that crosses the boundary.
//!
//! A plugin must declare its meeting hosts (`PluginRoot::meeting_hosts`, plugin-api 0.1.1), and
//! every URL its `normalize_url` returns is checked against them and the host's URL policy
//! ([`super::url_policy`]). Whatever text a plugin hands back (a refusal, an outcome's detail) has
//! its passcodes masked and is cut to a bound ([`super::plugin_text`]) before the host stores or logs
//! it.

use std::{
    borrow::Cow,
    path::{Path, PathBuf},
};

use abi_stable::{
    library::{LibraryError, RootModule, lib_header_from_path},
    std_types::RResult,
};
use meetbot_plugin_api::{PluginManifest, PluginRootRef, SessionOutcome, SessionRequest};
use serde::Serialize;

use super::{MAX_DETAIL, MAX_TAG, MeetingHosts, SessionContext, plugin_text, url_policy};

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
    /// The hosts its normalized URLs may point at.
    pub meeting_hosts: MeetingHosts,
    /// The plugin-api version it was built against (compatible with [`host_api_version`], or it
    /// would not have loaded).
    pub api_version: String,
    root: PluginRootRef,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin").field("path", &self.path).field("name", &self.name).finish_non_exhaustive()
    }
}

/// Why a meeting link was not normalized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The plugin refused the link (its one-line reason, passcodes masked): not a meeting link of
    /// its platform.
    #[error("{0}")]
    Refused(String),
    /// The plugin accepted the link but returned a URL the host's policy refuses: a bug in the
    /// plugin's URL rules.
    #[error("plugin `{plugin}` returned a URL the host refuses: {refusal}")]
    Policy {
        /// The plugin's name.
        plugin: String,
        /// What is wrong with the URL.
        refusal: super::UrlRefusal,
    },
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
    /// Asks the plugin to validate and normalize a meeting link, then holds the URL it returns to
    /// the host's policy. The error's text is one line (`invalid_url`), passcodes masked.
    pub fn normalize_url(&self, provider: &str, url: &str) -> Result<String, UrlError> {
        match (self.root.normalize_url())(provider.into(), url.into()) {
            RResult::ROk(normalized) => {
                let normalized = String::from(normalized);
                url_policy::check(&normalized, &self.meeting_hosts)
                    .map_err(|refusal| UrlError::Policy { plugin: self.name.clone(), refusal })?;
                Ok(normalized)
            }
            RResult::RErr(why) => Err(UrlError::Refused(plugin_text(&why, MAX_DETAIL).into_owned())),
        }
    }

    /// Runs one session; the future is driven by the plugin's own runtime. The outcome's reason
    /// and detail are cut to their bounds and have their passcodes masked.
    pub async fn run(&self, request: SessionRequest, context: SessionContext) -> SessionOutcome {
        let mut outcome = (self.root.run())(request, context.into_ffi()).await;
        if let Cow::Owned(reason) = plugin_text(&outcome.reason, MAX_TAG) {
            outcome.reason = reason.into();
        }
        if let Cow::Owned(detail) = plugin_text(&outcome.detail, MAX_DETAIL) {
            outcome.detail = detail.into();
        }
        outcome
    }
}

/// Loads the plugin at `path`, or says in one line why not. The full abi_stable text of a refusal
/// goes to the debug log: it can be pages long.
pub fn load_library(path: &Path) -> Result<LoadedPlugin, Refusal> {
    let refuse = |reason: String| Refusal { path: path.to_owned(), reason };
    let loaded = lib_header_from_path(path).and_then(|header| {
        let root = header.init_root_module::<PluginRootRef>()?;
        Ok((root, header.version_strings().version.as_str().to_owned()))
    });
    let (root, api_version) = loaded.map_err(|error| {
        tracing::debug!(path = %path.display(), %error, "plugin refused (full reason)");
        refuse(one_line(&error))
    })?;
    let PluginManifest { name, version, providers, needs_browser } = (root.manifest())();
    if providers.is_empty() {
        return Err(refuse(format!("plugin `{name}` declares no providers")));
    }
    let declared = root.meeting_hosts().map(|meeting_hosts| meeting_hosts().into_iter().map(String::from).collect());
    let meeting_hosts = declared_hosts(declared).map_err(|why| refuse(format!("plugin `{name}` {why}")))?;
    Ok(LoadedPlugin {
        path: path.to_owned(),
        name: name.into(),
        version: version.into(),
        providers: providers.into_iter().map(Into::into).collect(),
        needs_browser,
        meeting_hosts,
        api_version,
        root,
    })
}

/// The plugin-api version this host was built against.
pub fn host_api_version() -> &'static str {
    <PluginRootRef as RootModule>::VERSION_STRINGS.version.as_str()
}

/// The meeting hosts a plugin declared; `None` when it predates the entry point (plugin-api 0.1.0).
fn declared_hosts(declared: Option<Vec<String>>) -> Result<MeetingHosts, String> {
    match declared {
        None => Err(format!(
            "declares no meeting hosts: it was built against plugin-api 0.1.0; rebuild it against {} or later",
            host_api_version()
        )),
        Some(declared) => MeetingHosts::parse(&declared),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugin_built_before_meeting_hosts_existed_is_refused_with_the_version_to_rebuild_against() {
        let why = declared_hosts(None).unwrap_err();
        assert!(why.starts_with("declares no meeting hosts: it was built against plugin-api 0.1.0"), "{why}");
        assert!(why.ends_with(&format!("rebuild it against {} or later", host_api_version())), "{why}");
        assert_ne!(host_api_version(), "0.1.0");
    }

    #[test]
    fn a_plugin_declaring_no_or_bad_meeting_hosts_is_refused() {
        assert_eq!(declared_hosts(Some(Vec::new())), Err("declares no meeting hosts".to_owned()));
        assert!(declared_hosts(Some(vec!["*".to_owned()])).unwrap_err().starts_with("declares `*`"));
        assert!(declared_hosts(Some(vec!["zoom.us".to_owned(), "*.zoom.us".to_owned()])).is_ok());
    }
}
