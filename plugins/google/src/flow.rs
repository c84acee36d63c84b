//! One Google Meet session, driven through the page the host opened: navigate, get through the
//! pre-join screen, ask to join, wait in the lobby, detect admission, report the call, and leave.
//!
//! Every wait is a wait for something the page shows (the kit reacts to DOM mutations), bounded
//! by a deadline; nothing sleeps for a fixed time. Which signal means what is decided by
//! [`crate::machine::decide`]; this module only acts on it. The whole session races the host's
//! leave request, so a cancellation or an auto-leave rule interrupts any wait at once and the
//! bot leaves the way the phase it reached requires.

use std::time::Duration;

use meetbot_plugin_api::{SessionOutcome, SessionRequest, SessionState, reason};
use meetbot_plugin_kit::{Hit, Host, KitError, MAX_WAIT, MeetingPage, Probe, Switched};
use tokio::time::Instant;

use crate::{
    machine::{Phase, Step, decide},
    signals::{self, Signal},
    texts,
};

/// How long the session may see nothing it recognizes (outside the lobby, which can last as long
/// as the host allows) before it gives up with `internal_error`.
const RECOGNIZE_DEADLINE: Duration = Duration::from_secs(60);
/// One wait before the checks no probe can wait for (the browser's own URL, the lobby still being
/// shown, a join click without effect).
const SLICE: Duration = Duration::from_secs(5);
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
/// Clicks on one kind of dialog before it is no longer watched (it did not go away).
const MAX_DIALOG_CLICKS: u32 = 3;
/// How long to wait for the left-meeting screen after clicking "Leave call".
const LEAVE_WAIT: Duration = Duration::from_secs(5);
/// How long a "Leave call" click may go without effect before it is repeated (once).
const LEAVE_RETRY_AFTER: Duration = Duration::from_secs(2);

/// Runs one session to its end.
pub async fn run(request: SessionRequest, host: Host) -> SessionOutcome {
    host.state(SessionState::Joining);
    let Some(target) = request.browser.as_ref().into_option() else {
        return SessionOutcome::new(reason::INTERNAL_ERROR, "the host gave the session no browser page");
    };
    let page = tokio::select! {
        page = MeetingPage::attach(target) => match page {
            Ok(page) => page,
            Err(error) => return failure(&host, error),
        },
        () = host.left() => return SessionOutcome::new(reason::LEFT_NORMALLY, "asked to leave before the page was attached"),
    };
    let mut session = Session::new(page, host.clone(), request.url.as_str(), request.bot_name.as_str());
    let ended = tokio::select! {
        outcome = session.drive() => Some(outcome),
        () = host.left() => None,
    };
    match ended {
        Some(outcome) => outcome,
        None => session.leave().await,
    }
}

/// A browser failure as the session's outcome.
fn failure(host: &Host, error: KitError) -> SessionOutcome {
    host.warn(&format!("browser failure: {error}"));
    error.into()
}

/// How the way into the call ended.
enum Joined {
    /// Admitted: the call goes on.
    Admitted,
    /// The session is over before the call.
    Ended(SessionOutcome),
}

/// What a quiet moment (no signal within a slice) showed.
enum Quiet {
    /// Keep waiting.
    Wait,
    /// Admitted (the lobby's wording went away next to a "Leave call" button).
    Admitted,
    /// The session is over.
    End(SessionOutcome),
}

/// The session's state between awaits.
struct Session {
    page: MeetingPage,
    host: Host,
    url: String,
    name: String,
    phase: Phase,
    /// The navigation to the meeting was sent.
    navigated: bool,
    /// `in_call` was reported (it is reported once, even if the call is watched again).
    in_call_reported: bool,
    /// When the page last showed something the plugin knows.
    recognized_at: Instant,
    join_clicks: u32,
    last_join_click: Option<Instant>,
    /// This Meet version shows "Leave call" in the lobby, so that button alone is no admission.
    lobby_shows_leave: bool,
    dialog_clicks: Vec<(Signal, u32)>,
    /// Dialogs that stayed after being clicked; no longer watched.
    exhausted: Vec<Signal>,
}

