//! meetbot platform plugin for Microsoft Teams (provider `microsoft`).
//!
//! The plugin carries only what is specific to Teams: which links are Teams meetings ([`url`]),
//! the texts and attributes of the Teams web client ([`texts`]), what each screen means in each
//! phase ([`screens`]), and Teams' own steps ([`session`]). The kit's session driver runs the
//! session; browser plumbing, the runtime and panic safety are the kit's too.

use abi_stable::export_root_module;
use meetbot_plugin_api::{PluginRootRef, SessionOutcome, SessionRequest};
use meetbot_plugin_kit::{Host, Manifest, Plugin, export::root_module};

pub mod screens;
pub mod session;
pub mod texts;
pub mod url;

/// The providers this plugin serves.
pub const PROVIDERS: [&str; 1] = ["microsoft"];

/// The Microsoft Teams plugin.
pub struct MicrosoftTeams;

impl Plugin for MicrosoftTeams {
    fn manifest() -> Manifest {
        Manifest::new("microsoft-teams", env!("CARGO_PKG_VERSION"), &PROVIDERS)
    }

    fn normalize_url(provider: &str, url: &str) -> Result<String, String> {
        if !PROVIDERS.contains(&provider) {
            return Err(format!("provider `{provider}` is not served by the Microsoft Teams plugin"));
        }
        url::normalize(url).map_err(|e| e.to_string())
    }

    fn meeting_hosts() -> &'static [&'static str] {
        &url::HOSTS
    }

    async fn run(request: SessionRequest, host: Host) -> SessionOutcome {
        meetbot_plugin_kit::session::run(session::Session::default(), request, host).await
    }
}

/// The library's root module.
#[export_root_module]
pub fn get_root_module() -> PluginRootRef {
    root_module::<MicrosoftTeams>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_and_provider_check() {
        let manifest = MicrosoftTeams::manifest();
        assert_eq!(manifest.name, "microsoft-teams");
        assert_eq!(manifest.providers, vec!["microsoft".to_owned()]);
        assert!(manifest.needs_browser);
        assert_eq!(MicrosoftTeams::meeting_hosts(), ["teams.microsoft.com", "teams.live.com"]);
        assert!(MicrosoftTeams::normalize_url("google", "https://teams.live.com/meet/123").is_err());
        assert!(MicrosoftTeams::normalize_url("microsoft", "https://teams.live.com/meet/123").is_ok());
    }
}
