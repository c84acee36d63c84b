//! Properties of a URL a plugin's normalizer returns, the one the bot's browser will open (issue
//! 9, item 2): it parses, is `https`, carries no user name, password or port other than the
//! default, is printable ASCII without a backslash (no control characters or whitespace), has no
//! `..` path segment, its host is one of the plugin's declared meeting hosts (matched the way the
//! host matches them), and normalizing it again gives it back unchanged. Together these are what
//! the host's own check of a normalized URL requires, so a URL passing them is never refused there.

use meetbot_host::plugins::MeetingHosts;
use url::{Host, Url};

/// A plugin's normalizer: its `Plugin::normalize_url` for one provider.
pub type Normalize = fn(&str) -> Result<String, String>;

/// The plugin's declared meeting hosts (`Plugin::meeting_hosts`) as the host reads them.
pub fn declared(hosts: &[&str]) -> MeetingHosts {
    let hosts: Vec<String> = hosts.iter().map(|host| (*host).to_owned()).collect();
    MeetingHosts::parse(&hosts).unwrap_or_else(|why| panic!("the plugin's meeting hosts are refused: {why}"))
}

/// Runs `normalize` on `input` and checks what it returns against the plugin's declared `hosts`.
pub fn check(input: &str, normalize: Normalize, hosts: &MeetingHosts) {
    let Ok(out) = normalize(input) else { return };
    let fail = |property: &str| -> ! { panic!("{property}\n input: {input:?}\noutput: {out:?}") };
    let url = Url::parse(&out).unwrap_or_else(|e| fail(&format!("the URL does not parse ({e})")));
    if url.scheme() != "https" {
        fail("the URL is not https");
    }
    // `https://@host/` has an empty user name the parser forgets; its `@` counts all the same.
    let authority = out.split_once("://").map_or("", |(_, rest)| rest).split(['/', '?', '#']).next().unwrap_or("");
    if !url.username().is_empty() || url.password().is_some() || authority.contains('@') {
        fail("the URL carries a user name or password");
    }
    if url.port().is_some() {
        fail("the URL names a port other than 443");
    }
    if out.chars().any(|c| !c.is_ascii_graphic() || c == '\\') {
        fail("the URL has other characters than printable ASCII, or a backslash");
    }
    if has_dot_dot_segment(&out) {
        fail("the URL has a `..` path segment");
    }
    match url.host() {
        Some(Host::Domain(host)) if hosts.allows(host) => {}
        _ => fail("the URL's host is not one of the plugin's meeting hosts"),
    }
    match normalize(&out) {
        Ok(again) if again == out => {}
        Ok(again) => fail(&format!("normalizing again gives another URL: {again:?}")),
        Err(why) => fail(&format!("normalizing again refuses it: {why}")),
    }
}

/// Whether the path of `text` (as written, before URL parsing resolves it) has a `..` segment,
/// plain or percent-encoded.
fn has_dot_dot_segment(text: &str) -> bool {
    let after_scheme = text.split_once("://").map_or(text, |(_, rest)| rest);
    let Some(start) = after_scheme.find('/') else { return false };
    let path = after_scheme[start..].split(['?', '#']).next().unwrap_or_default();
    path.split(['/', '\\']).any(|segment| {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        decoded == ".."
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_dot_segments_are_seen_plain_encoded_and_with_backslashes() {
        for text in ["https://h/a/../b", "https://h/..", "https://h/a/%2E%2e/b", "https://h/a\\..\\b"] {
            assert!(has_dot_dot_segment(text), "{text}");
        }
        for text in ["https://h/a..b", "https://h/a?x=/../", "https://h/a#/../", "https://h"] {
            assert!(!has_dot_dot_segment(text), "{text}");
        }
    }
}
