//! Masking meeting passcodes and tokens in text bound for a log line.
//!
//! Meeting URLs carry their passcode in the query (Zoom `pwd=`, Teams `p=`), and plugins mention
//! URLs in their log lines, event details and outcome details (the page they were sent to, the link
//! they opened). Those texts reach the worker's log, so every text that enters the host from a
//! plugin, and every URL the host logs itself, goes through [`mask_secrets`] first. It finds
//! `key=value` pairs in free text, in URLs and in URLs percent-encoded inside other URLs, and
//! replaces the value of every key that names a passcode, password, token or signature.

use std::borrow::Cow;

/// What a masked value is replaced with (as the configuration masks its secrets).
const MASK: &str = "********";

/// Keys whose values are secrets, compared without regard to case: Zoom's passcode (`pwd`),
/// registration token (`tk`) and host token (`zak`), Teams' passcode (`p`), and the usual names.
const SECRET_KEYS: [&str; 11] =
    ["pwd", "p", "passcode", "pass", "tk", "zak", "auth", "authorization", "sig", "signature", "key"];

/// Parts of key names that mark a secret wherever they appear (`access_token`, `X-Amz-Signature`,
/// `client_secret`, `password`).
const SECRET_PARTS: [&str; 5] = ["token", "secret", "passw", "signature", "apikey"];

/// The longest key looked at; longer runs of key characters are not parameter names.
const MAX_KEY: usize = 64;

/// `text` with the value of every secret `key=value` pair replaced by `********`; borrowed when
/// there was nothing to mask.
///
/// A pair starts at the beginning of the text or after `?`, `&`, `#`, `;`, whitespace or
/// punctuation, or after their percent-encoded forms (`%3F`, `%26`, `%23`, `%20`) inside an
/// encoded URL; its `=` may be encoded too (`%3D`). The value runs to the next `&`, `#`, `;`,
/// whitespace, quote, bracket or comma, or their encoded forms.
pub fn mask_secrets(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut masked = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let Some((key_end, value_start)) = pair_at(bytes, i) else {
            i += 1;
            continue;
        };
        let value_end = value_end(bytes, value_start);
        if value_end > value_start && is_secret_key(&text[i..key_end]) {
            masked.push_str(&text[copied..value_start]);
            masked.push_str(MASK);
            copied = value_end;
            i = value_end;
        } else {
            // The value itself may be a URL with pairs of its own.
            i = value_start;
        }
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    masked.push_str(&text[copied..]);
    Cow::Owned(masked)
}

/// A `key=` starting at `i` (at a pair boundary): the end of the key and the start of the value.
fn pair_at(bytes: &[u8], i: usize) -> Option<(usize, usize)> {
    if !starts_pair(bytes, i) {
        return None;
    }
    let key_len = bytes[i..].iter().take(MAX_KEY + 1).take_while(|b| is_key_byte(**b)).count();
    if key_len == 0 || key_len > MAX_KEY {
        return None;
    }
    let key_end = i + key_len;
    let rest = &bytes[key_end..];
    if rest.first() == Some(&b'=') {
        Some((key_end, key_end + 1))
    } else if is_escape(rest, b"3D") {
        Some((key_end, key_end + 3))
    } else {
        None
    }
}

/// Whether a key may start at `i`: the text's start, or after a separator (plain or encoded).
fn starts_pair(bytes: &[u8], i: usize) -> bool {
    if i == 0 {
        return true;
    }
    let before = bytes[i - 1];
    if !is_key_byte(before) && before != b'%' {
        return true;
    }
    i >= 3 && [b"3F", b"26", b"23", b"20", b"3B"].iter().any(|code| is_escape(&bytes[i - 3..], code))
}

/// Where a value starting at `start` ends.
fn value_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        let ends = b.is_ascii_whitespace()
            || b.is_ascii_control()
            || b"&#;\"'<>`()[]{},|\\".contains(&b)
            || [b"26", b"23", b"20", b"22", b"27", b"3B"].iter().any(|code| is_escape(&bytes[i..], code));
        if ends {
            break;
        }
        i += 1;
    }
    i
}

