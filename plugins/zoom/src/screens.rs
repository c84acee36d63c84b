//! What the Zoom web client can show, and what each screen means at each step of a session.
//!
//! The session does not follow a fixed script: the web client renders screens asynchronously
//! and in varying order (cookie banner, permission dialogs, preview, "Joining...", waiting room,
//! call), so at every step the plugin waits for *any* known screen and decides from what appeared.
//! This module is the pure part of that: the signals of each [`Phase`] in priority order
//! ([`order`]), their probes, and [`decide`], which maps a [`Signal`] seen in a phase to what to do. Terminal
//! screens come first in every table, because Zoom shows its end-of-meeting dialog over a
//! still-rendered call (the footer is there, yet the call is over).

use std::time::Duration;

use meetbot_plugin_api::{SessionState, reason};
use meetbot_plugin_kit::{
    Probe,
    session::{Budget, Step},
};

use crate::texts as t;

/// One recognizable thing on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// Sign-in page or wall.
    SignIn,
    /// "This meeting link is invalid" and friends.
    NotFound,
    /// The platform refuses this participant.
    Blocked,
    /// The host denied the request to join.
    Denied,
    /// Zoom stopped the wait.
    WaitingRoomTimeout,
    /// The host ended the meeting.
    Ended,
    /// The bot was removed.
    Removed,
    /// "You left the meeting".
    Left,
    /// Zoom's end-of-meeting dialog with no known text.
    EndDialog,
    /// The call's footer (participants button, in-call media controls).
    InCall,
    /// The waiting room / waiting for the host.
    WaitingRoom,
    /// The OneTrust cookie banner.
    Cookies,
    /// The media-permission dialog ("Continue without microphone and camera").
    ContinueWithoutMedia,
    /// The audio dialog ("Join Audio by Computer").
    JoinAudio,
    /// The passcode field.
    Passcode,
    /// The preview's name field.
    NameField,
    /// The `/j/` landing page's "Join from your browser".
    JoinFromBrowser,
    /// The `/j/` landing page's "Launch Meeting".
    LaunchMeeting,
    /// The PWA shell framing the web client.
    PwaShell,
}

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Before "Join" was clicked.
    PreJoin,
    /// "Join" was clicked; neither the waiting room nor the call shown yet.
    Asked,
    /// In the waiting room.
    WaitingRoom,
    /// Admitted.
    InCall,
}

impl Phase {
    /// What the host is told in this phase.
    pub fn state(self) -> SessionState {
        match self {
            Phase::PreJoin | Phase::Asked => SessionState::Joining,
            Phase::WaitingRoom => SessionState::WaitingRoom,
            Phase::InCall => SessionState::InCall,
        }
    }
}

/// Maps a signal seen in `phase` to what it means.
pub fn decide(phase: Phase, signal: Signal) -> Step<Phase> {
    match signal {
        Signal::SignIn => Step::End(reason::SIGN_IN_REQUIRED),
        Signal::NotFound => Step::End(reason::MEETING_NOT_FOUND),
        Signal::Blocked => Step::End(reason::BLOCKED_BY_PLATFORM),
        Signal::Denied => Step::End(reason::DENIED_ADMISSION),
        // Removed from the waiting room is a denial; from the call, a removal.
        Signal::Removed if phase == Phase::InCall => Step::End(reason::REMOVED_FROM_MEETING),
        Signal::Removed => Step::End(reason::DENIED_ADMISSION),
        Signal::WaitingRoomTimeout => Step::End(reason::WAITING_ROOM_TIMEOUT),
        Signal::Ended => Step::End(reason::ENDED_BY_HOST),
        Signal::Left => Step::End(reason::LEFT_NORMALLY),
        // Zoom's end-of-meeting dialog with a text this plugin does not know.
        Signal::EndDialog => Step::End(reason::INTERNAL_ERROR),
        Signal::InCall if phase == Phase::InCall => Step::Ignore,
        Signal::InCall => Step::Enter(Phase::InCall),
        Signal::WaitingRoom if phase == Phase::PreJoin || phase == Phase::Asked => Step::Enter(Phase::WaitingRoom),
        Signal::WaitingRoom => Step::Ignore,
        Signal::Cookies | Signal::ContinueWithoutMedia | Signal::JoinFromBrowser | Signal::LaunchMeeting => Step::Click,
        Signal::JoinAudio | Signal::Passcode | Signal::NameField | Signal::PwaShell => Step::Act,
    }
}

