//! The screens of the Teams join flow, what identifies each, and which of them end the session
//! with which reason.
//!
//! A [`Watch`] is an ordered list of screens flattened into the kit's probes: the kit reports the
//! first probe present in list order, so the order is the priority when two screens' signals are
//! on the page at once (a failure text beats the controls still drawn behind it, the lobby message
//! beats the hang-up button Teams also shows in the lobby).

use meetbot_plugin_api::reason;
use meetbot_plugin_kit::{Phrase, Probe};

use crate::{kit_candidates::Target, texts};

/// One recognizable state of the Teams page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// The browser landed on Microsoft's account sign-in site.
    SignInPage,
    /// Teams itself says the meeting needs a signed-in account.
    SignInWall,
    /// Only a "Sign in" action is recognizable: a wall if nothing of the join flow shows up.
    SignInButton,
    /// The link leads to no meeting.
    NotFound,
    /// Teams refuses this guest or browser.
    Blocked,
    /// The launcher's "Continue on this browser".
    Launcher,
    /// A notice on the way to the pre-join screen that only needs acknowledging.
    Dialog,
    /// The pre-join name field.
    NameField,
    /// The pre-join "Join now" button.
    JoinButton,
    /// The lobby message.
    Lobby,
    /// The bot's request to join was refused.
    Denied,
    /// Teams stopped waiting for someone to admit the bot.
    LobbyTimeout,
    /// The call's People button: only in the call, never in the lobby.
    InCall,
    /// The hang-up control: in the call, but Teams shows it in the lobby as well.
    Hangup,
    /// A dialog (after clicking Leave: a confirmation).
    ConfirmDialog,
    /// The meeting was ended for everyone.
    Ended,
    /// The bot was removed.
    Removed,
    /// The post-call screen ("You left the meeting").
    Left,
}

impl Screen {
    /// What identifies this screen, most specific first.
    pub fn probes(self) -> Vec<Probe> {
        match self {
            Screen::SignInPage => texts::SIGN_IN_HOSTS.to_vec(),
            Screen::SignInWall => texts::SIGN_IN_WALL.as_text(),
            Screen::SignInButton => {
                let mut probes = texts::SIGN_IN_BUTTON.as_button();
                probes.extend(texts::SIGN_IN_BUTTON.all().map(|t| Probe::role("link", t)));
                probes
            }
            Screen::NotFound => texts::NOT_FOUND.as_text(),
            Screen::Blocked => texts::BLOCKED.as_text(),
            Screen::Launcher => with(texts::CONTINUE_IN_BROWSER_ATTRS, texts::CONTINUE_IN_BROWSER.as_button()),
            Screen::Dialog => texts::DISMISS.as_button(),
            Screen::NameField => with(texts::NAME_FIELD_ATTRS, texts::NAME_FIELD.as_label()),
            Screen::JoinButton => with(texts::JOIN_NOW_ATTRS, texts::JOIN_NOW.as_button()),
            Screen::Lobby => texts::LOBBY.as_text(),
            Screen::Denied => texts::DENIED.as_text(),
            Screen::LobbyTimeout => texts::LOBBY_TIMEOUT.as_text(),
            Screen::InCall => {
                let mut probes: Vec<Probe> = texts::PEOPLE_ATTRS.iter().map(|s| Probe::css(s)).collect();
                probes.extend(texts::PEOPLE.as_button());
                probes
            }
            Screen::Hangup => with(texts::LEAVE_ATTRS, texts::LEAVE.as_button()),
            Screen::ConfirmDialog => vec![Probe::role("alertdialog", ""), Probe::role("dialog", "")],
            Screen::Ended => texts::ENDED.as_text(),
            Screen::Removed => texts::REMOVED.as_text(),
            Screen::Left => texts::LEFT.as_text(),
        }
    }

    /// The reason a session ends with when this screen shows, for screens that end it.
    pub fn reason(self) -> Option<&'static str> {
        Some(match self {
            Screen::SignInPage | Screen::SignInWall | Screen::SignInButton => reason::SIGN_IN_REQUIRED,
            Screen::NotFound => reason::MEETING_NOT_FOUND,
            Screen::Blocked => reason::BLOCKED_BY_PLATFORM,
            Screen::Denied => reason::DENIED_ADMISSION,
            Screen::LobbyTimeout => reason::WAITING_ROOM_TIMEOUT,
            Screen::Ended => reason::ENDED_BY_HOST,
            Screen::Removed => reason::REMOVED_FROM_MEETING,
            _ => return None,
        })
    }

    /// The timeline event recorded when this screen ends the session.
    pub fn event(self) -> &'static str {
        match self {
            Screen::SignInPage => "sign_in_redirect",
            Screen::SignInWall | Screen::SignInButton => "sign_in_wall",
            Screen::NotFound => "meeting_not_found",
            Screen::Blocked => "blocked",
            Screen::Denied => "denied",
            Screen::LobbyTimeout => "lobby_timed_out",
            Screen::Ended => "ended_by_host",
            Screen::Removed => "removed",
            Screen::Left => "left",
            _ => "screen",
        }
    }
}

