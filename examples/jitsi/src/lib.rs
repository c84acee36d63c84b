//! meetbot platform plugin for Jitsi Meet (provider `jitsi`), built outside meetbot's workspace.
//!
//! The plugin carries only what is specific to Jitsi: which hosts are Jitsi ([`hosts`], from
//! `MEETBOT_JITSI_HOSTS`), which links are meetings and their normal form ([`url`]), the texts and
//! labels the Jitsi web client shows ([`texts`]), what each of them means in each phase of a
//! session ([`signals`], [`machine`]), and Jitsi's own steps ([`session`]). The kit's session
//! driver runs the session; browser plumbing, the runtime and panic safety are the kit's too.

use abi_stable::export_root_module;
use meetbot_plugin_api::{PluginRootRef, SessionOutcome, SessionRequest};
use meetbot_plugin_kit::{Host, Manifest, Plugin, export::root_module};

pub mod hosts;
pub mod machine;
pub mod session;
pub mod signals;
pub mod texts;
pub mod url;

/// The provider value jobs name to be run by this plugin.
pub const PROVIDER: &str = "jitsi";

/// The Jitsi Meet plugin.
pub struct JitsiMeet;

impl Plugin for JitsiMeet {
    fn manifest() -> Manifest {
        Manifest::new("jitsi-meet", env!("CARGO_PKG_VERSION"), &[PROVIDER])
    }

    fn normalize_url(provider: &str, url: &str) -> Result<String, String> {
        if provider != PROVIDER {
            return Err(url::UrlError::Provider(provider.to_owned()).to_string());
        }
        match hosts::configured() {
            Ok(hosts) => url::normalize(url, hosts).map_err(|e| e.to_string()),
            Err(why) => Err(url::UrlError::NoHosts(why.to_string()).to_string()),
        }
    }

    fn meeting_hosts() -> &'static [&'static str] {
        hosts::declared()
    }

    async fn run(request: SessionRequest, host: Host) -> SessionOutcome {
        meetbot_plugin_kit::session::run(session::Session::default(), request, host).await
    }
}

/// The library's root module, loaded by the host.
#[export_root_module]
pub fn get_root_module() -> PluginRootRef {
    root_module::<JitsiMeet>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_names_the_provider_and_needs_a_browser() {
        let manifest = JitsiMeet::manifest();
        assert_eq!(manifest.name, "jitsi-meet");
        assert_eq!(manifest.providers, vec!["jitsi".to_owned()]);
        assert!(manifest.needs_browser);
    }

    #[test]
    fn validation_goes_through_the_provider_check_and_the_configured_hosts() {
        // The tests run without MEETBOT_JITSI_HOSTS: the default host.
        assert_eq!(JitsiMeet::meeting_hosts(), ["meet.jit.si"]);
        assert_eq!(
            JitsiMeet::normalize_url("jitsi", "meet.jit.si/Weekly?jwt=x").as_deref(),
            Ok("https://meet.jit.si/Weekly")
        );
        let other = JitsiMeet::normalize_url("google", "https://meet.jit.si/Weekly").expect_err("another provider");
        assert!(other.contains("provider `google`"), "{other}");
    }
}
