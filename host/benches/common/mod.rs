//! What the benches share: child processes that die with the bench, a private Redis, free ports,
//! the worker's health probe, the binary's folder of its own (shared with the tests), the worker harness (and a worker with the scripted test plugin on
//! it), memory figures, and the machine's cost of waking a thread.
#![allow(dead_code, unused_imports)] // each bench uses a part

#[path = "../../tests/support/private_bin.rs"]
mod private_bin;
mod procfs;
mod scripted;
pub mod wakeup;
mod worker;

pub use private_bin::{install_owner_only, private_folder};
pub use procfs::{pss, rss, rss_anon};
pub use scripted::{scripted_worker, worker_binary};
pub use worker::{WorkDir, Worker, install_plugin, signal, worker_command};

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use redis::aio::MultiplexedConnection;

/// Kills and reaps a child process when dropped.
pub struct ChildGuard {
    pub child: Child,
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

/// A private, non-persistent Redis on a free port.
pub struct Redis {
    pub port: u16,
    pub client: redis::Client,
    _guard: ChildGuard,
}

impl Redis {
    pub async fn start() -> Self {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server (is it installed and on PATH?)");
        let guard = ChildGuard { child };
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).expect("redis url");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
                let pong: redis::RedisResult<String> = redis::cmd("PING").query_async(&mut conn).await;
                if pong.is_ok() {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "redis-server on port {port} did not answer PING within 10 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self { port, client, _guard: guard }
    }

    /// A connection whose replies may take long: on a loaded machine the client's default 500 ms
    /// would fail a bench that only measures.
    pub async fn conn(&self) -> MultiplexedConnection {
        let config = redis::AsyncConnectionConfig::new().set_response_timeout(Some(Duration::from_secs(60)));
        self.client.get_multiplexed_async_connection_with_config(&config).await.expect("connect to redis")
    }

    pub async fn flush(&self) {
        let _: () = redis::cmd("FLUSHALL").query_async(&mut self.conn().await).await.expect("FLUSHALL");
    }
}

/// Whether `GET /health` answers 200.
pub fn health(addr: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200")
}
