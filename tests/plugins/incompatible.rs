//! A plugin built against a changed ABI: the same root module name and version as
//! `meetbot-plugin-api` 0.2, but `manifest` returns a different type and `run` takes other
//! arguments. The host must refuse it with one line (abi_stable's layout check) and load the others.
//!
//! Built as an example of `meetbot-test-plugins` (see its `Cargo.toml`), never next to `meetbot`.

use abi_stable::{
    StableAbi, declare_root_module_statics, export_root_module, library::RootModule, prefix_type::PrefixTypeTrait,
    sabi_types::VersionStrings, std_types::RString,
};

/// The changed root module.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginRootRef)))]
#[sabi(missing_field(panic))]
pub struct PluginRoot {
    /// Changed: returns a bare string instead of a manifest.
    pub manifest: extern "C" fn() -> RString,
    /// Changed: takes a number.
    #[sabi(last_prefix_field)]
    pub run: extern "C" fn(u64) -> u64,
}

impl RootModule for PluginRootRef {
    declare_root_module_statics! {PluginRootRef}
    const BASE_NAME: &'static str = "meetbot_plugin";
    const NAME: &'static str = "meetbot_plugin";
    const VERSION_STRINGS: VersionStrings = VersionStrings::new("0.2.0");
}

extern "C" fn manifest() -> RString {
    "incompatible".into()
}

extern "C" fn run(x: u64) -> u64 {
    x
}

/// The library's root module.
#[export_root_module]
pub fn get_root_module() -> PluginRootRef {
    PluginRoot { manifest, run }.leak_into_prefix()
}
