//! The human-readable output: one card per finding, root cause first, the
//! fix in a copyable form, a link to the full explanation.

use super::theme::Theme;
use super::{RenderOptions, Sink, View};
use crate::catalog::{Remedy, Severity};
use crate::finding::ShownLine;
use crate::finding::{Report, Role, Status};
use std::io::{self, Write};

const WIDTH: usize = 80;
/// Characters of a log line shown on a card.
const SHOWN_CHARS: usize = 160;

/// `--format human`: the cards.
pub struct Cards {
    options: RenderOptions,
    theme: Theme,
    /// Cards written so far (a blank line goes between two).
    shown: usize,
}

impl Cards {
    /// Cards with these options.
    pub fn new(options: RenderOptions) -> Cards {
        let theme = Theme { color: options.color };
        Cards { options, theme, shown: 0 }
    }
}

impl Sink for Cards {
    /// An unexplained failure comes first: where the build failed, the
    /// lines most likely to state why, and how to teach the tool.
    fn begin(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let t = self.theme;
        for input in crate::rank::unexplained(report) {
            if self.shown > 0 {
                writeln!(out)?;
            }
            self.shown += 1;
            writeln!(out, "{} {}", t.severity(Severity::Error, "error"), t.id("unknown-failure"))?;
            writeln!(out, "{}", t.title("The build failed, and no rule names the cause"))?;
            if let Some(f) = &input.failure {
                let name = if report.inputs.len() > 1 { format!("{}:", input.name) } else { "line ".into() };
                let step = f.step.as_ref().map(|s| format!(" in {}", clip(&s.name, 70))).unwrap_or_default();
                writeln!(out, "{}", t.dim(&format!("  at {name}{}{step}", f.line.number)))?;
                writeln!(out)?;
                write_log_line(out, &t, &f.line, true, f.line.number.to_string().len())?;
            }
            if !input.suspects.is_empty() {
                writeln!(out)?;
                let new = input.baseline.as_deref().map(|b| format!(" (none of them in {b})")).unwrap_or_default();
                writeln!(out, "  {}", t.heading(&format!("The lines most likely to state the cause{new}:")))?;
                let width = input.suspects.iter().map(|l| l.number).max().unwrap_or(0).to_string().len();
                for line in &input.suspects {
                    write_log_line(out, &t, line, true, width)?;
                }
                if let Some(first) = input.suspects.first() {
                    let teach =
                        format!("Teach buildmedic: buildmedic rules new --from {}:{}", input.name, first.number);
                    writeln!(out, "  {}", t.dim(&teach))?;
                }
            }
        }
        Ok(())
    }

