//! Which Redis deployment the worker talks to: one server, a primary watched by Sentinels, or a
//! Redis Cluster; read from `[redis]` and checked before anything connects.
//!
//! Sentinel and Cluster both come down to one question: which server holds meetbot's keys right
//! now. Every key meetbot uses lives on that one server: with Sentinel there is only the primary,
//! and on a Cluster the keys must share one hash slot (a hash tag in `redis.queue`,
//! `redis.key_prefix` and the notify lists), which is what lets each Lua script stay one atomic
//! step. A configuration whose keys would spread over several slots cannot work and is refused
//! here, with the key to change.

use redis::IntoConnectionInfo;

use super::Config;

/// How many hash slots a Redis Cluster has.
const SLOTS: u16 = 16384;

/// A `host:port` of a sentinel or cluster node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeAddr {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl std::fmt::Display for NodeAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// Where the server holding meetbot's keys is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topology {
    /// `redis.url` names it.
    Standalone,
    /// The sentinels name the primary monitored as `master`.
    Sentinel {
        /// `redis.sentinels`.
        sentinels: Vec<NodeAddr>,
        /// `redis.sentinel_master`.
        master: String,
    },
    /// The cluster node serving `slot` (every key meetbot uses hashes to it).
    Cluster {
        /// `redis.cluster_nodes`: where to ask.
        seeds: Vec<NodeAddr>,
        /// The one slot of all of meetbot's keys.
        slot: u16,
    },
}

/// A `[redis]` setting that cannot work, as the config loader reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{key}` = {value}: {reason}")]
pub struct TopologyError {
    /// The dotted key at fault.
    pub key: String,
    /// Its value, quoted.
    pub value: String,
    /// What is wrong and what to write instead.
    pub reason: String,
}

impl Topology {
    /// The topology `config` asks for.
    ///
    /// # Errors
    /// A malformed node address, both Sentinel and Cluster at once, a missing master name, a
    /// database other than 0 on a cluster, or keys that would not share one cluster slot.
    pub fn from_config(config: &Config) -> Result<Self, TopologyError> {
        let redis = &config.redis;
        let error = |key: &str, value: &str, reason: &str| TopologyError {
            key: key.to_owned(),
            value: format!("{value:?}"),
            reason: reason.to_owned(),
        };
        match (redis.sentinels.is_empty(), redis.cluster_nodes.is_empty()) {
            (true, true) => Ok(Self::Standalone),
            (false, false) => Err(error(
                "redis.cluster_nodes",
                &redis.cluster_nodes.join(","),
                "cannot be set together with `redis.sentinels`: a deployment is either Sentinel or Cluster",
            )),
            (false, true) => {
                if redis.sentinel_master.is_empty() {
                    return Err(error(
                        "redis.sentinel_master",
                        "",
                        "required with `redis.sentinels`: the name the sentinels monitor the primary under",
                    ));
                }
                let sentinels = node_addrs("redis.sentinels", &redis.sentinels)?;
                Ok(Self::Sentinel { sentinels, master: redis.sentinel_master.clone() })
            }
            (true, false) => {
                let seeds = node_addrs("redis.cluster_nodes", &redis.cluster_nodes)?;
                if url_db(&redis.url) != 0 {
                    return Err(error(
                        "redis.url",
                        "(not shown)",
                        "names a database other than 0, which a Redis Cluster does not have",
                    ));
                }
                Ok(Self::Cluster { seeds, slot: shared_slot(config)? })
            }
        }
    }
}

/// Parses each `host:port` of the list at `key`.
fn node_addrs(key: &str, entries: &[String]) -> Result<Vec<NodeAddr>, TopologyError> {
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            node_addr(entry).ok_or_else(|| TopologyError {
                key: format!("{key}[{index}]"),
                value: format!("{entry:?}"),
                reason: "expected HOST:PORT like 10.0.0.5:26379 (no scheme and no password: those come from \
                         `redis.url` and `redis.sentinel_password`)"
                    .to_owned(),
            })
        })
        .collect()
}

