//! Platform plugins: finding and loading the libraries, choosing one per provider, and the host
//! side of a running session.

mod context;
mod loader;
mod registry;

pub use context::{Report, SessionContext, SessionLink};
pub use loader::{LoadedPlugin, Refusal, load_library};
pub use registry::{Conflict, Registry};
