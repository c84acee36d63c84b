//! [`run`]: one session from the blank page to its end, for any [`Platform`].
//!
//! The driver owns what every platform needs, once: racing the host's leave request (a
//! cancellation or an auto-leave rule interrupts any wait at once, and the bot leaves the way the
//! phase it reached requires), page-load failures, the "nothing recognized" deadline, dialog click
//! budgets, reporting the session state and the timeline's shared events, watching the participant
//! count in the call, and turning plumbing failures into outcomes. Each wait is a wait for
//! something the page shows (the kit reacts to DOM mutations), bounded by a deadline.

use meetbot_plugin_api::{SessionOutcome, SessionRequest, SessionState, event, reason};
use tokio::time::Instant;

use super::{
    Budgets, Cx, Next, Platform, Recognition, Step,
    page_load::{ERROR_CODE_SCRIPT, ERROR_PAGE, is_error_page, network_error, without_query},
};
use crate::{Hit, Host, KitError, MAX_WAIT, MeetingPage, Signals};

/// Runs one session of `platform` to its end.
pub async fn run<P: Platform>(platform: P, request: SessionRequest, host: Host) -> SessionOutcome {
    host.debug("join step: session started");
    host.state(SessionState::Joining);
    let Some(target) = request.browser.as_ref().into_option() else {
        let detail = format!("the host gave the {} session no browser page", P::NAME);
        return SessionOutcome::new(reason::INTERNAL_ERROR, detail);
    };
    let page = tokio::select! {
        page = MeetingPage::attach(target) => match page {
            Ok(page) => {
                host.debug("join step: page attached");
                page
            }
            Err(error) => return failure(&host, error),
        },
        () = host.left() => return SessionOutcome::new(reason::LEFT_NORMALLY, "asked to leave before the page was attached"),
    };
    let mut driver = Driver::new(platform, page, host.clone(), &request);
    let ended = tokio::select! {
        outcome = driver.drive() => Some(outcome),
        () = host.left() => None,
    };
    match ended {
        Some(outcome) => outcome,
        None => driver.leave().await,
    }
}

/// A browser failure as the session's outcome (the kit's reason for it).
fn failure(host: &Host, error: KitError) -> SessionOutcome {
    host.warn(&format!("browser failure: {error}"));
    error.into()
}

/// What a wait can see: the page failing to load, or one of the platform's signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag<S> {
    PageFailed,
    Platform(S),
}

/// The session's state between awaits (the host's leave request drops the future mid-wait; what
/// is kept here tells the leave what the session reached).
pub(super) struct Driver<P: Platform> {
    pub(super) platform: P,
    pub(super) page: MeetingPage,
    pub(super) host: Host,
    url: String,
    pub(super) name: String,
    pub(super) phase: P::Phase,
    navigated: bool,
    /// The state last reported to the host.
    reported: SessionState,
    recognition: Recognition,
    budgets: Budgets<P::Signal>,
    participants: Option<u32>,
}

impl<P: Platform> Driver<P> {
    fn new(platform: P, page: MeetingPage, host: Host, request: &SessionRequest) -> Self {
        Self {
            platform,
            page,
            host,
            url: request.url.to_string(),
            name: request.bot_name.to_string(),
            phase: P::START,
            navigated: false,
            reported: SessionState::Joining,
            recognition: Recognition::new(Instant::now()),
            budgets: Budgets::default(),
            participants: None,
        }
    }

    /// The session up to its own end (the host's leave request interrupts it from outside).
    async fn drive(&mut self) -> SessionOutcome {
        match self.try_drive().await {
            Ok(outcome) => outcome,
            Err(error) => failure(&self.host, error),
        }
    }

    async fn try_drive(&mut self) -> Result<SessionOutcome, KitError> {
        if !self.navigated {
            let address = self.platform.address_to_open(&self.url);
            self.host.info(&format!("opening {}", without_query(&address)));
            self.page.goto(&address).await?;
            self.host.debug("join step: navigation started");
            self.navigated = true;
            self.host.event(event::NAVIGATED, without_query(&address));
            self.recognition.seen(Instant::now());
        }
        loop {
            let ended = if self.phase == P::IN_CALL { self.watch_call().await? } else { self.look().await? };
            if let Some(outcome) = ended {
                return Ok(outcome);
            }
        }
    }

