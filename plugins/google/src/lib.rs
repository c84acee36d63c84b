//! meetbot platform plugin for Google Meet (provider `google`).
//!
//! The plugin carries only what is specific to Meet: which links are Meet links and their normal
//! form ([`url`]), the texts and labels Meet shows ([`texts`]), what each of them means in each
//! phase of a session ([`signals`], [`machine`]), and Meet's own steps ([`session`]). The kit's
//! session driver runs the session; browser plumbing, the runtime and panic safety are the kit's too.

use abi_stable::export_root_module;
use meetbot_plugin_api::{PluginRootRef, SessionOutcome, SessionRequest};
use meetbot_plugin_kit::{Host, Manifest, Plugin, export::root_module};

pub mod machine;
pub mod session;
pub mod signals;
pub mod texts;
pub mod url;

/// The provider value jobs name to be run by this plugin.
pub const PROVIDER: &str = "google";

/// The Google Meet plugin.
pub struct GoogleMeet;

impl Plugin for GoogleMeet {
    fn manifest() -> Manifest {
        Manifest::new("google-meet", env!("CARGO_PKG_VERSION"), &[PROVIDER])
    }

    fn normalize_url(provider: &str, url: &str) -> Result<String, String> {
        if provider != PROVIDER {
            return Err(url::UrlError::Provider(provider.to_owned()).to_string());
        }
        url::normalize(url).map_err(|e| e.to_string())
    }

    fn meeting_hosts() -> &'static [&'static str] {
        &[url::MEET_HOST]
    }

    async fn run(request: SessionRequest, host: Host) -> SessionOutcome {
        meetbot_plugin_kit::session::run(session::Session::default(), request, host).await
    }
}

/// The library's root module, loaded by the host.
#[export_root_module]
pub fn get_root_module() -> PluginRootRef {
    root_module::<GoogleMeet>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_names_the_provider_and_needs_a_browser() {
        let manifest = GoogleMeet::manifest();
        assert_eq!(manifest.name, "google-meet");
        assert_eq!(manifest.providers, vec!["google".to_owned()]);
        assert!(manifest.needs_browser);
        assert_eq!(GoogleMeet::meeting_hosts(), ["meet.google.com"]);
    }

    #[test]
    fn validation_goes_through_the_provider_check() {
        assert_eq!(
            GoogleMeet::normalize_url("google", "meet.google.com/ABC-DEFG-HIJ?authuser=0").as_deref(),
            Ok("https://meet.google.com/abc-defg-hij")
        );
        assert!(GoogleMeet::normalize_url("zoom", "https://meet.google.com/abc-defg-hij").is_err());
    }
}
