//! What the Zoom web client can show, and what each screen means at each step of a session.
//!
//! The session does not follow a fixed script: the web client renders screens asynchronously
//! and in varying order (cookie banner, permission dialogs, preview, "Joining...", waiting room,
//! call), so at every step the plugin waits for *any* known screen and decides from what appeared.
//! This module is the pure part of that: the probes of each [`Phase`] as kit [`Signals`] in
//! priority order, and [`decide`], which maps a [`Signal`] seen in a phase to what to do. Terminal
//! screens come first in every table, because Zoom shows its end-of-meeting dialog over a
//! still-rendered call (the footer is there, yet the call is over).

use meetbot_plugin_api::reason;
use meetbot_plugin_kit::{Probe, Signals};

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
    /// "Join" was clicked; waiting (room) for admission.
    Waiting,
    /// Admitted.
    InCall,
}

/// What a signal means in a phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The session ends with this reason; the text says what was seen.
    End(&'static str, &'static str),
    /// The bot is in the call.
    Admitted,
    /// The bot is in the waiting room.
    Waiting,
    /// A dialog or step to act on, then look again.
    Act(Signal),
}

/// Maps a signal seen in `phase` to what it means.
pub fn decide(signal: Signal, phase: Phase) -> Decision {
    use Decision::{Act, Admitted, End, Waiting};
    match signal {
        Signal::SignIn => End(reason::SIGN_IN_REQUIRED, "Zoom asks to sign in to join this meeting"),
        Signal::NotFound => End(reason::MEETING_NOT_FOUND, "Zoom says the meeting link or id is invalid"),
        Signal::Blocked => End(reason::BLOCKED_BY_PLATFORM, "Zoom refuses to let this participant join"),
        Signal::Denied => End(reason::DENIED_ADMISSION, "the host denied the request to join"),
        // Removed from the waiting room is a denial; from the call, a removal.
        Signal::Removed if phase == Phase::InCall => End(reason::REMOVED_FROM_MEETING, "the host removed the bot"),
        Signal::Removed => End(reason::DENIED_ADMISSION, "the host removed the bot from the waiting room"),
        Signal::WaitingRoomTimeout => End(reason::WAITING_ROOM_TIMEOUT, "Zoom stopped waiting for the host"),
        Signal::Ended => End(reason::ENDED_BY_HOST, "the host ended the meeting"),
        Signal::Left => End(reason::LEFT_NORMALLY, "Zoom shows that the bot left the meeting"),
        Signal::EndDialog => {
            End(reason::INTERNAL_ERROR, "Zoom's end-of-meeting dialog appeared with a text this plugin does not know")
        }
        Signal::InCall => Admitted,
        Signal::WaitingRoom => Waiting,
        chore => Act(chore),
    }
}

/// How many times a dialog or step is acted on before the plugin stops reacting to it (a dialog
/// that does not go away must not turn the wait into a busy loop).
pub fn budget(signal: Signal) -> u32 {
    match signal {
        Signal::Cookies | Signal::JoinFromBrowser => 3,
        Signal::ContinueWithoutMedia => 4,
        Signal::JoinAudio => 2,
        Signal::Passcode | Signal::NameField | Signal::LaunchMeeting | Signal::PwaShell => 1,
        _ => u32::MAX,
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
        Phase::Waiting => &[
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
        Phase::InCall => &[Removed, Ended, EndDialog, Left, ContinueWithoutMedia, JoinAudio],
    }
}

/// The table for `phase`, leaving out the signals `skip` rules out (chores whose budget is spent,
/// a waiting room already reported).
pub fn table(phase: Phase, skip: impl Fn(Signal) -> bool) -> Signals<Signal> {
    let mut table = Signals::new();
    for signal in order(phase).iter().copied().filter(|s| !skip(*s)) {
        table.push(signal, probes(signal));
    }
    table
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
            (Signal::Denied, Phase::Waiting, reason::DENIED_ADMISSION),
            (Signal::Removed, Phase::Waiting, reason::DENIED_ADMISSION),
            (Signal::WaitingRoomTimeout, Phase::Waiting, reason::WAITING_ROOM_TIMEOUT),
            (Signal::Ended, Phase::InCall, reason::ENDED_BY_HOST),
            (Signal::Removed, Phase::InCall, reason::REMOVED_FROM_MEETING),
            (Signal::Left, Phase::InCall, reason::LEFT_NORMALLY),
        ];
        for (signal, phase, expected) in cases {
            match decide(signal, phase) {
                Decision::End(got, detail) => {
                    assert_eq!(got, expected, "{signal:?} in {phase:?}");
                    assert!(!detail.is_empty());
                }
                other => panic!("{signal:?} in {phase:?}: {other:?}"),
            }
        }
        assert_eq!(decide(Signal::InCall, Phase::Waiting), Decision::Admitted);
        assert_eq!(decide(Signal::WaitingRoom, Phase::Waiting), Decision::Waiting);
        assert_eq!(decide(Signal::Cookies, Phase::PreJoin), Decision::Act(Signal::Cookies));
    }

    #[test]
    fn terminal_screens_outrank_the_call_view_in_every_phase() {
        for phase in [Phase::PreJoin, Phase::Waiting] {
            let order = order(phase);
            let in_call = order.iter().position(|s| *s == Signal::InCall).unwrap();
            for terminal in [Signal::SignIn, Signal::NotFound, Signal::Blocked, Signal::Ended] {
                assert!(order.iter().position(|s| *s == terminal).unwrap() < in_call, "{terminal:?} in {phase:?}");
            }
        }
        let waiting = order(Phase::Waiting);
        let pos = |s| waiting.iter().position(|x| *x == s).unwrap();
        assert!(pos(Signal::Denied) < pos(Signal::Removed), "a denial text must win over the generic removal");
        assert!(pos(Signal::Denied) < pos(Signal::WaitingRoom));
        let call = order(Phase::InCall);
        assert!(call.iter().position(|s| *s == Signal::Removed) < call.iter().position(|s| *s == Signal::EndDialog));
    }

    #[test]
    fn every_signal_of_every_phase_has_probes_and_tables_skip() {
        for phase in [Phase::PreJoin, Phase::Waiting, Phase::InCall] {
            for signal in order(phase) {
                assert!(!probes(*signal).is_empty(), "{signal:?}");
            }
            let all = table(phase, |_| false);
            let some = table(phase, |s| s == Signal::Cookies || s == Signal::JoinAudio);
            assert!(some.probes().len() < all.probes().len() || phase == Phase::InCall);
        }
        assert!(!count_candidates().is_empty());
    }
}
