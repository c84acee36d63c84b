//! The timeline's event kinds: what `HostContext::report_event` is called with. The host keeps
//! each event in the meeting's timeline (`meeting.json`, the job's event stream) under its kind, so
//! the kinds are one vocabulary across platforms: a reader compares a Meet timeline with a Zoom one
//! without a glossary per plugin. A session that ends on something the platform showed also
//! reports an event whose kind is the end reason (one of [`crate::reason`]) with what was seen as
//! its detail. A plugin may add kinds of its own (short snake_case); these are the shared ones.

/// The page was sent to the meeting link (detail: the address).
pub const NAVIGATED: &str = "navigated";
/// The bot's display name was typed into the pre-join form (detail: the name).
pub const NAME_TYPED: &str = "name_typed";
/// The meeting's passcode was typed (no detail: it is a secret).
pub const PASSCODE_TYPED: &str = "passcode_typed";
/// The camera was turned off before or after joining.
pub const CAMERA_OFF: &str = "camera_off";
/// The microphone was turned off before or after joining.
pub const MIC_OFF: &str = "mic_off";
/// The join button was clicked (detail: its wording or the name joined with).
pub const JOIN_CLICKED: &str = "join_clicked";
/// A dialog, notice or launcher screen was clicked away (detail: the button).
pub const DIALOG_DISMISSED: &str = "dialog_dismissed";
/// The platform's own audio was joined (detail: the button).
pub const AUDIO_JOINED: &str = "audio_joined";
/// The bot is waiting to be admitted.
pub const WAITING_ROOM: &str = "waiting_room";
/// The bot is in the call.
pub const ADMITTED: &str = "admitted";
/// The bot clicked the call's Leave control.
pub const LEAVE_CLICKED: &str = "leave_clicked";
/// The bot confirmed leaving in the platform's confirmation (detail: the button).
pub const LEAVE_CONFIRMED: &str = "leave_confirmed";
/// The platform showed that the bot is out of the call (detail: what showed it).
pub const LEFT: &str = "left";