fn node_addr(entry: &str) -> Option<NodeAddr> {
    let (host, port) = entry.rsplit_once(':')?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let host_ok = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    let port = port.parse::<u16>().ok().filter(|p| *p > 0)?;
    host_ok.then(|| NodeAddr { host: host.to_owned(), port })
}

/// The database `redis.url` selects, as redis-rs reads it (0 when none or unreadable: the URL's
/// own check reports a bad one).
fn url_db(url: &str) -> i64 {
    url.into_connection_info().map_or(0, |info| info.redis_settings().db())
}

/// The slot every key meetbot uses hashes to, or why they would not share one.
fn shared_slot(config: &Config) -> Result<u16, TopologyError> {
    let tagged = |key: &str, value: &str, example: &str| -> Result<u16, TopologyError> {
        if hash_tag(value.as_bytes()).is_none() {
            return Err(TopologyError {
                key: key.to_owned(),
                value: format!("{value:?}"),
                reason: format!(
                    "on a Redis Cluster every key meetbot uses must hash to one slot: give it a hash tag, \
                     e.g. {example:?}, and the same tag to `redis.queue`, `redis.key_prefix` and the notify lists"
                ),
            });
        }
        Ok(slot(value.as_bytes()))
    };
    let prefix_slot = tagged("redis.key_prefix", &config.redis.key_prefix, "{meetbot}")?;
    for (key, value, example) in [
        ("redis.queue", &config.redis.queue, "{meetbot}:jobs"),
        ("notify.redis_results_list", &config.notify.redis_results_list, "{meetbot}:recordings"),
        ("notify.redis_failures_list", &config.notify.redis_failures_list, "{meetbot}:failures"),
    ] {
        let key_slot = tagged(key, value, example)?;
        if key_slot != prefix_slot {
            return Err(TopologyError {
                key: key.to_owned(),
                value: format!("{value:?}"),
                reason: format!(
                    "hashes to cluster slot {key_slot}, not to slot {prefix_slot} of `redis.key_prefix`: use the \
                     same hash tag, e.g. {example:?} with key_prefix \"{{meetbot}}\""
                ),
            });
        }
    }
    Ok(prefix_slot)
}

/// The part of `key` a cluster hashes: the first non-empty `{...}`, as Redis defines it.
fn hash_tag(key: &[u8]) -> Option<&[u8]> {
    let open = key.iter().position(|b| *b == b'{')?;
    let close = key[open + 1..].iter().position(|b| *b == b'}')?;
    let tag = &key[open + 1..open + 1 + close];
    (!tag.is_empty()).then_some(tag)
}

