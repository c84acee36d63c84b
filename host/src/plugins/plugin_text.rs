//! Text a plugin hands the host (log lines, event tags and details, an outcome's detail, why it
//! refused a URL), made safe to keep: cut to a bound, then its passcodes masked.
//!
//! Plugins put page text and page addresses into what they report, and a meeting page is hostile:
//! an address can be megabytes long, a banner any size. Those texts go on into the job's record,
//! the event stream, the results and failures lists, `meeting.json` and the worker's log, so the
//! host bounds each one where it enters, whatever plugin sent it.

use std::borrow::Cow;

use super::mask_secrets;

/// The longest event tag kept, in characters (tags are short snake_case words).
pub const MAX_TAG: usize = 64;

/// The longest event or outcome detail kept, in characters.
pub const MAX_DETAIL: usize = 1024;

/// The longest plugin log line kept, in characters.
pub const MAX_LOG_LINE: usize = 4096;

/// `text` cut to at most `max` characters (plus a note of how much was cut), with passcodes
/// masked. Cut first, so a huge text costs nothing more than its first `max` characters.
pub fn plugin_text(text: &str, max: usize) -> Cow<'_, str> {
    let Some((end, _)) = text.char_indices().nth(max) else {
        return mask_secrets(text);
    };
    let kept = mask_secrets(&text[..end]);
    Cow::Owned(format!("{kept}… ({} more bytes cut)", text.len() - end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_text_is_only_masked() {
        assert_eq!(plugin_text("The call has ended", MAX_DETAIL), "The call has ended");
        assert_eq!(
            plugin_text("opening https://z.us/j/1?pwd=abc", MAX_DETAIL),
            "opening https://z.us/j/1?pwd=********"
        );
    }

    #[test]
    fn a_long_text_is_cut_and_says_how_much_was_cut() {
        let long = "é".repeat(10);
        assert_eq!(plugin_text(&long, 4), "éééé… (12 more bytes cut)");
        assert!(plugin_text(&"x".repeat(5_000_000), MAX_DETAIL).len() < MAX_DETAIL + 40);
    }

    #[test]
    fn a_passcode_at_the_cut_is_still_masked() {
        assert_eq!(plugin_text("go to ?pwd=secret123", 14), "go to ?pwd=********… (6 more bytes cut)");
    }
}
