//! Redis connections.
//!
//! Two kinds: a shared, self-reconnecting `ConnectionManager` for ordinary commands and scripts,
//! and a dedicated connection for the consumer's blocking BLMOVE. The blocking one needs its own
//! socket (a blocking command stalls a multiplexed connection) and a response timeout well above
//! the block time: with redis-rs's 500 ms default the client gives up while the server still
//! waits, and the next message is moved for a request nobody reads.

use std::time::Duration;

use redis::{
    AsyncConnectionConfig, Client, RedisResult,
    aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection},
};

use super::tls::{TlsFileError, certificates};
use crate::config::Config;

/// How long one BLMOVE blocks. Short enough that shutdown is noticed quickly, long enough that an
/// idle worker costs Redis nothing.
pub const BLOCK_SECS: f64 = 2.0;

/// Why no client could be built from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// `redis.url` is unusable.
    #[error("`redis.url` = {url}: {source}")]
    Url {
        /// The URL, password masked.
        url: String,
        /// What redis-rs said.
        source: redis::RedisError,
    },
    /// A `redis.tls_*` file is unusable.
    #[error(transparent)]
    Tls(#[from] TlsFileError),
}

/// A client for `redis.url`, with the certificates of the `redis.tls_*` files when any is set;
/// installs the TLS crypto provider `rediss://` needs.
pub fn open_client(config: &Config) -> Result<Client, ClientError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url_error = |source| ClientError::Url { url: config.redis_url_masked(), source };
    let url = config.redis.url.as_str();
    match certificates(&config.redis)? {
        Some(certificates) => Client::build_with_tls(url, certificates).map_err(url_error),
        None => Client::open(url).map_err(url_error),
    }
}

/// The shared connection: connects on first use and reconnects by itself with capped exponential
/// backoff; calls fail fast while the server is down, so callers retry on their own schedule.
/// Creating it never waits for Redis, so the worker (and its /health) comes up without it.
pub fn shared_connection(client: &Client) -> RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(3)))
        .set_response_timeout(Some(Duration::from_secs(5)))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_secs(2));
    client.get_connection_manager_lazy(config)
}

/// A dedicated connection for blocking commands, whose response timeout outlasts [`BLOCK_SECS`].
pub async fn blocking_connection(client: &Client) -> RedisResult<MultiplexedConnection> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(3)))
        .set_response_timeout(Some(Duration::from_secs_f64(BLOCK_SECS + 10.0)));
    client.get_multiplexed_async_connection_with_config(&config).await
}

/// The client and its shared connection, as the rest of the host holds them.
#[derive(Clone)]
pub struct Connections {
    /// For opening dedicated connections.
    pub client: Client,
    /// For everything but blocking commands.
    pub shared: ConnectionManager,
}
