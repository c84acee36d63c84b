//! Finding the server that holds meetbot's keys now: the one `redis.url` names, the primary the
//! sentinels name, or the cluster node serving meetbot's slot ([`Topology`]).
//!
//! Every answer is checked with `ROLE` before it is used: a sentinel can be behind during a
//! failover, and a cluster's slot map can be stale; a server that is not a primary is no answer.

use std::time::Duration;

use redis::{
    AsyncConnectionConfig, Client, ConnectionAddr, ConnectionInfo, IntoConnectionInfo, RedisConnectionInfo, RedisError,
    RedisResult, TlsCertificates, Value,
};

use super::connect::ClientError;
use crate::config::{
    Config,
    redis_tls::certificates,
    topology::{NodeAddr, Topology},
};

/// How long one question to one server may take: short, so a dead node costs little before the
/// next is asked.
const ASK_TIMEOUT: Duration = Duration::from_secs(2);

/// Why no server holding meetbot's keys was found. The first two are configuration mistakes an
/// operator must fix; the last is Redis being down or in failover, which passes.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LocateError {
    /// The sentinels that answered monitor no primary by that name.
    #[error("no sentinel monitors a primary named `{master}` (`redis.sentinel_master`); asked {asked}")]
    UnknownMaster {
        /// `redis.sentinel_master`.
        master: String,
        /// The sentinels that answered.
        asked: String,
    },
    /// A node of `redis.cluster_nodes` is not in cluster mode.
    #[error("redis at {node} is not a cluster node (cluster support disabled): check `redis.cluster_nodes`")]
    NotACluster {
        /// `host:port`.
        node: String,
    },
    /// Nothing answered with a primary.
    #[error("no redis primary found: {detail}")]
    Unreachable {
        /// What each server said, last first.
        detail: String,
    },
}

impl LocateError {
    /// Whether retrying cannot help: the configuration names something that does not exist.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, Self::Unreachable { .. })
    }
}

impl From<LocateError> for RedisError {
    fn from(error: LocateError) -> Self {
        // An I/O kind: callers treat it as Redis being unreachable and retry.
        RedisError::from((redis::ErrorKind::Io, "cannot locate redis", error.to_string()))
    }
}

/// Finds the server holding meetbot's keys, and opens clients to it.
#[derive(Debug, Clone)]
pub struct Locator {
    topology: Topology,
    /// `redis.url` as connection settings: the address (standalone), scheme, user, password, db.
    base: ConnectionInfo,
    certificates: Option<TlsCertificates>,
    tls: bool,
    sentinel_username: String,
    sentinel_password: String,
}

impl Locator {
    /// The locator for `config` (already validated).
    ///
    /// # Errors
    /// `redis.url` or a `redis.tls_*` file is unusable.
    pub fn new(config: &Config) -> Result<Self, ClientError> {
        let url_error = |source| ClientError::Url { url: config.redis_url_masked(), source };
        let base = config.redis.url.as_str().into_connection_info().map_err(url_error)?;
        let topology = Topology::from_config(config)?;
        Ok(Self {
            topology,
            tls: matches!(base.addr(), ConnectionAddr::TcpTls { .. }),
            base,
            certificates: certificates(&config.redis)?,
            sentinel_username: config.redis.sentinel_username.clone(),
            sentinel_password: config.redis.sentinel_password.clone(),
        })
    }

    /// Whether the server can change under the worker (Sentinel, Cluster), so connections must
    /// find it again after errors.
    pub fn moves(&self) -> bool {
        self.topology != Topology::Standalone
    }

    /// The database of `redis.url`.
    pub fn db(&self) -> i64 {
        self.base.redis_settings().db()
    }

    /// A client for `redis.url` itself (standalone); creating it never connects.
    ///
    /// # Errors
    /// The URL's settings cannot make a client.
    pub fn fixed_client(&self) -> RedisResult<Client> {
        self.client(self.base.clone())
    }

    /// A client for the server holding meetbot's keys now.
    ///
    /// # Errors
    /// See [`LocateError`].
    pub async fn locate(&self) -> Result<Client, LocateError> {
        match &self.topology {
            Topology::Standalone => self.fixed_client().map_err(|e| unreachable(&e.to_string())),
            Topology::Sentinel { sentinels, master } => self.primary_from_sentinels(sentinels, master).await,
            Topology::Cluster { seeds, slot } => self.node_for_slot(seeds, *slot).await,
        }
    }

    async fn primary_from_sentinels(&self, sentinels: &[NodeAddr], master: &str) -> Result<Client, LocateError> {
        let mut failures = Vec::new();
        let mut asked = Vec::new();
        for sentinel in sentinels {
            let info = self.at(sentinel).set_redis_settings(self.sentinel_auth());
            let answer: RedisResult<Option<(String, u16)>> = async {
                let mut conn = connect(&self.client(info)?).await?;
                redis::cmd("SENTINEL").arg("GET-MASTER-ADDR-BY-NAME").arg(master).query_async(&mut conn).await
            }
            .await;
            match answer {
                Ok(Some((host, port))) => {
                    match self.primary(NodeAddr { host, port }).await {
                        Ok(client) => return Ok(client),
                        Err(error) => failures.push(format!("sentinel {sentinel} named {error}")),
                    }
                    asked.push(sentinel.to_string());
                }
                Ok(None) => asked.push(sentinel.to_string()),
                Err(error) => failures.push(format!("sentinel {sentinel}: {error}")),
            }
        }
        if failures.is_empty() {
            return Err(LocateError::UnknownMaster { master: master.to_owned(), asked: asked.join(", ") });
        }
        Err(unreachable(&failures.join("; ")))
    }

