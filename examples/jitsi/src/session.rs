//! Jitsi Meet as the kit's session driver sees it: the signals of each phase ([`crate::signals`]),
//! their meaning ([`crate::machine`]), and Jitsi's own steps: the address opened (with the toolbar
//! kept visible), the prejoin form (name, microphone and camera off, Join), a join click the page
//! did not take, and the lobby's texts checked between waits. Racing the host's leave request,
//! deadlines, budgets, the participant count and leaving (hang up, "Leave meeting" when a
//! moderator's menu asks) are the kit's.

use std::time::Duration;

use meetbot_plugin_api::{SessionState, event};
use meetbot_plugin_kit::tokio::time::Instant;
use meetbot_plugin_kit::{
    Hit, KitError, Probe, Switched,
    session::{Cx, Next, Platform, SLICE, Step},
};

use crate::{
    machine::{self, Phase},
    signals::{self, Signal},
    texts,
};

/// Jitsi hides its toolbar (hang-up and participants buttons included) after a few seconds
/// without mouse movement. This client setting, which Jitsi lets a link override (`toolbarConfig`
/// is in jitsi-meet's `react/features/base/config/configWhitelist.ts`), keeps it drawn, so the
/// count stays readable and Leave clickable.
pub const TOOLBAR_ALWAYS_VISIBLE: &str = "#config.toolbarConfig.alwaysVisible=true";

/// How long the name field may lag behind the join button.
const NAME_FIELD_GRACE: Duration = Duration::from_secs(2);
/// How long the join button may lag behind the name field.
const JOIN_BUTTON_WAIT: Duration = Duration::from_secs(10);
/// How long a toggle may take to show that a click landed.
const TOGGLE_CONFIRM: Duration = Duration::from_secs(1);
/// Clicks on one device toggle at most.
const MAX_TOGGLE_CLICKS: u32 = 3;
/// Join clicks at most (a click the page swallowed is repeated).
const MAX_JOIN_CLICKS: u32 = 3;
/// How long a join click may stay without visible effect before it is repeated.
const JOIN_RETRY_AFTER: Duration = Duration::from_secs(2);

/// One Jitsi session's memory of its own steps.
#[derive(Debug, Default)]
pub struct Session {
    join_clicks: u32,
    last_join_click: Option<Instant>,
}

impl Platform for Session {
    type Phase = Phase;
    type Signal = Signal;

    const NAME: &'static str = "Jitsi Meet";
    const START: Phase = Phase::PreJoin;
    const IN_CALL: Phase = Phase::InCall;

    fn state(phase: Phase) -> SessionState {
        phase.state()
    }

    fn probes(signal: Signal) -> Vec<Probe> {
        signal.probes()
    }

    fn watched(&self, phase: Phase) -> Vec<Signal> {
        signals::watched(phase)
    }

    fn decide(phase: Phase, signal: Signal) -> Step<Phase> {
        machine::decide(phase, signal)
    }

    fn participant_count() -> Vec<Probe> {
        texts::participant_count()
    }

    fn leave_control() -> Vec<Probe> {
        signals::hang_up()
    }

    fn leave_confirm() -> Vec<Probe> {
        texts::LEAVE_MEETING.as_button()
    }

    fn address_to_open(&self, url: &str) -> String {
        format!("{url}{TOOLBAR_ALWAYS_VISIBLE}")
    }

    fn slice(&self, phase: Phase) -> Duration {
        // A join click the page did not take shows as nothing happening.
        if phase == Phase::Asked { JOIN_RETRY_AFTER } else { SLICE }
    }

    async fn act(&mut self, cx: &Cx<'_>, _phase: Phase, _hit: Hit<Signal>) -> Result<Next<Phase>, KitError> {
        self.prepare_and_join(cx).await?;
        Ok(Next::Enter(Phase::Asked))
    }

