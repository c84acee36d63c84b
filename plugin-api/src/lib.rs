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
//! Versioning: this crate's version is the ABI version. Adding a field after the
//! `#[sabi(last_prefix_field)]` field of a prefix type ([`PluginRoot`], the [`HostContext`] vtable),
//! at the end and never moving that attribute, is a new patch version: plugins built against the
//! older patch still load, and the new field's accessor returns `None` for them (each such field
//! carries `#[sabi(missing_field(option))]` and says in its documentation since which version it
//! exists). Any other change is a new minor version, which old plugins are refused against.
//!
//! | version | change |
//! |---|---|
//! | 0.1.0 | `PluginRoot { manifest, normalize_url, run }` |
//! | 0.1.1 | `PluginRoot::meeting_hosts`: the hosts normalized URLs may point at; the host requires it |
//! | 0.2.0 | `SessionRequest::language` removed: the host always launched the browser in one language, and plugins match every language their tables know; `event`: the shared timeline event kinds |
#![warn(missing_docs)]

// abi_stable's `#[sabi_trait]` and `#[derive(StableAbi)]` on a prefix type write unsafe code (the
// vtables and field accessors) under the spans of these modules' items; the workspace denies
// unsafe code, so these two modules, which hold nothing but such declarations, allow it.
#[allow(unsafe_code)]
mod context;
pub mod event;
mod outcome;
mod request;
#[allow(unsafe_code)]
mod root;

pub use abi_stable;
pub use async_ffi;

pub use context::{HostContext, HostContext_TO, HostContextBox, LogLevel, SessionState};
pub use outcome::{SessionOutcome, reason};
pub use request::{BrowserTarget, SessionRequest};
pub use root::{PluginManifest, PluginRoot, PluginRootRef};
