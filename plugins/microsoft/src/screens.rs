//! The screens of the Teams join flow, what identifies each, which are watched in each phase, what
//! each means there ([`decide`]), and how often the session acts on one ([`budget`]).
//!
//! A list of screens is watched in list order, so the order is the priority when two screens'
//! signals are on the page at once (a failure text beats the controls still drawn
//! behind it, the lobby message beats the hang-up button Teams also shows in the lobby).

use std::time::Duration;

use meetbot_plugin_api::{SessionState, reason};
use meetbot_plugin_kit::{
    Phrase, Probe,
    session::{Budget, Step},
};

use crate::texts;

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
    /// The confirmation Teams may ask for after clicking Leave, by its confirming button.
    ConfirmLeave,
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
                probes.extend(texts::SIGN_IN_BUTTON.as_role("link"));
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
            Screen::InCall => with(texts::PEOPLE_ATTRS, texts::PEOPLE.as_button()),
            Screen::Hangup => with(texts::LEAVE_ATTRS, texts::LEAVE.as_button()),
            Screen::ConfirmLeave => texts::CONFIRM_LEAVE.as_dialog_button(),
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
            Screen::Left => reason::LEFT_NORMALLY,
            _ => return None,
        })
    }
}

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// From the link to "Join now" (launcher, notices, the pre-join screen).
    PreJoin,
    /// Asked to join, waiting to be let in.
    Lobby,
    /// In the call.
    InCall,
}

impl Phase {
    /// What the host is told in this phase.
    pub fn state(self) -> SessionState {
        match self {
            Phase::PreJoin => SessionState::Joining,
            Phase::Lobby => SessionState::WaitingRoom,
            Phase::InCall => SessionState::InCall,
        }
    }
}

/// What `screen` means in `phase`.
pub fn decide(phase: Phase, screen: Screen) -> Step<Phase> {
    // A lone "Sign in" action is a wall only when nothing of the join flow follows.
    if screen == Screen::SignInButton {
        return Step::Act;
    }
    if let Some(why) = screen.reason() {
        return Step::End(why);
    }
    match screen {
        Screen::InCall if phase == Phase::InCall => Step::Ignore,
        Screen::InCall => Step::Enter(Phase::InCall),
        Screen::Lobby if phase == Phase::PreJoin => Step::Enter(Phase::Lobby),
        Screen::Launcher | Screen::Dialog => Step::Click,
        // Hang-up after "Join now" is the call unless the lobby shows right after; the name and
        // the join are the pre-join form.
        Screen::Hangup | Screen::NameField | Screen::JoinButton if phase == Phase::PreJoin => Step::Act,
        _ => Step::Ignore,
    }
}

/// The screens watched in `phase`, in priority order; `asked`: "Join now" was clicked.
pub fn watched(phase: Phase, asked: bool) -> Vec<Screen> {
    let mut screens = FAILURES.to_vec();
    match phase {
        Phase::PreJoin => {
            screens.extend([
                Screen::InCall,
                Screen::Lobby,
                Screen::Launcher,
                Screen::Dialog,
                Screen::NameField,
                Screen::JoinButton,
            ]);
            if asked {
                screens.push(Screen::Hangup);
            }
            screens.push(Screen::SignInButton);
        }
        // The lobby message is there the whole time, so it is checked between waits.
        Phase::Lobby => screens.push(Screen::InCall),
        Phase::InCall => screens = vec![Screen::Removed, Screen::Ended, Screen::SignInPage, Screen::Left],
    }
    screens
}

/// How often the session acts on a screen, and how long it rests after: a click on a button still
/// being drawn is lost, so it is clicked again after a while, and "Join now" a bounded number of
/// times.
pub fn budget(screen: Screen) -> Budget {
    match screen {
        Screen::Launcher => Budget::new(u32::MAX, Duration::from_secs(3)),
        Screen::Dialog => Budget::new(u32::MAX, Duration::from_secs(1)),
        Screen::NameField => Budget::ONCE,
        Screen::JoinButton => Budget::new(3, Duration::from_secs(4)),
        Screen::SignInButton => Budget::new(u32::MAX, SIGN_IN_CONFIRM),
        _ => Budget::UNLIMITED,
    }
}

/// A lone "Sign in" action is a wall when nothing of the join flow appears within this long.
pub const SIGN_IN_CONFIRM: Duration = Duration::from_secs(2);

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