/// Whether `bytes` starts with `%` and the two hex digits `code` (either case).
fn is_escape(bytes: &[u8], code: &[u8; 2]) -> bool {
    bytes.len() >= 3 && bytes[0] == b'%' && bytes[1..3].eq_ignore_ascii_case(code)
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_KEYS.contains(&key.as_str()) || SECRET_PARTS.iter().any(|part| key.contains(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        mask_secrets(text).into_owned()
    }

    #[test]
    fn a_zoom_passcode_is_masked() {
        assert_eq!(
            masked("opening https://us05web.zoom.us/wc/join/81234567890?pwd=abcDEF.1"),
            "opening https://us05web.zoom.us/wc/join/81234567890?pwd=********"
        );
        assert_eq!(masked("https://zoom.us/j/1?pwd=a%2Bb+c&uname=Bot"), "https://zoom.us/j/1?pwd=********&uname=Bot");
    }

    #[test]
    fn a_teams_passcode_is_masked_and_keys_ending_in_p_are_not() {
        assert_eq!(
            masked("page https://teams.live.com/meet/9345678901234?app=x&p=AbCd12&sp=1#p=frag"),
            "page https://teams.live.com/meet/9345678901234?app=x&p=********&sp=1#p=********"
        );
    }

    #[test]
    fn tokens_passwords_and_signatures_are_masked() {
        assert_eq!(masked("x?tk=T1&zak=Z2&Access_Token=A3"), "x?tk=********&zak=********&Access_Token=********");
        assert_eq!(
            masked("s3?X-Amz-Security-Token=t&X-Amz-Signature=s&X-Amz-Date=20240101"),
            "s3?X-Amz-Security-Token=********&X-Amz-Signature=********&X-Amz-Date=20240101"
        );
        assert_eq!(masked("password=hunter2 passcode=1234"), "password=******** passcode=********");
        assert_eq!(masked("PWD=Secret"), "PWD=********");
    }

    #[test]
    fn every_occurrence_is_masked() {
        assert_eq!(
            masked("from https://zoom.us/j/1?pwd=aaa to https://zoom.us/wc/join/1?pwd=aaa."),
            "from https://zoom.us/j/1?pwd=******** to https://zoom.us/wc/join/1?pwd=********"
        );
    }

    #[test]
    fn a_passcode_inside_a_percent_encoded_url_is_masked() {
        assert_eq!(
            masked(
                "https://teams.microsoft.com/dl/launcher/launcher.html?url=%2F_%23%2Fmeet%2F123%3Fp%3DSeCrEt%26x%3D1&type=a"
            ),
            "https://teams.microsoft.com/dl/launcher/launcher.html?url=%2F_%23%2Fmeet%2F123%3Fp%3D********%26x%3D1&type=a"
        );
        assert_eq!(
            masked("next=https%3a%2f%2fzoom.us%2fj%2f1%3fpwd%3dabc"),
            "next=https%3a%2f%2fzoom.us%2fj%2f1%3fpwd%3d********"
        );
    }

    #[test]
    fn values_end_at_separators_quotes_and_brackets() {
        assert_eq!(masked("{\"url\":\"https://z.us/?pwd=abc\"}"), "{\"url\":\"https://z.us/?pwd=********\"}");
        assert_eq!(masked("(see https://z.us/?pwd=abc), then"), "(see https://z.us/?pwd=********), then");
        assert_eq!(masked("a?pwd=abc;b=1"), "a?pwd=********;b=1");
        assert_eq!(masked("a?pwd=abc\nnext line"), "a?pwd=********\nnext line");
        assert_eq!(masked("<a href='https://z.us/?pwd=abc'>"), "<a href='https://z.us/?pwd=********'>");
    }

    #[test]
    fn other_pairs_and_plain_text_are_left_alone() {
        for text in [
            "joined https://meet.google.com/abc-defg-hij",
            "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=%7b%22Tid%22%3a%22x%22%7d",
            "https://zoom.us/j/1?pwd=",
            "group=7 app=1 sp=2 upwd=3",
            "the passcode field is empty",
            "",
        ] {
            assert!(matches!(mask_secrets(text), Cow::Borrowed(_)), "{text}");
        }
    }

    #[test]
    fn non_ascii_text_is_kept_intact() {
        assert_eq!(masked("Réunion ✓ https://z.us/?pwd=pässwört ✓ fin"), "Réunion ✓ https://z.us/?pwd=******** ✓ fin");
    }
}