/// How many times a dialog or step is acted on before the plugin stops reacting to it (a dialog
/// that does not go away must not turn the wait into a busy loop).
pub fn budget(signal: Signal) -> Budget {
    match signal {
        Signal::Cookies | Signal::JoinFromBrowser => Budget::DIALOG,
        Signal::ContinueWithoutMedia => Budget::new(4, Duration::ZERO),
        Signal::JoinAudio => Budget::new(2, Duration::ZERO),
        Signal::Passcode | Signal::NameField | Signal::LaunchMeeting | Signal::PwaShell => Budget::ONCE,
        _ => Budget::UNLIMITED,
    }
}

/// The probes of each signal.
pub fn probes(signal: Signal) -> Vec<Probe> {
    let mut out = Vec::new();
    match signal {
        Signal::SignIn => {
            out.extend(t::SIGN_IN_URLS);
            out.extend(t::SIGN_IN.as_text());
        }
        Signal::NotFound => out.extend(t::NOT_FOUND.as_text()),
        Signal::Blocked => out.extend(t::BLOCKED.as_text()),
        Signal::Denied => out.extend(t::DENIED.as_text()),
        Signal::WaitingRoomTimeout => out.extend(t::WAITING_ROOM_TIMEOUT.as_text()),
        Signal::Ended => out.extend(t::ENDED.as_text()),
        Signal::Removed => out.extend(t::REMOVED.as_text()),
        Signal::Left => out.extend(t::LEFT.as_text()),
        Signal::EndDialog => out.push(t::END_DIALOG),
        Signal::InCall => {
            out.extend(t::PARTICIPANTS_LABEL.as_label());
            out.extend(t::PARTICIPANTS_BUTTON.as_button());
            out.extend(t::FOOTER_MEDIA.as_label());
        }
        Signal::WaitingRoom => out.extend(t::WAITING_ROOM.as_text()),
        Signal::Cookies => {
            out.push(t::ACCEPT_COOKIES_ID);
            out.extend(t::ACCEPT_COOKIES.as_button());
        }
        Signal::ContinueWithoutMedia => out.extend(t::CONTINUE_WITHOUT_MEDIA.as_button()),
        Signal::JoinAudio => out.extend(t::JOIN_AUDIO_BY_COMPUTER.as_button()),
        Signal::Passcode => {
            out.push(t::PASSCODE_INPUT_ID);
            out.extend(t::PASSCODE_INPUT.as_label());
            out.extend(t::PASSCODE_INPUT.all().map(|v| Probe::role("textbox", v)));
        }
        Signal::NameField => {
            out.push(t::NAME_INPUT_ID);
            out.extend(t::NAME_INPUT.as_label());
            // A field named only by its <label for=...>.
            out.extend(t::NAME_INPUT.all().map(|v| Probe::role("textbox", v)));
        }
        Signal::JoinFromBrowser => {
            out.extend(t::JOIN_FROM_BROWSER.as_button());
            out.extend(t::JOIN_FROM_BROWSER.all().map(|v| Probe::role("link", v)));
        }
        Signal::LaunchMeeting => out.extend(t::LAUNCH_MEETING.as_button()),
        Signal::PwaShell => out.push(t::PWA_FRAME),
    }
    out
}

/// The signals looked for in `phase`, in priority order (before the chores' budgets apply).
pub fn order(phase: Phase) -> &'static [Signal] {
    use Signal::*;
    match phase {
        Phase::PreJoin => &[
            SignIn,
            NotFound,
            Blocked,
            Ended,
            InCall,
            WaitingRoom,
            ContinueWithoutMedia,
            Cookies,
            Passcode,
            NameField,
            JoinFromBrowser,
            LaunchMeeting,
            PwaShell,
        ],
        Phase::Asked => &[
            SignIn,
            NotFound,
            Blocked,
            Denied,
            Removed,
            WaitingRoomTimeout,
            Ended,
            InCall,
            WaitingRoom,
            ContinueWithoutMedia,
            JoinAudio,
            Cookies,
        ],
        // The waiting room's text is there the whole time, so it is checked between waits.
        Phase::WaitingRoom => &[
            SignIn,
            NotFound,
            Blocked,
            Denied,
            Removed,
            WaitingRoomTimeout,
            Ended,
            InCall,
            ContinueWithoutMedia,
            JoinAudio,
            Cookies,
        ],
        Phase::InCall => &[Removed, Ended, EndDialog, Left, ContinueWithoutMedia, JoinAudio],
    }
}

