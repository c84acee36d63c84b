//! [`Scenario`]: one session of a plugin, run as the worker runs a job, and checked against the
//! session contract.
//!
//! The plugin is called through its ABI root module (`root_module::<P>()`), so the session runs
//! exactly as in the worker: through the FFI entry points, on the plugin's own runtime, with a
//! [`FakeHost`] as its host context and a [`TestBrowser`] page (a blank tab the plugin navigates
//! itself). The scenario plays the worker's part: it may ask the bot to leave (once in the call,
//! or after a while), and holds the plugin to the bound the worker gives a leave.
//!
//! What is checked ([`Breach`] names each failure):
//! - the provider is the plugin's, it declares meeting hosts, `normalize_url` accepts the link
//!   and returns a URL the worker would open (https, on a declared host, ...);
//! - the session ends with the expected reason, and with a reason the worker knows;
//! - the states come in order, and no participant count comes before `in_call`;
//! - asked to leave in the call, a browser plugin clicks Leave (the page reports the page event
//!   `leave_clicked`, or the kind set with [`Scenario::leave_event`]), and any plugin returns within the leave
//!   bound ([`LEAVE_BOUND`], the worker's, unless set with [`Scenario::leave_bound`]);
//! - the whole session ends within the scenario's timeout.

mod contract;
mod ran;
mod url_policy;

use std::{
    pin::pin,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use abi_stable::std_types::{RResult, RString};
pub use contract::{Breach, REASONS, check_reports};
use meetbot_plugin_api::{
    BrowserTarget, PluginManifest, PluginRootRef, SessionOutcome, SessionRequest, SessionState, reason,
};
use meetbot_plugin_kit::{Plugin, export::root_module};
pub use ran::{ContractBroken, Outcome, Ran, Trail};
use tokio::time::Instant;

use crate::{FakeHost, FakeSite, TestBrowser};

/// How long the worker waits for a plugin asked to leave before it ends the session itself.
pub const LEAVE_BOUND: Duration = Duration::from_secs(20);

/// How long a scenario may last unless set with [`Scenario::timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The page event a fake page posts when the bot clicked Leave, unless set with
/// [`Scenario::leave_event`].
pub const LEAVE_CLICKED: &str = "leave_clicked";

/// How long after the plugin returned the page's report of the Leave click may still arrive (the
/// page posts it as the click happens; the post can land just after the plugin saw the page
/// react).
const PAGE_EVENT_GRACE: Duration = Duration::from_secs(2);

/// When the scenario asks the bot to leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leave {
    /// This long after the plugin reported `in_call`.
    InCallAfter(Duration),
    /// This long after the session started, whatever its state.
    After(Duration),
}

/// One session to run and check. Built with the methods below, run with [`Scenario::run`].
#[derive(Debug, Clone)]
pub struct Scenario {
    url: String,
    provider: Option<String>,
    bot_name: String,
    timezone: String,
    leave: Option<Leave>,
    expected: String,
    leave_event: String,
    leave_bound: Duration,
    timeout: Duration,
    job_json: Option<serde_json::Value>,
}

