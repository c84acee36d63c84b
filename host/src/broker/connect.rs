//! Redis connections.
//!
//! Two kinds: a shared, self-reconnecting connection for ordinary commands and scripts, and a
//! dedicated connection for the consumer's blocking BLMOVE. The blocking one needs its own socket
//! (a blocking command stalls a multiplexed connection) and a response timeout well above the
//! block time: with redis-rs's 500 ms default the client gives up while the server still waits,
//! and the next message is moved for a request nobody reads.
//!
//! Behind Sentinel or on a Cluster the server holding meetbot's keys can change (a failover, a
//! slot moved): the shared connection then finds it again ([`Locator`]) after any error that says
//! it is talking to the wrong server or to none, and the caller's retry reaches the new one.

use std::{sync::Arc, time::Duration};

use redis::{
    AsyncConnectionConfig, Client, Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, RedisResult, ServerErrorKind,
    Value,
    aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection},
};
use tokio::sync::Mutex;

use super::locate::{LocateError, Locator};
use crate::config::{Config, redis_tls::TlsFileError, topology::TopologyError};

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
    /// The Sentinel or Cluster settings cannot work (the config loader refuses them first).
    #[error(transparent)]
    Topology(#[from] TopologyError),
}

/// Where the worker's Redis is, and the connections to it. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Endpoint {
    locator: Arc<Locator>,
}

impl Endpoint {
    /// The endpoint of `config`; installs the TLS crypto provider `rediss://` needs. Never connects.
    ///
    /// # Errors
    /// `redis.url` or a `redis.tls_*` file is unusable.
    pub fn open(config: &Config) -> Result<Self, ClientError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Ok(Self { locator: Arc::new(Locator::new(config)?) })
    }

    /// A client for the server holding meetbot's keys now (for one-off connections: pub/sub, the
    /// CLI, the access check).
    ///
    /// # Errors
    /// See [`LocateError`].
    pub async fn client(&self) -> Result<Client, LocateError> {
        self.locator.locate().await
    }

    /// The shared connection: connects on first use and reconnects by itself with capped
    /// exponential backoff; calls fail fast while the server is down, so callers retry on their
    /// own schedule. Creating it never waits for Redis, so the worker (and its /health) comes up
    /// without it.
    ///
    /// # Errors
    /// The URL's settings cannot make a client.
    pub fn shared(&self) -> RedisResult<SharedConnection> {
        if self.locator.moves() {
            let current = Arc::new(Mutex::new(Current::default()));
            let db = self.locator.db();
            return Ok(SharedConnection::Located(Located { locator: self.locator.clone(), current, db }));
        }
        let client = self.locator.fixed_client()?;
        Ok(SharedConnection::Fixed(manager(&client)?))
    }

    /// A dedicated connection for blocking commands, whose response timeout outlasts [`BLOCK_SECS`],
    /// to the server holding meetbot's keys now.
    ///
    /// # Errors
    /// Redis cannot be found or reached.
    pub async fn blocking(&self) -> RedisResult<MultiplexedConnection> {
        let client = self.client().await?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_response_timeout(Some(Duration::from_secs_f64(BLOCK_SECS + 10.0)));
        client.get_multiplexed_async_connection_with_config(&config).await
    }
}

fn manager(client: &Client) -> RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(3)))
        .set_response_timeout(Some(Duration::from_secs(5)))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_secs(2));
    client.get_connection_manager_lazy(config)
}

/// The connection everything but blocking commands goes through.
#[derive(Clone)]
pub enum SharedConnection {
    /// To the one server `redis.url` names.
    Fixed(ConnectionManager),
    /// To whichever server holds meetbot's keys now (Sentinel, Cluster).
    Located(Located),
}

/// A connection that finds its server again after errors that say it moved.
#[derive(Clone)]
pub struct Located {
    locator: Arc<Locator>,
    current: Arc<Mutex<Current>>,
    db: i64,
}

/// The connection to the server found last, and its generation: an error on an older connection
/// must not drop a newer one.
#[derive(Default)]
struct Current {
    generation: u64,
    conn: Option<ConnectionManager>,
}

impl Located {
    /// The current connection, after finding the server if there is none.
    async fn current(&self) -> RedisResult<(u64, ConnectionManager)> {
        let mut current = self.current.lock().await;
        if let Some(conn) = &current.conn {
            return Ok((current.generation, conn.clone()));
        }
        let client = self.locator.locate().await?;
        let conn = manager(&client)?;
        tracing::info!(redis = %client.get_connection_info().addr(), "found the redis server holding meetbot's keys");
        current.generation += 1;
        current.conn = Some(conn.clone());
        Ok((current.generation, conn))
    }

    /// Forgets connection `generation` when `error` says its server no longer holds the keys.
    async fn after(&self, generation: u64, error: &RedisError) {
        if !moved(error) {
            return;
        }
        let mut current = self.current.lock().await;
        if current.generation == generation && current.conn.is_some() {
            tracing::warn!(%error, "redis server lost or no longer the primary; finding it again");
            current.conn = None;
        }
    }
}

/// Errors after which the server must be found again: none answers, it is a replica now, or the
/// cluster sends the slot elsewhere.
fn moved(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_timeout()
        || error.is_cluster_error()
        || matches!(error.kind(), ErrorKind::Server(ServerErrorKind::ReadOnly | ServerErrorKind::MasterDown))
}

impl ConnectionLike for SharedConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Fixed(conn) => conn.req_packed_command(cmd),
            Self::Located(located) => Box::pin(async move {
                let (generation, mut conn) = located.current().await?;
                let result = conn.req_packed_command(cmd).await;
                if let Err(error) = &result {
                    located.after(generation, error).await;
                }
                result
            }),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Fixed(conn) => conn.req_packed_commands(pipeline, offset, count),
            Self::Located(located) => Box::pin(async move {
                let (generation, mut conn) = located.current().await?;
                let result = conn.req_packed_commands(pipeline, offset, count).await;
                if let Err(error) = &result {
                    located.after(generation, error).await;
                }
                result
            }),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Fixed(conn) => conn.get_db(),
            Self::Located(located) => located.db,
        }
    }
}

/// The endpoint and its shared connection, as the rest of the host holds them.
#[derive(Clone)]
pub struct Connections {
    /// For opening dedicated connections.
    pub endpoint: Endpoint,
    /// For everything but blocking commands.
    pub shared: SharedConnection,
}