    fn finding(&mut self, out: &mut dyn Write, v: &View<'_>) -> io::Result<()> {
        let t = self.theme;
        if self.shown > 0 {
            writeln!(out)?;
        }
        self.shown += 1;
        let root = v.role == Role::RootCause;
        let rule = v.rule;
        let f = v.finding;
        let sev = rule.severity.as_str();
        writeln!(out, "{} {}", t.severity(rule.severity, sev), t.id(&rule.id))?;
        writeln!(out, "{}", t.title(&v.fill(&rule.title)))?;

        // Where: file:line, step, builder.
        let mut at = String::from("  at ");
        if v.many_inputs {
            at.push_str(&format!("{}:", v.input.name));
        } else {
            at.push_str("line ");
        }
        at.push_str(&f.line.number.to_string());
        if let Some(step) = &f.step {
            at.push_str(&format!(" in {}", clip(&step.name, 70)));
            if let Some(phase) = &step.phase {
                at.push_str(&format!(" ({phase} phase)"));
            }
        }
        let b = &v.input.builder;
        if b.name != crate::builder::Builder::Unknown {
            at.push_str(&format!(" · {}", b.name.label()));
            if let Some(version) = &b.version {
                at.push_str(&format!(" {version}"));
            }
        }
        writeln!(out, "{}", t.dim(&at))?;

        // Notes after the root cause stay short: what it is and where to read more.
        if v.role == Role::Note {
            for line in wrap(&v.fill(&rule.summary()), WIDTH - 2) {
                writeln!(out, "  {line}")?;
            }
            writeln!(out, "  {} {}", t.dim("More:"), t.link(&v.url))?;
            return Ok(());
        }

        // The log lines.
        writeln!(out)?;
        let width = f.context.iter().map(|l| l.number).max().unwrap_or(f.line.number).to_string().len();
        for line in &f.context {
            write_log_line(out, &t, line, line.number == f.line.number && line.raw == f.line.raw, width)?;
        }
        let mut notes = Vec::new();
        if f.count > 1 {
            let mut lines: Vec<String> = f.lines.iter().map(u64::to_string).collect();
            if (f.lines.len() as u64) < f.count {
                lines.push("…".into());
            }
            notes.push(format!("matched {} times (lines {})", f.count, lines.join(", ")));
        }
        if !f.consequences.is_empty() {
            let n: u64 = f.consequences.len() as u64;
            let ids: Vec<String> = f.consequences.iter().take(3).map(|c| format!("line {}", c.line)).collect();
            notes.push(format!(
                "and {n} follow-on error{} it explains ({})",
                if n == 1 { "" } else { "s" },
                ids.join(", ")
            ));
        }
        for note in notes {
            writeln!(out, "{}", t.dim(&format!("  {note}")))?;
        }

        // Why.
        writeln!(out)?;
        for line in wrap(&v.fill(&rule.summary()), WIDTH - 2) {
            writeln!(out, "  {line}")?;
        }

        // Fix.
        let (mine, others) = v.remedies();
        let shown: Vec<&Remedy> = if self.options.all_fixes {
            mine.iter().chain(others.iter()).copied().collect()
        } else if root {
            mine.clone()
        } else {
            mine.iter().take(1).copied().collect()
        };
        if !shown.is_empty() {
            writeln!(out)?;
            let label = match v.input.builder.name.remedy_builder() {
                Some(_) if !self.options.all_fixes => {
                    format!("Fix ({})", v.input.builder.name.label())
                }
                _ => "Fix".to_string(),
            };
            writeln!(out, "  {}", t.heading(&label))?;
            for (i, remedy) in shown.iter().enumerate() {
                write_remedy(out, &t, v, i + 1, remedy)?;
            }
        }
        let hidden = mine.len() + others.len() - shown.len();
        if hidden > 0 {
            let more = if others.is_empty() || shown.len() < mine.len() {
                format!("{hidden} more option{}: buildmedic explain {}", plural(hidden), rule.id)
            } else {
                format!("{hidden} option{} for other builders: --all-fixes", plural(hidden))
            };
            writeln!(out, "  {}", t.dim(&more))?;
        }
        writeln!(out)?;
        writeln!(out, "  {} {}", t.dim("Explained in full:"), t.link(&v.url))?;
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let t = self.theme;
        let lines: u64 = report.inputs.iter().map(|i| i.lines).sum();
        let names: Vec<&str> = report.inputs.iter().map(|i| i.name.as_str()).collect();
        let what = format!("{} ({} line{})", names.join(", "), lines, plural(lines as usize));
        if report.findings.is_empty() && report.status == Status::Clean {
            writeln!(out, "No known failure found in {what}.")?;
            return Ok(());
        }
        writeln!(out)?;
        let summary = match report.status {
            Status::Failed => format!("{} in {what}", t.severity(Severity::Error, "Build failed: root cause found")),
            Status::UnknownFailure => {
                format!("{} in {what}", t.severity(Severity::Error, "Build failed, but no rule names the cause"))
            }
            Status::Clean => format!(
                "No failure found in {what}; {} note{} above",
                report.findings.len(),
                plural(report.findings.len())
            ),
        };
        writeln!(out, "{summary}")?;
        Ok(())
    }
}

fn write_log_line(out: &mut dyn Write, t: &Theme, line: &ShownLine, matched: bool, width: usize) -> io::Result<()> {
    let text = clip(&line.raw, SHOWN_CHARS);
    let number = format!("{:>width$}", line.number);
    if matched {
        writeln!(out, "  {} {} {}", t.matched(">"), t.dim(&format!("{number} │")), t.matched(&text))
    } else {
        writeln!(out, "    {} {}", t.dim(&format!("{number} │")), t.dim(&text))
    }
}

fn write_remedy(out: &mut dyn Write, t: &Theme, v: &View<'_>, n: usize, remedy: &Remedy) -> io::Result<()> {
    let mut title = v.fill(&remedy.title);
    let only_detected = v.input.builder.name.remedy_builder().is_some_and(|b| remedy.builders == [b]);
    if !remedy.builders.is_empty() && !only_detected {
        let names: Vec<&str> = remedy.builders.iter().map(|b| b.as_str()).collect();
        title.push_str(&t.dim(&format!(" [{}]", names.join(", "))));
    }
    writeln!(out, "  {n}. {title}")?;
    for step in &remedy.steps {
        for (i, line) in wrap(&v.fill(step), WIDTH - 7).into_iter().enumerate() {
            writeln!(out, "     {} {line}", if i == 0 { "-" } else { " " })?;
        }
    }
    if let Some(snippet) = &remedy.snippet {
        if let Some(file) = &remedy.file {
            writeln!(out, "     {}", t.dim(&format!("{file}:")))?;
        }
        for line in v.fill(snippet).trim_end().lines() {
            writeln!(out, "       {}", t.snippet(line))?;
        }
    }
    if let Some(tradeoffs) = &remedy.tradeoffs {
        for line in wrap(&format!("Trade-off: {}", v.fill(tradeoffs)), WIDTH - 5) {
            writeln!(out, "     {}", t.dim(&line))?;
        }
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Greedy word wrap; words longer than the width stand on their own line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}
