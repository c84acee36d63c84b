//! The fleet's Redis: a private `redis-server` with AOF persistence (`appendfsync always`), on a
//! port and data folder that outlive a restart, so the bench can kill it and bring the same data
//! back the way production does.

use std::{
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use redis::aio::MultiplexedConnection;

use crate::common::{ChildGuard, free_port};

/// A restartable `redis-server` with AOF on.
pub struct AofRedis {
    pub port: u16,
    dir: PathBuf,
    server: Option<ChildGuard>,
}

impl AofRedis {
    /// A server keeping its data in `dir` (created).
    pub async fn start(dir: PathBuf) -> Self {
        std::fs::create_dir_all(&dir).expect("create the redis data folder");
        let mut redis = Self { port: free_port(), dir, server: None };
        redis.spawn().await;
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// kill -9 (with `appendfsync always` every acknowledged write is on disk), then the same
    /// server on the same port and data; returns how long Redis was away.
    pub async fn kill_and_restart(&mut self, down_for: Duration) -> Duration {
        let started = Instant::now();
        drop(self.server.take());
        tokio::time::sleep(down_for).await;
        self.spawn().await;
        started.elapsed()
    }

    pub async fn conn(&self) -> MultiplexedConnection {
        let client = redis::Client::open(self.url()).expect("redis url");
        client.get_multiplexed_async_connection().await.expect("connect to redis")
    }

    async fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server (is it installed and on PATH?)");
        self.server = Some(ChildGuard { child });
        let client = redis::Client::open(self.url()).expect("redis url");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
                // A server still loading its AOF answers PING with -LOADING.
                let pong: redis::RedisResult<String> = redis::cmd("PING").query_async(&mut conn).await;
                if pong.is_ok() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "redis-server on port {} did not answer within 20 s", self.port);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
