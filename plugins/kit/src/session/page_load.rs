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

/// An address without its query and fragment, for details (sign-in and redirect addresses carry
/// long continuation parameters, and a query may carry a passcode).
pub fn without_query(address: &str) -> &str {
    address.split(['?', '#']).next().unwrap_or(address)
}

#[cfg(test)]
mod tests {
    use super::*;

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
