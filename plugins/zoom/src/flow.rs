//! One Zoom session, as a state machine over what the page shows.
//!
//! `navigate → pre-join (dialogs, passcode, name, camera/microphone off, Join) → waiting room →
//! call → end`. Each step waits for *any* screen of its [`Phase`] table (MutationObserver-driven
//! waits in the kit, no fixed sleeps) and acts on what appeared ([`screens::decide`]). Every wait
//! races the host's leave request: before admission the bot simply stops (the host knows why it
//! asked); in the call it clicks Leave and confirms, so the meeting sees it go.

use std::{collections::HashMap, time::Duration};

use meetbot_plugin_api::{SessionOutcome, SessionRequest, SessionState, reason};
use meetbot_plugin_kit::{Hit, Host, MAX_WAIT, MeetingPage, Probe, Switched};
use tokio::time::Instant;

use crate::{
    screens::{self, Decision, Phase, Signal},
    texts as t,
    url::{self, MeetingLink},
};

/// How long the pre-join may take before the plugin gives up with what it saw: generous, since
/// the web client loads a large bundle and may chain a landing page and dialogs.
const PRE_JOIN_DEADLINE: Duration = Duration::from_secs(60);
/// How long nothing recognizable may be on screen once waiting or in the call.
const UNRECOGNIZED_DEADLINE: Duration = Duration::from_secs(60);
/// How long after clicking Join the preview may stay before Join is clicked again (a click that
/// landed before the button was enabled).
const JOIN_RETRY_AFTER: Duration = Duration::from_millis(1500);
/// Clicks on Join at most.
const JOIN_CLICKS: u32 = 4;
/// One page-side wait while waiting; re-armed in a loop, so this only paces the health checks.
const WAIT_SLICE: Duration = Duration::from_secs(5);
/// How long a toggle may take to show its new state.
const TOGGLE_SETTLE: Duration = Duration::from_secs(2);
/// How long the preview's camera and microphone controls may take to appear after the name field.
const CONTROL_APPEAR: Duration = Duration::from_millis(1500);
/// How long the leave options may take to appear after clicking Leave.
const LEAVE_CONFIRM_WAIT: Duration = Duration::from_secs(3);
/// How long to wait for the left-meeting screen once the bot asked to leave.
const LEFT_SCREEN_WAIT: Duration = Duration::from_secs(5);

/// Runs a session to its end.
pub async fn run(request: SessionRequest, host: Host) -> SessionOutcome {
    host.state(SessionState::Joining);
    let Some(target) = request.browser.as_ref().into_option() else {
        return SessionOutcome::new(reason::INTERNAL_ERROR, "the host gave the Zoom plugin no browser page");
    };
    let link = match url::parse(request.url.as_str()) {
        Ok(link) => link,
        Err(why) => return SessionOutcome::new(reason::INTERNAL_ERROR, format!("unusable meeting URL: {why}")),
    };
    let page = match MeetingPage::attach(target).await {
        Ok(page) => page,
        Err(e) => return e.into(),
    };
    let mut session = Session::new(page, &host, request.bot_name.as_str(), link);
    let joined = tokio::select! {
        () = host.left() => None,
        joined = session.join() => Some(joined),
    };
    match joined {
        None => {
            host.info("asked to leave before admission; stopping without entering the call");
            SessionOutcome::new(reason::LEFT_NORMALLY, "asked to leave before admission")
        }
        Some(Err(outcome)) => outcome,
        Some(Ok(())) => session.in_call().await,
    }
}

/// A session's progress and the handles it acts through.
struct Session<'a> {
    page: MeetingPage,
    host: &'a Host,
    name: &'a str,
    link: MeetingLink,
    /// How often each dialog or step was acted on (see [`screens::budget`]).
    acted: HashMap<Signal, u32>,
    join_clicks: u32,
    waiting_reported: bool,
}

impl<'a> Session<'a> {
    fn new(page: MeetingPage, host: &'a Host, name: &'a str, link: MeetingLink) -> Self {
        Self { page, host, name, link, acted: HashMap::new(), join_clicks: 0, waiting_reported: false }
    }

