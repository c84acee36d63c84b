//! Per-language text tables. Platforms show their UI in the browser's language (meetbot pins
//! `--lang`), but a meeting page can still come in another; plugins match every language they
//! know, so a table is a list of phrases per language, flattened when probing. Languages are keys
//! (BCP 47 primary tags such as `en`, `de`, `fr`), not fields: a plugin adds a language by adding
//! a row, and the kit never needs to know which languages exist.

use crate::Probe;

/// One phrase in every language a plugin knows: for each language tag, the wordings the platform
/// shows (several when the platform has used more than one over time).
///
/// ```
/// use meetbot_plugin_kit::Phrase;
///
/// const LEAVE: Phrase = Phrase::new(&[("en", &["Leave call"]), ("de", &["Anruf verlassen"]), ("fr", &["Quitter l'appel"])]);
/// assert_eq!(LEAVE.language("fr"), ["Quitter l'appel"]);
/// assert_eq!(LEAVE.all().count(), 3);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Phrase {
    by_language: &'static [(&'static str, &'static [&'static str])],
}

impl Phrase {
    /// A phrase from `(language tag, wordings)` rows.
    pub const fn new(by_language: &'static [(&'static str, &'static [&'static str])]) -> Self {
        Self { by_language }
    }

    /// The language tags this phrase has wordings for, in table order.
    pub fn languages(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.by_language.iter().map(|(language, _)| *language)
    }

    /// The wordings in one language; empty when the phrase lacks it.
    pub fn language(&self, tag: &str) -> &'static [&'static str] {
        self.by_language.iter().find(|(language, _)| *language == tag).map_or(&[], |(_, texts)| texts)
    }

    /// Every variant in every language.
    pub fn all(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.by_language.iter().flat_map(|(_, texts)| texts.iter().copied())
    }

    /// Probes for this phrase as visible text.
    pub fn as_text(&self) -> Vec<Probe> {
        self.all().map(Probe::text).collect()
    }

    /// Probes for this phrase as a button's accessible name.
    pub fn as_button(&self) -> Vec<Probe> {
        self.all().map(Probe::button).collect()
    }

    /// Probes for this phrase as an aria-label, placeholder or title.
    pub fn as_label(&self) -> Vec<Probe> {
        self.all().map(Probe::label).collect()
    }

    /// Probes for this phrase as the accessible name of an element of `role`.
    pub fn as_role(&self, role: &'static str) -> Vec<Probe> {
        self.all().map(|name| Probe::role(role, name)).collect()
    }

    /// Probes for this phrase as a button inside an open dialog.
    pub fn as_dialog_button(&self) -> Vec<Probe> {
        self.all().map(Probe::dialog_button).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEAVE: Phrase = Phrase::new(&[("en", &["Leave call"]), ("de", &["Anruf verlassen"])]);

    #[test]
    fn flattens_languages_in_table_order() {
        assert_eq!(LEAVE.all().collect::<Vec<_>>(), vec!["Leave call", "Anruf verlassen"]);
        assert_eq!(LEAVE.as_button().len(), 2);
        assert_eq!(LEAVE.as_role("link")[1], Probe::role("link", "Anruf verlassen"));
        assert_eq!(LEAVE.as_dialog_button()[0], Probe::dialog_button("Leave call"));
    }

    #[test]
    fn a_third_language_is_one_more_row() {
        const THREE: Phrase =
            Phrase::new(&[("en", &["Join now"]), ("de", &["Jetzt teilnehmen"]), ("fr", &["Participer", "Rejoindre"])]);
        assert_eq!(THREE.languages().collect::<Vec<_>>(), ["en", "de", "fr"]);
        assert_eq!(THREE.language("fr"), ["Participer", "Rejoindre"]);
        assert!(THREE.language("ja").is_empty());
        assert_eq!(THREE.as_text().len(), 4);
    }
}