impl Session {
    fn new(page: MeetingPage, host: Host, url: &str, name: &str) -> Self {
        Self {
            page,
            host,
            url: url.to_owned(),
            name: name.to_owned(),
            phase: Phase::PreJoin,
            navigated: false,
            in_call_reported: false,
            recognized_at: Instant::now(),
            join_clicks: 0,
            last_join_click: None,
            lobby_shows_leave: false,
            dialog_clicks: Vec::new(),
            exhausted: Vec::new(),
        }
    }

    /// The session up to its own end (the host's leave request interrupts it from outside).
    async fn drive(&mut self) -> SessionOutcome {
        match self.try_drive().await {
            Ok(outcome) => outcome,
            Err(error) => failure(&self.host, error),
        }
    }

    /// The session from wherever it is: each phase's loop picks up from the state kept here.
    async fn try_drive(&mut self) -> Result<SessionOutcome, KitError> {
        if !self.navigated {
            self.host.info(&format!("opening {}", self.url));
            self.page.goto(&self.url).await?;
            self.navigated = true;
            self.host.event("navigated", &self.url);
            self.recognized_at = Instant::now();
        }
        if self.phase == Phase::InCall {
            return self.in_call().await;
        }
        match self.join().await? {
            Joined::Admitted => self.in_call().await,
            Joined::Ended(outcome) => Ok(outcome),
        }
    }

    /// From the pre-join screen to admission (or the verdict that ends the session).
    async fn join(&mut self) -> Result<Joined, KitError> {
        loop {
            let mut skip = self.exhausted.clone();
            let slice = match self.phase {
                Phase::Lobby if self.lobby_shows_leave => {
                    // The button is there all along: only its context tells admission.
                    skip.push(Signal::InCall);
                    LOBBY_RECHECK
                }
                // A join click the page did not take shows as nothing happening.
                Phase::Asked => JOIN_RETRY_AFTER,
                _ => SLICE,
            };
            let set = signals::set(&signals::watched(self.phase, &skip));
            let Some(hit) = set.wait(&self.page, slice).await? else {
                match self.quiet().await? {
                    Quiet::Wait => continue,
                    Quiet::Admitted => return Ok(Joined::Admitted),
                    Quiet::End(outcome) => return Ok(Joined::Ended(outcome)),
                }
            };
            self.recognized_at = Instant::now();
            self.host.debug(&format!("{}: saw {}", self.phase.describe(), hit.probe.describe()));
            match decide(self.phase, hit.tag) {
                Step::End(reason) => return Ok(Joined::Ended(self.verdict(reason, hit).await)),
                Step::Lobby => self.enter_lobby(),
                Step::Admitted => {
                    if !self.page.is_present(&texts::LOBBY.as_text()).await? {
                        return Ok(Joined::Admitted);
                    }
                    self.host.debug("the lobby shows a Leave call button; waiting for its wording to go away");
                    self.lobby_shows_leave = true;
                    self.enter_lobby();
                }
                Step::Click => self.click_dialog(hit).await?,
                Step::Join => self.prepare_and_join().await?,
                Step::Ignore => {}
            }
        }
    }

    /// Checks between waits: what the browser itself knows, what no probe can wait for, and the
    /// deadline for seeing nothing known.
    async fn quiet(&mut self) -> Result<Quiet, KitError> {
        // The browser's own view of the address also sees redirects whose page failed to load.
        let url = self.page.url().await?;
        if is_sign_in(&url) {
            let detail = format!("Google Meet sent the bot to Google's sign-in page ({})", without_query(&url));
            return Ok(Quiet::End(self.end(reason::SIGN_IN_REQUIRED, detail)));
        }
        match self.phase {
            Phase::Lobby => {
                if self.page.is_present(&texts::LOBBY.as_text()).await? {
                    self.recognized_at = Instant::now();
                } else if self.lobby_shows_leave && self.page.is_present(&signals::leave_button()).await? {
                    return Ok(Quiet::Admitted);
                } else if self.page.is_present(&texts::LOBBY_HEADING.as_text()).await? {
                    self.recognized_at = Instant::now();
                }
            }
            Phase::Asked => {
                let stale = self.last_join_click.is_none_or(|at| at.elapsed() >= JOIN_RETRY_AFTER);
                if stale && self.join_clicks < MAX_JOIN_CLICKS {
                    self.host.debug("the join click had no visible effect; clicking again");
                    self.click_join(Duration::ZERO).await?;
                }
            }
            Phase::PreJoin | Phase::InCall => {}
        }
        if self.recognized_at.elapsed() >= RECOGNIZE_DEADLINE {
            let detail = format!(
                "no known Google Meet screen for {} s {} ({}; {} join click(s))",
                RECOGNIZE_DEADLINE.as_secs(),
                self.phase.describe(),
                self.whereabouts().await,
                self.join_clicks
            );
            return Ok(Quiet::End(self.end(reason::INTERNAL_ERROR, detail)));
        }
        Ok(Quiet::Wait)
    }

