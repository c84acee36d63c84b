//! Everything the plugin looks for in the Zoom web client, in one place: visible texts and
//! accessible names per language (kit [`Phrase`] tables), and the few stable attributes (element
//! ids Zoom has kept for years, OneTrust's banner ids) as [`Probe`] constants.
//!
//! Why tables: Zoom renders its UI in the browser's language, ships frequent UI updates, and its
//! class names are build artefacts; visible texts and aria-labels are what stays. Matching is
//! case-insensitive substring matching (see the kit's `Probe`), so a phrase may be the stable
//! start of a longer sentence. The German texts are Zoom's own German UI as far as known; English
//! is what meetbot pins (`--lang=en-US`), German is there for meetings and accounts that override it.

use meetbot_plugin_kit::{Phrase, Probe};

// ---- pre-join ---------------------------------------------------------------------------------

/// The display-name field of the preview ("Enter Meeting Info") screen.
pub const NAME_INPUT: Phrase = Phrase::new(&[("en", &["Your Name"]), ("de", &["Ihr Name"])]);
/// The name field's long-standing element id.
pub const NAME_INPUT_ID: Probe = Probe::css("input#input-for-name");

/// The passcode field, shown when the link carries no (or a wrong) passcode.
pub const PASSCODE_INPUT: Phrase = Phrase::new(&[("en", &["Meeting Passcode"]), ("de", &["Meeting-Kenncode"])]);
/// The passcode field's element id.
pub const PASSCODE_INPUT_ID: Probe = Probe::css("input#input-for-pwd");

/// The preview's "Join" button.
pub const JOIN: Phrase = Phrase::new(&[("en", &["Join"]), ("de", &["Beitreten"])]);
/// The preview "Join" button's class, stable across web-client versions; tried before the
/// accessible name because "Join" is a substring of other buttons ("Join Audio", "Sign in to join").
pub const JOIN_BUTTON_CLASS: Probe = Probe::css("button.preview-join-button");

/// Microphone control while it is ON (clicking turns it off): preview "Mute", footer
/// "mute my microphone". Its text is a substring of the OFF label ("Unmute"), so OFF is always
/// checked first.
pub const MIC_ON: Phrase =
    Phrase::new(&[("en", &["Mute", "mute my microphone"]), ("de", &["Stummschalten", "Mein Mikrofon stummschalten"])]);
/// Microphone control while it is OFF.
pub const MIC_OFF: Phrase = Phrase::new(&[
    ("en", &["Unmute", "unmute my microphone"]),
    ("de", &["Stummschaltung aufheben", "Stummschaltung meines Mikrofons aufheben"]),
]);
/// Camera control while it is ON: preview "Stop Video", footer "stop my video".
pub const CAMERA_ON: Phrase =
    Phrase::new(&[("en", &["Stop Video", "stop my video"]), ("de", &["Video stoppen", "Mein Video stoppen"])]);
/// Camera control while it is OFF.
pub const CAMERA_OFF: Phrase =
    Phrase::new(&[("en", &["Start Video", "start my video"]), ("de", &["Video starten", "Mein Video starten"])]);

/// The media-permission dialog's way out without devices (shown when camera/microphone are
/// unavailable or not granted, sometimes twice).
pub const CONTINUE_WITHOUT_MEDIA: Phrase = Phrase::new(&[
    ("en", &["Continue without microphone and camera", "Continue without audio or video", "Continue without audio"]),
    ("de", &["Ohne Mikrofon und Kamera fortfahren", "Ohne Audio oder Video fortfahren", "Ohne Audio fortfahren"]),
]);

/// The audio dialog's "use this computer's audio": joining computer audio is how the bot hears
/// the meeting (and records it); the microphone stays muted.
pub const JOIN_AUDIO_BY_COMPUTER: Phrase = Phrase::new(&[
    ("en", &["Join Audio by Computer", "Join with Computer Audio"]),
    ("de", &["Per Computer dem Audio beitreten", "Mit Computeraudio beitreten"]),
]);

/// The cookie banner (OneTrust) on zoom.us pages; it overlaps the bottom of the screen.
pub const ACCEPT_COOKIES: Phrase = Phrase::new(&[
    ("en", &["Accept Cookies", "Accept All Cookies"]),
    ("de", &["Cookies akzeptieren", "Alle Cookies akzeptieren"]),
]);
/// OneTrust's accept button id, the same on every site that uses it.
pub const ACCEPT_COOKIES_ID: Probe = Probe::css("#onetrust-accept-btn-handler");

/// The `/j/` landing page's way into the web client (a link styled as a button).
pub const JOIN_FROM_BROWSER: Phrase = Phrase::new(&[
    ("en", &["Join from your browser", "join from your browser"]),
    ("de", &["Über Ihren Browser beitreten"]),
]);
/// The landing page's main button; clicking it reveals "Join from your browser".
pub const LAUNCH_MEETING: Phrase =
    Phrase::new(&[("en", &["Launch Meeting"]), ("de", &["Meeting eröffnen", "Meeting starten"])]);

