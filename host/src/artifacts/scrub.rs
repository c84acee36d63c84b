//! Masking what the page's HTML and console log may hold of the job's secrets before they are
//! stored: the bearer token of the job request, and the meeting URL's passcodes (Zoom `pwd=`,
//! Teams `p=`, every key [`mask_secrets`] counts as secret). Masked both where they appear as
//! `key=value` (in links, scripts, log lines) and wherever their value appears on its own (a
//! passcode field's `value="..."`, a token a script printed).

use crate::plugins::mask_secrets;

/// What a secret is replaced with (as [`mask_secrets`] and the configuration mask theirs).
const MASK: &str = "********";

/// Values shorter than this are masked only in `key=value` form: replacing every occurrence of a
/// two-letter value would mask half the page's words and still say what it was.
const MIN_LITERAL: usize = 4;

/// The job's secrets, to mask in text bound for storage.
#[derive(Debug, Clone, Default)]
pub struct Scrub {
    /// Secret values, longest first (so a value containing another is masked whole).
    literals: Vec<String>,
}

impl Scrub {
    /// The secrets of a job for `url` with `bearer_token` (empty when there is none).
    pub fn new(url: &str, bearer_token: &str) -> Self {
        let mut literals = vec![bearer_token.to_owned()];
        if let Ok(parsed) = url::Url::parse(url) {
            for (key, value) in parsed.query_pairs() {
                if mask_secrets(&format!("{key}={value}")) != format!("{key}={value}") {
                    literals.push(value.into_owned());
                }
            }
            // The raw (still percent-encoded) forms too, as they appear in links.
            for pair in parsed.query().unwrap_or_default().split('&') {
                if let Some((_, value)) = pair.split_once('=')
                    && mask_secrets(pair) != pair
                {
                    literals.push(value.to_owned());
                }
            }
        }
        literals.retain(|secret| secret.chars().count() >= MIN_LITERAL);
        literals.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        literals.dedup();
        Self { literals }
    }

    /// `text` with every secret masked.
    pub fn text(&self, text: &str) -> String {
        let mut text = mask_secrets(text).into_owned();
        for secret in &self.literals {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), MASK);
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passcodes_of_the_meeting_url_and_the_bearer_token_are_masked_wherever_they_appear() {
        let scrub = Scrub::new("https://us02web.zoom.us/j/8512345678?pwd=Zx9kQ2bLm0&uname=bot", "tok-secret-1");
        let page = r#"<a href="https://us02web.zoom.us/j/8512345678?pwd=Zx9kQ2bLm0">join</a>
            <input value="Zx9kQ2bLm0"> Bearer tok-secret-1 <b>uname bot</b>"#;
        let masked = scrub.text(page);
        assert!(!masked.contains("Zx9kQ2bLm0") && !masked.contains("tok-secret-1"), "{masked}");
        assert!(masked.contains("8512345678") && masked.contains("uname bot"), "{masked}");
    }

    #[test]
    fn a_teams_passcode_is_masked_in_its_encoded_and_decoded_forms() {
        let scrub = Scrub::new("https://teams.live.com/meet/9312345?p=a%2Bb%3Dc9xY", "");
        let masked = scrub.text("typed a+b=c9xY; link ?p=a%2Bb%3Dc9xY; word abc");
        assert!(!masked.contains("c9xY"), "{masked}");
        assert!(masked.contains("word abc"), "{masked}");
    }

    #[test]
    fn short_values_are_masked_only_as_key_value_pairs() {
        let scrub = Scrub::new("https://teams.live.com/meet/9312345?p=ab", "");
        assert_eq!(scrub.text("ab cab p=ab"), "ab cab p=********");
    }
}
