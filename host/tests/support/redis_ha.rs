//! Redis as production runs it, on local ports: a primary with a replica watched by three
//! sentinels ([`SentinelSet`]), and a three-node Redis Cluster ([`Cluster`]). Real `redis-server`
//! processes (`--sentinel` for the sentinels), killed on drop.

use std::{
    fs::File,
    process::{Child, Command, Stdio},
    thread,
    time::Duration,
};

use tempfile::TempDir;

use super::{free_port, wait_until};

/// One `redis-server` process (a data node or a sentinel).
pub struct Process {
    /// Its port.
    pub port: u16,
    child: Option<Child>,
}

impl Process {
    /// Starts `redis-server` with `args` on a free port (`--port` is added), logging into `dir`,
    /// and waits until it answers PING.
    fn start(dir: &TempDir, name: &str, args: &[String]) -> Process {
        let port = free_port();
        let log = File::create(dir.path().join(format!("{name}.log"))).expect("log");
        let child = Command::new("redis-server")
            .args(args)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn redis-server");
        let process = Process { port, child: Some(child) };
        wait_until(Duration::from_secs(10), &format!("{name} on port {port} answers PING"), || {
            process.try_query::<String>(&redis::cmd("PING")).is_ok()
        });
        process
    }

    /// Runs `cmd` on a fresh connection.
    pub fn try_query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> redis::RedisResult<T> {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}", self.port))?;
        let mut conn = client.get_connection_with_timeout(Duration::from_secs(2))?;
        conn.set_read_timeout(Some(Duration::from_secs(5)))?;
        cmd.query(&mut conn)
    }

    /// Runs `cmd`; panics on error.
    pub fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> T {
        self.try_query(cmd).unwrap_or_else(|e| panic!("redis on port {}: {e}", self.port))
    }

    /// SIGKILL, no goodbye.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A primary, its replica and three sentinels monitoring them as `mymaster`, failing over after
/// one second of silence.
pub struct SentinelSet {
    /// The first primary.
    pub primary: Process,
    /// Its replica (the primary after a failover).
    pub replica: Process,
    /// The sentinels.
    pub sentinels: Vec<Process>,
    _dir: TempDir,
}

/// The name the sentinels monitor the primary under.
pub const MASTER: &str = "mymaster";

impl SentinelSet {
    /// Starts everything and waits until every sentinel knows the replica and the other sentinels,
    /// so a failover can be agreed on.
    pub fn start() -> SentinelSet {
        let dir = tempfile::tempdir().expect("tempdir");
        let data =
            |name: &str| ["--save", "", "--appendonly", "no", "--dbfilename", &format!("{name}.rdb")].map(String::from);
        let primary = Process::start(&dir, "primary", &data("primary"));
        let mut replica_args = data("replica").to_vec();
        replica_args.extend(["--replicaof".to_owned(), "127.0.0.1".to_owned(), primary.port.to_string()]);
        let replica = Process::start(&dir, "replica", &replica_args);
        let sentinels: Vec<Process> = (0..3)
            .map(|i| {
                let conf = dir.path().join(format!("sentinel-{i}.conf"));
                let text = format!(
                    "sentinel monitor {MASTER} 127.0.0.1 {port} 2\n\
                     sentinel down-after-milliseconds {MASTER} 1000\n\
                     sentinel failover-timeout {MASTER} 5000\n\
                     sentinel parallel-syncs {MASTER} 1\n",
                    port = primary.port
                );
                std::fs::write(&conf, text).expect("sentinel.conf");
                Process::start(&dir, &format!("sentinel-{i}"), &[conf.display().to_string(), "--sentinel".to_owned()])
            })
            .collect();
        wait_until(Duration::from_secs(30), "the sentinels know the replica and each other", || {
            sentinels.iter().all(|s| {
                let replicas: Vec<redis::Value> =
                    s.try_query(redis::cmd("SENTINEL").arg("REPLICAS").arg(MASTER)).unwrap_or_default();
                let peers: Vec<redis::Value> =
                    s.try_query(redis::cmd("SENTINEL").arg("SENTINELS").arg(MASTER)).unwrap_or_default();
                replicas.len() == 1 && peers.len() == 2
            })
        });
        SentinelSet { primary, replica, sentinels, _dir: dir }
    }

    /// `["127.0.0.1:<port>", ...]` of the sentinels, as TOML.
    pub fn sentinels_toml(&self) -> String {
        let list: Vec<String> = self.sentinels.iter().map(|s| format!("\"127.0.0.1:{}\"", s.port)).collect();
        format!("[{}]", list.join(", "))
    }

    /// The port of the primary the first sentinel names now.
    pub fn primary_port(&self) -> Option<u16> {
        let addr: Option<(String, u16)> =
            self.sentinels[0].try_query(redis::cmd("SENTINEL").arg("GET-MASTER-ADDR-BY-NAME").arg(MASTER)).ok()?;
        addr.map(|(_, port)| port)
    }
}

/// Three primaries sharing the 16384 slots (`redis-cli --cluster create`).
pub struct Cluster {
    /// The nodes.
    pub nodes: Vec<Process>,
    _dir: TempDir,
}

impl Cluster {
    /// Starts three cluster-enabled servers, joins them into a cluster and waits until it is ok.
    pub fn start() -> Cluster {
        let dir = tempfile::tempdir().expect("tempdir");
        let nodes: Vec<Process> = (0..3)
            .map(|i| {
                let args = [
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    &format!("nodes-{i}.conf"),
                    "--cluster-node-timeout",
                    "2000",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dbfilename",
                    &format!("node-{i}.rdb"),
                ]
                .map(String::from);
                Process::start(&dir, &format!("node-{i}"), &args)
            })
            .collect();
        let addrs: Vec<String> = nodes.iter().map(|n| format!("127.0.0.1:{}", n.port)).collect();
        let out = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addrs)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("redis-cli --cluster create");
        assert!(out.status.success(), "cluster create failed: {}", String::from_utf8_lossy(&out.stdout));
        wait_until(Duration::from_secs(30), "every node says cluster_state:ok", || {
            nodes.iter().all(|n| {
                n.try_query::<String>(redis::cmd("CLUSTER").arg("INFO"))
                    .is_ok_and(|info| info.contains("cluster_state:ok"))
            })
        });
        thread::sleep(Duration::from_millis(200));
        Cluster { nodes, _dir: dir }
    }

    /// `["127.0.0.1:<port>", ...]` of the nodes, as TOML.
    pub fn nodes_toml(&self) -> String {
        let list: Vec<String> = self.nodes.iter().map(|n| format!("\"127.0.0.1:{}\"", n.port)).collect();
        format!("[{}]", list.join(", "))
    }

    /// The node that serves `key` (the others answer MOVED).
    pub fn owner_of(&self, key: &str) -> &Process {
        self.nodes
            .iter()
            .find(|n| n.try_query::<i64>(redis::cmd("EXISTS").arg(key)).is_ok())
            .expect("a node serves the key")
    }
}
