//! [`KitError`]: what can go wrong driving a page, and what it means for the session.

use meetbot_plugin_api::{SessionOutcome, reason};

/// Browser plumbing failures. The kit rides out what a live page does on its own (documents
/// replaced by navigations, a DevTools session Chromium dropped); what reaches the plugin is final.
#[derive(Debug, thiserror::Error)]
pub enum KitError {
    /// Talking to the browser failed (it may have died).
    #[error("browser: {0}")]
    Cdp(String),
    /// The page the host opened is not there.
    #[error("page {0} not found in the browser")]
    PageNotFound(String),
    /// The page-side helper returned something unexpected.
    #[error("page script: {0}")]
    Script(String),
    /// The page stayed on `about:blank` after every attempt to open the address.
    #[error("the page did not start loading {0}")]
    NavigationStalled(String),
}

impl KitError {
    /// The session's end reason for this failure: a browser that stopped answering is
    /// `browser_crashed` (the host confirms a real crash on its side), anything else
    /// `internal_error`.
    pub fn reason(&self) -> &'static str {
        match self {
            KitError::Cdp(_) | KitError::PageNotFound(_) => reason::BROWSER_CRASHED,
            KitError::Script(_) | KitError::NavigationStalled(_) => reason::INTERNAL_ERROR,
        }
    }
}

/// A final plumbing failure ends the session with [`KitError::reason`] and the error as the detail,
/// so a session written as `Result<_, SessionOutcome>` can use `?` on kit calls.
impl From<KitError> for SessionOutcome {
    fn from(error: KitError) -> Self {
        SessionOutcome::new(error.reason(), error.to_string())
    }
}

impl From<chromiumoxide::error::CdpError> for KitError {
    fn from(error: chromiumoxide::error::CdpError) -> Self {
        KitError::Cdp(error.to_string())
    }
}

/// Errors that mean "the document changed under us", not "the browser is gone": a page replaced
/// mid-call (redirects, in-app route changes) destroys the execution context, and right after a
/// cross-site redirect the new document has none yet (chromiumoxide then sends the call without
/// one: `-32602 Either objectId or executionContextId or uniqueContextId must be specified`).
pub(super) fn is_between_documents(message: &str) -> bool {
    [
        "Execution context was destroyed",
        "Cannot find context",
        "Inspected target navigated",
        "context with specified id",
        "Either objectId or executionContextId",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

/// Whether Chromium dropped the DevTools session the page was driven through. Seen in about one
/// session in six, within a few hundred milliseconds of attaching: every later call is answered
/// `-32001 Session with given id not found`, while the page itself lives on and a new attachment
/// drives it fine.
pub(super) fn is_lost_session(message: &str) -> bool {
    message.contains("Session with given id not found")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_dead_browser_is_a_crash() {
        assert_eq!(KitError::Cdp("closed".into()).reason(), reason::BROWSER_CRASHED);
        assert_eq!(KitError::Script("bad".into()).reason(), reason::INTERNAL_ERROR);
        assert_eq!(KitError::NavigationStalled("https://x".into()).reason(), reason::INTERNAL_ERROR);
    }

    #[test]
    fn recognizes_the_errors_it_rides_out() {
        assert!(is_between_documents(
            "-32602 Either objectId or executionContextId or uniqueContextId must be specified"
        ));
        assert!(is_lost_session("Error -32001: Session with given id not found."));
        assert!(!is_lost_session("Execution context was destroyed"));
    }
}
