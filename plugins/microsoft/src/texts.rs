//! Everything the plugin looks for in Teams, in one place: the visible texts and accessible names
//! of the real web client (English and German), and the stable `data-tid` / id attributes Teams
//! puts on its controls.
//!
//! Why tables: Teams words things differently between the classic client, the new (v2) client and
//! Teams free (`teams.live.com`), and in every UI language. A missing phrase is fixed here, in one
//! line, without touching the session logic. Matching is by substring, case-insensitive, with
//! typographic apostrophes folded (see [`meetbot_plugin_kit::Probe`]), so a table entry may be the
//! stable core of a sentence.

use meetbot_plugin_kit::{Phrase, Probe};

// ---- launcher ("How do you want to join your Teams meeting?") -----------------------------------

/// The launcher's choice to stay in the browser rather than open the desktop app.
pub const CONTINUE_IN_BROWSER: Phrase = Phrase::new(&[
    (
        "en",
        &["Continue on this browser", "Join on the web instead", "Join from this browser", "Use the web app instead"],
    ),
    ("de", &["In diesem Browser fortfahren", "Stattdessen im Web teilnehmen", "Über diesen Browser teilnehmen"]),
]);

/// The launcher's "continue in the browser" button by its attributes (`joinOnWeb` on the current
/// launcher, `openTeamsClientInBrowser` on the older one).
pub const CONTINUE_IN_BROWSER_ATTRS: &[Probe] =
    &[Probe::css("[data-tid=\"joinOnWeb\"]"), Probe::css("#openTeamsClientInBrowser")];

// ---- pre-join ------------------------------------------------------------------------------------

/// The guest name field's placeholder / label.
pub const NAME_FIELD: Phrase = Phrase::new(&[
    ("en", &["Type your name", "Enter your name"]),
    ("de", &["Geben Sie Ihren Namen ein", "Namen eingeben"]),
]);

/// The guest name field by its attribute.
pub const NAME_FIELD_ATTRS: &[Probe] = &[Probe::css("[data-tid=\"prejoin-display-name-input\"]")];

/// The button that asks to join (admits at once, or puts the guest in the lobby).
pub const JOIN_NOW: Phrase = Phrase::new(&[("en", &["Join now"]), ("de", &["Jetzt teilnehmen"])]);

/// The join button by its attribute, only while it is enabled (it stays disabled until a name is
/// typed, and a click on it then is lost).
pub const JOIN_NOW_ATTRS: &[Probe] =
    &[Probe::css("[data-tid=\"prejoin-join-button\"]:not(:disabled):not([aria-disabled=\"true\"])")];

/// The camera switch's accessible name.
pub const CAMERA: Phrase = Phrase::new(&[("en", &["Camera"]), ("de", &["Kamera"])]);

/// The camera switch by its attributes (pre-join switch and in-call toolbar button share them).
pub const CAMERA_ATTRS: &[Probe] = &[Probe::css("[data-tid=\"toggle-video\"]"), Probe::css("#video-button")];

/// The microphone switch's accessible name.
pub const MICROPHONE: Phrase = Phrase::new(&[("en", &["Microphone"]), ("de", &["Mikrofon"])]);

/// The microphone switch by its attributes.
pub const MICROPHONE_ATTRS: &[Probe] = &[Probe::css("[data-tid=\"toggle-mute\"]"), Probe::css("#microphone-button")];

/// Dialogs on the way to the pre-join screen that only need to be acknowledged (device and
/// permission notices). Never "Close": on the end screens that would leave the meeting page.
pub const DISMISS: Phrase = Phrase::new(&[
    ("en", &["Continue without audio or video", "Got it"]),
    ("de", &["Ohne Audio oder Video fortfahren", "Verstanden"]),
]);

// ---- lobby ---------------------------------------------------------------------------------------

/// The lobby: the guest asked to join and waits to be let in.
pub const LOBBY: Phrase = Phrase::new(&[
    (
        "en",
        &[
            "Someone in the meeting should let you in soon",
            "When the meeting starts, we'll let people know you're waiting",
            "We've let people in the meeting know you're waiting",
        ],
    ),
    (
        "de",
        &[
            "Jemand in der Besprechung sollte Sie in Kürze",
            "Wenn die Besprechung beginnt, teilen wir den Teilnehmern mit, dass Sie warten",
            "Wir haben die Teilnehmer der Besprechung darüber informiert, dass Sie warten",
        ],
    ),
]);

