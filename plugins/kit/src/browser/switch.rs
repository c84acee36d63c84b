//! Turning a camera or microphone off, the two ways meeting apps draw such controls.
//!
//! - A **switch** shows its state: a checkbox (often a native input drawn transparent over a
//!   styled track), `role="switch"`, or a toggle button with `aria-checked` / `aria-pressed`.
//!   [`MeetingPage::switch_off`] reads that state and clicks only when it is on.
//! - A **labelled toggle** shows its state only in its name, which flips with each click ("Turn
//!   off camera" / "Turn on camera", "Mute" / "Unmute"). [`MeetingPage::toggle_off`] looks for
//!   the off-state name first: names match by substring, so the on-state name "Mute" also matches
//!   a muted microphone's "Unmute", and clicking it blindly would turn the microphone back on.
//!
//! ```ignore
//! let camera = [Probe::css("[data-tid=\"toggle-video\"]"), Probe::role("switch", "Camera")];
//! match page.switch_off(&camera, Duration::from_secs(2)).await? {
//!     Switched::SwitchedOff | Switched::AlreadyOff => {}
//!     other => eprintln!("camera: {other:?}"),
//! }
//! let muted = page.toggle_off(&[Probe::button("Mute")], &[Probe::button("Unmute")], Duration::from_secs(1)).await?;
//! ```

use std::time::Duration;

use serde::Deserialize;

use super::{KitError, MeetingPage, Probe, connection::MAX_WAIT, page::Request};

/// What a control showed, and what turning it off did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switched {
    /// It already showed off; nothing was clicked.
    AlreadyOff,
    /// It showed on, was clicked, and now shows off.
    SwitchedOff,
    /// It was clicked but still showed on at the deadline.
    StillOn,
    /// The control is there but shows no state, so it was left alone.
    NoState,
    /// No such control on the page.
    Absent,
}

/// A switch's state as the page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
struct State {
    /// On, off, or `None` when the control shows no state.
    on: Option<bool>,
}

impl MeetingPage {
    /// Whether the first present of `control` is on: `None` when absent, `Some(None)` when it
    /// shows no state.
    pub async fn switch_state(&self, control: &[Probe]) -> Result<Option<Option<bool>>, KitError> {
        let state: Option<State> = self.run(&Request { op: "switch", probes: control, ..Request::default() }).await?;
        Ok(state.map(|s| s.on))
    }

    /// Turns a switch that shows its state off (see the module docs), waiting up to `settle` for
    /// it to show off after the click.
    pub async fn switch_off(&self, control: &[Probe], settle: Duration) -> Result<Switched, KitError> {
        match self.switch_state(control).await? {
            None => return Ok(Switched::Absent),
            Some(None) => return Ok(Switched::NoState),
            Some(Some(false)) => return Ok(Switched::AlreadyOff),
            Some(Some(true)) => {}
        }
        if !self.click_located(&Request { op: "locate", probes: control, toggle: true, ..Request::default() }).await? {
            return Ok(Switched::Absent);
        }
        let timeout_ms = u64::try_from(settle.min(MAX_WAIT).as_millis()).unwrap_or(u64::MAX);
        let off: bool =
            self.run(&Request { op: "switchedOff", probes: control, timeout_ms, ..Request::default() }).await?;
        Ok(if off { Switched::SwitchedOff } else { Switched::StillOn })
    }

    /// Turns a labelled toggle off (see the module docs): `on` finds it while it is on, `off`
    /// once it is off. Waits up to `settle` after the click for the off-state name (or for the
    /// on-state name to go).
    pub async fn toggle_off(&self, on: &[Probe], off: &[Probe], settle: Duration) -> Result<Switched, KitError> {
        if self.is_present(off).await? {
            return Ok(Switched::AlreadyOff);
        }
        if !self.click(on).await? {
            return Ok(Switched::Absent);
        }
        let landed = self.wait_for(off, settle).await?.is_some() || !self.is_present(on).await?;
        Ok(if landed { Switched::SwitchedOff } else { Switched::StillOn })
    }
}
