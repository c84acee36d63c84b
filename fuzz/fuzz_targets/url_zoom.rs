//! Arbitrary text as a Zoom link, through the plugin's own `normalize_url`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use meetbot_fuzz::normalized_url::check;
use meetbot_plugin_kit::Plugin;
use meetbot_plugin_zoom::{Zoom, url::PROVIDER};

/// Zoom's domains and their subdomains (the plugin's own check is private).
fn is_zoom_host(host: &str) -> bool {
    ["zoom.us", "zoomgov.com"].iter().any(|domain| {
        host == *domain || host.strip_suffix(domain).is_some_and(|sub| sub.ends_with('.') && sub.len() > 1)
    })
}

fuzz_target!(|input: &str| {
    check(input, |url| Zoom::normalize_url(PROVIDER, url), is_zoom_host);
});
