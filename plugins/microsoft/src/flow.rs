//! One Teams session as a state machine: pre-join (launcher, notices, camera and microphone off,
//! the name, "Join now") → lobby → in the call (participant counts, the end) → leave.
//!
//! Every step waits for the page to change (the kit's waits are driven by DOM mutations) with a
//! deadline, never for a fixed time. The pre-join phase reacts to whatever screen Teams shows
//! next instead of following a fixed script, because Teams skips, repeats and reorders screens
//! (launcher or not, notices, slow loading) and any screen may be a refusal.

use std::time::Duration;

use meetbot_plugin_api::{SessionOutcome, SessionRequest, SessionState, reason};
use meetbot_plugin_kit::{Hit, Host, KitError, MAX_WAIT, MeetingPage, Probe, Switched};
use tokio::time::Instant;

use crate::{
    progress::{DIALOG_RETRY, Progress, SIGN_IN_CONFIRM},
    screens::{self, FAILURES, Screen},
};

/// How long the pre-join phase may take before the session gives up with `internal_error`: Teams
/// loads slowly on a cold browser, but a minute without any recognizable screen means the page is
/// not what the plugin knows.
const PREJOIN_DEADLINE: Duration = Duration::from_secs(60);
/// How long the device switches may take to appear once the pre-join screen is there.
const SWITCHES_APPEAR: Duration = Duration::from_millis(1500);
/// How long a switch may take to show "off" after the click.
const SWITCH_SETTLES: Duration = Duration::from_secs(2);
/// The hang-up control without a People button counts as the call once the lobby message has not
/// appeared for this long (Teams shows hang-up in the lobby too, and may draw it first).
const HANGUP_CONFIRM: Duration = Duration::from_secs(1);
/// How long the page may take to show what replaced the lobby message.
const LOBBY_GONE_SETTLE: Duration = Duration::from_secs(2);
/// How long the bot waits for the post-call screen after clicking Leave.
const LEAVE_WAIT: Duration = Duration::from_secs(5);

/// Where the join ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    /// Asked to join, waiting to be let in.
    Lobby,
    /// In the call.
    InCall,
}

/// Runs one session to its end.
pub async fn run(request: SessionRequest, host: Host) -> SessionOutcome {
    host.state(SessionState::Joining);
    let Some(target) = request.browser.clone().into_option() else {
        return SessionOutcome::new(reason::INTERNAL_ERROR, "the host gave the Teams plugin no browser page");
    };
    let attached = tokio::select! {
        biased;
        () = host.left() => return left_before_admission(&host),
        attached = MeetingPage::attach(&target) => attached,
    };
    let page = match attached {
        Ok(page) => page,
        Err(error) => return kit_failure(&host, &error),
    };
    let session = Session { page, host, name: request.bot_name.to_string(), url: request.url.to_string() };
    session.run().await
}

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

/// A device switch turned off before joining: its name for logs, its timeline event, its probes.
struct Device {
    name: &'static str,
    event: &'static str,
    control: Vec<Probe>,
}

/// One session's page and host, and what the join needs from the request.
struct Session {
    page: MeetingPage,
    host: Host,
    name: String,
    url: String,
}

/// A step of the session: its result, or the outcome the session ends with.
type Step<T> = Result<T, SessionOutcome>;

impl Session {
    async fn run(self) -> SessionOutcome {
        let joined = tokio::select! {
            biased;
            () = self.host.left() => return left_before_admission(&self.host),
            joined = self.join() => joined,
        };
        match joined {
            Ok(()) => self.in_call().await,
            Err(outcome) => outcome,
        }
    }

    /// From the link to the call.
    async fn join(&self) -> Step<()> {
        self.check(self.page.goto(&self.url).await)?;
        self.host.debug(&format!("opened {}", self.url));
        if self.prejoin().await? == Joined::Lobby {
            self.lobby().await?;
        }
        Ok(())
    }

