//! One Teams session as a state machine: pre-join (launcher, notices, camera and microphone off,
//! the name, "Join now") → lobby → in the call (participant counts, the end) → leave.
//!
//! Every step waits for the page to change (the kit's waits are driven by DOM mutations) with a
//! deadline, never for a fixed time. The pre-join phase reacts to whatever screen Teams shows
//! next instead of following a fixed script, because Teams skips, repeats and reorders screens
//! (launcher or not, notices, slow loading) and any screen may be a refusal.

use std::time::Duration;

use meetbot_plugin_api::{BrowserTarget, SessionOutcome, SessionRequest, SessionState, reason};
use meetbot_plugin_kit::{Host, KitError, MeetingPage, Probe};
use tokio::time::Instant;

use crate::{
    kit_candidates::{PageScript, Switch, Target},
    screens::{self, FAILURES, Screen, Watch},
    texts,
};

/// How long the pre-join phase may take before the session gives up with `internal_error`: Teams
/// loads slowly on a cold browser, but a minute without any recognizable screen means the page is
/// not what the plugin knows.
const PREJOIN_DEADLINE: Duration = Duration::from_secs(60);
/// The longest single page-side wait; loops re-arm it.
const SLICE: Duration = Duration::from_secs(10);
/// A click on "Continue on this browser" that did not take is repeated after this long.
const LAUNCHER_RETRY: Duration = Duration::from_secs(3);
/// A dismissed notice that is still there is clicked again after this long.
const DIALOG_RETRY: Duration = Duration::from_secs(1);
/// "Join now" still on screen this long after a click is clicked again (a click on a button that
/// was still disabled is lost).
const JOIN_RETRY: Duration = Duration::from_secs(4);
/// Clicks on "Join now" before giving up on it.
const JOIN_ATTEMPTS: u32 = 3;
/// A lone "Sign in" action is a wall when nothing of the join flow appears within this long.
const SIGN_IN_CONFIRM: Duration = Duration::from_secs(2);
/// How long the device switches may take to appear once the pre-join screen is there.
const SWITCHES_APPEAR: Duration = Duration::from_millis(1500);
/// How long a switch may take to show "off" after the click.
const SWITCH_SETTLES: Duration = Duration::from_secs(2);
/// The hang-up control without a People button counts as the call once the lobby message has not
/// appeared for this long (Teams shows hang-up in the lobby too, and may draw it first).
const HANGUP_CONFIRM: Duration = Duration::from_secs(1);
/// How long the page may take to show what replaced the lobby message.
const LOBBY_GONE_SETTLE: Duration = Duration::from_secs(2);
/// How long the browser may take to confirm the navigation to the meeting link.
const GOTO_ANSWER: Duration = Duration::from_secs(5);
/// How long one attempt to attach the kit's page may take to answer a first probe.
const ATTACH_CHECK: Duration = Duration::from_millis(1500);
/// Attempts to get a working kit page.
const ATTACH_ATTEMPTS: u32 = 5;
/// How long a page-side wait may keep failing because the document is being replaced (a
/// cross-site redirect leaves no script context for a moment) before it counts as a failure.
const CONTEXT_GAP: Duration = Duration::from_secs(5);
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
        attached = async { tokio::try_join!(attach_kit_page(&target, &host), PageScript::attach(&target)) } => attached,
    };
    let (page, script) = match attached {
        Ok(both) => both,
        Err(error) => return kit_failure(&host, &error),
    };
    let session = Session { page, script, host, name: request.bot_name.to_string(), url: request.url.to_string() };
    session.run().await
}

/// The pre-join phase's memory: what was done when, so each screen is acted on once and retried
/// only after a while. Kept apart from the page so the decisions are testable.
#[derive(Debug, Default, Clone)]
pub struct Progress {
    launcher_at: Option<Instant>,
    dialog_at: Option<Instant>,
    sign_in_checked_at: Option<Instant>,
    media_done: bool,
    name_typed: bool,
    join_clicks: u32,
    join_at: Option<Instant>,
}

