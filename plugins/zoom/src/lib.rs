//! meetbot plugin for the Zoom web client (provider `zoom`).
//!
//! Only Zoom knowledge lives here: which links are Zoom meetings and the web-client address they
//! map to ([`url`]), the texts and labels of Zoom's screens in English and German ([`texts`]), what
//! each screen means at each step ([`screens`]), and Zoom's own steps ([`session`]). The kit's
//! session driver runs the session; browser plumbing, the runtime and panic safety are the kit's too.

use abi_stable::export_root_module;
use meetbot_plugin_api::reason;
use meetbot_plugin_api::{PluginRootRef, SessionOutcome, SessionRequest};
use meetbot_plugin_kit::{Host, Manifest, Plugin, export::root_module};

pub mod screens;
pub mod session;
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
        match url::parse(request.url.as_str()) {
            Ok(link) => meetbot_plugin_kit::session::run(session::Session::new(link), request, host).await,
            Err(why) => SessionOutcome::new(reason::INTERNAL_ERROR, format!("unusable meeting URL: {why}")),
        }
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