/// Someone in the meeting refused to let the guest in.
pub const DENIED: Phrase = Phrase::new(&[
    ("en", &["Sorry, but you were denied access to the meeting", "you were denied access to the meeting"]),
    (
        "de",
        &[
            "Leider wurde Ihnen der Zugriff auf die Besprechung verweigert",
            "der Zugriff auf die Besprechung wurde verweigert",
        ],
    ),
]);

/// Teams gave up on the lobby: nobody answered the request to join.
pub const LOBBY_TIMEOUT: Phrase = Phrase::new(&[
    (
        "en",
        &[
            "Sorry, no one responded to your request to join",
            "No one responded to your request to join",
            "Your request to join wasn't answered",
        ],
    ),
    (
        "de",
        &[
            "Niemand hat auf Ihre Teilnahmeanfrage reagiert",
            "Niemand hat auf Ihre Anfrage zur Teilnahme reagiert",
            "Ihre Teilnahmeanfrage wurde nicht beantwortet",
        ],
    ),
]);

// ---- refusals before the pre-join screen ----------------------------------------------------------

/// The link points to no meeting (wrong, expired or deleted).
pub const NOT_FOUND: Phrase = Phrase::new(&[
    (
        "en",
        &[
            "We couldn't find this meeting",
            "We couldn't find the meeting",
            "This meeting link is invalid",
            "The meeting link is invalid",
            "This meeting doesn't exist",
            "This meeting has expired",
            "Meeting ID or passcode is incorrect",
        ],
    ),
    (
        "de",
        &[
            "Wir konnten diese Besprechung nicht finden",
            "Wir konnten die Besprechung nicht finden",
            "Dieser Besprechungslink ist ungültig",
            "Der Besprechungslink ist ungültig",
            "Diese Besprechung existiert nicht",
            "Diese Besprechung ist abgelaufen",
            "Besprechungs-ID oder Kennung ist falsch",
        ],
    ),
]);

/// Teams refuses this guest or browser outright (policy, locked meeting, unsupported browser).
pub const BLOCKED: Phrase = Phrase::new(&[
    (
        "en",
        &[
            "You can't join this meeting",
            "Your organization doesn't allow you to join",
            "This meeting is locked",
            "The meeting is locked",
            "This browser isn't supported",
            "This browser is not supported",
        ],
    ),
    (
        "de",
        &[
            "Sie können dieser Besprechung nicht beitreten",
            "Sie können an dieser Besprechung nicht teilnehmen",
            "Ihre Organisation erlaubt Ihnen nicht",
            "Diese Besprechung ist gesperrt",
            "Die Besprechung ist gesperrt",
            "Dieser Browser wird nicht unterstützt",
        ],
    ),
]);

/// A sign-in wall inside Teams: anonymous guests may not join this meeting.
pub const SIGN_IN_WALL: Phrase = Phrase::new(&[
    (
        "en",
        &[
            "Sign in to join this meeting",
            "Sign in to join the meeting",
            "You need to sign in to join",
            "Anonymous users can't join this meeting",
        ],
    ),
    (
        "de",
        &[
            "Melden Sie sich an, um an dieser Besprechung teilzunehmen",
            "Melden Sie sich an, um an der Besprechung teilzunehmen",
            "Anonyme Benutzer können nicht an dieser Besprechung teilnehmen",
        ],
    ),
]);

/// A bare "Sign in" action: a wall only when nothing else of the join flow is on screen.
pub const SIGN_IN_BUTTON: Phrase = Phrase::new(&[("en", &["Sign in"]), ("de", &["Anmelden"])]);

/// Microsoft's account sign-in hosts; landing on one means the meeting needs an account.
pub const SIGN_IN_HOSTS: &[Probe] = &[
    Probe::url("://login.microsoftonline.com"),
    Probe::url("://login.live.com"),
    Probe::url("://login.microsoft.com"),
    Probe::url("://login.windows.net"),
];

// ---- in the call ---------------------------------------------------------------------------------

/// The People (roster) button's accessible name; its badge or label carries the count.
pub const PEOPLE: Phrase = Phrase::new(&[("en", &["People", "Participants"]), ("de", &["Personen", "Teilnehmer"])]);

/// The People button by its attributes.
pub const PEOPLE_ATTRS: &[Probe] = &[Probe::css("[data-tid=\"roster-button\"]"), Probe::css("#roster-button")];

/// The hang-up control's accessible name.
pub const LEAVE: Phrase = Phrase::new(&[("en", &["Leave", "Hang up"]), ("de", &["Verlassen", "Auflegen"])]);

