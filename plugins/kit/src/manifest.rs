//! A plugin's self-description, in plain Rust types.

use meetbot_plugin_api::PluginManifest;

/// What a plugin declares about itself; converted to the ABI's [`PluginManifest`].
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Plugin name.
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// Providers served.
    pub providers: Vec<String>,
    /// Whether sessions need a browser page (true for every real platform).
    pub needs_browser: bool,
}

impl Manifest {
    /// A browser-based plugin serving `providers`.
    pub fn new(name: &str, version: &str, providers: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            version: version.to_owned(),
            providers: providers.iter().map(|p| (*p).to_owned()).collect(),
            needs_browser: true,
        }
    }

    /// The same manifest for a plugin that needs no browser.
    pub fn without_browser(mut self) -> Self {
        self.needs_browser = false;
        self
    }
}

impl From<Manifest> for PluginManifest {
    fn from(m: Manifest) -> Self {
        PluginManifest {
            name: m.name.into(),
            version: m.version.into(),
            providers: m.providers.into_iter().map(Into::into).collect(),
            needs_browser: m.needs_browser,
        }
    }
}