    /// From navigation to admission; `Err` is how the session ends instead.
    async fn join(&mut self) -> Result<(), SessionOutcome> {
        let target = url::web_client_url(&self.link);
        self.host.info(&format!("opening the Zoom web client at {target}"));
        self.page.goto(&target).await?;
        let started = Instant::now();
        let mut last_recognized = Instant::now();
        let mut asked_at: Option<Instant> = None;
        loop {
            let phase = if self.join_clicks == 0 { Phase::PreJoin } else { Phase::Waiting };
            let table = screens::table(phase, |s| self.spent(s) || (s == Signal::WaitingRoom && self.waiting_reported));
            let slice = if phase == Phase::Waiting && !self.waiting_reported { JOIN_RETRY_AFTER } else { WAIT_SLICE };
            let seen = table.wait(&self.page, slice).await?;
            self.host.debug(&format!("{phase:?}: seen {:?}", seen.map(|hit| (hit.tag, hit.probe.value()))));
            let Some(Hit { tag: signal, probe }) = seen else {
                // Nothing new: is the waiting room still there, did the Join click not take,
                // did the page fail to load, has the deadline passed?
                if self.waiting_reported && self.page.is_present(&screens::probes(Signal::WaitingRoom)).await? {
                    last_recognized = Instant::now();
                    continue;
                }
                let address = self.page.url().await.unwrap_or_default();
                if address.starts_with("chrome-error://") {
                    return Err(SessionOutcome::new(
                        reason::INTERNAL_ERROR,
                        format!("the Zoom page did not load ({address}) for {target}"),
                    ));
                }
                if phase == Phase::Waiting && !self.waiting_reported {
                    self.retry_join(asked_at).await?;
                }
                let (limit, since) = if self.waiting_reported {
                    (UNRECOGNIZED_DEADLINE, last_recognized)
                } else {
                    (PRE_JOIN_DEADLINE, started)
                };
                if since.elapsed() >= limit {
                    return Err(self.nothing_recognized(phase, &address, limit));
                }
                continue;
            };
            last_recognized = Instant::now();
            match screens::decide(signal, phase) {
                Decision::End(why, detail) => return Err(self.end(signal, why, detail, probe)),
                Decision::Admitted => return Ok(()),
                Decision::Waiting => {
                    self.waiting_reported = true;
                    self.host.state(SessionState::WaitingRoom);
                    self.host.event("waiting_room", probe.value());
                    self.host.info("in the Zoom waiting room");
                }
                Decision::Act(Signal::NameField) => {
                    self.prejoin_form().await?;
                    asked_at = Some(Instant::now());
                }
                Decision::Act(chore) => self.act(chore, &probe).await?,
            }
        }
    }

    /// The preview form: passcode when asked, the name exactly as given, camera and microphone
    /// off, then Join.
    async fn prejoin_form(&mut self) -> Result<(), SessionOutcome> {
        self.count(Signal::NameField);
        let page = &self.page;
        let name_field = screens::probes(Signal::NameField);
        if !page.fill(&name_field, self.name).await? {
            return Err(SessionOutcome::new(
                reason::INTERNAL_ERROR,
                "Zoom's name field vanished before it could be filled",
            ));
        }
        self.host.event("name_typed", self.name);
        self.devices_off(CONTROL_APPEAR).await?;
        self.click_join().await
    }

    async fn click_join(&mut self) -> Result<(), SessionOutcome> {
        let mut join = vec![t::JOIN_BUTTON_CLASS];
        join.extend(t::JOIN.as_button());
        if self.page.click(&join).await? {
            self.join_clicks += 1;
            self.host.event("join_clicked", self.name);
            self.host.info("asked to join");
        } else {
            self.host.warn("Zoom's Join button is not on the page");
            // Counted anyway so the loop moves on to watching for what comes next.
            self.join_clicks += 1;
        }
        Ok(())
    }

