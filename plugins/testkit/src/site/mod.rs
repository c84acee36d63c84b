//! [`FakeSite`]: the author's fake meeting pages, served over HTTPS at the platform's real host
//! names.
//!
//! A plugin's URL rules accept only its platform's hosts, and the pages it drives may check their
//! own origin, so the fake pages must be served at `https://<real host>/...`. The site listens on
//! 127.0.0.1 on a random port with a self-signed certificate for those names;
//! [`FakeSite::chromium_args`] are the switches that send the browser there
//! (`--host-resolver-rules`) and let it accept the certificate. A request for any other host is
//! refused (421), so a page that wanders off to a host the test did not serve fails loudly.
//!
//! The site runs on a thread and runtime of its own: it works the same whatever runtime (or none)
//! the test uses, and a plugin's runtime never starves it.

mod events;
mod files;
mod hosts;
mod tls;

use std::{net::TcpListener, path::Path, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request, State},
    http::{StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use events::PageEvents;
pub use events::{EVENT_PATH, MAX_BODY, PageEvent};
use hosts::Hosts;
use tokio::time::Instant;

use crate::TestkitError;

/// Fake meeting pages served over HTTPS at real host names. Stops serving when dropped.
pub struct FakeSite {
    hosts: Arc<Hosts>,
    port: u16,
    events: Arc<PageEvents>,
    handle: axum_server::Handle<std::net::SocketAddr>,
}

impl FakeSite {
    /// Serves the static files of `dir` on every host of `hosts` (exact names or `*.domain`):
    /// `/<path>` is that file, anything else the folder's `index.html`; query strings reach the
    /// page untouched.
    pub fn serve_dir(hosts: &[&str], dir: impl AsRef<Path>) -> Result<Self, TestkitError> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(TestkitError::Pages(dir.display().to_string()));
        }
        let pages = Router::new().fallback(get(files::serve)).with_state(dir.to_owned());
        Self::serve_router(hosts, pages)
    }

    /// Serves `router` on every host of `hosts`, for pages that need a server behind them (a
    /// lobby the test admits the bot from, a meeting that ends on cue).
    pub fn serve_router(hosts: &[&str], router: Router) -> Result<Self, TestkitError> {
        let hosts = Arc::new(Hosts::parse(hosts)?);
        let events = Arc::new(PageEvents::default());
        let testkit = Router::new()
            .route(EVENT_PATH, post(events::record).layer(DefaultBodyLimit::max(MAX_BODY)))
            .with_state(Arc::clone(&events));
        let app = router.merge(testkit).layer(middleware::from_fn_with_state(Arc::clone(&hosts), only_served_hosts));
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let tls = tls::config(hosts.names())?;
        let handle = axum_server::Handle::new();
        let serving = handle.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
        std::thread::Builder::new().name(format!("testkit-site-{port}")).spawn(move || {
            runtime.block_on(async move {
                let served = match axum_server::from_tcp_rustls(listener, tls) {
                    Ok(server) => server.handle(serving).serve(app.into_make_service()).await,
                    Err(error) => Err(error),
                };
                if let Err(error) = served {
                    eprintln!("meetbot-plugin-testkit: the fake site on port {port} stopped: {error}");
                }
            });
        })?;
        Ok(Self { hosts, port, events, handle })
    }

    /// The port on 127.0.0.1 the site listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The host names served, as given (lower case).
    pub fn hosts(&self) -> &[String] {
        self.hosts.names()
    }

    /// Whether the site answers for `host`.
    pub fn serves(&self, host: &str) -> bool {
        self.hosts.serves(host)
    }

    /// The Chromium switches that send every served host name to this site and accept its
    /// certificate: `--host-resolver-rules=MAP <host> 127.0.0.1:<port>, ...` and
    /// `--ignore-certificate-errors`.
    pub fn chromium_args(&self) -> Vec<String> {
        let rules: Vec<String> =
            self.hosts.names().iter().map(|host| format!("MAP {host} 127.0.0.1:{}", self.port)).collect();
        vec![format!("--host-resolver-rules={}", rules.join(", ")), "--ignore-certificate-errors".to_owned()]
    }

    /// Every page event so far, in order of arrival.
    pub fn page_events(&self) -> Vec<PageEvent> {
        self.events.all()
    }

    /// The first page event of `kind` (one already there counts), waiting at most `timeout`.
    pub async fn wait_page_event(&self, kind: &str, timeout: Duration) -> Option<PageEvent> {
        self.events.wait(kind, None, timeout).await
    }

    /// The first page event of `kind` that arrived at or after `since`, waiting at most `timeout`.
    pub async fn wait_page_event_since(&self, kind: &str, since: Instant, timeout: Duration) -> Option<PageEvent> {
        self.events.wait(kind, Some(since), timeout).await
    }
}

impl Drop for FakeSite {
    fn drop(&mut self) {
        // The server ends and its thread with it; nothing to wait for.
        self.handle.shutdown();
    }
}

/// Refuses requests for hosts the site does not serve (the `Host` header, as Chromium sends it
/// when `--host-resolver-rules` maps the name here).
async fn only_served_hosts(State(hosts): State<Arc<Hosts>>, request: Request, next: Next) -> Response {
    let host = request
        .uri()
        .host()
        .or_else(|| request.headers().get(header::HOST).and_then(|h| h.to_str().ok()))
        .unwrap_or_default();
    let name = host.split(':').next().unwrap_or_default();
    if hosts.serves(name) {
        next.run(request).await
    } else {
        (StatusCode::MISDIRECTED_REQUEST, format!("this fake site does not serve {name:?}\n")).into_response()
    }
}
