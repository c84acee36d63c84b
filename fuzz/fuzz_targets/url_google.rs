//! Arbitrary text as a Google Meet link, through the plugin's own `normalize_url`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use meetbot_fuzz::normalized_url::check;
use meetbot_plugin_google::{GoogleMeet, PROVIDER, url::MEET_HOST};
use meetbot_plugin_kit::Plugin;

fuzz_target!(|input: &str| {
    check(input, |url| GoogleMeet::normalize_url(PROVIDER, url), |host| host == MEET_HOST);
});