    /// Join was clicked but nothing followed: if the preview is still there, click Join again.
    async fn retry_join(&mut self, asked_at: Option<Instant>) -> Result<(), SessionOutcome> {
        let stale = asked_at.is_none_or(|at| at.elapsed() >= JOIN_RETRY_AFTER);
        if !stale || self.join_clicks >= JOIN_CLICKS {
            return Ok(());
        }
        if self.page.is_present(&screens::probes(Signal::NameField)).await? {
            self.host.debug("the preview is still shown after Join; clicking Join again");
            self.click_join().await?;
        }
        Ok(())
    }

    /// Camera and microphone off, before joining and again in the call.
    /// `appear` bounds the wait for a control that is not rendered yet (the preview may draw its
    /// video controls after the name field).
    async fn devices_off(&self, appear: Duration) -> Result<(), SessionOutcome> {
        let toggles = [("camera", t::CAMERA_OFF, t::CAMERA_ON), ("mic", t::MIC_OFF, t::MIC_ON)];
        for (device, off, on) in toggles {
            let either: Vec<Probe> = off.as_button().into_iter().chain(on.as_button()).collect();
            self.page.wait_for(&either, appear).await?;
            match self.page.toggle_off(&on.as_button(), &off.as_button(), TOGGLE_SETTLE).await? {
                Switched::SwitchedOff => self.host.event(&format!("{device}_off"), ""),
                Switched::AlreadyOff => self.host.debug(&format!("{device} already off")),
                Switched::StillOn => {
                    self.host.warn(&format!("clicked to turn the {device} off, but it still shows on"))
                }
                Switched::Absent | Switched::NoState => self.host.debug(&format!("no {device} control on the page")),
            }
        }
        Ok(())
    }

    /// Acts on a dialog or step.
    async fn act(&mut self, chore: Signal, probe: &Probe) -> Result<(), SessionOutcome> {
        self.count(chore);
        let page = &self.page;
        match chore {
            Signal::Passcode => {
                let Some(passcode) = self.link.passcode.clone() else {
                    return Err(SessionOutcome::new(
                        reason::BLOCKED_BY_PLATFORM,
                        "Zoom asks for the meeting passcode and the link carries none (pwd=...)",
                    ));
                };
                page.fill(&screens::probes(Signal::Passcode), &passcode).await?;
                self.host.event("passcode_typed", "");
            }
            Signal::PwaShell => {
                let address = page.url().await.unwrap_or_default();
                if let Some(framed) = url::framed_client_url(&address) {
                    self.host.info(&format!("opening the framed web client at {framed}"));
                    page.goto(&framed).await?;
                }
            }
            Signal::JoinAudio => {
                if page.click(&screens::probes(chore)).await? {
                    self.host.event("audio_joined", probe.value());
                    // Joining computer audio must not unmute the bot.
                    let (on, off) = (t::MIC_ON.as_button(), t::MIC_OFF.as_button());
                    if page.toggle_off(&on, &off, TOGGLE_SETTLE).await? == Switched::SwitchedOff {
                        self.host.event("mic_off", "");
                    }
                }
            }
            _ => {
                if page.click(&screens::probes(chore)).await? {
                    self.host.event("dialog_dismissed", probe.value());
                }
            }
        }
        Ok(())
    }

    /// In the call until it ends or the host asks the bot to leave.
    async fn in_call(&mut self) -> SessionOutcome {
        self.host.state(SessionState::InCall);
        self.host.event("admitted", "");
        self.host.info("admitted to the Zoom meeting");
        let host = self.host;
        match tokio::select! {
            () = host.left() => None,
            outcome = self.call_loop() => Some(outcome),
        } {
            Some(outcome) => outcome,
            None => self.leave().await,
        }
    }

    async fn call_loop(&mut self) -> SessionOutcome {
        match self.call_loop_inner().await {
            Ok(outcome) | Err(outcome) => outcome,
        }
    }

