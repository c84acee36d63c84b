//! Browser plumbing every platform plugin needs, on chromiumoxide: attach to the page the host
//! opened, navigate, wait for any of several things with a deadline (driven by DOM mutations, not
//! slow polling), click like a person (real input events, which count as user activation), type
//! into inputs, read counts, watch for changes while in the call, turn switches off, and dismiss
//! known dialogs. [`Signals`] maps what was seen back to what it means for the session.
//!
//! ```ignore
//! let page = MeetingPage::attach(&target).await?;
//! page.goto("https://meet.google.com/abc-defg-hij").await?;
//! let name_field = [Probe::label("Your name")];
//! if page.wait_for(&name_field, Duration::from_secs(10)).await?.is_some() {
//!     page.fill(&name_field, "Notes Bot").await?;
//! }
//! page.click(&[Probe::button("Ask to join"), Probe::button("Join now")]).await?;
//! ```

mod connection;
mod error;
mod page;
mod probe;
mod signals;
mod switch;

pub use connection::MAX_WAIT;
pub use error::KitError;
pub use page::{MeetingPage, Watch};
pub use probe::Probe;
pub use signals::{Hit, Signals};
pub use switch::Switched;
