//! A Teams session as the kit's session driver sees it: the screens of each phase
//! ([`crate::screens`]), their meaning ([`screens::decide`]), and Teams' own steps: camera and
//! microphone off once, the name, "Join now", a hang-up control that may still be the lobby, a
//! lone "Sign in" that may be a wall, and a lobby message going away. Teams skips, repeats and
//! reorders screens (launcher or not, notices, slow loading), so the pre-join phase reacts to
//! whatever shows next. Racing the host's leave request, deadlines, click budgets and rests, the
//! participant count and leaving are the kit's.

use std::time::Duration;

use meetbot_plugin_api::{SessionState, event, reason};
use meetbot_plugin_kit::{
    Hit, KitError, Probe, Switched,
    session::{Budget, Cx, Next, PATIENCE, Platform, SLICE, Step, signals},
};
use tokio::time::Instant;

use crate::screens::{self, FAILURES, Phase, SIGN_IN_CONFIRM, Screen};

/// How long the device switches may take to appear once the pre-join screen is there.
const SWITCHES_APPEAR: Duration = Duration::from_millis(1500);
/// How long a switch may take to show "off" after the click.
const SWITCH_SETTLES: Duration = Duration::from_secs(2);
/// The hang-up control without a People button counts as the call once the lobby message has not
/// appeared for this long (Teams shows hang-up in the lobby too, and may draw it first).
const HANGUP_CONFIRM: Duration = Duration::from_secs(1);
/// How long the page may take to show what replaced the lobby message.
const LOBBY_GONE_SETTLE: Duration = Duration::from_secs(2);
/// How long a name field drawn after "Join now" may take to show.
const NAME_AFTER_JOIN: Duration = Duration::from_secs(1);
/// How often the lobby message is checked for having gone away.
const LOBBY_RECHECK: Duration = Duration::from_secs(1);

/// Everything the whole join flow can show (used to tell a lone "Sign in" from a wall).
const JOIN_FLOW: [Screen; 7] = [
    Screen::Launcher,
    Screen::Dialog,
    Screen::NameField,
    Screen::JoinButton,
    Screen::Lobby,
    Screen::InCall,
    Screen::Hangup,
];

/// One Teams session's memory of its own steps.
#[derive(Debug, Default)]
pub struct Session {
    media_done: bool,
    name_typed: bool,
    join_clicks: u32,
}

impl Platform for Session {
    type Phase = Phase;
    type Signal = Screen;

    const NAME: &'static str = "Teams";
    const START: Phase = Phase::PreJoin;
    const IN_CALL: Phase = Phase::InCall;

    fn state(phase: Phase) -> SessionState {
        phase.state()
    }

    fn probes(screen: Screen) -> Vec<Probe> {
        screen.probes()
    }

    fn watched(&self, phase: Phase) -> Vec<Screen> {
        screens::watched(phase, self.join_clicks > 0)
    }

    fn decide(phase: Phase, screen: Screen) -> Step<Phase> {
        screens::decide(phase, screen)
    }

    fn participant_count() -> Vec<Probe> {
        screens::people()
    }

    fn leave_control() -> Vec<Probe> {
        Screen::Hangup.probes()
    }

    fn leave_confirm() -> Vec<Probe> {
        Screen::ConfirmLeave.probes()
    }

    fn budget(screen: Screen) -> Budget {
        screens::budget(screen)
    }

    fn slice(&self, phase: Phase) -> Duration {
        if phase == Phase::Lobby { LOBBY_RECHECK } else { SLICE }
    }

    fn patience(phase: Phase) -> Option<Duration> {
        // Teams loads slowly on a cold browser, but a minute without any known screen before
        // joining means the page is not what the plugin knows; the lobby lasts as long as the
        // meeting's organizer lets it.
        (phase == Phase::PreJoin).then_some(PATIENCE)
    }

    async fn act(&mut self, cx: &Cx<'_>, _phase: Phase, hit: Hit<Screen>) -> Result<Next<Phase>, KitError> {
        match hit.tag {
            Screen::Hangup => confirm_hangup(cx).await,
            Screen::SignInButton => {
                if wait(cx, &JOIN_FLOW, SIGN_IN_CONFIRM).await?.is_some() {
                    return Ok(Next::Wait);
                }
                Ok(failed(hit))
            }
            Screen::NameField => {
                self.media_off(cx).await?;
                self.type_name(cx).await?;
                Ok(Next::Wait)
            }
            _ => {
                // A name field drawn after the button still has to be filled first.
                if !self.name_typed && wait(cx, &[Screen::NameField], NAME_AFTER_JOIN).await?.is_some() {
                    self.type_name(cx).await?;
                }
                self.media_off(cx).await?;
                if cx.page.click(&Screen::JoinButton.probes()).await? {
                    self.join_clicks += 1;
                    cx.host.event(event::JOIN_CLICKED, cx.name);
                }
                Ok(Next::Wait)
            }
        }
    }

