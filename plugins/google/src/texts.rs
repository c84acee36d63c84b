//! Every text, label and stable attribute the plugin looks for on Google Meet, in one place.
//!
//! The entries are the product's own visible texts and aria-labels (English, and German as Meet
//! shows it with a German UI), matched case-insensitively as substrings by the kit. Keeping them
//! here, and only here, is what lets a new UI wording or a new language be added without touching
//! the session logic. Where Meet has used several wordings over time, all are listed.
//!
//! Two pairs must never be confused, so their phrases are kept apart (a unit test checks it):
//! "You can't join this video call" (the platform refuses the bot before it asks: blocked) and
//! "You can't join this call" (shown after a request to join was refused: denied).

use meetbot_plugin_kit::{Phrase, Probe};

/// The devices dialog Meet shows when the browser has no camera or microphone (or no permission):
/// its "continue without" button.
pub const CONTINUE_WITHOUT_DEVICES: Phrase = Phrase::new(&[
    ("en", &["Continue without microphone and camera"]),
    ("de", &["Ohne Mikrofon und Kamera fortfahren"]),
]);

/// The display-name field of the anonymous pre-join screen (aria-label and placeholder).
pub const NAME_FIELD: Phrase = Phrase::new(&[("en", &["Your name"]), ("de", &["Ihr Name"])]);

/// The join buttons of the pre-join screen: with a lobby ("Ask to join"), without ("Join now"),
/// and the one Meet offers after a warning ("Join anyway").
pub const JOIN_BUTTONS: Phrase = Phrase::new(&[
    ("en", &["Ask to join", "Join now", "Join anyway"]),
    ("de", &["Teilnahme anfragen", "Teilnahme erbitten", "Jetzt teilnehmen", "Trotzdem teilnehmen"]),
]);

/// A confirmation Meet may put between the join click and the request ("Join anyway").
pub const JOIN_ANYWAY: Phrase = Phrase::new(&[("en", &["Join anyway"]), ("de", &["Trotzdem teilnehmen"])]);

/// The camera toggle's label while the camera is ON (clicking it turns the camera off).
pub const CAMERA_IS_ON: Phrase =
    Phrase::new(&[("en", &["Turn off camera"]), ("de", &["Kamera deaktivieren", "Kamera ausschalten"])]);

/// The microphone toggle's label while the microphone is ON.
pub const MICROPHONE_IS_ON: Phrase =
    Phrase::new(&[("en", &["Turn off microphone"]), ("de", &["Mikrofon deaktivieren", "Mikrofon ausschalten"])]);

/// The camera toggle's label while the camera is OFF (what a landed "turn off" click shows).
pub const CAMERA_IS_OFF: Phrase =
    Phrase::new(&[("en", &["Turn on camera"]), ("de", &["Kamera aktivieren", "Kamera einschalten"])]);

/// The microphone toggle's label while the microphone is OFF.
pub const MICROPHONE_IS_OFF: Phrase =
    Phrase::new(&[("en", &["Turn on microphone"]), ("de", &["Mikrofon aktivieren", "Mikrofon einschalten"])]);

/// The lobby, in the wordings that only the lobby uses. They win over a "Leave call" button,
/// which some Meet versions already show in the lobby.
pub const LOBBY: Phrase = Phrase::new(&[
    (
        "en",
        &[
            "Please wait until a meeting host brings you into the call",
            "Asking to be let in",
            "You'll join the call when someone lets you in",
        ],
    ),
    (
        "de",
        &[
            "Bitte warten Sie, bis ein Organisator der Besprechung Sie in den Anruf holt",
            "Bitte warten Sie, bis Sie vom Organisator in den Anruf geholt werden",
            "Sie nehmen am Anruf teil, sobald Sie jemand hereinlässt",
        ],
    ),
]);

/// The lobby's heading. Weaker than [`LOBBY`]: in the call, "X is asking to join" notices look
/// alike, so it counts only while no "Leave call" button is shown.
pub const LOBBY_HEADING: Phrase =
    Phrase::new(&[("en", &["Asking to join..."]), ("de", &["Teilnahme wird angefragt..."])]);