impl Scenario {
    /// A session joining `url` (as a job would give it, before normalizing), as "Notes Bot", for
    /// the plugin's first provider, expected to end `left_normally`, never asked to leave.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            provider: None,
            bot_name: "Notes Bot".to_owned(),
            timezone: "UTC".to_owned(),
            leave: None,
            expected: reason::LEFT_NORMALLY.to_owned(),
            leave_event: LEAVE_CLICKED.to_owned(),
            leave_bound: LEAVE_BOUND,
            timeout: DEFAULT_TIMEOUT,
            job_json: None,
        }
    }

    /// The job's provider (default: the first the plugin's manifest declares).
    pub fn provider(mut self, provider: &str) -> Self {
        self.provider = Some(provider.to_owned());
        self
    }

    /// The display name the bot joins with.
    pub fn bot_name(mut self, name: &str) -> Self {
        name.clone_into(&mut self.bot_name);
        self
    }

    /// The job's time zone (default `UTC`).
    pub fn timezone(mut self, timezone: &str) -> Self {
        timezone.clone_into(&mut self.timezone);
        self
    }

    /// Asks the bot to leave `after` it reported `in_call` (then the Leave click and the leave
    /// bound are checked, and the session must reach the call).
    pub fn leave_when_in_call_after(mut self, after: Duration) -> Self {
        self.leave = Some(Leave::InCallAfter(after));
        self
    }

    /// Asks the bot to leave `after` the session started, whatever its state (a cancel in the
    /// lobby: the plugin just stops).
    pub fn leave_after(mut self, after: Duration) -> Self {
        self.leave = Some(Leave::After(after));
        self
    }

    /// The reason the session must end with (default `left_normally`).
    pub fn expect_reason(mut self, reason: &str) -> Self {
        reason.clone_into(&mut self.expected);
        self
    }

    /// The page event the fake page posts when Leave is clicked (default `leave_clicked`).
    pub fn leave_event(mut self, kind: &str) -> Self {
        kind.clone_into(&mut self.leave_event);
        self
    }

    /// How long the plugin may take to return once asked to leave (default [`LEAVE_BOUND`], the
    /// worker's).
    pub fn leave_bound(mut self, bound: Duration) -> Self {
        self.leave_bound = bound;
        self
    }

    /// How long the whole session may last (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The job as JSON the plugin receives in `SessionRequest::job_json` (default: the fields the
    /// worker passes, from this scenario).
    pub fn job_json(mut self, job: serde_json::Value) -> Self {
        self.job_json = Some(job);
        self
    }

    /// Runs the session of plugin `P` through its root module against `site`.
    pub async fn run<P: Plugin>(&self, site: &FakeSite) -> Result<Ran, ContractBroken> {
        self.run_root(root_module::<P>(), site).await
    }

    /// Runs the session of a plugin given by its root module (a library's exported root, or
    /// `root_module::<P>()`) against `site`.
    pub async fn run_root(&self, root: PluginRootRef, site: &FakeSite) -> Result<Ran, ContractBroken> {
        let started = Instant::now();
        let mut trail = Trail::new(started);
        let manifest = (root.manifest())();
        let plugin = manifest.name.to_string();
        let broken =
            |breach: Breach, trail: Trail| ContractBroken { plugin: plugin.clone(), breaches: vec![breach], trail };
        let (provider, url) = match self.admit(root, &manifest) {
            Ok(admitted) => admitted,
            Err(breach) => return Err(broken(breach, trail)),
        };
        trail.url = url;
        let (browser, target) = match self.browser(&manifest, &trail.url, site).await {
            Ok(browser) => browser,
            Err(breach) => return Err(broken(breach, trail)),
        };
        let request = self.request(&provider, &trail.url, target);
        let host = FakeHost::new();
        // The session's times count from here, the browser's launch left out.
        trail.started = Instant::now();
        let mut breaches = self.drive((root.run())(request, host.context()), &host, &mut trail).await;
        // A plugin without a browser has no page to click Leave on.
        if manifest.needs_browser
            && let Some(breach) = self.check_leave_click(&host, &trail, site).await
        {
            breaches.push(breach);
        }
        if let Some(browser) = browser {
            browser.close().await;
        }
        trail.timeline = host.timeline();
        trail.page_events = site.page_events().into_iter().filter(|event| event.at >= started).collect();
        breaches.extend(self.check_end(&trail));
        match trail.outcome.clone() {
            Some(outcome) if breaches.is_empty() => Ok(Ran { trail, outcome }),
            _ => Err(ContractBroken { plugin, breaches, trail }),
        }
    }

    /// What the worker checks before a job's session starts: the provider is the plugin's, it
    /// declares meeting hosts, and `normalize_url` accepts the link and returns one the worker
    /// opens. The provider and the normalized URL.
    fn admit(&self, root: PluginRootRef, manifest: &PluginManifest) -> Result<(String, String), Breach> {
        let declared: Vec<String> = manifest.providers.iter().map(|p| p.to_string()).collect();
        let provider = self.provider.clone().or_else(|| declared.first().cloned()).unwrap_or_default();
        if !declared.contains(&provider) {
            return Err(Breach::ProviderNotDeclared { provider, declared });
        }
        let hosts: Vec<String> = root
            .meeting_hosts()
            .map(|hosts| hosts().into_iter().map(RString::into_string).collect())
            .unwrap_or_default();
        if hosts.is_empty() {
            return Err(Breach::NoMeetingHosts);
        }
        let normalized = match (root.normalize_url())(provider.as_str().into(), self.url.as_str().into()) {
            RResult::ROk(url) => url.into_string(),
            RResult::RErr(why) => return Err(Breach::UrlRefused { url: self.url.clone(), why: why.into_string() }),
        };
        url_policy::check(&normalized, &hosts)
            .map_err(|why| Breach::UrlOffPolicy { normalized: normalized.clone(), why })?;
        Ok((provider, normalized))
    }

    /// The browser and blank page the worker would give the session (none when the manifest asks
    /// for none), once the site serves the host the plugin opens.
    async fn browser(
        &self,
        manifest: &PluginManifest,
        url: &str,
        site: &FakeSite,
    ) -> Result<(Option<TestBrowser>, Option<BrowserTarget>), Breach> {
        if !manifest.needs_browser {
            return Ok((None, None));
        }
        let host = url_policy::host_of(url);
        if !site.serves(&host) {
            let served = site.hosts().join(", ");
            return Err(Breach::Harness(format!(
                "the plugin opens {host}, which the fake site does not serve ({served})"
            )));
        }
        let browser = TestBrowser::launch(site).await.map_err(|error| Breach::Harness(error.to_string()))?;
        let target = browser.blank_page().await.map_err(|error| Breach::Harness(error.to_string()))?;
        Ok((Some(browser), Some(target)))
    }

    /// The request the worker would send for this scenario.
    fn request(&self, provider: &str, url: &str, browser: Option<BrowserTarget>) -> SessionRequest {
        static JOBS: AtomicU64 = AtomicU64::new(1);
        let job_id = format!("testkit-{}-{}", std::process::id(), JOBS.fetch_add(1, Ordering::Relaxed));
        let job = self.job_json.clone().unwrap_or_else(|| {
            serde_json::json!({
                "url": url, "provider": provider, "name": self.bot_name, "timezone": self.timezone,
                "botId": job_id, "teamId": null, "userId": null, "eventId": null, "joinAt": null, "autoLeave": null,
            })
        });
        SessionRequest {
            job_id: job_id.as_str().into(),
            correlation_id: format!("{job_id}-correlation").into(),
            provider: provider.into(),
            url: url.into(),
            bot_name: self.bot_name.as_str().into(),
            timezone: self.timezone.as_str().into(),
            browser: browser.into(),
            job_json: job.to_string().into(),
        }
    }

    /// Plays the worker's part until the session returns: asks the bot to leave when the scenario
    /// says, and holds it to the leave bound and the timeout.
    async fn drive(
        &self,
        session: impl Future<Output = SessionOutcome>,
        host: &FakeHost,
        trail: &mut Trail,
    ) -> Vec<Breach> {
        let mut breaches = Vec::new();
        let mut session = pin!(session);
        let leave_due = async {
            match self.leave {
                Some(Leave::InCallAfter(after)) => {
                    if host.wait_state(SessionState::InCall, self.timeout).await.is_none() {
                        std::future::pending::<()>().await;
                    }
                    tokio::time::sleep(after).await;
                }
                Some(Leave::After(after)) => tokio::time::sleep(after).await,
                None => std::future::pending().await,
            }
        };
        let ended = tokio::select! {
            outcome = &mut session => Some(outcome),
            () = leave_due => None,
            () = tokio::time::sleep_until(trail.started + self.timeout) => {
                breaches.push(Breach::Timeout(self.timeout));
                None
            }
        };
        let outcome = match ended {
            Some(outcome) => Some(outcome),
            None => {
                host.ask_to_leave();
                trail.leave_asked = host.leave_asked_at();
                match tokio::time::timeout(self.leave_bound, &mut session).await {
                    Ok(outcome) => Some(outcome),
                    Err(_) => {
                        breaches.push(Breach::LeaveBoundExceeded(self.leave_bound));
                        None
                    }
                }
            }
        };
        if let Some(outcome) = outcome {
            trail.returned = Some(Instant::now());
            trail.outcome =
                Some(Outcome { reason: outcome.reason.into_string(), detail: outcome.detail.into_string() });
        }
        breaches
    }

    /// Asked to leave in the call and ending `left_normally`, the page must have seen Leave clicked.
    async fn check_leave_click(&self, host: &FakeHost, trail: &Trail, site: &FakeSite) -> Option<Breach> {
        let asked = trail.leave_asked?;
        let in_call_when_asked =
            host.timeline().iter().any(|r| r.at <= asked && r.report == crate::Report::State(SessionState::InCall));
        let left_normally = trail.outcome.as_ref().is_some_and(|o| o.reason == reason::LEFT_NORMALLY);
        if !in_call_when_asked || !left_normally {
            return None;
        }
        let clicked = site.wait_page_event_since(&self.leave_event, asked, PAGE_EVENT_GRACE).await;
        clicked.is_none().then(|| Breach::LeaveNotClicked { page_event: self.leave_event.clone() })
    }

    /// The checks on the finished session: its reason, its reports, and reaching the call.
    fn check_end(&self, trail: &Trail) -> Vec<Breach> {
        let mut breaches = Vec::new();
        if let Some(outcome) = &trail.outcome {
            if !REASONS.contains(&outcome.reason.as_str()) {
                breaches.push(Breach::UnknownReason(outcome.reason.clone()));
            }
            if outcome.reason != self.expected {
                breaches.push(Breach::WrongReason {
                    expected: self.expected.clone(),
                    got: outcome.reason.clone(),
                    detail: outcome.detail.clone(),
                });
            }
        }
        breaches.extend(check_reports(&trail.timeline));
        if matches!(self.leave, Some(Leave::InCallAfter(_))) && trail.in_call_at().is_none() {
            breaches.push(Breach::NeverInCall);
        }
        breaches
    }
}