    /// The signals watched in `phase` whose budget allows it, in priority order; the page failing
    /// to load first when `page_failure`.
    fn watch_set(&self, phase: P::Phase, page_failure: bool) -> Signals<Tag<P::Signal>> {
        let now = Instant::now();
        let mut set = Signals::new();
        if page_failure {
            set.push(Tag::PageFailed, [ERROR_PAGE]);
        }
        for signal in self.platform.watched(phase) {
            if self.budgets.available(signal, now) {
                set.push(Tag::Platform(signal), P::probes(signal));
            }
        }
        set
    }

    /// One wait before the call, and what follows from it.
    async fn look(&mut self) -> Result<Option<SessionOutcome>, KitError> {
        let now = Instant::now();
        let mut slice = self.platform.slice(self.phase);
        if let Some(due) = self.budgets.next_due(now) {
            slice = slice.min(due - now);
        }
        let seen = self.watch_set(self.phase, true).wait(&self.page, slice).await?;
        match seen {
            Some(Hit { tag: Tag::PageFailed, .. }) => Ok(Some(self.page_failed().await)),
            Some(Hit { tag: Tag::Platform(signal), probe }) => self.on_signal(Hit { tag: signal, probe }).await,
            None => self.on_quiet().await,
        }
    }

    /// One watch of the call (its signals and its participant count), and what follows from it.
    async fn watch_call(&mut self) -> Result<Option<SessionOutcome>, KitError> {
        let counts = P::participant_count();
        let set = self.watch_set(P::IN_CALL, false);
        let (seen, count) = set.watch(&self.page, &counts, self.participants, MAX_WAIT).await?;
        if let Some(count) = count {
            self.recognition.seen(Instant::now());
            self.report_participants(count);
        }
        match seen {
            Some(Hit { tag: Tag::Platform(signal), probe }) => self.on_signal(Hit { tag: signal, probe }).await,
            Some(Hit { tag: Tag::PageFailed, .. }) => Ok(Some(self.page_failed().await)),
            None if count.is_some() => Ok(None),
            None => self.on_quiet().await,
        }
    }

    fn report_participants(&mut self, count: u32) {
        if self.participants != Some(count) {
            self.participants = Some(count);
            self.host.participants(count);
        }
    }

    /// Acts on a signal as [`Platform::decide`] says.
    async fn on_signal(&mut self, hit: Hit<P::Signal>) -> Result<Option<SessionOutcome>, KitError> {
        self.recognition.seen(Instant::now());
        self.host.debug(&format!("{:?}: saw {:?} ({})", self.phase, hit.tag, hit.probe.describe()));
        match P::decide(self.phase, hit.tag) {
            Step::End(reason) => Ok(Some(self.verdict(reason, hit))),
            Step::Enter(phase) => {
                self.enter(phase).await?;
                Ok(None)
            }
            Step::Click => {
                if self.spend(hit.tag) && self.page.click(&[hit.probe]).await? {
                    self.host.event(event::DIALOG_DISMISSED, hit.probe.value());
                }
                let budget = P::budget(hit.tag);
                if self.budgets.times(hit.tag) >= budget.times {
                    let clicked = budget.times;
                    self.host.debug(&format!(
                        "{} clicked {clicked} time(s), its budget: no longer watched",
                        hit.probe.describe()
                    ));
                }
                Ok(None)
            }
            Step::Act => {
                if !self.spend(hit.tag) {
                    return Ok(None);
                }
                let cx = Cx { page: &self.page, host: &self.host, name: &self.name };
                let next = self.platform.act(&cx, self.phase, hit).await?;
                self.follow(next).await
            }
            Step::Ignore => Ok(None),
        }
    }