    /// The pre-join screen: the name exactly as given, camera and microphone off, ask to join.
    async fn prepare_and_join(&mut self) -> Result<(), KitError> {
        self.dismiss_devices_dialog().await?;
        let name_field = signals::name_field();
        if self.page.wait_for(&name_field, NAME_FIELD_GRACE).await?.is_some() {
            if self.page.fill(&name_field, &self.name).await? {
                self.host.event("name_typed", &self.name);
            } else {
                self.host.warn("the name field could not be focused");
            }
        } else {
            self.host.info("no name field on the pre-join screen; joining without typing a name");
        }
        self.devices_off().await?;
        // The dialog can arrive late and would swallow the join click.
        self.dismiss_devices_dialog().await?;
        self.click_join(JOIN_BUTTON_WAIT).await?;
        self.phase = Phase::Asked;
        Ok(())
    }

    /// Turns camera and microphone off. A click only counts once the toggle shows it landed: the
    /// devices dialog can come up at any moment and take a click meant for a toggle.
    async fn devices_off(&mut self) -> Result<(), KitError> {
        let toggles = [
            (texts::CAMERA_IS_ON, texts::CAMERA_IS_OFF, "camera_off"),
            (texts::MICROPHONE_IS_ON, texts::MICROPHONE_IS_OFF, "mic_off"),
        ];
        for (on, off, event) in toggles {
            let (on, off) = (on.as_button(), off.as_button());
            for _ in 0..MAX_TOGGLE_CLICKS {
                self.dismiss_devices_dialog().await?;
                match self.page.toggle_off(&on, &off, TOGGLE_CONFIRM).await? {
                    Switched::SwitchedOff => {
                        self.host.event(event, "");
                        break;
                    }
                    Switched::StillOn => {}
                    Switched::AlreadyOff | Switched::Absent | Switched::NoState => break,
                }
            }
        }
        let mut still_on = texts::CAMERA_IS_ON.as_button();
        still_on.extend(texts::MICROPHONE_IS_ON.as_button());
        if self.page.is_present(&still_on).await? {
            self.host.warn("camera or microphone could not be turned off before joining");
        }
        Ok(())
    }

    /// Clicks the first join button within `wait`; false when there was none.
    async fn click_join(&mut self, wait: Duration) -> Result<bool, KitError> {
        let buttons = texts::JOIN_BUTTONS.as_button();
        let Some(button) = self.page.wait_for(&buttons, wait).await?.and_then(|i| buttons.get(i).copied()) else {
            self.host.warn("no join button to click");
            return Ok(false);
        };
        self.join_clicks += 1;
        self.last_join_click = Some(Instant::now());
        let clicked = self.page.click(&[button]).await?;
        if clicked {
            self.host.event("join_clicked", button.value());
        }
        Ok(clicked)
    }

    async fn dismiss_devices_dialog(&mut self) -> Result<(), KitError> {
        if self.page.click(&texts::CONTINUE_WITHOUT_DEVICES.as_button()).await? {
            self.host.event("media_dialog_dismissed", "");
        }
        Ok(())
    }

