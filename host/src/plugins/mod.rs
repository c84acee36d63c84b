//! Platform plugins: finding and loading the libraries (refusing folders and files other users can
//! write), choosing one per provider, the host's own check of every URL a plugin normalizes, the
//! host side of a running session, and the masking of passcodes in what plugins say.

mod context;
mod loader;
mod permissions;
mod redact;
mod registry;
mod url_policy;

pub use context::{Report, SessionContext, SessionLink};
pub use loader::{LoadedPlugin, Refusal, UrlError, host_api_version, load_library};
pub use redact::mask_secrets;
pub use registry::{Conflict, Registry};
pub use url_policy::{MeetingHosts, UrlRefusal};