    async fn node_for_slot(&self, seeds: &[NodeAddr], slot: u16) -> Result<Client, LocateError> {
        let mut failures = Vec::new();
        for seed in seeds {
            let slots: RedisResult<Value> = async {
                let mut conn = connect(&self.client(self.at(seed))?).await?;
                redis::cmd("CLUSTER").arg("SLOTS").query_async(&mut conn).await
            }
            .await;
            match slots {
                Ok(slots) => match owner(&slots, slot, seed) {
                    Some(node) => match self.primary(node.clone()).await {
                        Ok(client) => return Ok(client),
                        Err(error) => failures.push(format!("{seed} named {error}")),
                    },
                    None => failures.push(format!("{seed}: no node serves slot {slot} (cluster still forming?)")),
                },
                Err(error) if error.to_string().contains("cluster support disabled") => {
                    return Err(LocateError::NotACluster { node: seed.to_string() });
                }
                Err(error) => failures.push(format!("{seed}: {error}")),
            }
        }
        Err(unreachable(&failures.join("; ")))
    }

    /// A client for `node` once it says it is a primary; the error names it.
    async fn primary(&self, node: NodeAddr) -> Result<Client, String> {
        let client = self.client(self.at(&node)).map_err(|e| format!("{node}: {e}"))?;
        let role: RedisResult<Value> = async {
            let mut conn = connect(&client).await?;
            redis::cmd("ROLE").query_async(&mut conn).await
        }
        .await;
        match role {
            Ok(Value::Array(parts)) if matches!(parts.first(), Some(Value::BulkString(r)) if r == b"master") => {
                Ok(client)
            }
            Ok(_) => Err(format!("{node}, which is not a primary (yet)")),
            Err(error) => Err(format!("{node}: {error}")),
        }
    }

    /// Sentinels have credentials of their own, and no databases.
    fn sentinel_auth(&self) -> RedisConnectionInfo {
        let mut auth = RedisConnectionInfo::default().set_protocol(self.base.redis_settings().protocol());
        if !self.sentinel_username.is_empty() {
            auth = auth.set_username(&self.sentinel_username);
        }
        if !self.sentinel_password.is_empty() {
            auth = auth.set_password(&self.sentinel_password);
        }
        auth
    }

    /// The connection settings of `redis.url` at `node`'s address.
    fn at(&self, node: &NodeAddr) -> ConnectionInfo {
        let addr = if self.tls {
            ConnectionAddr::TcpTls { host: node.host.clone(), port: node.port, insecure: false, tls_params: None }
        } else {
            ConnectionAddr::Tcp(node.host.clone(), node.port)
        };
        self.base.clone().set_addr(addr)
    }

    fn client(&self, info: ConnectionInfo) -> RedisResult<Client> {
        match &self.certificates {
            Some(certificates) => Client::build_with_tls(info, certificates.clone()),
            None => Client::open(info),
        }
    }
}

fn unreachable(detail: &str) -> LocateError {
    LocateError::Unreachable { detail: detail.to_owned() }
}

/// A short-lived connection for one question.
async fn connect(client: &Client) -> RedisResult<redis::aio::MultiplexedConnection> {
    let config =
        AsyncConnectionConfig::new().set_connection_timeout(Some(ASK_TIMEOUT)).set_response_timeout(Some(ASK_TIMEOUT));
    client.get_multiplexed_async_connection_with_config(&config).await
}

/// The primary serving `slot` in a `CLUSTER SLOTS` reply (`[[start, end, [host, port, ...], ...], ...]`);
/// an empty host means the node that answered (`asked`).
fn owner(slots: &Value, slot: u16, asked: &NodeAddr) -> Option<NodeAddr> {
    let Value::Array(ranges) = slots else { return None };
    ranges.iter().find_map(|range| {
        let Value::Array(parts) = range else { return None };
        let (Some(Value::Int(start)), Some(Value::Int(end)), Some(Value::Array(primary))) =
            (parts.first(), parts.get(1), parts.get(2))
        else {
            return None;
        };
        if !(*start..=*end).contains(&i64::from(slot)) {
            return None;
        }
        let host = match primary.first() {
            Some(Value::BulkString(host)) if !host.is_empty() && host != b"?" => {
                String::from_utf8(host.clone()).ok()?
            }
            _ => asked.host.clone(),
        };
        let Some(Value::Int(port)) = primary.get(1) else { return None };
        Some(NodeAddr { host, port: u16::try_from(*port).ok()? })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    fn range(start: i64, end: i64, host: &str, port: i64) -> Value {
        Value::Array(vec![
            Value::Int(start),
            Value::Int(end),
            Value::Array(vec![bulk(host), Value::Int(port), bulk("id")]),
        ])
    }

    #[test]
    fn the_owner_of_a_slot_is_the_primary_of_its_range() {
        let asked = NodeAddr { host: "seed".to_owned(), port: 7000 };
        let slots = Value::Array(vec![range(0, 5460, "10.0.0.1", 7000), range(5461, 10922, "", 7001)]);
        assert_eq!(owner(&slots, 5460, &asked), Some(NodeAddr { host: "10.0.0.1".to_owned(), port: 7000 }));
        assert_eq!(owner(&slots, 5461, &asked), Some(NodeAddr { host: "seed".to_owned(), port: 7001 }), "empty host");
        assert_eq!(owner(&slots, 10923, &asked), None, "unserved slot");
        assert_eq!(owner(&Value::Nil, 1, &asked), None);
    }
}
