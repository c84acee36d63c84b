//! Arbitrary text as a Microsoft Teams link, through the plugin's own `normalize_url`, checked
//! against its own declared meeting hosts.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use meetbot_fuzz::normalized_url::{check, declared};
use meetbot_host::plugins::MeetingHosts;
use meetbot_plugin_kit::Plugin;
use meetbot_plugin_microsoft::{MicrosoftTeams, PROVIDERS};

static HOSTS: LazyLock<MeetingHosts> = LazyLock::new(|| declared(MicrosoftTeams::meeting_hosts()));

fuzz_target!(|input: &str| {
    check(input, |url| MicrosoftTeams::normalize_url(PROVIDERS[0], url), &HOSTS);
});