/// Someone in the meeting refused the bot's request.
pub const DENIED: Phrase = Phrase::new(&[
    ("en", &["Someone in the call denied your request to join"]),
    ("de", &["Jemand im Anruf hat Ihre Teilnahmeanfrage abgelehnt", "Ihre Teilnahmeanfrage wurde abgelehnt"]),
]);

/// The heading of the refusal screen. After a request to join it means denied; shown before any
/// request it is a refusal by the platform.
pub const CANT_JOIN_CALL: Phrase =
    Phrase::new(&[("en", &["You can't join this call"]), ("de", &["Sie können nicht an diesem Anruf teilnehmen"])]);

/// The block Meet shows instead of the pre-join screen (bots, organisation-only meetings, ...).
pub const BLOCKED: Phrase = Phrase::new(&[
    ("en", &["You can't join this video call"]),
    ("de", &["Sie können nicht an diesem Videoanruf teilnehmen"]),
]);

/// Meet gave up waiting for someone to admit the bot.
pub const LOBBY_TIMED_OUT: Phrase = Phrase::new(&[
    ("en", &["No one responded to your request to join the call"]),
    (
        "de",
        &[
            "Niemand hat auf Ihre Teilnahmeanfrage reagiert",
            "Niemand hat auf Ihre Anfrage zur Teilnahme am Anruf reagiert",
        ],
    ),
]);

/// The meeting code names no meeting.
pub const NOT_FOUND: Phrase = Phrase::new(&[
    ("en", &["Check your meeting code", "Invalid video call name"]),
    ("de", &["Überprüfen Sie Ihren Besprechungscode", "Besprechungscode prüfen", "Ungültiger Videoanrufname"]),
]);

/// The in-call "Leave call" button (its appearance is the admission signal).
pub const LEAVE_CALL: Phrase = Phrase::new(&[("en", &["Leave call"]), ("de", &["Anruf verlassen"])]);

/// The confirmation Meet asks meeting owners after "Leave call".
pub const LEAVE_CONFIRM: Phrase = Phrase::new(&[("en", &["Just leave the call"]), ("de", &["Nur Anruf verlassen"])]);

/// Someone removed the bot from the call.
pub const REMOVED: Phrase = Phrase::new(&[
    ("en", &["You've been removed from the meeting", "removed you from the meeting"]),
    ("de", &["Sie wurden aus der Besprechung entfernt", "Sie wurden aus dem Anruf entfernt"]),
]);

/// The meeting was ended for everyone.
pub const ENDED: Phrase = Phrase::new(&[
    ("en", &["The call has ended", "ended the call for everyone", "ended the meeting for everyone"]),
    ("de", &["Der Anruf wurde beendet", "hat den Anruf für alle beendet"]),
]);

/// The screen after leaving.
pub const LEFT: Phrase = Phrase::new(&[
    ("en", &["You left the meeting"]),
    ("de", &["Sie haben die Besprechung verlassen", "Sie haben den Anruf verlassen"]),
]);

/// Labels of the People button, which carry the participant count in some Meet versions
/// ("People - 3 joined").
pub const PEOPLE: Phrase = Phrase::new(&[("en", &["Show everyone", "People"]), ("de", &["Alle anzeigen", "Personen"])]);

/// In-call tips and notices that can cover the call controls ("Got it").
pub const NOTICE_DISMISS: Phrase = Phrase::new(&[("en", &["Got it", "Dismiss"]), ("de", &["Verstanden", "Schließen"])]);

/// Google's sign-in page, recognized by its own wording when it is shown without a redirect to
/// `accounts.google.com` (or the redirect's address is not visible to the page).
pub const SIGN_IN_WALL: Phrase = Phrase::new(&[
    ("en", &["to continue to Google Meet", "Use your Google Account"]),
    ("de", &["Weiter zu Google Meet", "Mit Ihrem Google-Konto"]),
]);

