//! Every text and accessibility label the plugin looks for on Jitsi Meet, in one place.
//!
//! They are the web client's own English strings, from the jitsi-meet repository's
//! `lang/main.json` (read at commit 3dbf5948a724ae1c1f2b35f6fc1e6942897113c5); the key of each is
//! cited next to it. The kit matches them case-insensitively as substrings, with typographic
//! apostrophes and the ellipsis character folded, so a string with a placeholder
//! (`{{participantDisplayName}}`) is looked for by its fixed part. meetbot starts Chromium with an
//! English UI, which Jitsi follows; another language is one more row per phrase (the same keys in
//! that language's `lang/main-<lang>.json`).
//!
//! Wordings that must never be confused are kept apart, and a unit test checks it: the hang-up
//! button "Leave the meeting" and the hang-up menu's "Leave meeting"; the prejoin toggles "Mute"
//! and "Unmute" (the second contains the first, so the off state is always looked for first).

use meetbot_plugin_kit::{Phrase, Probe};

/// The display-name field of the prejoin and lobby screens (its placeholder).
pub const NAME_FIELD: Phrase = Phrase::new(&[(
    "en",
    &[
        "Enter your name", // lang/main.json: dialog.enterDisplayName (also lobby.nameField)
    ],
)]);

/// The join buttons: the prejoin screen's, and the lobby screen's knock button.
pub const JOIN_BUTTONS: Phrase = Phrase::new(&[(
    "en",
    &[
        "Join meeting", // lang/main.json: prejoin.joinMeeting
        "Ask to Join",  // lang/main.json: lobby.knockButton (matches lobby.backToKnockModeButton too)
    ],
)]);

/// The microphone toggle while the microphone is on (a click mutes it).
pub const MICROPHONE_IS_ON: Phrase = Phrase::new(&[(
    "en",
    &[
        "Mute", // lang/main.json: toolbar.accessibilityLabel.mute
    ],
)]);

/// The microphone toggle while the microphone is off.
pub const MICROPHONE_IS_OFF: Phrase = Phrase::new(&[(
    "en",
    &[
        "Unmute", // lang/main.json: toolbar.accessibilityLabel.unmute
    ],
)]);

/// The camera toggle while the camera is on.
pub const CAMERA_IS_ON: Phrase = Phrase::new(&[(
    "en",
    &[
        "Stop camera", // lang/main.json: toolbar.accessibilityLabel.videomute
    ],
)]);

/// The camera toggle while the camera is off.
pub const CAMERA_IS_OFF: Phrase = Phrase::new(&[(
    "en",
    &[
        "Start camera", // lang/main.json: toolbar.accessibilityLabel.videounmute
    ],
)]);

/// The lobby after knocking: its heading and message.
pub const LOBBY: Phrase = Phrase::new(&[(
    "en",
    &[
        "Asking to join meeting", // lang/main.json: lobby.joiningTitle ("Asking to join meeting...")
        "You'll join the meeting as soon as someone accepts your request", // lang/main.json: lobby.joiningMessage
    ],
)]);

/// A secure deployment's wait for a moderator to open the room (a guest can only wait).
pub const WAITING_FOR_MODERATOR: Phrase = Phrase::new(&[(
    "en",
    &[
        "Waiting for a moderator", // lang/main.json: dialog.WaitingForHostTitle ("Waiting for a moderator...")
    ],
)]);

/// A moderator rejected the knock.
pub const DENIED: Phrase = Phrase::new(&[(
    "en",
    &[
        "Your join request was rejected by a moderator", // lang/main.json: lobby.joinRejectedMessage
        "Join request rejected",                         // lang/main.json: lobby.joinRejectedTitle
    ],
)]);

/// The lobby went away under the knocking bot (the meeting ended while it waited).
pub const LOBBY_CLOSED: Phrase = Phrase::new(&[(
    "en",
    &[
        "The lobby room has been closed", // lang/main.json: lobby.lobbyClosed
    ],
)]);

/// The room is locked with a password the bot does not have.
pub const PASSWORD_REQUIRED: Phrase = Phrase::new(&[(
    "en",
    &[
        "The meeting has been locked by a participant", // lang/main.json: dialog.passwordLabel
        "Password required", // lang/main.json: dialog.passwordRequired ("$t(lockRoomPasswordUppercase) required")
    ],
)]);

/// The deployment refuses the bot: its token, or a full room.
pub const NOT_ALLOWED: Phrase = Phrase::new(&[(
    "en",
    &[
        "you're not allowed to join this call", // lang/main.json: dialog.tokenAuthFailed
        "Maximum participants limit reached",   // lang/main.json: dialog.maxUsersLimitReachedTitle
    ],
)]);

/// The deployment wants a signed-in user.
pub const AUTHENTICATION_REQUIRED: Phrase = Phrase::new(&[(
    "en",
    &[
        "Authentication required", // lang/main.json: dialog.authenticationRequired
    ],
)]);

/// A moderator removed the bot ("Ouch! {{participantDisplayName}} kicked you out of the meeting").
pub const KICKED: Phrase = Phrase::new(&[(
    "en",
    &[
        "kicked you out of the meeting", // lang/main.json: dialog.kickTitle
    ],
)]);

/// A moderator ended the meeting for everyone.
pub const ENDED: Phrase = Phrase::new(&[(
    "en",
    &[
        "The meeting has been terminated", // lang/main.json: dialog.sessTerminatedReason
        "Call terminated",                 // lang/main.json: dialog.sessTerminated
    ],
)]);

