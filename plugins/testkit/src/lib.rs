//! # meetbot-plugin-testkit
//!
//! The conformance kit for meetbot platform plugins: test your plugin the way the worker runs it,
//! without the worker. Add it as a dev-dependency, put fake pages of your platform next to your
//! tests, and run scenarios against them in real Chromium over real HTTPS:
//!
//! ```toml
//! [dev-dependencies]
//! meetbot-plugin-testkit = { path = "../meetbot/plugins/testkit" }
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! ```no_run
//! # mod my_plugin { pub struct Jitsi; impl meetbot_plugin_kit::Plugin for Jitsi {
//! #   fn manifest() -> meetbot_plugin_kit::Manifest { unimplemented!() }
//! #   fn normalize_url(_: &str, _: &str) -> Result<String, String> { unimplemented!() }
//! #   fn meeting_hosts() -> &'static [&'static str] { &[] }
//! #   async fn run(_: meetbot_plugin_api::SessionRequest, _: meetbot_plugin_kit::Host) -> meetbot_plugin_api::SessionOutcome { unimplemented!() }
//! # } }
//! use std::time::Duration;
//!
//! use meetbot_plugin_api::reason;
//! use meetbot_plugin_testkit::{FakeSite, Scenario};
//! use my_plugin::Jitsi;
//!
//! #[tokio::test(flavor = "multi_thread")]
//! async fn joins_through_the_lobby_and_leaves_when_asked() {
//!     // tests/pages/index.html is served for every https://meet.jit.si/<room>.
//!     let pages = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pages");
//!     let site = FakeSite::serve_dir(&["meet.jit.si"], pages).unwrap();
//!     let ran = Scenario::new("https://meet.jit.si/TestRoom")
//!         .bot_name("Notes Bot")
//!         .leave_when_in_call_after(Duration::from_secs(1))
//!         .expect_reason(reason::LEFT_NORMALLY)
//!         .run::<Jitsi>(&site)
//!         .await
//!         .unwrap_or_else(|broken| panic!("{broken}"));
//!     assert_eq!(ran.participants().first(), Some(&3));
//! }
//!
//! #[tokio::test(flavor = "multi_thread")]
//! async fn a_denied_bot_says_so() {
//!     let pages = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pages");
//!     let site = FakeSite::serve_dir(&["meet.jit.si"], pages).unwrap();
//!     // The page picks its story from its own address (here the room name: a plugin may drop
//!     // the query when it normalizes the link) and refuses the bot.
//!     Scenario::new("https://meet.jit.si/denied-TestRoom")
//!         .expect_reason(reason::DENIED_ADMISSION)
//!         .run::<Jitsi>(&site)
//!         .await
//!         .unwrap_or_else(|broken| panic!("{broken}"));
//! }
//! ```
//!
//! The pieces, usable on their own:
//!
//! - [`FakeSite`]: your fake pages over HTTPS at the platform's real host names (a folder, or an
//!   axum `Router` for pages that need a server: use the re-exported [`axum`], whose version
//!   the site is built with), and the endpoint your pages report what the bot
//!   did to: `POST /__testkit/event` with `{"kind": "leave_clicked", "detail": ""}`. Post it from
//!   the page's Leave handler with `keepalive` so it survives the page changing:
//!   `fetch('/__testkit/event', {method: 'POST', body: JSON.stringify({kind: 'leave_clicked'}), keepalive: true})`.
//! - [`TestBrowser`]: headless Chromium with the worker's switches, its camera and microphone
//!   granted, and a blank `about:blank` page handed over as the worker hands it (the plugin
//!   navigates). Chromium is found as `MEETBOT_TEST_CHROMIUM` or on PATH; without one the test
//!   fails and says so (it never skips).
//! - [`FakeHost`]: a `HostContext` that records every report and can ask the bot to leave.
//! - [`Scenario`]: one session through the plugin's ABI root module (the FFI path and the
//!   plugin's own runtime, as in the worker), checked against the session contract: the expected
//!   end reason, states in order, `in_call` before any participant count, Leave clicked when
//!   asked in the call, a return within the worker's leave bound (20 s). A failure is a
//!   [`ContractBroken`] whose message lists every [`Breach`] and the session's reports and page
//!   events in time.
//!
//! Browser tests launch Chromium; run them one suite at a time on a shared machine (meetbot's own
//! run under `flock /tmp/meetbot-e2e.lock cargo test ...`).
#![warn(missing_docs)]

pub use axum;

pub mod browser;
mod error;
mod host;
mod scenario;
mod site;

pub use browser::TestBrowser;
pub use error::TestkitError;
pub use host::{FakeHost, Report, Reported};
pub use scenario::{
    Breach, ContractBroken, DEFAULT_TIMEOUT, LEAVE_BOUND, LEAVE_CLICKED, Outcome, REASONS, Ran, Scenario, Trail,
    check_reports,
};
pub use site::{EVENT_PATH, FakeSite, MAX_BODY, PageEvent};
