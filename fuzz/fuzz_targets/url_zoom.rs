//! Arbitrary text as a Zoom link, through the plugin's own `normalize_url`, checked against its own
//! declared meeting hosts (Zoom's domains and their subdomains).

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use meetbot_fuzz::normalized_url::{check, declared};
use meetbot_host::plugins::MeetingHosts;
use meetbot_plugin_kit::Plugin;
use meetbot_plugin_zoom::{Zoom, url::PROVIDER};

static HOSTS: LazyLock<MeetingHosts> = LazyLock::new(|| declared(Zoom::meeting_hosts()));

fuzz_target!(|input: &str| {
    check(input, |url| Zoom::normalize_url(PROVIDER, url), &HOSTS);
});