    async fn call_loop_inner(&mut self) -> Result<SessionOutcome, SessionOutcome> {
        let counters = screens::count_candidates();
        let mut last = self.page.read_count(&counters).await?;
        if let Some(n) = last {
            self.host.participants(n);
        }
        self.devices_off(Duration::ZERO).await?;
        let mut lost_since: Option<Instant> = None;
        loop {
            let table = screens::table(Phase::InCall, |s| self.spent(s));
            let (seen, count) = table.watch(&self.page, &counters, last, MAX_WAIT).await?;
            if let Some(n) = count
                && Some(n) != last
            {
                self.host.participants(n);
                last = Some(n);
            }
            if let Some(Hit { tag: signal, probe }) = seen {
                match screens::decide(signal, Phase::InCall) {
                    Decision::End(why, detail) => return Ok(self.end(signal, why, detail, probe)),
                    Decision::Act(chore) => self.act(chore, &probe).await?,
                    Decision::Admitted | Decision::Waiting => {}
                }
                continue;
            }
            // Nothing new: still in the call while a count reads or the call view is there.
            if count.is_some() || self.page.is_present(&screens::probes(Signal::InCall)).await? {
                lost_since = None;
                continue;
            }
            let since = *lost_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= UNRECOGNIZED_DEADLINE.min(Duration::from_secs(20)) {
                let address = self.page.url().await.unwrap_or_default();
                return Err(SessionOutcome::new(
                    reason::INTERNAL_ERROR,
                    format!("the Zoom call view disappeared without a known message (page {address})"),
                ));
            }
        }
    }

    /// Leaves the call the way a person does: Leave, then "Leave Meeting".
    async fn leave(&self) -> SessionOutcome {
        self.host.state(SessionState::Leaving);
        let page = &self.page;
        let mut leave = vec![Probe::css(r#"button[aria-label="Leave"]"#)];
        leave.extend(t::LEAVE.as_button());
        let mut confirm = vec![t::LEAVE_MEETING_CLASS];
        confirm.extend(t::LEAVE_MEETING.as_button());
        let left_screen = screens::probes(Signal::Left);
        match page.click(&leave).await {
            Ok(true) => self.host.event("leave_clicked", ""),
            Ok(false) => self.host.warn("no Leave button on the page; leaving by closing"),
            Err(e) => self.host.warn(&format!("clicking Leave failed: {e}")),
        }
        match page.click_when_present(&confirm, LEAVE_CONFIRM_WAIT).await {
            Ok(true) => self.host.event("leave_confirmed", ""),
            Ok(false) => self.host.debug("Zoom asked no confirmation to leave"),
            Err(e) => self.host.warn(&format!("confirming Leave failed: {e}")),
        }
        match page.wait_for(&left_screen, LEFT_SCREEN_WAIT).await {
            Ok(Some(_)) => self.host.event("left", ""),
            Ok(None) => self.host.debug("no left-meeting screen within the wait"),
            Err(e) => self.host.debug(&format!("waiting for the left-meeting screen: {e}")),
        }
        SessionOutcome::new(reason::LEFT_NORMALLY, "left the Zoom meeting on the host's request")
    }

    /// The outcome for a terminal screen, with a timeline event and a log line.
    fn end(&self, signal: Signal, why: &str, detail: &str, probe: Probe) -> SessionOutcome {
        let seen = probe.value();
        self.host.event(why, seen);
        self.host.info(&format!("{detail} ({signal:?}: {seen:?})"));
        SessionOutcome::new(why, format!("{detail}: \"{seen}\""))
    }

    fn nothing_recognized(&self, phase: Phase, address: &str, limit: Duration) -> SessionOutcome {
        let progress = match (phase, self.waiting_reported) {
            (Phase::PreJoin, _) if self.acted.contains_key(&Signal::NameField) => {
                "the name was typed, Join not clicked"
            }
            (Phase::PreJoin, _) => "no Zoom pre-join screen (name field) appeared",
            (_, false) => "Join was clicked, but neither the waiting room nor the call appeared",
            (_, true) => "the waiting room went away and nothing known replaced it",
        };
        SessionOutcome::new(
            reason::INTERNAL_ERROR,
            format!("nothing recognizable within {} s: {progress} (page {address})", limit.as_secs()),
        )
    }

    fn count(&mut self, signal: Signal) {
        *self.acted.entry(signal).or_insert(0) += 1;
    }

    fn spent(&self, signal: Signal) -> bool {
        self.acted.get(&signal).is_some_and(|n| *n >= screens::budget(signal))
    }
}
