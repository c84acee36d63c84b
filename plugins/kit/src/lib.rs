//! Helpers for meetbot plugin authors.
//!
//! - [`export`]: turn a type implementing [`Plugin`] into the root module the host loads, with an
//!   owned tokio runtime and every entry point panic-safe.
//! - [`Host`]: a friendly wrapper over the host context a session reports through.
//! - [`browser`] (feature `browser`, on by default): attach to the host's page, wait for texts and
//!   accessible names, click, type, read counts, watch the call ([`MeetingPage`], [`Probe`]), and
//!   per-language text tables ([`Phrase`]).
//! - [`session`] (feature `browser`): the session driver. A plugin gives its tables, its decisions
//!   and hooks for its own steps ([`session::Platform`]); the kit drives the session.
//!
//! A complete plugin:
//!
//! ```ignore
//! use meetbot_plugin_kit::{Host, Manifest, Plugin, export::root_module};
//! use meetbot_plugin_api::{PluginRootRef, SessionOutcome, SessionRequest, SessionState, reason};
//!
//! struct Echo;
//! impl Plugin for Echo {
//!     fn manifest() -> Manifest { Manifest::new("echo", env!("CARGO_PKG_VERSION"), &["echo"]) }
//!     fn normalize_url(_provider: &str, url: &str) -> Result<String, String> {
//!         url.starts_with("https://echo.example/").then(|| url.to_owned()).ok_or_else(|| "not an echo link".into())
//!     }
//!     fn meeting_hosts() -> &'static [&'static str] { &["echo.example"] }
//!     async fn run(_request: SessionRequest, host: Host) -> SessionOutcome {
//!         host.state(SessionState::InCall);
//!         host.left().await;
//!         SessionOutcome::new(reason::LEFT_NORMALLY, "")
//!     }
//! }
//!
//! #[abi_stable::export_root_module]
//! fn root() -> PluginRootRef { root_module::<Echo>() }
//! ```
#![warn(missing_docs)]

#[cfg(feature = "browser")]
pub mod browser;
pub mod export;
mod host;
mod manifest;
#[cfg(feature = "browser")]
pub mod session;
#[cfg(feature = "browser")]
mod texts;

#[cfg(feature = "browser")]
pub use browser::{Hit, KitError, MAX_WAIT, MeetingPage, Probe, Signals, Switched, Watch};
pub use export::Plugin;
pub use host::Host;
pub use manifest::Manifest;
pub use meetbot_plugin_api as api;
#[cfg(feature = "browser")]
pub use texts::Phrase;
/// The kit's tokio, the one the plugin's own runtime runs (see [`export`]): timers, `select!` and
/// channels from here work in a session without a tokio dependency of the plugin's own.
pub use tokio;