    async fn prejoin(&self) -> Step<Joined> {
        let deadline = Instant::now() + PREJOIN_DEADLINE;
        let mut progress = Progress::default();
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(self.gave_up(&progress).await);
            }
            let (list, wake) = progress.watch_list(now, deadline);
            let Some(hit) = self.wait(&list, wake.saturating_duration_since(now)).await? else {
                continue;
            };
            let seen = hit.probe.describe();
            self.host.debug(&format!("pre-join: {:?} ({seen})", hit.tag));
            match hit.tag {
                Screen::InCall => return Ok(Joined::InCall),
                Screen::Lobby => return Ok(Joined::Lobby),
                Screen::Hangup => {
                    if let Some(joined) = self.confirm_hangup().await? {
                        return Ok(joined);
                    }
                }
                Screen::Launcher => {
                    progress.launcher_at = Some(Instant::now());
                    if self.check(self.page.click(&Screen::Launcher.probes()).await)? {
                        self.host.event("continued_in_browser", &seen);
                    }
                }
                Screen::Dialog => {
                    progress.dialog_at = Some(Instant::now());
                    if self.check(self.page.click(&Screen::Dialog.probes()).await)? {
                        self.host.event("dialog_dismissed", &seen);
                    }
                }
                Screen::NameField => {
                    self.media_off(&mut progress).await?;
                    if self.check(self.page.fill(&Screen::NameField.probes(), &self.name).await)? {
                        progress.name_typed = true;
                        self.host.event("name_typed", &self.name);
                    }
                }
                Screen::JoinButton => {
                    // A name field drawn after the button still has to be filled first.
                    if !progress.name_typed && self.wait(&[Screen::NameField], DIALOG_RETRY).await?.is_some() {
                        continue;
                    }
                    self.media_off(&mut progress).await?;
                    progress.join_at = Some(Instant::now());
                    if self.check(self.page.click(&Screen::JoinButton.probes()).await)? {
                        progress.join_clicks += 1;
                        self.host.event("join_clicked", &self.name);
                    }
                }
                Screen::SignInButton => {
                    progress.sign_in_checked_at = Some(Instant::now());
                    if self.wait(&JOIN_FLOW, SIGN_IN_CONFIRM).await?.is_none() {
                        return Err(self.failed(hit));
                    }
                }
                _ => return Err(self.failed(hit)),
            }
        }
    }

    /// The hang-up control showed after "Join now" but no People button: the call, unless the
    /// lobby message (or a refusal) shows up right after.
    async fn confirm_hangup(&self) -> Step<Option<Joined>> {
        let mut list = FAILURES.to_vec();
        list.extend([Screen::InCall, Screen::Lobby]);
        match self.wait(&list, HANGUP_CONFIRM).await? {
            None => Ok(Some(Joined::InCall)),
            Some(hit) => match hit.tag {
                Screen::InCall => Ok(Some(Joined::InCall)),
                Screen::Lobby => Ok(Some(Joined::Lobby)),
                _ => Err(self.failed(hit)),
            },
        }
    }

    /// Turns camera and microphone off, once, before the name and the join.
    async fn media_off(&self, progress: &mut Progress) -> Step<()> {
        if progress.media_done {
            return Ok(());
        }
        progress.media_done = true;
        let appear_by = Instant::now() + SWITCHES_APPEAR;
        let camera = Device { name: "camera", event: "camera_off", control: screens::camera() };
        let microphone = Device { name: "microphone", event: "mic_off", control: screens::microphone() };
        for device in [camera, microphone] {
            let appear = appear_by.saturating_duration_since(Instant::now());
            self.check(self.page.wait_for(&device.control, appear).await)?;
            let mut switched = self.check(self.page.switch_off(&device.control, SWITCH_SETTLES).await)?;
            // A click can land while the switch is re-rendered; one more try covers that.
            if switched == Switched::StillOn {
                switched = match self.check(self.page.switch_off(&device.control, SWITCH_SETTLES).await)? {
                    Switched::AlreadyOff => Switched::SwitchedOff,
                    again => again,
                };
            }
            self.report_switch(&device, switched);
        }
        Ok(())
    }

    fn report_switch(&self, device: &Device, switched: Switched) {
        let name = device.name;
        match switched {
            Switched::SwitchedOff => self.host.event(device.event, "turned off"),
            Switched::StillOn => self.host.warn(&format!("the {name} is still on after clicking its switch")),
            Switched::AlreadyOff => self.host.debug(&format!("the {name} was already off")),
            Switched::Absent => self.host.debug(&format!("no {name} switch on the pre-join screen")),
            Switched::NoState => self.host.debug(&format!("the {name} switch shows no state")),
        }
    }

    async fn lobby(&self) -> Step<()> {
        self.host.state(SessionState::WaitingRoom);
        self.host.event("waiting_room", "");
        let mut exits = FAILURES.to_vec();
        exits.push(Screen::InCall);
        let exits = screens::signals(&exits);
        let mut after_lobby = FAILURES.to_vec();
        after_lobby.extend([Screen::InCall, Screen::Lobby, Screen::Hangup]);
        let lobby = Screen::Lobby.probes();
        loop {
            let hit = tokio::select! {
                hit = exits.wait(&self.page, MAX_WAIT) => self.check(hit)?,
                gone = self.page.wait_gone(&lobby, MAX_WAIT) => {
                    if !self.check(gone)? {
                        continue;
                    }
                    // The lobby message went away: see what replaced it.
                    self.wait(&after_lobby, LOBBY_GONE_SETTLE).await?
                }
            };
            let Some(hit) = hit else { continue };
            match hit.tag {
                Screen::Lobby => {}
                Screen::InCall | Screen::Hangup => return Ok(()),
                _ => return Err(self.failed(hit)),
            }
        }
    }

    async fn in_call(&self) -> SessionOutcome {
        self.host.state(SessionState::InCall);
        self.host.event("admitted", "");
        let people = screens::people();
        let ends = screens::signals(&[Screen::Removed, Screen::Ended, Screen::SignInPage, Screen::Left]);
        // The count may not be drawn yet; the watch reports it once it is, and every change after.
        let mut last = None;
        loop {
            let seen = tokio::select! {
                biased;
                () = self.host.left() => return self.leave().await,
                seen = ends.watch(&self.page, &people, last, MAX_WAIT) => seen,
            };
            match seen {
                Ok((Some(hit), _)) if hit.tag == Screen::Left => {
                    let seen = hit.probe.describe();
                    self.host.event("left", &seen);
                    return SessionOutcome::new(
                        reason::LEFT_NORMALLY,
                        format!("Teams shows the bot out of the call ({seen})"),
                    );
                }
                Ok((Some(hit), _)) => return self.failed(hit),
                Ok((None, Some(count))) if last != Some(count) => {
                    self.host.participants(count);
                    last = Some(count);
                }
                Ok((None, _)) => {}
                Err(error) => return kit_failure(&self.host, &error),
            }
        }
    }

    /// Clicks Leave, confirms if Teams asks, and waits briefly for the post-call screen.
    async fn leave(&self) -> SessionOutcome {
        self.host.state(SessionState::Leaving);
        match self.page.click(&Screen::Hangup.probes()).await {
            Ok(true) => self.host.event("leave_clicked", ""),
            Ok(false) => self.host.warn("no Leave control on screen when asked to leave"),
            Err(_) => return SessionOutcome::new(reason::LEFT_NORMALLY, "asked to leave; the page did not answer"),
        }
        let until = Instant::now() + LEAVE_WAIT;
        let mut confirmations = 0;
        loop {
            let mut list = vec![Screen::Left, Screen::Ended, Screen::Removed];
            if confirmations < 2 {
                list.push(Screen::ConfirmLeave);
            }
            let left = until.saturating_duration_since(Instant::now());
            match screens::signals(&list).wait(&self.page, left).await {
                Ok(Some(hit)) if hit.tag == Screen::ConfirmLeave => {
                    confirmations += 1;
                    if matches!(self.page.click(&Screen::ConfirmLeave.probes()).await, Ok(true)) {
                        self.host.event("leave_confirmed", &hit.probe.describe());
                    }
                }
                Ok(Some(hit)) => {
                    self.host.event("left", &hit.probe.describe());
                    break;
                }
                Ok(None) => {
                    self.host.warn("no post-call screen within 5 s of clicking Leave");
                    break;
                }
                Err(_) => break,
            }
        }
        SessionOutcome::new(reason::LEFT_NORMALLY, "left on the host's request")
    }

    /// Waits up to `deadline` for the first of `screens` (in priority order) to show.
    async fn wait(&self, screens: &[Screen], deadline: Duration) -> Step<Option<Hit<Screen>>> {
        self.check(screens::signals(screens).wait(&self.page, deadline).await)
    }

    /// A kit result, its failure turned into the session's outcome.
    fn check<T>(&self, result: Result<T, KitError>) -> Step<T> {
        result.map_err(|error| kit_failure(&self.host, &error))
    }

    /// The outcome for a screen that ends the session.
    fn failed(&self, hit: Hit<Screen>) -> SessionOutcome {
        let seen = hit.probe.describe();
        self.host.event(hit.tag.event(), &seen);
        self.host.info(&format!("Teams: {:?} ({seen})", hit.tag));
        let why = hit.tag.reason().unwrap_or(reason::INTERNAL_ERROR);
        let detail = match hit.probe {
            Probe::Url { value } => format!("redirected to the sign-in site {}", value.trim_start_matches("://")),
            _ => format!("Teams showed {seen}"),
        };
        SessionOutcome::new(why, detail)
    }

    async fn gave_up(&self, progress: &Progress) -> SessionOutcome {
        let url = self.page.url().await.unwrap_or_else(|e| format!("(address unreadable: {e})"));
        SessionOutcome::new(
            reason::INTERNAL_ERROR,
            format!(
                "no known Teams screen within {} s before joining; page {url}; {}",
                PREJOIN_DEADLINE.as_secs(),
                progress.summary()
            ),
        )
    }
}

fn left_before_admission(host: &Host) -> SessionOutcome {
    host.debug("asked to leave before being admitted");
    SessionOutcome::new(reason::LEFT_NORMALLY, "asked to leave before being admitted")
}

/// A failure of the browser plumbing, with the kit's reason for it.
fn kit_failure(host: &Host, error: &KitError) -> SessionOutcome {
    host.warn(&format!("browser: {error}"));
    SessionOutcome::new(error.reason(), error.to_string())
}
