//! meetbot plugin for the Zoom web client (provider `zoom`).
//!
//! Only Zoom knowledge lives here: which links are Zoom meetings and the web-client address they
//! map to ([`url`]), the texts and labels of Zoom's screens in English and German ([`texts`]), what
//! each screen means at each step ([`screens`]), and the session that drives the page through
//! them ([`flow`]). Browser plumbing, the runtime and panic safety come from `meetbot-plugin-kit`.

use abi_stable::export_root_module;
use meetbot_plugin_api::{PluginRootRef, SessionOutcome, SessionRequest};
use meetbot_plugin_kit::{Host, Manifest, Plugin, export::root_module};

pub mod flow;
pub mod screens;
pub mod texts;
pub mod url;

/// The Zoom plugin.
pub struct Zoom;

impl Plugin for Zoom {
    fn manifest() -> Manifest {
        Manifest::new("zoom", env!("CARGO_PKG_VERSION"), &[url::PROVIDER])
    }

    fn normalize_url(provider: &str, link: &str) -> Result<String, String> {
        if provider != url::PROVIDER {
            return Err(format!("the zoom plugin serves provider `zoom`, not `{provider}`"));
        }
        url::normalize(link).map_err(|e| e.to_string())
    }

    fn meeting_hosts() -> &'static [&'static str] {
        &url::MEETING_HOSTS
    }

    async fn run(request: SessionRequest, host: Host) -> SessionOutcome {
        flow::run(request, host).await
    }
}

/// The library's root module, loaded by the host.
#[export_root_module]
pub fn get_root_module() -> PluginRootRef {
    root_module::<Zoom>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_serves_zoom_with_a_browser() {
        let manifest = Zoom::manifest();
        assert_eq!(manifest.name, "zoom");
        assert_eq!(manifest.providers, vec!["zoom".to_owned()]);
        assert!(manifest.needs_browser);
        assert_eq!(Zoom::meeting_hosts(), ["zoom.us", "*.zoom.us", "zoomgov.com", "*.zoomgov.com"]);
    }

    #[test]
    fn normalize_checks_the_provider() {
        assert!(Zoom::normalize_url("google", "https://zoom.us/j/1234567890").is_err());
        assert_eq!(
            Zoom::normalize_url("zoom", "https://zoom.us/j/1234567890?pwd=x").as_deref(),
            Ok("https://zoom.us/wc/join/1234567890?pwd=x")
        );
    }
}
