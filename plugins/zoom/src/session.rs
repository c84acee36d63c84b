//! A Zoom web-client session as the kit's session driver sees it: the signals of each phase
//! ([`crate::screens`]), their meaning ([`screens::decide`]), and Zoom's own steps: the web-client
//! address a link opens, the preview form (passcode, name, camera and microphone off, Join), the
//! PWA shell that frames the client, joining computer audio muted, and a Join click that did not
//! take. Racing the host's leave request, deadlines, dialog budgets, the participant count and
//! leaving (Leave, then "Leave Meeting") are the kit's.

use std::time::Duration;

use meetbot_plugin_api::{SessionState, event, reason};
use meetbot_plugin_kit::{
    Hit, KitError, Probe, Switched,
    session::{Budget, Cx, Next, PATIENCE, Platform, SLICE, Step},
};
use tokio::time::Instant;

use crate::{
    screens::{self, Phase, Signal},
    texts as t,
    url::{self, MeetingLink},
};

/// How long the call view may be gone (no count, no call controls, no known message) before the
/// plugin gives up.
const CALL_VIEW_PATIENCE: Duration = Duration::from_secs(20);
/// How long after clicking Join the preview may stay before Join is clicked again (a click that
/// landed before the button was enabled).
const JOIN_RETRY_AFTER: Duration = Duration::from_millis(1500);
/// Clicks on Join at most.
const JOIN_CLICKS: u32 = 4;
/// How long a toggle may take to show its new state.
const TOGGLE_SETTLE: Duration = Duration::from_secs(2);
/// How long the preview's camera and microphone controls may take to appear after the name field.
const CONTROL_APPEAR: Duration = Duration::from_millis(1500);

/// One Zoom session: the link it joins and its memory of its own steps.
#[derive(Debug)]
pub struct Session {
    link: MeetingLink,
    join_clicks: u32,
    asked_at: Option<Instant>,
    name_typed: bool,
}

impl Session {
    /// A session joining `link`.
    pub fn new(link: MeetingLink) -> Self {
        Self { link, join_clicks: 0, asked_at: None, name_typed: false }
    }
}

impl Platform for Session {
    type Phase = Phase;
    type Signal = Signal;

    const NAME: &'static str = "Zoom";
    const START: Phase = Phase::PreJoin;
    const IN_CALL: Phase = Phase::InCall;

    fn state(phase: Phase) -> SessionState {
        phase.state()
    }

    fn probes(signal: Signal) -> Vec<Probe> {
        screens::probes(signal)
    }

    fn watched(&self, phase: Phase) -> Vec<Signal> {
        screens::order(phase).to_vec()
    }

    fn decide(phase: Phase, signal: Signal) -> Step<Phase> {
        screens::decide(phase, signal)
    }

    fn participant_count() -> Vec<Probe> {
        screens::count_candidates()
    }