/// The participant count badge of the current Meet UI (`data-avatar-count="3"`), the bot included.
pub const AVATAR_COUNT: Probe = Probe::css("[data-avatar-count]");

/// Meet's own name for the red hang-up button; a fallback to click it when its label is not in
/// the tables (an unknown UI language).
pub const LEAVE_BUTTON_JSNAME: Probe = Probe::css(r#"[jsname="CQylAd"]"#);

/// Google's sign-in host: a redirect there means the meeting needs a signed-in account.
pub const SIGN_IN_URL: Probe = Probe::url("://accounts.google.com/");

/// Every phrase table, with a name for tests and diagnostics.
pub const ALL: [(&str, Phrase); 23] = [
    ("CONTINUE_WITHOUT_DEVICES", CONTINUE_WITHOUT_DEVICES),
    ("NAME_FIELD", NAME_FIELD),
    ("JOIN_BUTTONS", JOIN_BUTTONS),
    ("JOIN_ANYWAY", JOIN_ANYWAY),
    ("CAMERA_IS_ON", CAMERA_IS_ON),
    ("MICROPHONE_IS_ON", MICROPHONE_IS_ON),
    ("CAMERA_IS_OFF", CAMERA_IS_OFF),
    ("MICROPHONE_IS_OFF", MICROPHONE_IS_OFF),
    ("LOBBY", LOBBY),
    ("LOBBY_HEADING", LOBBY_HEADING),
    ("DENIED", DENIED),
    ("CANT_JOIN_CALL", CANT_JOIN_CALL),
    ("BLOCKED", BLOCKED),
    ("LOBBY_TIMED_OUT", LOBBY_TIMED_OUT),
    ("NOT_FOUND", NOT_FOUND),
    ("LEAVE_CALL", LEAVE_CALL),
    ("LEAVE_CONFIRM", LEAVE_CONFIRM),
    ("REMOVED", REMOVED),
    ("ENDED", ENDED),
    ("LEFT", LEFT),
    ("PEOPLE", PEOPLE),
    ("NOTICE_DISMISS", NOTICE_DISMISS),
    ("SIGN_IN_WALL", SIGN_IN_WALL),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The kit's matching: case-insensitive, typographic apostrophes as plain ones.
    fn norm(s: &str) -> String {
        s.replace(['\u{2018}', '\u{2019}'], "'").replace('\u{2026}', "...").to_lowercase()
    }

    #[test]
    fn every_table_has_english_and_german() {
        for (name, phrase) in ALL {
            assert!(!phrase.language("en").is_empty(), "{name} has no English text");
            assert!(!phrase.language("de").is_empty(), "{name} has no German text");
            for text in phrase.all() {
                assert_eq!(text.trim(), text, "{name}: stray whitespace in {text:?}");
                assert!(text.len() >= 4, "{name}: {text:?} is too short to match safely");
            }
        }
    }

    #[test]
    fn blocked_and_denied_never_match_each_other() {
        for blocked in BLOCKED.all().map(norm) {
            for cant in CANT_JOIN_CALL.all().chain(DENIED.all()).map(norm) {
                assert!(!blocked.contains(&cant) && !cant.contains(&blocked), "{blocked:?} vs {cant:?}");
            }
        }
    }

    #[test]
    fn end_screens_do_not_overlap() {
        let groups = [("REMOVED", REMOVED), ("ENDED", ENDED), ("LEFT", LEFT), ("LOBBY_TIMED_OUT", LOBBY_TIMED_OUT)];
        for (a, pa) in groups {
            for (b, pb) in groups {
                if a == b {
                    continue;
                }
                for x in pa.all().map(norm) {
                    for y in pb.all().map(norm) {
                        assert!(!x.contains(&y), "{a} {x:?} contains {b} {y:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_in_call_signal_is_not_a_lobby_phrase() {
        for leave in LEAVE_CALL.all().map(norm) {
            for lobby in LOBBY.all().chain(LOBBY_HEADING.all()).map(norm) {
                assert!(!lobby.contains(&leave), "{lobby:?} contains {leave:?}");
            }
        }
    }
}
