//! Which Redis errors are worth retrying.

use redis::{RedisError, RetryMethod};

/// Whether retrying `error` cannot help (a refused permission, a script error, a wrong type): the
/// caller should give up rather than retry it forever. Connection trouble, a server still loading
/// its data or in failover, and the like are worth retrying.
pub fn is_permanent(error: &RedisError) -> bool {
    matches!(error.retry_method(), RetryMethod::NoRetry)
}
