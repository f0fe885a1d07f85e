//! `--format github`: GitHub Actions workflow commands, so the root cause
//! shows as an annotation on the run (`::error title=…::…`).

use super::{Sink, View};
use crate::catalog::Severity;
use crate::finding::{Report, Status};
use std::io::{self, Write};

/// `--format github`.
#[derive(Default)]
pub struct Github;

/// Escapes a workflow command's message.
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

impl Sink for Github {
    fn finding(&mut self, out: &mut dyn Write, v: &View<'_>) -> io::Result<()> {
        let command = match v.rule.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let f = v.finding;
        let mut message =
            format!("{}\n\n{} line {}: {}\n", v.fill(&v.rule.summary()), v.input.name, f.line.number, f.line.text);
        let (mine, _) = v.remedies();
        if let Some(fix) = mine.first() {
            message.push_str(&format!("\nFix: {}", v.fill(&fix.title)));
            if let Some(snippet) = &fix.snippet {
                let file = fix.file.as_deref().map(|f| format!(" ({f})")).unwrap_or_default();
                message.push_str(&format!("{file}\n{}", v.fill(snippet).trim_end()));
            }
            message.push('\n');
        }
        message.push_str(&format!("\nMore: {}", v.url));
        let title = format!("{} ({})", v.fill(&v.rule.title), v.rule.id);
        writeln!(out, "::{command} title={}::{}", property(&title), data(&message))
    }

    fn begin(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        for input in crate::rank::unexplained(report) {
            let mut message = String::new();
            if let Some(f) = &input.failure {
                message.push_str(&format!("{} failed at line {}: {}\n", input.name, f.line.number, f.line.text));
            }
            if !input.suspects.is_empty() {
                let new = input.baseline.as_deref().map(|b| format!(" (none of them in {b})")).unwrap_or_default();
                message.push_str(&format!("\nThe lines most likely to state the cause{new}:\n"));
                for l in &input.suspects {
                    message.push_str(&format!("{} line {}: {}\n", input.name, l.number, l.text));
                }
            }
            let line = input.suspects.first().or(input.failure.as_ref().map(|f| &f.line)).map_or(0, |l| l.number);
            writeln!(
                out,
                "::error title={},line={line}::{}",
                property("Build failed; no rule names the cause (buildmedic)"),
                data(message.trim_end())
            )?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        if report.findings.is_empty() && report.status == Status::Clean {
            writeln!(out, "::notice title=buildmedic::No known failure found")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn workflow_command_escaping() {
        assert_eq!(super::data("50%\nnext\r"), "50%25%0Anext%0D");
        assert_eq!(super::property("a: b, c"), "a%3A b%2C c");
    }
}
