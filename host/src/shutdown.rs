//! SIGTERM and SIGINT as a stream of shutdown requests: the first starts a graceful shutdown, a
//! second one makes running meetings leave at once.

use tokio::signal::unix::{Signal, SignalKind, signal};

/// The process's termination signals.
pub struct Signals {
    term: Signal,
    int: Signal,
}

impl Signals {
    /// Installs the handlers; from now on the signals no longer kill the process.
    pub fn install() -> std::io::Result<Self> {
        Ok(Self { term: signal(SignalKind::terminate())?, int: signal(SignalKind::interrupt())? })
    }

    /// Resolves at the next SIGTERM or SIGINT.
    pub async fn next(&mut self) {
        tokio::select! {
            _ = self.term.recv() => tracing::info!("SIGTERM received"),
            _ = self.int.recv() => tracing::info!("SIGINT received"),
        }
    }
}
