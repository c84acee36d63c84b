//! Everything that talks to Redis: key names, the atomic operations (one Lua script each, see
//! `lua/`), connections, and reconnect backoff. The queue consumer and the job store build on it.

mod backoff;
mod connect;
mod keys;
pub mod scripts;

pub use backoff::{Backoff, is_permanent};
pub use connect::{BLOCK_SECS, Connections, blocking_connection, open_client, shared_connection};
pub use keys::Keys;

/// How long job records are kept (CONTRACT section 5: 7 days).
pub const RECORD_TTL_SECS: u64 = 7 * 24 * 3600;
