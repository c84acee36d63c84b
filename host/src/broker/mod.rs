//! Everything that talks to Redis: key names, the atomic operations (one Lua script each, see
//! `lua/`), connections (TLS included), reconnect backoff, and the start-up check of what the
//! worker's Redis user may do. The queue consumer and the job store build on it.

mod connect;
mod keys;
pub mod locate;
pub mod permissions;
pub mod preflight;
mod retry;
pub mod scripts;

pub use connect::{BLOCK_SECS, ClientError, Connections, Endpoint, SharedConnection};
pub use keys::Keys;
pub use retry::is_permanent;

/// How long job records are kept (docs/REFERENCE.md section 5: 7 days).
pub const RECORD_TTL_SECS: u64 = 7 * 24 * 3600;