/// The newer client's shell page, whose only content is the framed web client.
pub const PWA_FRAME: Probe = Probe::css(r#"iframe[src*="/wc/"]"#);

// ---- waiting room -----------------------------------------------------------------------------

/// The waiting room, and the "waiting for the host to start" screen (the bot is equally waiting
/// to be let in, and the host's waiting-room timeout applies to both).
pub const WAITING_ROOM: Phrase = Phrase::new(&[
    (
        "en",
        &[
            "Please wait, the meeting host will let you in soon",
            "Host has joined. We've let them know you're here",
            "Waiting for the host to start this meeting",
            "Waiting for the host to start the meeting",
            "Waiting for host to start the meeting",
        ],
    ),
    (
        "de",
        &[
            "Bitte warten Sie, der Meeting-Host lässt Sie in Kürze eintreten",
            "Bitte warten, der Meeting-Host wird Sie in Kürze einlassen",
            "Der Host ist beigetreten. Wir haben ihn informiert, dass Sie hier sind",
            "Warten auf den Host, um dieses Meeting zu starten",
            "Es wird darauf gewartet, dass der Host dieses Meeting startet",
        ],
    ),
]);

/// The host turned the bot away from the waiting room.
pub const DENIED: Phrase = Phrase::new(&[
    (
        "en",
        &[
            "removed you from the waiting room",
            "removed from the waiting room",
            "Host has denied your request",
            "denied your request to join",
        ],
    ),
    (
        "de",
        &[
            "aus dem Warteraum entfernt",
            "Der Host hat Ihre Anfrage abgelehnt",
            "Ihre Anfrage zur Teilnahme wurde abgelehnt",
        ],
    ),
]);

/// Zoom giving up on the wait. Zoom has no verified "no one responded" screen; this is its
/// "meeting has not started" end of waiting, only believed while the bot is already waiting.
pub const WAITING_ROOM_TIMEOUT: Phrase =
    Phrase::new(&[("en", &["The meeting has not started"]), ("de", &["Das Meeting hat noch nicht begonnen"])]);

// ---- refusals before the meeting --------------------------------------------------------------

/// No such meeting (wrong or expired id). Zoom error 3,001.
pub const NOT_FOUND: Phrase = Phrase::new(&[
    ("en", &["This meeting link is invalid", "Invalid meeting ID", "Meeting not found", "Meeting does not exist"]),
    (
        "de",
        &[
            "Dieser Meeting-Link ist ungültig",
            "Ungültige Meeting-ID",
            "Meeting nicht gefunden",
            "Meeting existiert nicht",
        ],
    ),
]);

/// A sign-in wall: the meeting only admits authenticated (or authorized) users.
pub const SIGN_IN: Phrase = Phrase::new(&[
    (
        "en",
        &[
            "Sign in to join",
            "authorized attendees only",
            "Only authenticated users can join",
            "Only signed-in users can join",
        ],
    ),
    (
        "de",
        &[
            "Zum Beitreten anmelden",
            "Anmelden, um beizutreten",
            "nur für autorisierte Teilnehmer",
            "Nur authentifizierte Benutzer können beitreten",
        ],
    ),
]);
/// Zoom's sign-in page, on zoom.us or any (vanity, regional) subdomain, and SSO.
pub const SIGN_IN_URLS: [Probe; 3] = [Probe::url("zoom.us/signin"), Probe::url("/signin?"), Probe::url("/saml/login")];

/// The platform refuses this participant before it can ask to join.
pub const BLOCKED: Phrase = Phrase::new(&[
    (
        "en",
        &[
            "You are unable to join this meeting",
            "You are not allowed to join this meeting",
            "The host has restricted",
            "This meeting has been locked by the host",
            "Host has locked the meeting",
            "This meeting is locked",
            "The meeting has been locked",
            "has reached its participant capacity",
            "reached the maximum number of participants",
        ],
    ),
    (
        "de",
        &[
            "Sie können diesem Meeting nicht beitreten",
            "Der Host hat eingeschränkt",
            "Dieses Meeting wurde vom Host gesperrt",
            "Dieses Meeting ist gesperrt",
            "maximale Teilnehmerzahl erreicht",
        ],
    ),
]);

// ---- in the call ------------------------------------------------------------------------------

/// The footer's participants button, by aria-label: it carries the count
/// ("open the participants list pane,[3] particpants", Zoom's own spelling). Its presence is the
/// admission signal (the waiting room has a "Leave" button too, but no participants list).
pub const PARTICIPANTS_LABEL: Phrase = Phrase::new(&[("en", &["participants list"]), ("de", &["Teilnehmerliste"])]);
/// The same button by its accessible name, for clients that label it "Participants 3".
pub const PARTICIPANTS_BUTTON: Phrase = Phrase::new(&[("en", &["Participants"]), ("de", &["Teilnehmer"])]);
/// The footer's microphone and camera controls, also only shown in the call.
pub const FOOTER_MEDIA: Phrase = Phrase::new(&[
    ("en", &["mute my microphone", "unmute my microphone", "stop my video", "start my video"]),
    (
        "de",
        &[
            "Mein Mikrofon stummschalten",
            "Stummschaltung meines Mikrofons aufheben",
            "Mein Video stoppen",
            "Mein Video starten",
        ],
    ),
]);
/// The participant counter badge on the footer button (Zoom's class, stable for years).
pub const PARTICIPANT_COUNTER: Probe = Probe::css(".footer-button__number-counter");

/// The footer's "Leave" button (it opens the leave options).
pub const LEAVE: Phrase = Phrase::new(&[("en", &["Leave"]), ("de", &["Verlassen"])]);
/// The confirmation in the leave options.
pub const LEAVE_MEETING: Phrase = Phrase::new(&[("en", &["Leave Meeting"]), ("de", &["Meeting verlassen"])]);
/// The leave options' confirmation button class.
pub const LEAVE_MEETING_CLASS: Probe = Probe::css("button.leave-meeting-options__btn--danger");

/// The host ended the meeting for everyone.
pub const ENDED: Phrase = Phrase::new(&[
    (
        "en",
        &[
            "This meeting has been ended by host",
            "The host has ended this meeting",
            "meeting has been ended by the host",
        ],
    ),
    ("de", &["Dieses Meeting wurde vom Host beendet", "Der Host hat dieses Meeting beendet"]),
]);
/// The bot was removed from the call.
pub const REMOVED: Phrase = Phrase::new(&[
    ("en", &["You have been removed", "removed you from this meeting", "removed you from the meeting"]),
    (
        "de",
        &[
            "Sie wurden aus dem Meeting entfernt",
            "Sie wurden vom Host entfernt",
            "Sie wurden aus diesem Meeting entfernt",
        ],
    ),
]);
/// Zoom's end-of-meeting dialog (its aria-label, Zoom's own wording). It carries the reason as
/// text; seen without a known text, the plugin says so instead of guessing a reason.
pub const END_DIALOG: Probe = Probe::label("Meeting is end now");
/// The screen after leaving.
pub const LEFT: Phrase =
    Phrase::new(&[("en", &["You left the meeting"]), ("de", &["Sie haben das Meeting verlassen"])]);

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [(&str, Phrase); 26] = [
        ("NAME_INPUT", NAME_INPUT),
        ("PASSCODE_INPUT", PASSCODE_INPUT),
        ("JOIN", JOIN),
        ("MIC_ON", MIC_ON),
        ("MIC_OFF", MIC_OFF),
        ("CAMERA_ON", CAMERA_ON),
        ("CAMERA_OFF", CAMERA_OFF),
        ("CONTINUE_WITHOUT_MEDIA", CONTINUE_WITHOUT_MEDIA),
        ("JOIN_AUDIO_BY_COMPUTER", JOIN_AUDIO_BY_COMPUTER),
        ("ACCEPT_COOKIES", ACCEPT_COOKIES),
        ("JOIN_FROM_BROWSER", JOIN_FROM_BROWSER),
        ("LAUNCH_MEETING", LAUNCH_MEETING),
        ("WAITING_ROOM", WAITING_ROOM),
        ("DENIED", DENIED),
        ("WAITING_ROOM_TIMEOUT", WAITING_ROOM_TIMEOUT),
        ("NOT_FOUND", NOT_FOUND),
        ("SIGN_IN", SIGN_IN),
        ("BLOCKED", BLOCKED),
        ("PARTICIPANTS_LABEL", PARTICIPANTS_LABEL),
        ("PARTICIPANTS_BUTTON", PARTICIPANTS_BUTTON),
        ("FOOTER_MEDIA", FOOTER_MEDIA),
        ("LEAVE", LEAVE),
        ("LEAVE_MEETING", LEAVE_MEETING),
        ("ENDED", ENDED),
        ("REMOVED", REMOVED),
        ("LEFT", LEFT),
    ];

    #[test]
    fn every_table_speaks_english_and_german() {
        for (name, phrase) in ALL {
            assert!(!phrase.language("en").is_empty(), "{name} has no English text");
            assert!(!phrase.language("de").is_empty(), "{name} has no German text");
            assert!(phrase.all().all(|t| !t.trim().is_empty()), "{name} has an empty text");
        }
    }

    #[test]
    fn on_labels_are_found_inside_off_labels_so_off_is_checked_first() {
        // Documents the trap the device toggles avoid: "mute" matches "Unmute".
        let lower = |s: &str| s.to_lowercase();
        assert!(MIC_OFF.language("en").iter().any(|off| lower(off).contains(&lower(MIC_ON.language("en")[0]))));
    }

    #[test]
    fn denial_and_removal_texts_do_not_overlap_the_waiting_room() {
        let lower = |s: &str| s.to_lowercase();
        for wait in WAITING_ROOM.all() {
            for end in DENIED.all().chain(REMOVED.all()).chain(ENDED.all()) {
                assert!(!lower(wait).contains(&lower(end)), "{wait:?} contains {end:?}");
            }
        }
    }
}
