//! Job ids (docs/REFERENCE.md section 3). A job id names the job's record, its spool folder and its objects
//! in storage, so only a narrow alphabet is accepted: 1-128 characters of `A-Z a-z 0-9 . _ -`, not
//! starting with `.` (no `..`, no hidden names, no separators, nothing a shell or ffmpeg would read).

use sha2::{Digest, Sha256};

/// Longest job id accepted.
pub const MAX_LEN: usize = 128;

/// Why an id cannot be a job id, for the refusal's detail.
pub fn problem(id: &str) -> Option<&'static str> {
    if id.is_empty() {
        Some("is empty")
    } else if id.len() > MAX_LEN {
        Some("is longer than 128 characters")
    } else if id.starts_with('.') {
        Some("starts with `.`")
    } else if !id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
        Some("has characters other than A-Z a-z 0-9 . _ -")
    } else {
        None
    }
}

/// Whether `id` is a valid job id.
pub fn is_valid(id: &str) -> bool {
    problem(id).is_none()
}

/// The id of a queue job that names neither `botId` nor `eventId`: derived from the message's
/// bytes, so every delivery of the same message is the same job (a fresh UUID per delivery would
/// make a redelivered message a new job, and its first run's record an orphan).
pub fn derived_from(message: &str) -> String {
    let digest = Sha256::digest(message.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("msg-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_ids_are_valid() {
        for id in ["bot-1", "A.b_c-9", "x", &"a".repeat(128), "2024-01-01T10.00"] {
            assert!(is_valid(id), "{id}");
        }
    }

    #[test]
    fn ids_that_could_name_other_files_are_refused() {
        for id in ["", ".", "..", ".hidden", "../x", "/srv/x", "a/b", "a\\b", "a b", "a'b", "a\nb", "a\0b", "é"] {
            assert!(!is_valid(id), "{id:?} must be refused");
        }
        assert!(!is_valid(&"a".repeat(129)));
    }

    #[test]
    fn a_derived_id_is_stable_per_message_and_valid() {
        let first = derived_from(r#"{"url":"x"}"#);
        assert_eq!(first, derived_from(r#"{"url":"x"}"#));
        assert_ne!(first, derived_from(r#"{"url":"y"}"#));
        assert!(is_valid(&first));
    }
}
