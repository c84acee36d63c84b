//! Platform plugins: finding and loading the libraries (refusing folders and files other users can
//! write), choosing one per provider, the host's own check of every URL a plugin normalizes, the
//! host side of a running session, and the masking of passcodes in what plugins say (and the bound
//! on how much of it is kept).

mod context;
mod loader;
mod permissions;
mod plugin_text;
mod redact;
mod registry;
mod url_policy;

pub use context::{MAX_BACKLOG, Report, SessionContext, SessionLink};
pub use loader::{LoadedPlugin, Refusal, UrlError, host_api_version, load_library};
pub use plugin_text::{MAX_DETAIL, MAX_TAG, plugin_text};
pub use redact::mask_secrets;
pub use registry::{Conflict, Registry};
pub use url_policy::{MeetingHosts, UrlRefusal};
