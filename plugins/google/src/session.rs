//! Google Meet as the kit's session driver sees it: the signals watched in each phase, the
//! decisions of [`crate::machine`], and Meet's own steps (the pre-join form, the lobby that may
//! show "Leave call", a join click the page swallowed). Everything else (racing the host's leave
//! request, deadlines, dialog budgets, the participant count, leaving) is the kit's.

use std::time::Duration;

use meetbot_plugin_api::{SessionState, event, reason};
use meetbot_plugin_kit::{
    Hit, KitError, Probe, Switched,
    session::{Budget, Cx, Next, Platform, SLICE, Step, page_load::without_query},
};
use tokio::time::Instant;

use crate::{
    machine::{self, Phase},
    signals::{self, Signal},
    texts,
};

/// While the lobby shows a "Leave call" button, admission shows only as the lobby's wording going
/// away, which no probe can wait for; it is re-checked at this pace.
const LOBBY_RECHECK: Duration = Duration::from_millis(200);
/// How long the name field may lag behind the join button.
const NAME_FIELD_GRACE: Duration = Duration::from_secs(2);
/// How long the join button may lag behind the name field.
const JOIN_BUTTON_WAIT: Duration = Duration::from_secs(10);
/// Clicks on one device toggle at most.
const MAX_TOGGLE_CLICKS: u32 = 3;
/// How long a device toggle may take to show that a click landed.
const TOGGLE_CONFIRM: Duration = Duration::from_secs(1);
/// Join clicks at most (a click the page swallowed is repeated).
const MAX_JOIN_CLICKS: u32 = 3;
/// How long a join click may stay without visible effect before it is repeated (a join button
/// that becomes clickable only after the name was taken in swallows the first click).
const JOIN_RETRY_AFTER: Duration = Duration::from_secs(2);

/// One Meet session's memory of its own steps.
#[derive(Debug, Default)]
pub struct Session {
    join_clicks: u32,
    last_join_click: Option<Instant>,
    /// This Meet version shows "Leave call" in the lobby, so that button alone is no admission.
    lobby_shows_leave: bool,
}

impl Platform for Session {
    type Phase = Phase;
    type Signal = Signal;

    const NAME: &'static str = "Google Meet";
    const START: Phase = Phase::PreJoin;
    const IN_CALL: Phase = Phase::InCall;

    fn state(phase: Phase) -> SessionState {
        phase.state()
    }

    fn probes(signal: Signal) -> Vec<Probe> {
        signal.probes()
    }

    fn watched(&self, phase: Phase) -> Vec<Signal> {
        signals::watched(phase, self.lobby_shows_leave)
    }

    fn decide(phase: Phase, signal: Signal) -> Step<Phase> {
        machine::decide(phase, signal)
    }

    fn participant_count() -> Vec<Probe> {
        signals::participant_count()
    }

    fn leave_control() -> Vec<Probe> {
        let mut probes = signals::leave_button();
        probes.push(texts::LEAVE_BUTTON_JSNAME);
        probes
    }

    fn leave_confirm() -> Vec<Probe> {
        Signal::LeaveConfirm.probes()
    }

    fn budget(signal: Signal) -> Budget {
        match signal {
            // Seen at every lobby check; it is the admission, not a dialog.
            Signal::InCall => Budget::UNLIMITED,
            _ => Budget::DIALOG,
        }
    }

    fn slice(&self, phase: Phase) -> Duration {
        match phase {
            // The button is there all along: only its context tells admission.
            Phase::Lobby if self.lobby_shows_leave => LOBBY_RECHECK,
            // A join click the page did not take shows as nothing happening.
            Phase::Asked => JOIN_RETRY_AFTER,
            _ => SLICE,
        }
    }

    fn address(&self, address: &str) -> Option<(&'static str, String)> {
        is_sign_in(address).then(|| {
            let detail = format!("Google Meet sent the bot to Google's sign-in page ({})", without_query(address));
            (reason::SIGN_IN_REQUIRED, detail)
        })
    }

    async fn act(&mut self, cx: &Cx<'_>, phase: Phase, hit: Hit<Signal>) -> Result<Next<Phase>, KitError> {
        match hit.tag {
            Signal::InCall => {
                if !cx.page.is_present(&texts::LOBBY.as_text()).await? {
                    return Ok(Next::Enter(Phase::InCall));
                }
                cx.host.debug("the lobby shows a Leave call button; waiting for its wording to go away");
                self.lobby_shows_leave = true;
                Ok(Next::Enter(Phase::Lobby))
            }
            Signal::DevicesDialog => {
                if cx.page.click(&[hit.probe]).await? {
                    cx.host.event(event::DIALOG_DISMISSED, hit.probe.value());
                }
                if phase == Phase::Asked && self.join_clicks < MAX_JOIN_CLICKS {
                    self.click_join(cx, Duration::ZERO).await?;
                }
                Ok(Next::Wait)
            }
            _ => {
                self.prepare_and_join(cx).await?;
                Ok(Next::Enter(Phase::Asked))
            }
        }
    }

