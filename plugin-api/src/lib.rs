//! The stable ABI between the `meetbot` host and its platform plugins.
//!
//! A plugin is a `cdylib` that exports one [`PluginRootRef`] root module through
//! `#[abi_stable::export_root_module]`. The host loads it with
//! `abi_stable::library::lib_header_from_path(path)?.init_root_module::<PluginRootRef>()`, which checks
//! that the plugin was built against a compatible version of this crate (same `0.x` minor) and that
//! every type below has the layout the host expects. Anything else is refused at load time.
//!
//! This crate holds only the types that cross the boundary. Helpers for writing plugins (an owned
//! tokio runtime, panic safety, browser plumbing) live in `meetbot-plugin-kit`.
//!
//! Versioning: this crate's version is the ABI version. Adding a field at the end of a prefix type
//! (a `#[sabi(last_prefix_field)]` boundary moves) is a new patch version; any other change is a new
//! minor version, which old plugins are refused against.
#![warn(missing_docs)]

mod context;
mod outcome;
mod request;
mod root;

pub use abi_stable;
pub use async_ffi;

pub use context::{HostContext, HostContext_TO, HostContextBox, LogLevel, SessionState};
pub use outcome::{SessionOutcome, reason};
pub use request::{BrowserTarget, SessionRequest};
pub use root::{PluginManifest, PluginRoot, PluginRootRef};