    async fn quiet(&mut self, cx: &Cx<'_>, phase: Phase) -> Result<Next<Phase>, KitError> {
        if phase != Phase::Lobby {
            return Ok(Next::Wait);
        }
        if cx.page.is_present(&Screen::Lobby.probes()).await? {
            return Ok(Next::Seen);
        }
        // The lobby message went away: see what replaced it.
        let mut after_lobby = FAILURES.to_vec();
        after_lobby.extend([Screen::InCall, Screen::Lobby, Screen::Hangup]);
        Ok(match wait(cx, &after_lobby, LOBBY_GONE_SETTLE).await? {
            Some(hit) if hit.tag == Screen::Lobby => Next::Seen,
            Some(hit) if matches!(hit.tag, Screen::InCall | Screen::Hangup) => Next::Enter(Phase::InCall),
            Some(hit) => failed(hit),
            None => Next::Wait,
        })
    }

    fn progress(&self) -> String {
        format!(
            "name {}, Join now clicked {} time(s)",
            if self.name_typed { "typed" } else { "not typed" },
            self.join_clicks
        )
    }
}

impl Session {
    async fn type_name(&mut self, cx: &Cx<'_>) -> Result<(), KitError> {
        if cx.page.fill(&Screen::NameField.probes(), cx.name).await? {
            self.name_typed = true;
            cx.host.event(event::NAME_TYPED, cx.name);
        }
        Ok(())
    }

    /// Turns camera and microphone off, once, before the name and the join.
    async fn media_off(&mut self, cx: &Cx<'_>) -> Result<(), KitError> {
        if self.media_done {
            return Ok(());
        }
        self.media_done = true;
        let appear_by = Instant::now() + SWITCHES_APPEAR;
        let devices =
            [("camera", event::CAMERA_OFF, screens::camera()), ("microphone", event::MIC_OFF, screens::microphone())];
        for (name, kind, control) in devices {
            cx.page.wait_for(&control, appear_by.saturating_duration_since(Instant::now())).await?;
            let mut switched = cx.page.switch_off(&control, SWITCH_SETTLES).await?;
            // A click can land while the switch is re-rendered; one more try covers that.
            if switched == Switched::StillOn {
                switched = match cx.page.switch_off(&control, SWITCH_SETTLES).await? {
                    Switched::AlreadyOff => Switched::SwitchedOff,
                    again => again,
                };
            }
            match switched {
                Switched::SwitchedOff => cx.host.event(kind, "turned off"),
                Switched::StillOn => cx.host.warn(&format!("the {name} is still on after clicking its switch")),
                Switched::AlreadyOff => cx.host.debug(&format!("the {name} was already off")),
                Switched::Absent => cx.host.debug(&format!("no {name} switch on the pre-join screen")),
                Switched::NoState => cx.host.debug(&format!("the {name} switch shows no state")),
            }
        }
        Ok(())
    }
}

/// The hang-up control showed after "Join now" but no People button: the call, unless the lobby
/// message (or a refusal) shows up right after.
async fn confirm_hangup(cx: &Cx<'_>) -> Result<Next<Phase>, KitError> {
    let mut list = FAILURES.to_vec();
    list.extend([Screen::InCall, Screen::Lobby]);
    Ok(match wait(cx, &list, HANGUP_CONFIRM).await? {
        None => Next::Enter(Phase::InCall),
        Some(hit) => match hit.tag {
            Screen::InCall => Next::Enter(Phase::InCall),
            Screen::Lobby => Next::Enter(Phase::Lobby),
            _ => failed(hit),
        },
    })
}

/// Waits up to `deadline` for the first of `screens` (in priority order) to show.
async fn wait(cx: &Cx<'_>, screens: &[Screen], deadline: Duration) -> Result<Option<Hit<Screen>>, KitError> {
    signals::<Session>(screens).wait(cx.page, deadline).await
}

/// The end for a screen that ends the session, found by a platform step.
fn failed(hit: Hit<Screen>) -> Next<Phase> {
    let why = hit.tag.reason().unwrap_or(reason::INTERNAL_ERROR);
    Next::End(why, format!("Teams showed {}", hit.probe.describe()))
}
