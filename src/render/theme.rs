//! Every colour and style of the terminal output, in one place. Colour is
//! decided once by the configuration; when it is off, these return the text
//! unchanged.

use crate::catalog::Severity;
use colored::Colorize;

/// Colours for the cards (none when off).
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    /// Whether to colour at all.
    pub color: bool,
}

impl Theme {
    fn paint(&self, text: &str, f: impl Fn(&str) -> colored::ColoredString) -> String {
        if self.color {
            f(text).to_string()
        } else {
            text.to_string()
        }
    }

    /// A severity label in its colour.
    pub fn severity(&self, severity: Severity, text: &str) -> String {
        self.paint(text, |t| match severity {
            Severity::Error => t.red().bold(),
            Severity::Warning => t.yellow().bold(),
            Severity::Info => t.blue().bold(),
        })
    }
    /// A card's title.
    pub fn title(&self, text: &str) -> String {
        self.paint(text, |t| t.bold())
    }
    /// Secondary text.
    pub fn dim(&self, text: &str) -> String {
        self.paint(text, |t| t.dimmed())
    }
    /// A rule id.
    pub fn id(&self, text: &str) -> String {
        self.paint(text, |t| t.cyan())
    }
    /// A section heading.
    pub fn heading(&self, text: &str) -> String {
        self.paint(text, |t| t.green().bold())
    }
    /// A snippet to copy.
    pub fn snippet(&self, text: &str) -> String {
        self.paint(text, |t| t.green())
    }
    /// The log line that matched.
    pub fn matched(&self, text: &str) -> String {
        self.paint(text, |t| t.red())
    }
    /// A link.
    pub fn link(&self, text: &str) -> String {
        self.paint(text, |t| t.underline())
    }
}
