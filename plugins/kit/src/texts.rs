//! Per-language text tables. Platforms show their UI in the browser's language (meetbot pins
//! `--lang`), but a meeting page can still come in another; plugins match every language they
//! know, so a table is a list of phrases per language, flattened when probing.

use crate::Probe;

/// One phrase in every language a plugin knows.
#[derive(Debug, Clone, Copy)]
pub struct Phrase {
    /// English.
    pub en: &'static [&'static str],
    /// German.
    pub de: &'static [&'static str],
}

impl Phrase {
    /// Every variant in every language.
    pub fn all(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.en.iter().chain(self.de.iter()).copied()
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

    #[test]
    fn flattens_languages() {
        let leave = Phrase { en: &["Leave call"], de: &["Anruf verlassen"] };
        assert_eq!(leave.all().collect::<Vec<_>>(), vec!["Leave call", "Anruf verlassen"]);
        assert_eq!(leave.as_button().len(), 2);
        assert_eq!(leave.as_role("link")[1], Probe::role("link", "Anruf verlassen"));
        assert_eq!(leave.as_dialog_button()[0], Probe::dialog_button("Leave call"));
    }
}