/// Where the participant count shows: the People button (its label or badge), which Teams may
/// also draw as a tab.
pub fn people() -> Vec<Probe> {
    let mut probes = Screen::InCall.probes();
    probes.extend(texts::PEOPLE.as_role("tab"));
    probes
}

/// The camera switch.
pub fn camera() -> Vec<Probe> {
    switch(texts::CAMERA_ATTRS, texts::CAMERA)
}

/// The microphone switch.
pub fn microphone() -> Vec<Probe> {
    switch(texts::MICROPHONE_ATTRS, texts::MICROPHONE)
}

/// A device switch: by its attributes, else a switch, checkbox or toggle button by its name.
fn switch(attrs: &[Probe], names: Phrase) -> Vec<Probe> {
    let mut probes = attrs.to_vec();
    for role in ["switch", "checkbox", "button"] {
        probes.extend(names.as_role(role));
    }
    probes
}

fn with(attrs: &[Probe], mut texts: Vec<Probe>) -> Vec<Probe> {
    let mut probes = attrs.to_vec();
    probes.append(&mut texts);
    probes
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
            Screen::ConfirmLeave,
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
        assert_eq!(Screen::Left.reason(), Some("left_normally"));
        for screen in [Screen::Lobby, Screen::InCall, Screen::Hangup, Screen::JoinButton] {
            assert_eq!(screen.reason(), None, "{screen:?}");
        }
    }

    #[test]
    fn failures_end_the_session_and_a_lone_sign_in_is_checked_first() {
        for phase in [Phase::PreJoin, Phase::Lobby, Phase::InCall] {
            for screen in FAILURES {
                assert!(matches!(decide(phase, screen), Step::End(_)), "{screen:?} in {phase:?}");
            }
        }
        assert_eq!(decide(Phase::PreJoin, Screen::SignInButton), Step::Act);
        assert_eq!(decide(Phase::PreJoin, Screen::Lobby), Step::Enter(Phase::Lobby));
        assert_eq!(decide(Phase::Lobby, Screen::InCall), Step::Enter(Phase::InCall));
        assert_eq!(decide(Phase::PreJoin, Screen::Launcher), Step::Click);
        assert_eq!(decide(Phase::Lobby, Screen::Hangup), Step::Ignore);
    }

    #[test]
    fn failures_come_first_and_the_sign_in_button_last() {
        let list = watched(Phase::PreJoin, false);
        assert_eq!(&list[..FAILURES.len()], &FAILURES);
        assert_eq!(list.last(), Some(&Screen::SignInButton));
        let pos = |s| list.iter().position(|x| *x == s).expect("listed");
        assert!(pos(Screen::InCall) < pos(Screen::Lobby) && pos(Screen::Lobby) < pos(Screen::Launcher));
        assert!(pos(Screen::NameField) < pos(Screen::JoinButton), "the name is typed before joining");
        assert!(!list.contains(&Screen::Hangup), "hang-up means nothing before Join now");
        assert!(watched(Phase::PreJoin, true).contains(&Screen::Hangup));
        assert!(!watched(Phase::Lobby, false).contains(&Screen::Lobby), "checked between waits");
    }

    #[test]
    fn join_now_is_clicked_a_bounded_number_of_times_and_notices_again_after_a_rest() {
        assert_eq!(budget(Screen::JoinButton).times, 3);
        assert_eq!(budget(Screen::NameField), Budget::ONCE);
        assert_eq!(budget(Screen::Dialog).rest, Duration::from_secs(1));
    }

    #[test]
    fn the_join_button_is_found_by_attribute_only_when_enabled() {
        let Probe::Css { value } = Screen::JoinButton.probes()[0] else { panic!("css first") };
        assert!(value.contains("prejoin-join-button") && value.contains(":not(:disabled)"));
    }

    #[test]
    fn leave_is_confirmed_only_inside_a_dialog() {
        assert!(Screen::ConfirmLeave.probes().iter().all(|p| matches!(p, Probe::Dialog { .. })));
    }

    #[test]
    fn device_switches_are_found_by_attribute_first_then_by_name() {
        let camera = camera();
        assert_eq!(camera[0], Probe::css("[data-tid=\"toggle-video\"]"));
        assert!(camera.contains(&Probe::role("switch", "Kamera")) && camera.contains(&Probe::button("Camera")));
        assert!(microphone().contains(&Probe::role("checkbox", "Mikrofon")));
        assert!(people().contains(&Probe::role("tab", "People")));
    }
}
