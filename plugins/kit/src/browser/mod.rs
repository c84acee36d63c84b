//! Browser plumbing every platform plugin needs, on chromiumoxide: attach to the page the host
//! opened, navigate, wait for any of several things with a deadline (driven by DOM mutations, not
//! slow polling), click like a person (real input events, which count as user activation), type
//! into inputs, read counts, watch for changes while in the call, turn switches off, and dismiss
//! known dialogs. [`Signals`] maps what was seen back to what it means for the session.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use meetbot_plugin_kit::api::{SessionOutcome, SessionRequest, SessionState, reason};
//! use meetbot_plugin_kit::{Host, KitError, MAX_WAIT, MeetingPage, Phrase, Probe, Signals};
//!
//! const DENIED: Phrase = Phrase::new(&[("en", &["You were denied access"]), ("de", &["Zugriff verweigert"])]);
//! const LEAVE: Phrase = Phrase::new(&[("en", &["Leave"]), ("de", &["Verlassen"])]);
//!
//! #[derive(Clone, Copy)]
//! enum Screen { Denied, InCall }
//!
//! async fn session(request: SessionRequest, host: Host) -> Result<SessionOutcome, KitError> {
//!     let Some(target) = request.browser.as_ref().into_option() else {
//!         return Ok(SessionOutcome::new(reason::INTERNAL_ERROR, "no browser page"));
//!     };
//!     let page = MeetingPage::attach(target).await?;
//!     page.goto(request.url.as_str()).await?;
//!     let name = [Probe::label("Your name")];
//!     if page.wait_for(&name, Duration::from_secs(10)).await?.is_some() {
//!         page.fill(&name, request.bot_name.as_str()).await?;
//!     }
//!     page.toggle_off(&[Probe::button("Mute")], &[Probe::button("Unmute")], Duration::from_secs(1)).await?;
//!     page.click(&[Probe::button("Join now")]).await?;
//!     host.state(SessionState::WaitingRoom);
//!
//!     let mut screens = Signals::new();
//!     screens.push(Screen::Denied, DENIED.as_text()).push(Screen::InCall, LEAVE.as_button());
//!     loop {
//!         match screens.wait(&page, MAX_WAIT).await? {
//!             Some(hit) if matches!(hit.tag, Screen::Denied) => {
//!                 return Ok(SessionOutcome::new(reason::DENIED_ADMISSION, hit.probe.describe()));
//!             }
//!             Some(_) => break,
//!             None if host.leave_requested() => return Ok(SessionOutcome::new(reason::LEFT_NORMALLY, "")),
//!             None => {}
//!         }
//!     }
//!     host.state(SessionState::InCall);
//!     let people = [Probe::label("People")];
//!     let mut last = None;
//!     while !host.leave_requested() {
//!         let seen = page.watch(&[], &people, last, MAX_WAIT).await?;
//!         if let Some(count) = seen.count.filter(|c| Some(*c) != last) {
//!             host.participants(count);
//!             last = Some(count);
//!         }
//!     }
//!     page.click(&LEAVE.as_button()).await?;
//!     page.click_when_present(&LEAVE.as_dialog_button(), Duration::from_secs(2)).await?;
//!     Ok(SessionOutcome::new(reason::LEFT_NORMALLY, "left on the host's request"))
//! }
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