/// What shows once the bot hung up: the close page, the feedback dialog, or the welcome page.
pub const LEFT: Phrase = Phrase::new(&[(
    "en",
    &[
        "Thank you for using", // lang/main.json: dialog.thankYou ("Thank you for using {{appName}}!")
        "Rate your meeting experience", // lang/main.json: feedback.rateExperience
        "Start a new meeting", // lang/main.json: welcomepage.enterRoomTitle
    ],
)]);

/// The toolbar's hang-up button (its aria-label).
pub const HANG_UP: Phrase = Phrase::new(&[(
    "en",
    &[
        "Leave the meeting", // lang/main.json: toolbar.accessibilityLabel.hangup
    ],
)]);

/// The hang-up menu a moderator gets ("Leave meeting" next to "End meeting for all", which the
/// bot must never click).
pub const LEAVE_MEETING: Phrase = Phrase::new(&[(
    "en",
    &[
        "Leave meeting", // lang/main.json: toolbar.accessibilityLabel.leaveConference
    ],
)]);

/// The participants button (its aria-label, open and closed); its badge shows the number of
/// people in the call, the bot included.
pub const PARTICIPANTS_BUTTON: Phrase = Phrase::new(&[(
    "en",
    &[
        "Open participants pane",  // lang/main.json: toolbar.accessibilityLabel.participants
        "Close participants pane", // lang/main.json: toolbar.accessibilityLabel.closeParticipantsPane
    ],
)]);

/// The open participants pane's heading ("Meeting participants ({{count}})").
pub const PARTICIPANTS_HEADING: Phrase = Phrase::new(&[(
    "en",
    &[
        "Meeting participants", // lang/main.json: participantsPane.headings.participantsList
    ],
)]);

/// The participants button is not a `<button>`: the kit finds it by its label and reads the badge
/// drawn beside it (`ParticipantsCounter`, a sibling inside `.toolbar-button-with-badge`).
pub fn participant_count() -> Vec<Probe> {
    let mut probes = PARTICIPANTS_BUTTON.as_label();
    probes.extend(PARTICIPANTS_HEADING.as_text());
    probes
}

/// Every phrase table, with a name for tests and diagnostics.
pub const ALL: [(&str, Phrase); 20] = [
    ("NAME_FIELD", NAME_FIELD),
    ("JOIN_BUTTONS", JOIN_BUTTONS),
    ("MICROPHONE_IS_ON", MICROPHONE_IS_ON),
    ("MICROPHONE_IS_OFF", MICROPHONE_IS_OFF),
    ("CAMERA_IS_ON", CAMERA_IS_ON),
    ("CAMERA_IS_OFF", CAMERA_IS_OFF),
    ("LOBBY", LOBBY),
    ("WAITING_FOR_MODERATOR", WAITING_FOR_MODERATOR),
    ("DENIED", DENIED),
    ("LOBBY_CLOSED", LOBBY_CLOSED),
    ("PASSWORD_REQUIRED", PASSWORD_REQUIRED),
    ("NOT_ALLOWED", NOT_ALLOWED),
    ("AUTHENTICATION_REQUIRED", AUTHENTICATION_REQUIRED),
    ("KICKED", KICKED),
    ("ENDED", ENDED),
    ("LEFT", LEFT),
    ("HANG_UP", HANG_UP),
    ("LEAVE_MEETING", LEAVE_MEETING),
    ("PARTICIPANTS_BUTTON", PARTICIPANTS_BUTTON),
    ("PARTICIPANTS_HEADING", PARTICIPANTS_HEADING),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The kit's matching: case-insensitive, typographic apostrophes as plain ones.
    fn norm(s: &str) -> String {
        s.replace(['\u{2018}', '\u{2019}'], "'").replace('\u{2026}', "...").to_lowercase()
    }

    fn overlaps(a: Phrase, b: Phrase) -> bool {
        a.all().map(norm).any(|x| b.all().map(norm).any(|y| x.contains(&y) || y.contains(&x)))
    }

    #[test]
    fn every_table_has_english_without_stray_whitespace() {
        for (name, phrase) in ALL {
            assert!(!phrase.language("en").is_empty(), "{name} has no English text");
            for text in phrase.all() {
                assert_eq!(text.trim(), text, "{name}: stray whitespace in {text:?}");
                assert!(text.len() >= 4, "{name}: {text:?} is too short to match safely");
            }
        }
    }

    #[test]
    fn the_hang_up_button_is_not_the_menus_leave_meeting() {
        assert!(!overlaps(HANG_UP, LEAVE_MEETING));
    }

    #[test]
    fn the_mute_toggles_overlap_so_the_off_state_is_looked_for_first() {
        // "Unmute" contains "Mute": the kit's toggle_off looks for the off state before clicking.
        assert!(overlaps(MICROPHONE_IS_ON, MICROPHONE_IS_OFF));
        assert!(!overlaps(CAMERA_IS_ON, CAMERA_IS_OFF));
    }

    #[test]
    fn end_screens_and_the_lobby_do_not_overlap() {
        let groups = [
            ("KICKED", KICKED),
            ("ENDED", ENDED),
            ("LEFT", LEFT),
            ("DENIED", DENIED),
            ("LOBBY", LOBBY),
            ("LOBBY_CLOSED", LOBBY_CLOSED),
            ("HANG_UP", HANG_UP),
        ];
        for (a, pa) in groups {
            for (b, pb) in groups {
                assert!(a == b || !overlaps(pa, pb), "{a} overlaps {b}");
            }
        }
    }
}