    async fn quiet(&mut self, cx: &Cx<'_>, phase: Phase) -> Result<Next<Phase>, KitError> {
        match phase {
            // Still knocking: what the page shows is known, however long the moderator takes.
            Phase::Lobby => {
                let mut waiting = texts::LOBBY.as_text();
                waiting.extend(texts::WAITING_FOR_MODERATOR.as_text());
                if cx.page.is_present(&waiting).await? {
                    return Ok(Next::Seen);
                }
            }
            Phase::Asked => {
                let stale = self.last_join_click.is_none_or(|at| at.elapsed() >= JOIN_RETRY_AFTER);
                if stale
                    && self.join_clicks < MAX_JOIN_CLICKS
                    && cx.page.is_present(&Signal::JoinButton.probes()).await?
                {
                    cx.host.debug("the join click had no visible effect; clicking again");
                    self.click_join(cx, Duration::ZERO).await?;
                }
            }
            Phase::PreJoin | Phase::InCall => {}
        }
        Ok(Next::Wait)
    }

    fn progress(&self) -> String {
        format!("{} join click(s)", self.join_clicks)
    }
}

impl Session {
    /// The prejoin screen: the name exactly as given, microphone and camera off, ask to join.
    async fn prepare_and_join(&mut self, cx: &Cx<'_>) -> Result<(), KitError> {
        let name_field = signals::name_field();
        if cx.page.wait_for(&name_field, NAME_FIELD_GRACE).await?.is_some() {
            if cx.page.fill(&name_field, cx.name).await? {
                cx.host.event(event::NAME_TYPED, cx.name);
            } else {
                cx.host.warn("the name field could not be focused");
            }
        } else {
            cx.host.info("no name field on the prejoin screen; joining without typing a name");
        }
        devices_off(cx).await?;
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

/// Turns microphone and camera off on the prejoin toolbar. Jitsi names each toggle by what a
/// click does ("Mute" / "Unmute", "Stop camera" / "Start camera"), so the kit's labelled toggle
/// reads the state from the name.
async fn devices_off(cx: &Cx<'_>) -> Result<(), KitError> {
    let toggles = [
        (texts::MICROPHONE_IS_ON, texts::MICROPHONE_IS_OFF, event::MIC_OFF),
        (texts::CAMERA_IS_ON, texts::CAMERA_IS_OFF, event::CAMERA_OFF),
    ];
    for (on, off, kind) in toggles {
        let (on, off) = (on.as_button(), off.as_button());
        let mut switched = Switched::StillOn;
        for _ in 0..MAX_TOGGLE_CLICKS {
            switched = cx.page.toggle_off(&on, &off, TOGGLE_CONFIRM).await?;
            if switched != Switched::StillOn {
                break;
            }
        }
        match switched {
            Switched::SwitchedOff => cx.host.event(kind, ""),
            Switched::StillOn => {
                cx.host.warn(&format!("{kind}: the toggle still shows on after {MAX_TOGGLE_CLICKS} clicks"))
            }
            Switched::AlreadyOff | Switched::Absent | Switched::NoState => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_opened_keeps_the_toolbar_visible() {
        let session = Session::default();
        assert_eq!(
            session.address_to_open("https://meet.jit.si/Weekly"),
            "https://meet.jit.si/Weekly#config.toolbarConfig.alwaysVisible=true"
        );
    }

    #[test]
    fn a_join_click_without_effect_is_retried_at_its_own_pace() {
        let session = Session::default();
        assert_eq!(session.slice(Phase::Asked), JOIN_RETRY_AFTER);
        assert_eq!(session.slice(Phase::Lobby), SLICE);
    }

    #[test]
    fn leaving_clicks_the_hang_up_button_and_confirms_with_leave_meeting_only() {
        assert_eq!(Session::leave_control()[0], Probe::button("Leave the meeting"));
        assert_eq!(Session::leave_confirm(), [Probe::button("Leave meeting")]);
        assert!(Session::participant_count().contains(&Probe::label("Open participants pane")));
    }
}