    fn leave_control() -> Vec<Probe> {
        let mut leave = vec![Probe::css(r#"button[aria-label="Leave"]"#)];
        leave.extend(t::LEAVE.as_button());
        leave
    }

    fn leave_confirm() -> Vec<Probe> {
        let mut confirm = vec![t::LEAVE_MEETING_CLASS];
        confirm.extend(t::LEAVE_MEETING.as_button());
        confirm
    }

    fn address_to_open(&self, _url: &str) -> String {
        url::web_client_url(&self.link)
    }

    fn budget(signal: Signal) -> Budget {
        screens::budget(signal)
    }

    fn slice(&self, phase: Phase) -> Duration {
        if phase == Phase::Asked { JOIN_RETRY_AFTER } else { SLICE }
    }

    fn patience(phase: Phase) -> Option<Duration> {
        Some(if phase == Phase::InCall { CALL_VIEW_PATIENCE } else { PATIENCE })
    }

    async fn act(&mut self, cx: &Cx<'_>, _phase: Phase, hit: Hit<Signal>) -> Result<Next<Phase>, KitError> {
        let page = cx.page;
        match hit.tag {
            Signal::NameField => return self.prejoin_form(cx).await,
            Signal::Passcode => {
                let Some(passcode) = self.link.passcode.as_deref() else {
                    let detail = "Zoom asks for the meeting passcode and the link carries none (pwd=...)";
                    return Ok(Next::End(reason::BLOCKED_BY_PLATFORM, detail.to_owned()));
                };
                page.fill(&screens::probes(Signal::Passcode), passcode).await?;
                cx.host.event(event::PASSCODE_TYPED, "");
            }
            Signal::PwaShell => {
                let address = page.url().await.unwrap_or_default();
                if let Some(framed) = url::framed_client_url(&address) {
                    cx.host.info("opening the framed web client");
                    page.goto(&framed).await?;
                }
            }
            _ => {
                if page.click(&[hit.probe]).await? {
                    cx.host.event(event::AUDIO_JOINED, hit.probe.value());
                    // Joining computer audio must not unmute the bot.
                    let (on, off) = (t::MIC_ON.as_button(), t::MIC_OFF.as_button());
                    if page.toggle_off(&on, &off, TOGGLE_SETTLE).await? == Switched::SwitchedOff {
                        cx.host.event(event::MIC_OFF, "");
                    }
                }
            }
        }
        Ok(Next::Wait)
    }

    async fn quiet(&mut self, cx: &Cx<'_>, phase: Phase) -> Result<Next<Phase>, KitError> {
        let still = |signal| async move { cx.page.is_present(&screens::probes(signal)).await };
        match phase {
            Phase::WaitingRoom if still(Signal::WaitingRoom).await? => Ok(Next::Seen),
            Phase::InCall if still(Signal::InCall).await? => Ok(Next::Seen),
            Phase::Asked => {
                let stale = self.asked_at.is_none_or(|at| at.elapsed() >= JOIN_RETRY_AFTER);
                if stale && self.join_clicks < JOIN_CLICKS && still(Signal::NameField).await? {
                    cx.host.debug("the preview is still shown after Join; clicking Join again");
                    self.click_join(cx).await?;
                }
                Ok(Next::Wait)
            }
            _ => Ok(Next::Wait),
        }
    }

    async fn entered(&mut self, cx: &Cx<'_>, phase: Phase) -> Result<(), KitError> {
        if phase == Phase::InCall {
            cx.host.info("admitted to the Zoom meeting");
            devices_off(cx, Duration::ZERO).await?;
        }
        Ok(())
    }

    fn progress(&self) -> String {
        format!(
            "name {}, Join clicked {} time(s)",
            if self.name_typed { "typed" } else { "not typed" },
            self.join_clicks
        )
    }
}

impl Session {
    /// The preview form: the name exactly as given, camera and microphone off, then Join.
    async fn prejoin_form(&mut self, cx: &Cx<'_>) -> Result<Next<Phase>, KitError> {
        if !cx.page.fill(&screens::probes(Signal::NameField), cx.name).await? {
            let detail = "Zoom's name field vanished before it could be filled";
            return Ok(Next::End(reason::INTERNAL_ERROR, detail.to_owned()));
        }
        self.name_typed = true;
        cx.host.event(event::NAME_TYPED, cx.name);
        devices_off(cx, CONTROL_APPEAR).await?;
        self.click_join(cx).await?;
        Ok(Next::Enter(Phase::Asked))
    }

    async fn click_join(&mut self, cx: &Cx<'_>) -> Result<(), KitError> {
        let mut join = vec![t::JOIN_BUTTON_CLASS];
        join.extend(t::JOIN.as_button());
        // Counted even when missing, so the session moves on to watching for what comes next.
        self.join_clicks += 1;
        self.asked_at = Some(Instant::now());
        if cx.page.click(&join).await? {
            cx.host.event(event::JOIN_CLICKED, cx.name);
            cx.host.info("asked to join");
        } else {
            cx.host.warn("Zoom's Join button is not on the page");
        }
        Ok(())
    }
}

/// Camera and microphone off, before joining and again in the call. `appear` bounds the wait for
/// a control that is not rendered yet (the preview may draw its video controls after the name
/// field).
async fn devices_off(cx: &Cx<'_>, appear: Duration) -> Result<(), KitError> {
    let toggles =
        [("camera", event::CAMERA_OFF, t::CAMERA_OFF, t::CAMERA_ON), ("mic", event::MIC_OFF, t::MIC_OFF, t::MIC_ON)];
    for (device, kind, off, on) in toggles {
        let either: Vec<Probe> = off.as_button().into_iter().chain(on.as_button()).collect();
        cx.page.wait_for(&either, appear).await?;
        match cx.page.toggle_off(&on.as_button(), &off.as_button(), TOGGLE_SETTLE).await? {
            Switched::SwitchedOff => cx.host.event(kind, ""),
            Switched::AlreadyOff => cx.host.debug(&format!("{device} already off")),
            Switched::StillOn => cx.host.warn(&format!("clicked to turn the {device} off, but it still shows on")),
            Switched::Absent | Switched::NoState => cx.host.debug(&format!("no {device} control on the page")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session::new(url::parse("https://zoom.us/j/1234567890?pwd=secret").expect("a link"))
    }

    #[test]
    fn opens_the_web_client_with_the_passcode() {
        assert_eq!(session().address_to_open("ignored"), "https://zoom.us/wc/join/1234567890?pwd=secret");
    }

    #[test]
    fn a_join_click_is_given_time_and_the_call_view_less_patience() {
        assert_eq!(session().slice(Phase::Asked), JOIN_RETRY_AFTER);
        assert_eq!(session().slice(Phase::WaitingRoom), SLICE);
        assert_eq!(Session::patience(Phase::InCall), Some(CALL_VIEW_PATIENCE));
        assert_eq!(Session::patience(Phase::WaitingRoom), Some(PATIENCE));
    }
}
