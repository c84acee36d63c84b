//! [`TestkitError`]: what keeps the testkit itself from setting a test up (no Chromium, a port,
//! a bad host name). A plugin's own failures are never this: they are
//! [`crate::ContractBroken`].

/// The testkit could not set up what the test asked for.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    /// No Chromium to launch: browser tests fail with this rather than pass without a browser.
    #[error(
        "no Chromium for the plugin tests: {0}; install it (Debian: apt-get install chromium) or set \
         MEETBOT_TEST_CHROMIUM to its path"
    )]
    ChromiumNotFound(String),
    /// Chromium started but did not come up as a browser the testkit can drive.
    #[error("chromium: {0}")]
    Browser(String),
    /// A host name given to [`crate::FakeSite`] is not one.
    #[error("`{0}` is not a host name (expected a name like meet.example.com or *.example.com)")]
    HostName(String),
    /// A folder of pages that is not there.
    #[error("the pages folder {0} does not exist")]
    Pages(String),
    /// The fake site could not listen, or its certificate could not be made.
    #[error("the fake site: {0}")]
    Site(#[from] std::io::Error),
}