/// Screens that end the session whenever they show, in priority order.
pub const FAILURES: [Screen; 8] = [
    Screen::SignInPage,
    Screen::NotFound,
    Screen::Blocked,
    Screen::SignInWall,
    Screen::Denied,
    Screen::LobbyTimeout,
    Screen::Removed,
    Screen::Ended,
];

fn with(attrs: &[Probe], mut texts: Vec<Probe>) -> Vec<Probe> {
    let mut probes = attrs.to_vec();
    probes.append(&mut texts);
    probes
}

/// An ordered set of screens as one probe list.
#[derive(Debug, Clone)]
pub struct Watch {
    probes: Vec<Probe>,
    screens: Vec<Screen>,
}

impl Watch {
    /// The screens, in priority order.
    pub fn new(screens: &[Screen]) -> Self {
        let mut probes = Vec::new();
        let mut owners = Vec::new();
        for screen in screens {
            for probe in screen.probes() {
                probes.push(probe);
                owners.push(*screen);
            }
        }
        Self { probes, screens: owners }
    }

    /// The probes to wait for.
    pub fn probes(&self) -> &[Probe] {
        &self.probes
    }

    /// The screen (and the probe) a kit wait matched.
    pub fn hit(&self, index: usize) -> Option<(Screen, Probe)> {
        Some((*self.screens.get(index)?, *self.probes.get(index)?))
    }
}

/// What a probe looked for, for details and logs.
pub fn describe(probe: &Probe) -> String {
    match probe {
        Probe::Text { value } | Probe::Label { value } => format!("\"{value}\""),
        Probe::Role { role, value } => format!("{role} \"{value}\""),
        Probe::Css { value } => value.to_string(),
        Probe::Url { value } => format!("address containing {value}"),
    }
}

/// The People button, whose label or badge carries the participant count.
pub fn people() -> Target {
    target(texts::PEOPLE_ATTRS, texts::PEOPLE, "button,[role=\"button\"],[role=\"tab\"]")
}

/// The camera switch.
pub fn camera() -> Target {
    target(texts::CAMERA_ATTRS, texts::CAMERA, SWITCH_ROLES)
}

/// The microphone switch.
pub fn microphone() -> Target {
    target(texts::MICROPHONE_ATTRS, texts::MICROPHONE, SWITCH_ROLES)
}

/// Controls that can be a device switch.
const SWITCH_ROLES: &str = "input[type=\"checkbox\"],[role=\"switch\"],[role=\"checkbox\"],[aria-pressed]";

fn target(selectors: &[&'static str], labels: Phrase, roles: &'static str) -> Target {
    Target { selectors: selectors.to_vec(), labels: labels.all().collect(), roles }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_screen_has_probes() {
        for screen in [
            Screen::SignInPage,
            Screen::SignInWall,
            Screen::SignInButton,
            Screen::NotFound,
            Screen::Blocked,
            Screen::Launcher,
            Screen::Dialog,
            Screen::NameField,
            Screen::JoinButton,
            Screen::Lobby,
            Screen::Denied,
            Screen::LobbyTimeout,
            Screen::InCall,
            Screen::Hangup,
            Screen::ConfirmDialog,
            Screen::Ended,
            Screen::Removed,
            Screen::Left,
        ] {
            assert!(!screen.probes().is_empty(), "{screen:?}");
        }
    }

    #[test]
    fn failures_carry_their_own_reason() {
        assert_eq!(Screen::SignInPage.reason(), Some("sign_in_required"));
        assert_eq!(Screen::NotFound.reason(), Some("meeting_not_found"));
        assert_eq!(Screen::Blocked.reason(), Some("blocked_by_platform"));
        assert_eq!(Screen::Denied.reason(), Some("denied_admission"));
        assert_eq!(Screen::LobbyTimeout.reason(), Some("waiting_room_timeout"));
        assert_eq!(Screen::Ended.reason(), Some("ended_by_host"));
        assert_eq!(Screen::Removed.reason(), Some("removed_from_meeting"));
        assert!(FAILURES.iter().all(|s| s.reason().is_some()));
        for screen in [Screen::Lobby, Screen::InCall, Screen::Hangup, Screen::Left, Screen::JoinButton] {
            assert_eq!(screen.reason(), None, "{screen:?}");
        }
    }

    #[test]
    fn a_watch_maps_probes_back_to_screens_in_order() {
        let watch = Watch::new(&[Screen::Lobby, Screen::Hangup]);
        let lobby = Screen::Lobby.probes().len();
        assert_eq!(watch.probes().len(), lobby + Screen::Hangup.probes().len());
        assert_eq!(watch.hit(0).map(|h| h.0), Some(Screen::Lobby));
        assert_eq!(watch.hit(lobby).map(|h| h.0), Some(Screen::Hangup));
        assert_eq!(watch.hit(watch.probes().len()), None);
    }

    #[test]
    fn the_join_button_is_found_by_attribute_only_when_enabled() {
        let Probe::Css { value } = Screen::JoinButton.probes()[0] else { panic!("css first") };
        assert!(value.contains("prejoin-join-button") && value.contains(":not(:disabled)"));
    }
}