/// Where the participant count can be read, in the order tried.
pub fn count_candidates() -> Vec<Probe> {
    let mut out = t::PARTICIPANTS_LABEL.as_label();
    out.push(t::PARTICIPANT_COUNTER);
    out.extend(t::PARTICIPANTS_BUTTON.as_button());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_has_its_own_reason() {
        let cases = [
            (Signal::SignIn, Phase::PreJoin, reason::SIGN_IN_REQUIRED),
            (Signal::NotFound, Phase::PreJoin, reason::MEETING_NOT_FOUND),
            (Signal::Blocked, Phase::PreJoin, reason::BLOCKED_BY_PLATFORM),
            (Signal::Denied, Phase::WaitingRoom, reason::DENIED_ADMISSION),
            (Signal::Removed, Phase::WaitingRoom, reason::DENIED_ADMISSION),
            (Signal::Removed, Phase::Asked, reason::DENIED_ADMISSION),
            (Signal::WaitingRoomTimeout, Phase::WaitingRoom, reason::WAITING_ROOM_TIMEOUT),
            (Signal::Ended, Phase::InCall, reason::ENDED_BY_HOST),
            (Signal::Removed, Phase::InCall, reason::REMOVED_FROM_MEETING),
            (Signal::Left, Phase::InCall, reason::LEFT_NORMALLY),
            (Signal::EndDialog, Phase::InCall, reason::INTERNAL_ERROR),
        ];
        for (signal, phase, expected) in cases {
            assert_eq!(decide(phase, signal), Step::End(expected), "{signal:?} in {phase:?}");
        }
        assert_eq!(decide(Phase::WaitingRoom, Signal::InCall), Step::Enter(Phase::InCall));
        assert_eq!(decide(Phase::Asked, Signal::WaitingRoom), Step::Enter(Phase::WaitingRoom));
        assert_eq!(decide(Phase::PreJoin, Signal::Cookies), Step::Click);
        assert_eq!(decide(Phase::PreJoin, Signal::NameField), Step::Act);
    }

    #[test]
    fn terminal_screens_outrank_the_call_view_in_every_phase() {
        for phase in [Phase::PreJoin, Phase::Asked, Phase::WaitingRoom] {
            let order = order(phase);
            let in_call = order.iter().position(|s| *s == Signal::InCall).unwrap();
            for terminal in [Signal::SignIn, Signal::NotFound, Signal::Blocked, Signal::Ended] {
                assert!(order.iter().position(|s| *s == terminal).unwrap() < in_call, "{terminal:?} in {phase:?}");
            }
        }
        let asked = order(Phase::Asked);
        let pos = |s| asked.iter().position(|x| *x == s).unwrap();
        assert!(pos(Signal::Denied) < pos(Signal::Removed), "a denial text must win over the generic removal");
        assert!(pos(Signal::Denied) < pos(Signal::WaitingRoom));
        assert!(!order(Phase::WaitingRoom).contains(&Signal::WaitingRoom), "checked between waits");
        let call = order(Phase::InCall);
        assert!(call.iter().position(|s| *s == Signal::Removed) < call.iter().position(|s| *s == Signal::EndDialog));
    }

    #[test]
    fn every_signal_of_every_phase_has_probes_and_steps_have_budgets() {
        for phase in [Phase::PreJoin, Phase::Asked, Phase::WaitingRoom, Phase::InCall] {
            for signal in order(phase) {
                assert!(!probes(*signal).is_empty(), "{signal:?}");
            }
        }
        assert!(!count_candidates().is_empty());
        assert_eq!(budget(Signal::NameField), Budget::ONCE, "the form is filled once");
        assert_eq!(budget(Signal::InCall), Budget::UNLIMITED);
    }
}