/// The cluster hash slot of `key`: CRC16 (XMODEM) of its hash tag, or of the whole key without one.
pub fn slot(key: &[u8]) -> u16 {
    let hashed = hash_tag(key).unwrap_or(key);
    let crc = hashed.iter().fold(0u16, |crc, byte| {
        (0..8).fold(
            crc ^ (u16::from(*byte) << 8),
            |crc, _| {
                if crc & 0x8000 == 0 { crc << 1 } else { (crc << 1) ^ 0x1021 }
            },
        )
    });
    crc % SLOTS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(edit: impl FnOnce(&mut Config)) -> Config {
        let mut config = Config::default();
        edit(&mut config);
        config
    }

    fn cluster(edit: impl FnOnce(&mut Config)) -> Result<Topology, TopologyError> {
        Topology::from_config(&config(|c| {
            c.redis.cluster_nodes = vec!["10.0.0.1:7000".to_owned()];
            c.redis.queue = "{meetbot}:jobs".to_owned();
            c.redis.key_prefix = "{meetbot}".to_owned();
            c.notify.redis_results_list = "{meetbot}:recordings".to_owned();
            c.notify.redis_failures_list = "{meetbot}:failures".to_owned();
            edit(c);
        }))
    }

    #[test]
    fn slots_are_the_ones_redis_computes() {
        // Values from `CLUSTER KEYSLOT` of a real server.
        assert_eq!(slot(b"foo"), 12182);
        assert_eq!(slot(b"hello"), 866);
        assert_eq!(slot(b"{user1000}.following"), slot(b"user1000"));
        assert_eq!(hash_tag(b"foo{}{bar}"), None, "the first {{...}} is empty: the whole key is hashed");
        assert_eq!(hash_tag(b"foo{{bar}}zap"), Some(&b"{bar"[..]));
    }

    #[test]
    fn no_sentinels_and_no_cluster_nodes_is_one_server() {
        assert_eq!(Topology::from_config(&Config::default()), Ok(Topology::Standalone));
    }

    #[test]
    fn sentinels_need_a_master_name_and_host_port_entries() {
        let topology = Topology::from_config(&config(|c| {
            c.redis.sentinels = vec!["10.0.0.1:26379".to_owned(), "sentinel-b:26380".to_owned()];
        }));
        let Ok(Topology::Sentinel { sentinels, master }) = topology else { panic!("{topology:?}") };
        assert_eq!(master, "mymaster");
        assert_eq!(sentinels[1], NodeAddr { host: "sentinel-b".to_owned(), port: 26380 });

        let unnamed = Topology::from_config(&config(|c| {
            c.redis.sentinels = vec!["10.0.0.1:26379".to_owned()];
            c.redis.sentinel_master = String::new();
        }));
        assert_eq!(unnamed.expect_err("no name").key, "redis.sentinel_master");
        for bad in ["redis://10.0.0.1:26379", "10.0.0.1", "10.0.0.1:0", ":26379", "a b:1", "user:pw@h:1"] {
            let err = Topology::from_config(&config(|c| c.redis.sentinels = vec![bad.to_owned()])).expect_err(bad);
            assert_eq!(err.key, "redis.sentinels[0]", "{bad}");
        }
    }

    #[test]
    fn sentinels_and_cluster_nodes_together_are_refused() {
        let err = cluster(|c| c.redis.sentinels = vec!["h:26379".to_owned()]).expect_err("both");
        assert_eq!(err.key, "redis.cluster_nodes");
    }

    fn slot_of(tag: &str) -> u16 {
        slot(tag.as_bytes())
    }

    #[test]
    fn a_cluster_with_one_hash_tag_everywhere_has_one_slot() {
        let Ok(Topology::Cluster { slot, seeds }) = cluster(|_| {}) else { panic!("not a cluster") };
        assert_eq!(slot, slot_of("meetbot"));
        assert_eq!(seeds, [NodeAddr { host: "10.0.0.1".to_owned(), port: 7000 }]);
    }

    #[test]
    fn a_cluster_refuses_keys_without_a_hash_tag_naming_the_key() {
        let err = cluster(|c| c.redis.key_prefix = "meetbot".to_owned()).expect_err("no tag");
        assert_eq!(err.key, "redis.key_prefix");
        assert!(err.reason.contains("hash tag"), "{err}");
        let err = cluster(|c| c.notify.redis_results_list = "jobs:meetbot:recordings".to_owned()).expect_err("no tag");
        assert_eq!(err.key, "notify.redis_results_list");
    }

    #[test]
    fn a_cluster_refuses_keys_in_different_slots_naming_both() {
        let err = cluster(|c| c.redis.queue = "{other}:jobs".to_owned()).expect_err("other slot");
        assert_eq!(err.key, "redis.queue");
        assert!(err.reason.contains(&format!("slot {}", slot_of("other"))), "{err}");
    }

    #[test]
    fn a_cluster_refuses_a_database_other_than_0() {
        let err = cluster(|c| c.redis.url = "redis://:pw@h:7000/2".to_owned()).expect_err("db 2");
        assert_eq!(err.key, "redis.url");
        assert!(!err.to_string().contains("pw"), "{err}");
        assert!(cluster(|c| c.redis.url = "redis://h:7000/0".to_owned()).is_ok());
    }
}