    /// Clicks a dialog's button; a dialog that does not go away stops being watched.
    async fn click_dialog(&mut self, hit: Hit<Signal>) -> Result<(), KitError> {
        let clicks = match self.dialog_clicks.iter_mut().find(|(s, _)| *s == hit.tag) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                self.dialog_clicks.push((hit.tag, 1));
                1
            }
        };
        if clicks > MAX_DIALOG_CLICKS {
            self.host.warn(&format!("{} stays after {MAX_DIALOG_CLICKS} clicks; ignoring it", hit.probe.describe()));
            self.exhausted.push(hit.tag);
            return Ok(());
        }
        if !self.page.click(&[hit.probe]).await? {
            return Ok(());
        }
        let event = match hit.tag {
            Signal::DevicesDialog => "media_dialog_dismissed",
            Signal::JoinAnyway => "join_anyway_clicked",
            Signal::LeaveConfirm => "leave_confirmed",
            Signal::Notice => "notice_dismissed",
            other => other.tag(),
        };
        self.host.event(event, hit.probe.value());
        // A dialog that came up after asking may have swallowed the join click.
        if hit.tag == Signal::DevicesDialog && self.phase == Phase::Asked && self.join_clicks < MAX_JOIN_CLICKS {
            self.click_join(Duration::ZERO).await?;
        }
        Ok(())
    }

    fn enter_lobby(&mut self) {
        if self.phase != Phase::Lobby {
            self.phase = Phase::Lobby;
            self.host.state(SessionState::WaitingRoom);
            self.host.event("waiting_room", "");
        }
    }

    /// Admitted: report the call and its participant count until the call ends for the bot.
    async fn in_call(&mut self) -> Result<SessionOutcome, KitError> {
        self.phase = Phase::InCall;
        if !self.in_call_reported {
            self.in_call_reported = true;
            self.host.state(SessionState::InCall);
            self.host.event("admitted", "");
        }
        let count_probes = signals::participant_count();
        let mut last = None;
        if let Some(count) = self.page.read_count(&count_probes).await? {
            self.report_count(&mut last, count);
        }
        loop {
            let set = signals::set(&signals::watched(Phase::InCall, &self.exhausted));
            let (hit, count) = set.watch(&self.page, &count_probes, last, MAX_WAIT).await?;
            if let Some(count) = count {
                self.report_count(&mut last, count);
            }
            if let Some(hit) = hit {
                match decide(Phase::InCall, hit.tag) {
                    Step::End(reason) => return Ok(self.verdict(reason, hit).await),
                    Step::Click => self.click_dialog(hit).await?,
                    Step::Lobby | Step::Admitted | Step::Join | Step::Ignore => {}
                }
            }
        }
    }

    fn report_count(&self, last: &mut Option<u32>, count: u32) {
        if *last != Some(count) {
            *last = Some(count);
            self.host.participants(count);
        }
    }

    /// The host asked the bot to leave, in whatever phase the session reached.
    async fn leave(&mut self) -> SessionOutcome {
        if self.phase != Phase::InCall {
            let detail = format!("asked to leave {}; not admitted, nothing to leave", self.phase.describe());
            self.host.info(&detail);
            return SessionOutcome::new(reason::LEFT_NORMALLY, detail);
        }
        self.host.state(SessionState::Leaving);
        match self.hang_up().await {
            Ok(outcome) => outcome,
            Err(error) => {
                self.host.warn(&format!("leaving the call failed: {error}"));
                SessionOutcome::new(reason::LEFT_NORMALLY, format!("asked to leave; leaving failed: {error}"))
            }
        }
    }

    /// Clicks "Leave call" (confirming if asked) and waits briefly for the left-meeting screen.
    async fn hang_up(&mut self) -> Result<SessionOutcome, KitError> {
        // When the platform already ended the call, that is how the session ended.
        let endings = signals::set(&[Signal::Removed, Signal::Ended]);
        if let Some(hit) = endings.wait(&self.page, Duration::ZERO).await?
            && let Step::End(reason) = decide(Phase::InCall, hit.tag)
        {
            return Ok(self.verdict(reason, hit).await);
        }
        let mut leave_button = signals::leave_button();
        leave_button.push(texts::LEAVE_BUTTON_JSNAME);
        if !self.click_leave(&leave_button).await? {
            let detail = "asked to leave; no Leave call button was visible";
            self.host.warn(detail);
            return Ok(SessionOutcome::new(reason::LEFT_NORMALLY, detail));
        }
        // After our own click any end screen means the bot is out; the host's reason stands.
        let after = signals::set(&[Signal::Left, Signal::LeaveConfirm, Signal::Removed, Signal::Ended]);
        let until = Instant::now() + LEAVE_WAIT;
        let mut confirmations = 0;
        let mut clicks = 1;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match after.wait(&self.page, left.min(LEAVE_RETRY_AFTER)).await? {
                Some(hit) if hit.tag == Signal::LeaveConfirm && confirmations < 2 => {
                    confirmations += 1;
                    if self.page.click(&[hit.probe]).await? {
                        self.host.event("leave_confirmed", hit.probe.value());
                    }
                }
                Some(hit) => {
                    self.host.event("left", hit.probe.value());
                    return Ok(SessionOutcome::new(reason::LEFT_NORMALLY, "left the call on the host's request"));
                }
                // Something covering the controls may have taken the click: once more.
                None if left > LEAVE_RETRY_AFTER && clicks < 2 => {
                    clicks += 1;
                    self.click_leave(&leave_button).await?;
                }
                None if left > LEAVE_RETRY_AFTER => {}
                None => {
                    let detail =
                        format!("clicked Leave call; no left-meeting screen within {} s", LEAVE_WAIT.as_secs());
                    self.host.warn(&detail);
                    return Ok(SessionOutcome::new(reason::LEFT_NORMALLY, detail));
                }
            }
        }
    }

    /// Clears what may cover the call controls, then clicks "Leave call"; false when none shows.
    async fn click_leave(&mut self, leave_button: &[Probe]) -> Result<bool, KitError> {
        self.page.dismiss(&texts::NOTICE_DISMISS.as_button()).await?;
        self.dismiss_devices_dialog().await?;
        let clicked = self.page.click(leave_button).await?;
        if clicked {
            self.host.event("leave_clicked", "");
        }
        Ok(clicked)
    }

    /// The outcome for a platform verdict, with what the page showed as the detail.
    async fn verdict(&mut self, reason: &'static str, hit: Hit<Signal>) -> SessionOutcome {
        let (reason, detail) = match hit.tag {
            Signal::SignIn if matches!(hit.probe, Probe::Url { .. }) => {
                (reason, "Google Meet sent the bot to Google's sign-in page (accounts.google.com)".to_owned())
            }
            Signal::SignIn => (reason, format!("Google's sign-in page showed {}", hit.probe.describe())),
            Signal::NetworkError => {
                let url = self.page.url().await.unwrap_or_default();
                if is_sign_in(&url) {
                    // A sign-in redirect whose page failed to load is still a sign-in redirect.
                    let detail = format!("Google Meet sent the bot to Google's sign-in page ({})", without_query(&url));
                    (reason::SIGN_IN_REQUIRED, detail)
                } else {
                    (reason, format!("the meeting page did not load ({})", self.whereabouts().await))
                }
            }
            _ => (reason, format!("Google Meet showed {} {}", hit.probe.describe(), self.phase.describe())),
        };
        self.end(reason, detail)
    }

    /// Where the browser is, for details: the site the document itself is on, and the address as
    /// the browser connection reports it (which can lag behind navigations).
    async fn whereabouts(&self) -> String {
        let sites = [
            (Probe::url("://meet.google.com/"), "meet.google.com"),
            (texts::SIGN_IN_URL, "accounts.google.com"),
            (texts::NETWORK_ERROR_URL, "Chromium's error page"),
            (Probe::url("about:blank"), "about:blank"),
        ];
        let probes: Vec<Probe> = sites.iter().map(|(probe, _)| *probe).collect();
        let site = match self.page.wait_for(&probes, Duration::ZERO).await {
            Ok(Some(i)) => sites.get(i).map_or("an unknown site", |(_, name)| name),
            Ok(None) => "an unknown site",
            Err(_) => "an unreadable page",
        };
        let url = self.page.url().await.unwrap_or_default();
        format!("document on {site}, browser address {}", without_query(&url))
    }

    fn end(&self, reason: &'static str, detail: String) -> SessionOutcome {
        self.host.event(reason, &detail);
        self.host.info(&format!("session ends with {reason}: {detail}"));
        SessionOutcome::new(reason, detail)
    }
}

/// Whether the browser is on Google's sign-in host.
fn is_sign_in(url: &str) -> bool {
    url.starts_with("https://accounts.google.com/") || url.starts_with("http://accounts.google.com/")
}

/// A URL without its query and fragment (sign-in URLs carry long continuation parameters).
fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_is_recognized_by_host_not_by_parameters() {
        assert!(is_sign_in("https://accounts.google.com/v3/signin/identifier?continue=https%3A%2F%2Fmeet.google.com"));
        assert!(!is_sign_in("https://meet.google.com/abc-defg-hij?continue=https://accounts.google.com/"));
        assert_eq!(
            without_query("https://accounts.google.com/ServiceLogin?continue=x#y"),
            "https://accounts.google.com/ServiceLogin"
        );
    }
}
