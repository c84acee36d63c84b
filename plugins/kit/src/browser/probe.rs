//! What a plugin looks for in a page: a [`Probe`] names one thing the way a person would find it.

use serde::Serialize;

/// One thing to find in the page. Matching ignores case, runs of whitespace, typographic
/// apostrophes (’ = ') and the ellipsis character (… = ...), and only counts what is visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Probe {
    /// Visible text containing this phrase.
    Text {
        /// The phrase.
        value: &'static str,
    },
    /// An element with this ARIA role (explicit or implicit: `button`, `textbox`, `link`,
    /// `checkbox`, `dialog`, ...) whose accessible name contains `value`.
    Role {
        /// The role.
        role: &'static str,
        /// Part of the accessible name (aria-label, aria-labelledby, label, placeholder, text).
        value: &'static str,
    },
    /// An element whose `aria-label`, `placeholder` or `title` contains this.
    Label {
        /// Part of the label.
        value: &'static str,
    },
    /// A CSS selector, for stable attributes such as Teams' `data-tid`.
    Css {
        /// The selector.
        value: &'static str,
    },
    /// The page's address contains this (e.g. a sign-in host).
    Url {
        /// Part of the URL.
        value: &'static str,
    },
    /// A button inside an open dialog (`role="dialog"`, `role="alertdialog"`, `<dialog open>`)
    /// whose accessible name contains this: "Leave" in a confirmation, never the toolbar's.
    Dialog {
        /// Part of the button's accessible name.
        value: &'static str,
    },
}

impl Probe {
    /// Visible text.
    pub const fn text(value: &'static str) -> Self {
        Probe::Text { value }
    }

    /// A button by its accessible name.
    pub const fn button(value: &'static str) -> Self {
        Probe::Role { role: "button", value }
    }

    /// An element of `role` by its accessible name.
    pub const fn role(role: &'static str, value: &'static str) -> Self {
        Probe::Role { role, value }
    }

    /// An aria-label, placeholder or title.
    pub const fn label(value: &'static str) -> Self {
        Probe::Label { value }
    }

    /// A CSS selector.
    pub const fn css(value: &'static str) -> Self {
        Probe::Css { value }
    }

    /// Part of the page URL.
    pub const fn url(value: &'static str) -> Self {
        Probe::Url { value }
    }

    /// A button inside an open dialog, by its accessible name.
    pub const fn dialog_button(value: &'static str) -> Self {
        Probe::Dialog { value }
    }

    /// The phrase, selector or address part this probe looks for.
    pub const fn value(&self) -> &'static str {
        match self {
            Probe::Text { value }
            | Probe::Role { value, .. }
            | Probe::Label { value }
            | Probe::Css { value }
            | Probe::Url { value }
            | Probe::Dialog { value } => value,
        }
    }

    /// The probe as a person would describe what they saw, for outcome details and logs.
    pub fn describe(&self) -> String {
        match self {
            Probe::Text { value } => format!("the text \"{value}\""),
            Probe::Role { role, value } => format!("a {role} \"{value}\""),
            Probe::Label { value } => format!("an element labelled \"{value}\""),
            Probe::Css { value } => format!("an element matching `{value}`"),
            Probe::Url { value } => format!("an address containing \"{value}\""),
            Probe::Dialog { value } => format!("a dialog's button \"{value}\""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_probes_in_words() {
        assert_eq!(Probe::text("The call has ended").describe(), "the text \"The call has ended\"");
        assert_eq!(Probe::button("Leave call").describe(), "a button \"Leave call\"");
        assert_eq!(Probe::dialog_button("Leave").describe(), "a dialog's button \"Leave\"");
        assert_eq!(Probe::role("switch", "Camera").value(), "Camera");
    }
}