    async fn quiet(&mut self, cx: &Cx<'_>, phase: Phase) -> Result<Next<Phase>, KitError> {
        match phase {
            Phase::Lobby => {
                if cx.page.is_present(&texts::LOBBY.as_text()).await? {
                    return Ok(Next::Seen);
                }
                if self.lobby_shows_leave && cx.page.is_present(&signals::leave_button()).await? {
                    return Ok(Next::Enter(Phase::InCall));
                }
                if cx.page.is_present(&texts::LOBBY_HEADING.as_text()).await? {
                    return Ok(Next::Seen);
                }
            }
            Phase::Asked => {
                let stale = self.last_join_click.is_none_or(|at| at.elapsed() >= JOIN_RETRY_AFTER);
                if stale && self.join_clicks < MAX_JOIN_CLICKS {
                    cx.host.debug("the join click had no visible effect; clicking again");
                    self.click_join(cx, Duration::ZERO).await?;
                }
            }
            Phase::PreJoin | Phase::InCall => {}
        }
        Ok(Next::Wait)
    }

    async fn before_leave(&mut self, cx: &Cx<'_>) -> Result<(), KitError> {
        cx.page.dismiss(&texts::NOTICE_DISMISS.as_button()).await?;
        dismiss_devices_dialog(cx).await
    }

    fn progress(&self) -> String {
        format!("{} join click(s)", self.join_clicks)
    }
}

impl Session {
    /// The pre-join screen: the name exactly as given, camera and microphone off, ask to join.
    async fn prepare_and_join(&mut self, cx: &Cx<'_>) -> Result<(), KitError> {
        dismiss_devices_dialog(cx).await?;
        let name_field = signals::name_field();
        if cx.page.wait_for(&name_field, NAME_FIELD_GRACE).await?.is_some() {
            if cx.page.fill(&name_field, cx.name).await? {
                cx.host.event(event::NAME_TYPED, cx.name);
            } else {
                cx.host.warn("the name field could not be focused");
            }
        } else {
            cx.host.info("no name field on the pre-join screen; joining without typing a name");
        }
        devices_off(cx).await?;
        // The dialog can arrive late and would swallow the join click.
        dismiss_devices_dialog(cx).await?;
        self.click_join(cx, JOIN_BUTTON_WAIT).await
    }

    /// Clicks the first join button within `wait`.
    async fn click_join(&mut self, cx: &Cx<'_>, wait: Duration) -> Result<(), KitError> {
        let buttons = texts::JOIN_BUTTONS.as_button();
        let Some(button) = cx.page.wait_for(&buttons, wait).await?.and_then(|i| buttons.get(i).copied()) else {
            cx.host.warn("no join button to click");
            return Ok(());
        };
        self.join_clicks += 1;
        self.last_join_click = Some(Instant::now());
        if cx.page.click(&[button]).await? {
            cx.host.event(event::JOIN_CLICKED, button.value());
        }
        Ok(())
    }
}

/// Turns camera and microphone off. A click only counts once the toggle shows it landed: the
/// devices dialog can come up at any moment and take a click meant for a toggle.
async fn devices_off(cx: &Cx<'_>) -> Result<(), KitError> {
    let toggles = [
        (texts::CAMERA_IS_ON, texts::CAMERA_IS_OFF, event::CAMERA_OFF),
        (texts::MICROPHONE_IS_ON, texts::MICROPHONE_IS_OFF, event::MIC_OFF),
    ];
    for (on, off, kind) in toggles {
        let (on, off) = (on.as_button(), off.as_button());
        for _ in 0..MAX_TOGGLE_CLICKS {
            dismiss_devices_dialog(cx).await?;
            match cx.page.toggle_off(&on, &off, TOGGLE_CONFIRM).await? {
                Switched::SwitchedOff => {
                    cx.host.event(kind, "");
                    break;
                }
                Switched::StillOn => {}
                Switched::AlreadyOff | Switched::Absent | Switched::NoState => break,
            }
        }
    }
    let mut still_on = texts::CAMERA_IS_ON.as_button();
    still_on.extend(texts::MICROPHONE_IS_ON.as_button());
    if cx.page.is_present(&still_on).await? {
        cx.host.warn("camera or microphone could not be turned off before joining");
    }
    Ok(())
}

async fn dismiss_devices_dialog(cx: &Cx<'_>) -> Result<(), KitError> {
    if cx.page.click(&texts::CONTINUE_WITHOUT_DEVICES.as_button()).await? {
        cx.host.event(event::DIALOG_DISMISSED, "");
    }
    Ok(())
}

/// Whether the browser is on Google's sign-in host.
fn is_sign_in(address: &str) -> bool {
    address.starts_with("https://accounts.google.com/") || address.starts_with("http://accounts.google.com/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_is_recognized_by_host_not_by_parameters() {
        let session = Session::default();
        let (why, detail) = session
            .address("https://accounts.google.com/v3/signin/identifier?continue=https%3A%2F%2Fmeet.google.com")
            .expect("a sign-in redirect");
        assert_eq!(why, reason::SIGN_IN_REQUIRED);
        assert!(detail.ends_with("(https://accounts.google.com/v3/signin/identifier)"), "{detail}");
        assert_eq!(session.address("https://meet.google.com/abc-defg-hij?continue=https://accounts.google.com/"), None);
    }

    #[test]
    fn the_lobby_is_rechecked_quickly_only_when_it_shows_leave_call() {
        let mut session = Session::default();
        assert_eq!(session.slice(Phase::Lobby), SLICE);
        session.lobby_shows_leave = true;
        assert_eq!(session.slice(Phase::Lobby), LOBBY_RECHECK);
        assert!(!session.watched(Phase::Lobby).contains(&Signal::InCall));
        assert_eq!(session.slice(Phase::Asked), JOIN_RETRY_AFTER);
    }
}
