//! Arbitrary text as a Google Meet link, through the plugin's own `normalize_url`, checked against
//! its own declared meeting hosts.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use meetbot_fuzz::normalized_url::{check, declared};
use meetbot_host::plugins::MeetingHosts;
use meetbot_plugin_google::{GoogleMeet, PROVIDER};
use meetbot_plugin_kit::Plugin;

static HOSTS: LazyLock<MeetingHosts> = LazyLock::new(|| declared(GoogleMeet::meeting_hosts()));

fuzz_target!(|input: &str| {
    check(input, |url| GoogleMeet::normalize_url(PROVIDER, url), &HOSTS);
});