/// The hang-up control by its attributes.
pub const LEAVE_ATTRS: &[Probe] = &[
    Probe::css("[data-tid=\"hangup-main-btn\"]"),
    Probe::css("#hangup-button"),
    Probe::css("[data-tid=\"call-hangup\"]"),
];

/// A confirmation dialog's button after clicking Leave (only ever looked for inside a dialog).
pub const CONFIRM_LEAVE: Phrase =
    Phrase::new(&[("en", &["Leave meeting", "Leave", "Yes"]), ("de", &["Besprechung verlassen", "Verlassen", "Ja"])]);

/// The meeting was ended for everyone.
pub const ENDED: Phrase = Phrase::new(&[
    ("en", &["The meeting has ended", "This meeting has ended", "The meeting was ended"]),
    ("de", &["Die Besprechung wurde beendet", "Die Besprechung ist beendet", "Diese Besprechung wurde beendet"]),
]);

/// Someone removed the bot from the meeting.
pub const REMOVED: Phrase = Phrase::new(&[
    (
        "en",
        &[
            "You have been removed from this meeting",
            "You've been removed from this meeting",
            "Someone removed you from the meeting",
            "You were removed from the meeting",
        ],
    ),
    (
        "de",
        &[
            "Sie wurden aus dieser Besprechung entfernt",
            "Sie wurden aus der Besprechung entfernt",
            "Jemand hat Sie aus der Besprechung entfernt",
        ],
    ),
]);

/// The screen after leaving (the bot's own leave, or a dropped call).
pub const LEFT: Phrase = Phrase::new(&[
    ("en", &["You left the meeting", "You have left the meeting", "How was the call quality?"]),
    ("de", &["Sie haben die Besprechung verlassen", "Wie war die Anrufqualität?"]),
]);

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [(&str, Phrase); 19] = [
        ("CONTINUE_IN_BROWSER", CONTINUE_IN_BROWSER),
        ("NAME_FIELD", NAME_FIELD),
        ("JOIN_NOW", JOIN_NOW),
        ("CAMERA", CAMERA),
        ("MICROPHONE", MICROPHONE),
        ("DISMISS", DISMISS),
        ("LOBBY", LOBBY),
        ("DENIED", DENIED),
        ("LOBBY_TIMEOUT", LOBBY_TIMEOUT),
        ("NOT_FOUND", NOT_FOUND),
        ("BLOCKED", BLOCKED),
        ("SIGN_IN_WALL", SIGN_IN_WALL),
        ("SIGN_IN_BUTTON", SIGN_IN_BUTTON),
        ("PEOPLE", PEOPLE),
        ("LEAVE", LEAVE),
        ("CONFIRM_LEAVE", CONFIRM_LEAVE),
        ("ENDED", ENDED),
        ("REMOVED", REMOVED),
        ("LEFT", LEFT),
    ];

    #[test]
    fn every_phrase_has_english_and_german() {
        for (name, phrase) in ALL {
            assert!(
                !phrase.language("en").is_empty() && !phrase.language("de").is_empty(),
                "{name} needs both languages"
            );
            assert!(phrase.all().all(|p| !p.trim().is_empty() && p.trim() == p), "{name} has a blank or padded entry");
        }
    }

    #[test]
    fn terminal_texts_do_not_overlap() {
        // A phrase of one outcome contained in another's would report the wrong reason.
        let outcomes = [DENIED, LOBBY_TIMEOUT, NOT_FOUND, BLOCKED, ENDED, REMOVED, LEFT, LOBBY, SIGN_IN_WALL];
        for (i, a) in outcomes.iter().enumerate() {
            for (j, b) in outcomes.iter().enumerate() {
                if i == j {
                    continue;
                }
                for pa in a.all() {
                    for pb in b.all() {
                        assert!(!pb.to_lowercase().contains(&pa.to_lowercase()), "{pa:?} is inside {pb:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn attributes_are_present() {
        assert!(!CONTINUE_IN_BROWSER_ATTRS.is_empty() && !NAME_FIELD_ATTRS.is_empty() && !JOIN_NOW_ATTRS.is_empty());
        assert!(!CAMERA_ATTRS.is_empty() && !MICROPHONE_ATTRS.is_empty() && !PEOPLE_ATTRS.is_empty());
        assert!(!LEAVE_ATTRS.is_empty() && !SIGN_IN_HOSTS.is_empty());
    }
}