    /// Checks between waits: the browser's own address (it also sees redirects whose page failed
    /// to load), the platform's checks, and the deadline for seeing nothing known.
    async fn on_quiet(&mut self) -> Result<Option<SessionOutcome>, KitError> {
        let address = self.page.url().await?;
        if is_error_page(&address) {
            return Ok(Some(self.page_failed().await));
        }
        if let Some((reason, detail)) = self.platform.address(&address) {
            return Ok(Some(self.end(reason, detail)));
        }
        let cx = Cx { page: &self.page, host: &self.host, name: &self.name };
        let next = self.platform.quiet(&cx, self.phase).await?;
        if let Some(outcome) = self.follow(next).await? {
            return Ok(Some(outcome));
        }
        let patience = P::patience(self.phase);
        if self.recognition.overdue(Instant::now(), patience) {
            let detail = format!(
                "no known {} screen for {} s in phase {:?} (page {}; {})",
                P::NAME,
                patience.unwrap_or_default().as_secs(),
                self.phase,
                without_query(&address),
                self.platform.progress()
            );
            return Ok(Some(self.end(reason::INTERNAL_ERROR, detail)));
        }
        Ok(None)
    }

    async fn follow(&mut self, next: Next<P::Phase>) -> Result<Option<SessionOutcome>, KitError> {
        match next {
            Next::Wait => {}
            Next::Seen => self.recognition.seen(Instant::now()),
            Next::Enter(phase) => self.enter(phase).await?,
            Next::End(reason, detail) => return Ok(Some(self.end(reason, detail))),
        }
        Ok(None)
    }

    /// Moves to `phase`, telling the host when the session state changes with it.
    async fn enter(&mut self, phase: P::Phase) -> Result<(), KitError> {
        if phase == self.phase {
            return Ok(());
        }
        self.phase = phase;
        self.recognition.seen(Instant::now());
        let state = P::state(phase);
        if state != self.reported {
            self.reported = state;
            self.host.state(state);
            match state {
                SessionState::WaitingRoom => self.host.event(event::WAITING_ROOM, ""),
                SessionState::InCall => self.host.event(event::ADMITTED, ""),
                SessionState::Joining | SessionState::Leaving => {}
            }
        }
        // The count the bot finds on entering comes first: whoever watches it (the host's
        // everyone-left rule) must see the people who were there before any of them leaves.
        if phase == P::IN_CALL
            && let Some(count) = self.page.read_count(&P::participant_count()).await?
        {
            self.report_participants(count);
        }
        let cx = Cx { page: &self.page, host: &self.host, name: &self.name };
        self.platform.entered(&cx, phase).await
    }

    /// Records one action on `signal`; false when its budget is spent.
    fn spend(&mut self, signal: P::Signal) -> bool {
        self.budgets.spend(signal, P::budget(signal), Instant::now())
    }

    /// The outcome for a platform verdict, with what the page showed as the detail.
    pub(super) fn verdict(&self, reason: &'static str, hit: Hit<P::Signal>) -> SessionOutcome {
        let detail = match hit.probe {
            crate::Probe::Url { value } => format!("{} sent the bot to an address containing \"{value}\"", P::NAME),
            probe => format!("{} showed {} (phase {:?})", P::NAME, probe.describe(), self.phase),
        };
        self.end(reason, detail)
    }

    /// Chromium's error page: what the address says, else the page did not load.
    async fn page_failed(&self) -> SessionOutcome {
        let address = self.page.url().await.unwrap_or_default();
        match self.platform.address(&address) {
            Some((reason, detail)) => self.end(reason, detail),
            None => {
                let code: String = self.page.evaluate(ERROR_CODE_SCRIPT).await.unwrap_or_default();
                let code = code.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect::<String>();
                let why = match (network_error(&code), code.is_empty()) {
                    (Some(words), _) => format!(": {words} ({code})"),
                    (None, false) => format!(": {code}"),
                    (None, true) => String::new(),
                };
                let detail =
                    format!("the {} page did not load{why} (browser address {})", P::NAME, without_query(&address));
                self.end(reason::INTERNAL_ERROR, detail)
            }
        }
    }

    /// Ends the session: the reason as a timeline event with the detail, and a log line.
    fn end(&self, reason: &'static str, detail: String) -> SessionOutcome {
        self.host.event(reason, &detail);
        self.host.info(&format!("session ends with {reason}: {detail}"));
        SessionOutcome::new(reason, detail)
    }
}
