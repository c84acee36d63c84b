//! Serving the API's connections with bounds on time and number (docs/REFERENCE.md section 4: "Slow or
//! idle connections are closed; the number of open connections is bounded").
//!
//! `axum::serve` has no knob for any of this, so connections are accepted here and handed to
//! hyper's HTTP/1 connection directly:
//! - at most `api.max_connections` are served at once: the accept loop takes a permit before it
//!   accepts, so connections above the limit wait in the kernel's accept queue until one closes
//!   (and are then served), rather than being accepted and dropped;
//! - hyper closes a connection that has not sent a complete request head within
//!   `api.header_timeout_secs` of opening or of its previous response (its header timer also
//!   runs while a keep-alive connection sits idle, so this is the idle limit too);
//! - a request body must arrive within `api.body_timeout_secs` (enforced where bodies are read,
//!   in `body::JsonObject`), and a response write that stays blocked that long (a client that
//!   does not read) fails the connection ([`WriteDeadline`]).
//!
//! Shutdown stops accepting, lets in-flight requests finish and closes idle connections, waiting
//! at most [`SHUTDOWN_GRACE`] for them.

use std::{
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
    time::Duration,
};

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpListener,
    sync::Semaphore,
    time::Sleep,
};

use crate::config::ApiConfig;

/// How long shutdown waits for open connections to finish their requests. Every phase of a
/// request is bounded by the timeouts above, so this only cuts a handler that hangs.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The connection limits, from `[api]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once.
    pub max_connections: usize,
    /// Time for a complete request head (and idle time between requests).
    pub header_timeout: Duration,
    /// Time for a whole request body; also how long a response write may stay blocked.
    pub body_timeout: Duration,
}

impl Limits {
    /// The limits `api` configures.
    pub fn of(api: &ApiConfig) -> Self {
        Self {
            max_connections: api.max_connections.max(1),
            header_timeout: Duration::from_secs(api.header_timeout_secs),
            body_timeout: Duration::from_secs(api.body_timeout_secs),
        }
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` resolves, then drains.
pub async fn serve(
    router: Router,
    listener: TcpListener,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    pause_after_accept_error(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small JSON answers: do not hold them back waiting for more to send.
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(WriteDeadline::new(stream, limits.body_timeout));
        let connection = http.serve_connection(io, TowerToHyperService::new(router.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                // Timeouts, resets and malformed requests: the client's problem, not the worker's.
                tracing::debug!(%error, "REST connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("REST connections still open after {} s; closing them", SHUTDOWN_GRACE.as_secs());
    }
    Ok(())
}

/// After a failed accept: errors about one connection (reset before it was accepted) are nothing;
/// others (out of file descriptors) would fail again at once, so wait a moment, as axum does.
async fn pause_after_accept_error(error: &io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(error.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::warn!(%error, "REST API cannot accept connections; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// A connection's stream whose writes fail once they have been blocked for `limit` in a row: a
/// client that sends requests but never reads the answers would otherwise hold its connection,
/// and its slot, forever (no read timeout runs while hyper waits to write).
pub struct WriteDeadline<S> {
    inner: S,
    limit: Duration,
    blocked_since: Option<Pin<Box<Sleep>>>,
}

impl<S> WriteDeadline<S> {
    /// `inner`, whose writes may stay blocked for at most `limit`.
    pub fn new(inner: S, limit: Duration) -> Self {
        Self { inner, limit, blocked_since: None }
    }

    /// Tracks the outcome of one write-side poll: progress clears the timer, `Pending` starts it
    /// (or checks it) and turns into an error once it has run out.
    fn track<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.blocked_since = None;
            return poll;
        }
        let limit = self.limit;
        let timer = self.blocked_since.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        ready!(timer.as_mut().poll(cx));
        Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the client did not read the response in time")))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteDeadline<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.track(cx, poll)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.track(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.track(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.track(cx, poll)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;

    use super::*;

    #[tokio::test]
    async fn a_write_nobody_reads_fails_after_the_limit() {
        // A 64-byte pipe whose far end is never read: the second write blocks for good.
        let (near, _far) = tokio::io::duplex(64);
        let mut stream = WriteDeadline::new(near, Duration::from_millis(200));
        stream.write_all(&[0; 64]).await.expect("fits the pipe");
        let blocked = tokio::time::timeout(Duration::from_secs(10), stream.write_all(&[0; 64])).await;
        let error = blocked.expect("the write gives up by itself").expect_err("a blocked write fails");
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn a_write_the_client_reads_in_time_succeeds() {
        let (near, mut far) = tokio::io::duplex(64);
        let mut stream = WriteDeadline::new(near, Duration::from_secs(5));
        let reader = tokio::spawn(async move {
            let mut all = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut far, &mut all).await.map(|_| all.len())
        });
        stream.write_all(&[1; 1000]).await.expect("written while read");
        stream.shutdown().await.expect("shut down");
        drop(stream);
        assert_eq!(reader.await.expect("reader").expect("read"), 1000);
    }
}
