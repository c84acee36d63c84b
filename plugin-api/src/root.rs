//! The root module every plugin exports, and the manifest it describes itself with.

use abi_stable::{
    StableAbi, declare_root_module_statics,
    library::RootModule,
    package_version_strings,
    sabi_types::VersionStrings,
    std_types::{RResult, RStr, RString, RVec},
};
use async_ffi::FfiFuture;

use crate::{HostContextBox, SessionOutcome, SessionRequest};

/// What a plugin says about itself when it is loaded.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct PluginManifest {
    /// Human-readable plugin name, e.g. `google-meet`.
    pub name: RString,
    /// The plugin's own version (not the ABI version).
    pub version: RString,
    /// The job `provider` values this plugin serves, e.g. `["google"]`.
    pub providers: RVec<RString>,
    /// Whether sessions need a browser page. When false the host launches no browser and
    /// [`SessionRequest::browser`] is `None` (used by test plugins and non-browser integrations).
    pub needs_browser: bool,
}

/// The root module: the plugin's entry points.
///
/// Every function must be panic-free at the boundary: a panic unwinding out of an `extern "C"`
/// function aborts the host process. `meetbot-plugin-kit` wraps them all for you.
///
/// Fields after `run` were added in later patch versions: a plugin built against an older
/// `plugin-api` lacks them, and their accessors return `None` (see the versioning rule in the
/// crate documentation).
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginRootRef)))]
#[sabi(missing_field(panic))]
pub struct PluginRoot {
    /// Describes the plugin. Called once at load time.
    pub manifest: extern "C" fn() -> PluginManifest,
    /// Validates a meeting link for `provider` and returns its normalized form (the URL the session
    /// will open), or a one-line reason the link is refused.
    pub normalize_url: extern "C" fn(provider: RStr<'_>, url: RStr<'_>) -> RResult<RString, RString>,
    /// Runs one meeting session to its end. The returned future must be driven by whatever runtime
    /// the plugin owns: the host polls it from its own runtime, whose timers and sockets the plugin's
    /// copy of tokio cannot see.
    #[sabi(last_prefix_field)]
    pub run: extern "C" fn(request: SessionRequest, host: HostContextBox) -> FfiFuture<SessionOutcome>,
    /// Since 0.1.1. The hosts the URLs `normalize_url` returns may point at, each an exact host name
    /// (`meet.google.com`) or `*.` and a domain for any subdomain of it (`*.zoom.us`, which does not
    /// cover `zoom.us` itself). Called once at load time. The host refuses a plugin that declares
    /// none (or predates this entry point), and refuses any normalized URL whose host is not listed.
    #[sabi(missing_field(option))]
    pub meeting_hosts: extern "C" fn() -> RVec<RString>,
}

impl RootModule for PluginRootRef {
    declare_root_module_statics! {PluginRootRef}
    const BASE_NAME: &'static str = "meetbot_plugin";
    const NAME: &'static str = "meetbot_plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}
