//! The session driver: a plugin gives its platform's tables and decisions ([`Platform`]), the
//! kit drives the session ([`run`]).
//!
//! A platform plugin is knowledge: which links are meetings, the texts its screens show per
//! language, which of them mean what in each phase of a session, and the few steps only that
//! platform has. What every platform needs is here, once, so that a new plugin writes none of it:
//!
//! - racing the host's leave request, and leaving the way the phase requires ([`leave`]: nothing
//!   before admission; Leave, confirmations and a screen showing the bot out in the call);
//! - the "nothing recognized for N s" deadline ([`Recognition`], [`Platform::patience`]);
//! - dialog click budgets ([`Budget`], [`Platform::budget`]);
//! - page-load failures (Chromium's error page, [`page_load`]);
//! - the session states and the timeline's shared events (`api::event`), reported when a phase
//!   changes the state;
//! - participant-count watching in the call;
//! - turning plumbing failures ([`crate::KitError`]) into outcomes.
//!
//! ```ignore
//! impl Platform for Meet {
//!     type Phase = Phase;
//!     type Signal = Signal;
//!     const NAME: &'static str = "Google Meet";
//!     const START: Phase = Phase::PreJoin;
//!     const IN_CALL: Phase = Phase::InCall;
//!     fn state(phase: Phase) -> SessionState { /* Joining, WaitingRoom, InCall */ }
//!     fn probes(signal: Signal) -> Vec<Probe> { /* from the phrase tables */ }
//!     fn watched(&self, phase: Phase) -> Vec<Signal> { /* priority order */ }
//!     fn decide(phase: Phase, signal: Signal) -> Step<Phase> { /* the decision table */ }
//!     fn participant_count() -> Vec<Probe> { /* ... */ }
//!     fn leave_control() -> Vec<Probe> { /* ... */ }
//!     fn leave_confirm() -> Vec<Probe> { /* ... */ }
//! }
//! async fn run(request: SessionRequest, host: Host) -> SessionOutcome {
//!     meetbot_plugin_kit::session::run(Meet::default(), request, host).await
//! }
//! ```

mod budget;
mod driver;
pub mod leave;
pub mod page_load;
mod platform;
mod recognition;
#[cfg(test)]
mod toy;

pub use budget::{Budget, Budgets};
pub use driver::run;
pub use platform::{Cx, Next, PATIENCE, Platform, SLICE, Step, signals};
pub use recognition::Recognition;
