//! Arbitrary text as a Microsoft Teams link, through the plugin's own `normalize_url`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use meetbot_fuzz::normalized_url::check;
use meetbot_plugin_kit::Plugin;
use meetbot_plugin_microsoft::{MicrosoftTeams, PROVIDERS};

/// The hosts Teams meetings live on (the plugin's own list is private).
const HOSTS: [&str; 2] = ["teams.microsoft.com", "teams.live.com"];

fuzz_target!(|input: &str| {
    check(input, |url| MicrosoftTeams::normalize_url(PROVIDERS[0], url), |host| HOSTS.contains(&host));
});