impl Progress {
    /// The screens to watch for now, in priority order, and when to look again even if none
    /// shows (a retry falls due).
    pub fn watch_list(&self, now: Instant, deadline: Instant) -> (Vec<Screen>, Instant) {
        let mut screens = FAILURES.to_vec();
        screens.extend([Screen::InCall, Screen::Lobby]);
        let mut wake = deadline;
        let mut due = |at: Option<Instant>, retry: Duration| match at {
            Some(at) if now < at + retry => {
                wake = wake.min(at + retry);
                false
            }
            _ => true,
        };
        if due(self.launcher_at, LAUNCHER_RETRY) {
            screens.push(Screen::Launcher);
        }
        if due(self.dialog_at, DIALOG_RETRY) {
            screens.push(Screen::Dialog);
        }
        if !self.name_typed {
            screens.push(Screen::NameField);
        }
        if self.join_clicks < JOIN_ATTEMPTS && due(self.join_at, JOIN_RETRY) {
            screens.push(Screen::JoinButton);
        }
        if self.join_clicks > 0 {
            screens.push(Screen::Hangup);
        }
        if due(self.sign_in_checked_at, SIGN_IN_CONFIRM) {
            screens.push(Screen::SignInButton);
        }
        (screens, wake)
    }

    /// What was done so far, for the detail of a give-up.
    pub fn summary(&self) -> String {
        format!(
            "launcher {}, name {}, Join now clicked {} time(s)",
            if self.launcher_at.is_some() { "passed" } else { "not seen" },
            if self.name_typed { "typed" } else { "not typed" },
            self.join_clicks
        )
    }
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

struct Session {
    page: MeetingPage,
    script: PageScript,
    host: Host,
    name: String,
    url: String,
}

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
        // Should the navigation's answer get lost while the page goes on loading, the screens
        // below are what counts: a late answer only costs a log line.
        match tokio::time::timeout(GOTO_ANSWER, self.script.goto(&self.url)).await {
            Ok(Ok(())) => self.host.debug(&format!("opened {}", self.url)),
            Ok(Err(error)) => return Err(kit_failure(&self.host, &error)),
            Err(_) => self.host.warn(&format!("opening {} was not confirmed within {GOTO_ANSWER:?}", self.url)),
        }
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
            let watch = Watch::new(&list);
            let Some((screen, probe)) = self.wait(&watch, wake.saturating_duration_since(now)).await? else {
                continue;
            };
            self.host.debug(&format!("pre-join: {screen:?} ({})", screens::describe(&probe)));
            match screen {
                Screen::InCall => return Ok(Joined::InCall),
                Screen::Lobby => return Ok(Joined::Lobby),
                Screen::Hangup => {
                    if let Some(joined) = self.confirm_hangup().await? {
                        return Ok(joined);
                    }
                }
                Screen::Launcher => {
                    progress.launcher_at = Some(Instant::now());
                    if self.click(&screen.probes()).await? {
                        self.host.event("continued_in_browser", &screens::describe(&probe));
                    }
                }
                Screen::Dialog => {
                    progress.dialog_at = Some(Instant::now());
                    if self.click(&screen.probes()).await? {
                        self.host.event("dialog_dismissed", &screens::describe(&probe));
                    }
                }
                Screen::NameField => {
                    self.media_off(&mut progress).await?;
                    let typed =
                        self.page.fill(&screen.probes(), &self.name).await.map_err(|e| kit_failure(&self.host, &e))?;
                    if typed {
                        progress.name_typed = true;
                        self.host.event("name_typed", &self.name);
                    }
                }
                Screen::JoinButton => {
                    // A name field drawn after the button still has to be filled first.
                    if !progress.name_typed
                        && self.wait(&Watch::new(&[Screen::NameField]), DIALOG_RETRY).await?.is_some()
                    {
                        continue;
                    }
                    self.media_off(&mut progress).await?;
                    progress.join_at = Some(Instant::now());
                    if self.click(&screen.probes()).await? {
                        progress.join_clicks += 1;
                        self.host.event("join_clicked", &self.name);
                    }
                }
                Screen::SignInButton => {
                    progress.sign_in_checked_at = Some(Instant::now());
                    if self.wait(&Watch::new(&JOIN_FLOW), SIGN_IN_CONFIRM).await?.is_none() {
                        return Err(self.failed(Screen::SignInButton, &probe));
                    }
                }
                failure => return Err(self.failed(failure, &probe)),
            }
        }
    }

    /// The hang-up control showed after "Join now" but no People button: the call, unless the
    /// lobby message (or a refusal) shows up right after.
    async fn confirm_hangup(&self) -> Step<Option<Joined>> {
        let mut list = FAILURES.to_vec();
        list.extend([Screen::InCall, Screen::Lobby]);
        match self.wait(&Watch::new(&list), HANGUP_CONFIRM).await? {
            None | Some((Screen::InCall, _)) => Ok(Some(Joined::InCall)),
            Some((Screen::Lobby, _)) => Ok(Some(Joined::Lobby)),
            Some((failure, probe)) => Err(self.failed(failure, &probe)),
        }
    }

    /// Turns camera and microphone off, once, before the name and the join.
    async fn media_off(&self, progress: &mut Progress) -> Step<()> {
        if progress.media_done {
            return Ok(());
        }
        progress.media_done = true;
        let targets = [screens::camera(), screens::microphone()];
        let mut states =
            self.script.switches(&targets, SWITCHES_APPEAR).await.map_err(|e| kit_failure(&self.host, &e))?;
        let before = states.clone();
        // A click can land while the switch is re-rendered; one more try covers that.
        for _ in 0..2 {
            if !states.iter().flatten().any(|s| s.on == Some(true)) {
                break;
            }
            states = self
                .script
                .turn_off(&targets, &states, SWITCH_SETTLES)
                .await
                .map_err(|e| kit_failure(&self.host, &e))?;
        }
        for ((device, was), now) in ["camera", "microphone"].iter().zip(&before).zip(&states) {
            self.report_switch(device, *was, *now);
        }
        Ok(())
    }

    fn report_switch(&self, device: &str, before: Option<Switch>, after: Option<Switch>) {
        let kind = if device == "camera" { "camera_off" } else { "mic_off" };
        match (before.and_then(|s| s.on), after.and_then(|s| s.on)) {
            (Some(true), Some(false)) => self.host.event(kind, "turned off"),
            (_, Some(true)) => self.host.warn(&format!("the {device} is still on after clicking its switch")),
            (Some(false), _) => self.host.debug(&format!("the {device} was already off")),
            _ if before.is_none() => self.host.debug(&format!("no {device} switch on the pre-join screen")),
            _ => self.host.debug(&format!("the {device} switch shows no state")),
        }
    }

    async fn lobby(&self) -> Step<()> {
        self.host.state(SessionState::WaitingRoom);
        self.host.event("waiting_room", "");
        let mut exits = FAILURES.to_vec();
        exits.push(Screen::InCall);
        let exits = Watch::new(&exits);
        let mut after_lobby = FAILURES.to_vec();
        after_lobby.extend([Screen::InCall, Screen::Lobby, Screen::Hangup]);
        let after_lobby = Watch::new(&after_lobby);
        let lobby_texts: Vec<&str> = texts::LOBBY.all().collect();
        loop {
            let hit = tokio::select! {
                hit = self.wait(&exits, SLICE) => hit?,
                gone = self.script.texts_gone(&lobby_texts, SLICE) => {
                    if !gone.map_err(|e| kit_failure(&self.host, &e))? {
                        continue;
                    }
                    // The lobby message went away: see what replaced it.
                    self.wait(&after_lobby, LOBBY_GONE_SETTLE).await?
                }
            };
            match hit {
                None | Some((Screen::Lobby, _)) => {}
                Some((Screen::InCall | Screen::Hangup, _)) => return Ok(()),
                Some((failure, probe)) => return Err(self.failed(failure, &probe)),
            }
        }
    }

    async fn in_call(&self) -> SessionOutcome {
        self.host.state(SessionState::InCall);
        self.host.event("admitted", "");
        let people = screens::people();
        // The count may not be drawn yet; the watch below reports it once it is.
        let mut last = self.script.count(&people).await.unwrap_or_else(|error| {
            self.host.debug(&format!("participant count not readable yet: {error}"));
            None
        });
        if let Some(count) = last {
            self.host.participants(count);
        }
        let ends = Watch::new(&[Screen::Removed, Screen::Ended, Screen::SignInPage, Screen::Left]);
        let mut end = Box::pin(self.wait(&ends, SLICE));
        let mut change = Box::pin(self.count_change(&people, last));
        loop {
            tokio::select! {
                biased;
                () = self.host.left() => return self.leave().await,
                hit = &mut end => match hit {
                    Ok(Some((Screen::Left, probe))) => {
                        self.host.event("left", &screens::describe(&probe));
                        return SessionOutcome::new(
                            reason::LEFT_NORMALLY,
                            format!("Teams shows the bot out of the call ({})", screens::describe(&probe)),
                        );
                    }
                    Ok(Some((screen, probe))) => return self.failed(screen, &probe),
                    Ok(None) => end = Box::pin(self.wait(&ends, SLICE)),
                    Err(outcome) => return outcome,
                },
                seen = &mut change => match seen {
                    Ok(Some(count)) => {
                        self.host.participants(count);
                        last = Some(count);
                        change = Box::pin(self.count_change(&people, last));
                    }
                    Ok(None) => change = Box::pin(self.count_change(&people, last)),
                    Err(outcome) => return outcome,
                },
            }
        }
    }

    /// Clicks Leave, confirms if Teams asks, and waits briefly for the post-call screen.
    async fn leave(&self) -> SessionOutcome {
        self.host.state(SessionState::Leaving);
        match self.click(&Screen::Hangup.probes()).await {
            Ok(true) => self.host.event("leave_clicked", ""),
            Ok(false) => self.host.warn("no Leave control on screen when asked to leave"),
            Err(_) => return SessionOutcome::new(reason::LEFT_NORMALLY, "asked to leave; the page did not answer"),
        }
        let until = Instant::now() + LEAVE_WAIT;
        let mut confirmations = 0;
        loop {
            let mut list = vec![Screen::Left, Screen::Ended, Screen::Removed];
            if confirmations < 2 {
                list.push(Screen::ConfirmDialog);
            }
            let left = until.saturating_duration_since(Instant::now());
            match self.wait(&Watch::new(&list), left).await {
                Ok(Some((Screen::ConfirmDialog, _))) => {
                    confirmations += 1;
                    let labels: Vec<&str> = texts::CONFIRM_LEAVE.all().collect();
                    if matches!(self.script.click_dialog_button(&labels).await, Ok(true)) {
                        self.host.event("leave_confirmed", "");
                    }
                }
                Ok(Some((_, probe))) => {
                    self.host.event("left", &screens::describe(&probe));
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

    async fn wait(&self, watch: &Watch, deadline: Duration) -> Step<Option<(Screen, Probe)>> {
        let until = Instant::now() + deadline.max(CONTEXT_GAP);
        loop {
            let error = match self.page.wait_for(watch.probes(), deadline).await {
                Ok(index) => return Ok(index.and_then(|i| watch.hit(i))),
                Err(error) => error,
            };
            // Landing on the sign-in site is itself the answer, even before its page can run scripts.
            let address = self.page.url().await.unwrap_or_default();
            let on_sign_in_site = |p: &&Probe| matches!(p, Probe::Url { value } if address.contains(value));
            if let Some(probe) = texts::SIGN_IN_HOSTS.iter().find(on_sign_in_site)
                && watch.probes().contains(probe)
            {
                return Ok(Some((Screen::SignInPage, *probe)));
            }
            if !is_context_gap(&error) || Instant::now() >= until {
                return Err(kit_failure(&self.host, &error));
            }
            self.host.debug(&format!("page replaced under a wait ({error}); trying again"));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the first present probe; false when none is there (any more).
    async fn click(&self, probes: &[Probe]) -> Step<bool> {
        match self.page.click(probes).await {
            Ok(clicked) => Ok(clicked),
            // The kit reports "nothing to click" as a script error (a null result).
            Err(KitError::Script(message)) if message.contains("No value found") => Ok(false),
            Err(error) => Err(kit_failure(&self.host, &error)),
        }
    }

    async fn count_change(&self, people: &Target, last: Option<u32>) -> Step<Option<u32>> {
        self.script.count_change(people, last, SLICE).await.map_err(|e| kit_failure(&self.host, &e))
    }

    /// The outcome for a screen that ends the session.
    fn failed(&self, screen: Screen, probe: &Probe) -> SessionOutcome {
        let seen = screens::describe(probe);
        self.host.event(screen.event(), &seen);
        self.host.info(&format!("Teams: {screen:?} ({seen})"));
        let why = screen.reason().unwrap_or(reason::INTERNAL_ERROR);
        let detail = match probe {
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

/// The kit's page, checked with one probe: chromiumoxide 0.9's `fetch_targets` (which the kit's
/// attach calls) attaches to the page twice and may keep the wrong session, after which every
/// call hangs or fails with "Session with given id not found". A fresh connection usually gets
/// the right one. (Reported as a kit problem; see `kit_candidates::PageScript::attach`.)
async fn attach_kit_page(target: &BrowserTarget, host: &Host) -> Result<MeetingPage, KitError> {
    let mut last = KitError::PageNotFound(target.target_id.to_string());
    for attempt in 1..=ATTACH_ATTEMPTS {
        let page = MeetingPage::attach(target).await?;
        match tokio::time::timeout(ATTACH_CHECK, page.is_present(&[Probe::url(":")])).await {
            Ok(Ok(_)) => return Ok(page),
            Ok(Err(error)) => last = error,
            Err(_) => last = KitError::Cdp(format!("the page did not answer within {ATTACH_CHECK:?}")),
        }
        host.debug(&format!("attach attempt {attempt}: the page session is unusable ({last}); attaching again"));
    }
    Err(last)
}

fn left_before_admission(host: &Host) -> SessionOutcome {
    host.debug("asked to leave before being admitted");
    SessionOutcome::new(reason::LEFT_NORMALLY, "asked to leave before being admitted")
}

/// A page-side call that failed because the document is between two script contexts (a
/// navigation to another site), which the kit does not yet ride out by itself.
fn is_context_gap(error: &KitError) -> bool {
    matches!(error, KitError::Cdp(message) if message.contains("executionContextId") || message.contains("Cannot find context"))
}

/// A failure of the browser plumbing: a dead browser is `browser_crashed`, anything else
/// `internal_error`.
fn kit_failure(host: &Host, error: &KitError) -> SessionOutcome {
    host.warn(&format!("browser: {error}"));
    let why = match error {
        KitError::Cdp(_) => reason::BROWSER_CRASHED,
        _ => reason::INTERNAL_ERROR,
    };
    SessionOutcome::new(why, error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    #[test]
    fn failures_come_before_everything_and_sign_in_button_last() {
        let now = Instant::now();
        let (list, wake) = Progress::default().watch_list(now, at(now, 60_000));
        assert_eq!(&list[..FAILURES.len()], &FAILURES);
        assert_eq!(list.last(), Some(&Screen::SignInButton));
        let pos = |s| list.iter().position(|x| *x == s).expect("listed");
        assert!(pos(Screen::Lobby) < pos(Screen::Launcher) && pos(Screen::InCall) < pos(Screen::Lobby));
        assert!(pos(Screen::NameField) < pos(Screen::JoinButton), "the name is typed before joining");
        assert!(!list.contains(&Screen::Hangup), "hang-up means nothing before Join now");
        assert_eq!(wake, at(now, 60_000));
    }

    #[test]
    fn acted_on_screens_rest_until_their_retry_falls_due() {
        let now = Instant::now();
        let progress = Progress {
            launcher_at: Some(now),
            name_typed: true,
            join_clicks: 1,
            join_at: Some(now),
            ..Progress::default()
        };
        let (list, wake) = progress.watch_list(at(now, 100), at(now, 60_000));
        assert!(!list.contains(&Screen::Launcher) && !list.contains(&Screen::NameField));
        assert!(!list.contains(&Screen::JoinButton) && list.contains(&Screen::Hangup));
        assert_eq!(wake, now + LAUNCHER_RETRY, "wakes for the earliest retry");
        let (later, _) = progress.watch_list(now + JOIN_RETRY, at(now, 60_000));
        assert!(later.contains(&Screen::JoinButton) && later.contains(&Screen::Launcher));
        assert!(!later.contains(&Screen::NameField), "the name is typed once");
    }

    #[test]
    fn join_now_is_clicked_a_bounded_number_of_times() {
        let now = Instant::now();
        let progress = Progress { join_clicks: JOIN_ATTEMPTS, ..Progress::default() };
        let (list, _) = progress.watch_list(now + JOIN_RETRY * 2, now + PREJOIN_DEADLINE);
        assert!(!list.contains(&Screen::JoinButton));
        assert!(progress.summary().contains("3 time(s)"));
    }
}
