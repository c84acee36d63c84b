//! Exporting a plugin: the root module, the plugin's own runtime, and panic safety.
//!
//! Each plugin library carries its own copy of tokio. A future that uses tokio timers or sockets
//! panics with "no reactor running" when the host's runtime polls it, so sessions run on a runtime
//! owned by the library and the host only awaits their join handle. A panic unwinding out of an
//! `extern "C"` function aborts the host, so every entry point catches panics and turns them into
//! errors: `plugin_crashed` for a session, a refusal for URL validation, no meeting hosts (which the
//! host refuses the plugin for) for the host list.

use std::{
    any::Any,
    future::Future,
    panic::{AssertUnwindSafe, catch_unwind},
    sync::OnceLock,
};

use abi_stable::{
    prefix_type::PrefixTypeTrait,
    std_types::{RResult, RStr, RString, RVec},
};
use async_ffi::{FfiFuture, FutureExt};
use meetbot_plugin_api::{
    HostContextBox, PluginManifest, PluginRoot, PluginRootRef, SessionOutcome, SessionRequest, reason,
};
use tokio::runtime::Runtime;

use crate::{Host, Manifest};

/// A platform plugin in plain Rust. [`root_module`] turns it into the ABI root module.
pub trait Plugin: 'static {
    /// The plugin's self-description.
    fn manifest() -> Manifest;

    /// Validates and normalizes a meeting link for `provider`.
    fn normalize_url(provider: &str, url: &str) -> Result<String, String>;

    /// The hosts the URLs [`Plugin::normalize_url`] returns may point at: exact host names
    /// (`meet.google.com`) or `*.` and a domain for any of its subdomains (`*.zoom.us`). The host
    /// refuses a plugin that declares none, and refuses every normalized URL on another host.
    fn meeting_hosts() -> &'static [&'static str];

    /// Runs one session to its end; runs on the plugin's own runtime.
    fn run(request: SessionRequest, host: Host) -> impl Future<Output = SessionOutcome> + Send + 'static;
}

/// The root module for plugin `P`: return it from your `#[export_root_module]` function.
pub fn root_module<P: Plugin>() -> PluginRootRef {
    PluginRoot {
        manifest: manifest::<P>,
        normalize_url: normalize_url::<P>,
        run: run::<P>,
        meeting_hosts: meeting_hosts::<P>,
    }
    .leak_into_prefix()
}

/// The runtime every session of this library runs on, started on first use. One worker thread:
/// sessions wait on their pages and compute little, and every hop between a second worker, this
/// one and the host is a thread wake-up (measured: 15-20% of a no-op job's cost at intake on
/// 2 cores). A session must never block it; blocking or CPU-heavy work goes to
/// `tokio::task::spawn_blocking`.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("meetbot-plugin")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start the plugin runtime: {e}"))
    })
}

extern "C" fn manifest<P: Plugin>() -> PluginManifest {
    catch_unwind(P::manifest).map(Into::into).unwrap_or_else(|panic| {
        Manifest {
            name: format!("broken plugin: manifest panicked: {}", panic_text(&*panic)),
            version: String::new(),
            providers: Vec::new(),
            needs_browser: false,
        }
        .into()
    })
}

extern "C" fn normalize_url<P: Plugin>(provider: RStr<'_>, url: RStr<'_>) -> RResult<RString, RString> {
    let result = catch_unwind(|| P::normalize_url(provider.as_str(), url.as_str()))
        .unwrap_or_else(|panic| Err(format!("the plugin crashed validating the URL: {}", panic_text(&*panic))));
    match result {
        Ok(url) => RResult::ROk(url.into()),
        Err(why) => RResult::RErr(why.into()),
    }
}

extern "C" fn meeting_hosts<P: Plugin>() -> RVec<RString> {
    // A panic declares nothing, and the host refuses a plugin that declares no hosts.
    catch_unwind(P::meeting_hosts)
        .map(|hosts| hosts.iter().map(|host| RString::from(*host)).collect())
        .unwrap_or_default()
}

extern "C" fn run<P: Plugin>(request: SessionRequest, host: HostContextBox) -> FfiFuture<SessionOutcome> {
    let spawned = catch_unwind(AssertUnwindSafe(|| runtime().spawn(P::run(request, Host::new(host)))));
    async move {
        match spawned {
            Ok(handle) => match handle.await {
                Ok(outcome) => outcome,
                Err(e) if e.is_panic() => crashed(&*e.into_panic()),
                Err(e) => SessionOutcome::new(reason::PLUGIN_CRASHED, format!("session task ended: {e}")),
            },
            Err(panic) => crashed(&*panic),
        }
    }
    .into_ffi()
}

fn crashed(panic: &(dyn Any + Send)) -> SessionOutcome {
    SessionOutcome::new(reason::PLUGIN_CRASHED, format!("plugin panicked: {}", panic_text(panic)))
}

fn panic_text(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-text panic payload".to_owned())
}
