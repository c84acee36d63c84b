//! Page-load failures: the meeting page did not load at all.
//!
//! Chromium shows its own error page (`chrome-error://chromewebdata/`) when a navigation fails
//! (DNS, TLS, connection refused). Nothing the platform said, so no platform reason fits: the
//! session ends with `internal_error`, unless the address the browser was sent to already tells
//! what happened (a sign-in redirect whose page failed to load is still a sign-in redirect; see
//! [`super::Platform::address`]).

use crate::Probe;

/// The document is Chromium's error page.
pub const ERROR_PAGE: Probe = Probe::url("chrome-error://");

/// Whether the browser's address is Chromium's error page.
pub fn is_error_page(address: &str) -> bool {
    address.starts_with("chrome-error://")
}

/// Reads the network error code (`ERR_NAME_NOT_RESOLVED`, ...) Chromium's error page shows: its
/// `.error-code` element, else the `errorCode` of the page's own data. Empty when neither is there.
pub const ERROR_CODE_SCRIPT: &str = "(() => { \
    const shown = document.querySelector('.error-code'); \
    if (shown && shown.textContent) return shown.textContent.trim(); \
    try { return String(loadTimeData.getValue('errorCode') || ''); } catch (_) { return ''; } \
})()";

/// What a Chromium network error code means, in words an operator acts on: the name did not
/// resolve, the server refused or reset the connection, TLS failed, or it timed out.
pub fn network_error(code: &str) -> Option<&'static str> {
    let code = code.trim().trim_start_matches("net::");
    let words = match code {
        "ERR_NAME_NOT_RESOLVED" | "ERR_NAME_RESOLUTION_FAILED" | "ERR_DNS_TIMED_OUT" => {
            "the name did not resolve (DNS)"
        }
        "ERR_CONNECTION_REFUSED" => "the connection was refused",
        "ERR_CONNECTION_RESET" | "ERR_CONNECTION_CLOSED" | "ERR_EMPTY_RESPONSE" => "the connection was cut",
        "ERR_TIMED_OUT" | "ERR_CONNECTION_TIMED_OUT" => "the connection timed out",
        "ERR_ADDRESS_UNREACHABLE" | "ERR_INTERNET_DISCONNECTED" | "ERR_NETWORK_CHANGED" => "the network is unreachable",
        // What the error page shows for a name that did not resolve (`DNS_PROBE_FINISHED_NXDOMAIN`,
        // `DNS_PROBE_POSSIBLE`, ...).
        code if code.starts_with("DNS_PROBE_") => "the name did not resolve (DNS)",
        code if code.starts_with("ERR_CERT_") || code.starts_with("ERR_SSL_") => {
            "TLS failed (certificate or handshake)"
        }
        code if code.starts_with("ERR_PROXY_") || code.starts_with("ERR_TUNNEL_") => "the proxy failed",
        _ => return None,
    };
    Some(words)
}

/// An address without its query and fragment, for details (sign-in and redirect addresses carry
/// long continuation parameters, and a query may carry a passcode).
pub fn without_query(address: &str) -> &str {
    address.split(['?', '#']).next().unwrap_or(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_errors_are_named_in_words() {
        assert_eq!(network_error("ERR_NAME_NOT_RESOLVED"), Some("the name did not resolve (DNS)"));
        assert_eq!(network_error("DNS_PROBE_POSSIBLE"), Some("the name did not resolve (DNS)"));
        assert_eq!(network_error("net::ERR_CONNECTION_REFUSED"), Some("the connection was refused"));
        assert_eq!(network_error("ERR_CERT_AUTHORITY_INVALID"), Some("TLS failed (certificate or handshake)"));
        assert_eq!(network_error("ERR_SSL_PROTOCOL_ERROR"), Some("TLS failed (certificate or handshake)"));
        assert_eq!(network_error("ERR_CONNECTION_TIMED_OUT"), Some("the connection timed out"));
        assert_eq!(network_error("ERR_SOMETHING_NEW"), None);
        assert_eq!(network_error(""), None);
    }

    #[test]
    fn recognizes_chromiums_error_page_and_shortens_addresses() {
        assert!(is_error_page("chrome-error://chromewebdata/"));
        assert!(!is_error_page("https://meet.google.com/abc-defg-hij?x=chrome-error://"));
        assert_eq!(
            without_query("https://accounts.google.com/ServiceLogin?continue=x#y"),
            "https://accounts.google.com/ServiceLogin"
        );
    }
}
