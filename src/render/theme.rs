//! Every colour and style of the terminal output, in one place. Colour is
//! decided once by the configuration; when it is off, these return the text
//! unchanged.

use crate::catalog::Severity;
use colored::Colorize;

#[derive(Debug, Clone, Copy)]
pub struct Theme {
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

    pub fn severity(&self, severity: Severity, text: &str) -> String {
        self.paint(text, |t| match severity {
            Severity::Error => t.red().bold(),
            Severity::Warning => t.yellow().bold(),
            Severity::Info => t.blue().bold(),
        })
    }
    pub fn title(&self, text: &str) -> String {
        self.paint(text, |t| t.bold())
    }
    pub fn dim(&self, text: &str) -> String {
        self.paint(text, |t| t.dimmed())
    }
    pub fn id(&self, text: &str) -> String {
        self.paint(text, |t| t.cyan())
    }
    pub fn heading(&self, text: &str) -> String {
        self.paint(text, |t| t.green().bold())
    }
    pub fn snippet(&self, text: &str) -> String {
        self.paint(text, |t| t.green())
    }
    pub fn matched(&self, text: &str) -> String {
        self.paint(text, |t| t.red())
    }
    pub fn link(&self, text: &str) -> String {
        self.paint(text, |t| t.underline())
    }
}
