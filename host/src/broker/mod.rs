//! Everything that talks to Redis: key names, the atomic operations (one Lua script each, see
//! `lua/`), connections (TLS included), reconnect backoff, and the start-up check of what the
//! worker's Redis user may do. The queue consumer and the job store build on it.

mod backoff;
mod connect;
mod keys;
pub mod locate;
pub mod permissions;
pub mod preflight;
pub mod scripts;
pub mod tls;
pub mod topology;

pub use backoff::{Backoff, is_permanent};
pub use connect::{BLOCK_SECS, ClientError, Connections, Endpoint, SharedConnection};
pub use keys::Keys;

/// How long job records are kept (docs/REFERENCE.md section 5: 7 days).
pub const RECORD_TTL_SECS: u64 = 7 * 24 * 3600;
