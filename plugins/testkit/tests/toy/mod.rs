//! The toy platform and plugins for the testkit's own browser tests: one honest plugin on the
//! kit's session driver ([`Toy`]), and plugins that break the session contract in one way each,
//! so the tests prove each check catches what it should.

use std::time::Duration;

use meetbot_plugin_api::{SessionOutcome, SessionRequest, SessionState, event, reason};
use meetbot_plugin_kit::{
    Host, KitError, Manifest, MeetingPage, Plugin, Probe,
    session::{self, Cx, Next, Platform, Step},
};

/// The toy platform's only meeting host.
pub const HOST: &str = "meet.toy.example";

/// The folder of the toy platform's fake pages.
pub const PAGES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/toy/pages");

/// A meeting link on the toy platform: `https://meet.toy.example/<room>[?...]`.
fn normalize(url: &str) -> Result<String, String> {
    let rest = url.strip_prefix(&format!("https://{HOST}/")).ok_or("not a toy meeting link")?;
    let room = rest.split('?').next().unwrap_or_default();
    if room.is_empty() || !room.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err("no room in the link".to_owned());
    }
    Ok(url.to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    PreJoin,
    Lobby,
    InCall,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Denied,
    Left,
    NamePrompt,
    CallControls,
}

/// The toy platform for the kit's driver. `MISREAD_DENIAL` makes it call a denial
/// `meeting_not_found`: a plugin with a wrong reason.
pub struct ToyPlatform<const MISREAD_DENIAL: bool>;

impl<const MISREAD_DENIAL: bool> Platform for ToyPlatform<MISREAD_DENIAL> {
    type Phase = Phase;
    type Signal = Signal;

    const NAME: &'static str = "Toy Meet";
    const START: Phase = Phase::PreJoin;
    const IN_CALL: Phase = Phase::InCall;

    fn state(phase: Phase) -> SessionState {
        match phase {
            Phase::PreJoin => SessionState::Joining,
            Phase::Lobby => SessionState::WaitingRoom,
            Phase::InCall => SessionState::InCall,
        }
    }

    fn probes(signal: Signal) -> Vec<Probe> {
        vec![match signal {
            Signal::Denied => Probe::text("You can't join this call"),
            Signal::Left => Probe::text("You left the meeting"),
            Signal::NamePrompt => Probe::label("Your name"),
            Signal::CallControls => Probe::button("Leave call"),
        }]
    }

    fn watched(&self, phase: Phase) -> Vec<Signal> {
        match phase {
            Phase::PreJoin => vec![Signal::Denied, Signal::CallControls, Signal::NamePrompt],
            Phase::Lobby => vec![Signal::Denied, Signal::CallControls],
            Phase::InCall => vec![Signal::Left],
        }
    }

    fn decide(_phase: Phase, signal: Signal) -> Step<Phase> {
        match signal {
            Signal::Denied if MISREAD_DENIAL => Step::End(reason::MEETING_NOT_FOUND),
            Signal::Denied => Step::End(reason::DENIED_ADMISSION),
            Signal::Left => Step::End(reason::LEFT_NORMALLY),
            Signal::NamePrompt => Step::Act,
            Signal::CallControls => Step::Enter(Phase::InCall),
        }
    }

    fn participant_count() -> Vec<Probe> {
        vec![Probe::label("Participants")]
    }

    fn leave_control() -> Vec<Probe> {
        vec![Probe::button("Leave call")]
    }

    fn leave_confirm() -> Vec<Probe> {
        vec![Probe::dialog_button("Leave")]
    }

    async fn act(
        &mut self,
        cx: &Cx<'_>,
        _phase: Phase,
        _hit: meetbot_plugin_kit::Hit<Signal>,
    ) -> Result<Next<Phase>, KitError> {
        ask_to_join(cx.page, cx.host, cx.name).await?;
        Ok(Next::Enter(Phase::Lobby))
    }
}

/// Types the name and asks to join.
async fn ask_to_join(page: &MeetingPage, host: &Host, name: &str) -> Result<(), KitError> {
    page.fill(&[Probe::label("Your name")], name).await?;
    host.event(event::NAME_TYPED, name);
    page.click(&[Probe::button("Ask to join")]).await?;
    host.event(event::JOIN_CLICKED, "Ask to join");
    Ok(())
}

/// The plugin boilerplate for a toy plugin whose session is `$run`.
macro_rules! toy_plugin {
    ($name:ident, $run:expr) => {
        pub struct $name;

        impl Plugin for $name {
            fn manifest() -> Manifest {
                Manifest::new(stringify!($name), "0.1.0", &["toy"])
            }

            fn normalize_url(_provider: &str, url: &str) -> Result<String, String> {
                normalize(url)
            }

            fn meeting_hosts() -> &'static [&'static str] {
                &[HOST]
            }

            async fn run(request: SessionRequest, host: Host) -> SessionOutcome {
                $run(request, host).await
            }
        }
    };
}

toy_plugin!(Toy, |request, host| session::run(ToyPlatform::<false>, request, host));
toy_plugin!(MisreadsDenial, |request, host| session::run(ToyPlatform::<true>, request, host));
toy_plugin!(NeverClicksLeave, |request, host| by_hand(request, host, Leaving::Silently));
toy_plugin!(LeavesSlowly, |request, host| by_hand(request, host, Leaving::Slowly));

/// How a hand-written toy session leaves once asked.
#[derive(Clone, Copy)]
enum Leaving {
    /// Returns `left_normally` without touching the page.
    Silently,
    /// Clicks Leave, then takes its time.
    Slowly,
}

/// How long [`Leaving::Slowly`] takes after the click.
pub const SLOW_LEAVE: Duration = Duration::from_secs(3);

/// A toy session written with plain kit page calls: join, wait for the call, leave as `leaving`
/// says.
async fn by_hand(request: SessionRequest, host: Host, leaving: Leaving) -> SessionOutcome {
    match joined(&request, &host).await {
        Ok(page) => {
            host.left().await;
            if let Leaving::Slowly = leaving {
                host.state(SessionState::Leaving);
                let _ = page.click(&[Probe::button("Leave call")]).await;
                tokio::time::sleep(SLOW_LEAVE).await;
            }
            SessionOutcome::new(reason::LEFT_NORMALLY, "left")
        }
        Err(outcome) => outcome,
    }
}

/// Joins through the lobby; the page in the call, or how the session ended instead.
async fn joined(request: &SessionRequest, host: &Host) -> Result<MeetingPage, SessionOutcome> {
    host.state(SessionState::Joining);
    let Some(target) = request.browser.as_ref().into_option() else {
        return Err(SessionOutcome::new(reason::INTERNAL_ERROR, "no browser page"));
    };
    let page = MeetingPage::attach(target).await?;
    page.goto(request.url.as_str()).await?;
    page.wait_for(&[Probe::label("Your name")], Duration::from_secs(10)).await?;
    ask_to_join(&page, host, request.bot_name.as_str()).await?;
    host.state(SessionState::WaitingRoom);
    if page.wait_for(&[Probe::button("Leave call")], Duration::from_secs(10)).await?.is_none() {
        return Err(SessionOutcome::new(reason::INTERNAL_ERROR, "never admitted"));
    }
    host.state(SessionState::InCall);
    Ok(page)
}
