//! `--format markdown`: the diagnosis ready to paste into an issue or a pull
//! request: the root cause, the matching lines in a code block, the fix, the
//! link.

use super::{Sink, View};
use crate::finding::{Report, Role, Status};
use std::io::{self, Write};

/// `--format markdown`.
#[derive(Default)]
pub struct Markdown;

/// A code fence longer than any run of backticks in `text`.
fn fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat(longest.max(2) + 1)
}

impl Sink for Markdown {
    fn begin(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let heading = match report.status {
            Status::Failed => "Build failure diagnosis",
            Status::UnknownFailure => "Build failure: cause not recognised",
            Status::Clean => "Build log diagnosis: no failure found",
        };
        writeln!(out, "## {heading}\n")?;
        for input in crate::rank::unexplained(report) {
            if let Some(f) = &input.failure {
                writeln!(
                    out,
                    "`{}` failed at line {}: `{}`\n",
                    input.name,
                    f.line.number,
                    f.line.text.replace('`', "'")
                )?;
            }
            if !input.suspects.is_empty() {
                let new = input.baseline.as_deref().map(|b| format!(" (none of them in `{b}`)")).unwrap_or_default();
                writeln!(out, "No rule names the cause. The lines most likely to state it{new}:\n")?;
                let block: Vec<String> =
                    input.suspects.iter().map(|l| format!("{:>5} | {}", l.number, l.raw)).collect();
                let block = block.join("\n");
                let marker = fence(&block);
                writeln!(out, "{marker}text\n{block}\n{marker}\n")?;
            }
        }
        Ok(())
    }

    fn finding(&mut self, out: &mut dyn Write, v: &View<'_>) -> io::Result<()> {
        let rule = v.rule;
        let f = v.finding;
        let first = v.role == Role::RootCause;
        let level = if first { "###" } else { "####" };
        writeln!(out, "{level} {}\n", v.fill(&rule.title).replace('\n', " "))?;
        let mut meta = format!("`{}` · {} · line {}", rule.id, rule.severity.as_str(), f.line.number);
        if v.many_inputs {
            meta.push_str(&format!(" of `{}`", v.input.name));
        }
        if let Some(step) = &f.step {
            meta.push_str(&format!(" · step `{}`", step.name.replace('`', "'")));
        }
        if f.count > 1 {
            meta.push_str(&format!(" · {} matches", f.count));
        }
        writeln!(out, "{meta}\n")?;
        let lines: Vec<String> = f.context.iter().map(|l| format!("{:>5} | {}", l.number, l.raw)).collect();
        let block = lines.join("\n");
        let marker = fence(&block);
        writeln!(out, "{marker}text\n{block}\n{marker}\n")?;
        writeln!(out, "{}\n", v.fill(&rule.summary()))?;
        let (mine, _) = v.remedies();
        let shown = if first { mine.len() } else { 1 };
        if !mine.is_empty() {
            writeln!(out, "**Fix**\n")?;
        }
        for (i, r) in mine.iter().take(shown).enumerate() {
            writeln!(out, "{}. **{}**", i + 1, v.fill(&r.title))?;
            for step in &r.steps {
                writeln!(out, "   - {}", v.fill(step))?;
            }
            if let Some(snippet) = &r.snippet {
                let snippet = v.fill(snippet);
                let marker = fence(&snippet);
                let file = r.file.as_deref().map(|f| format!("   In `{f}`:\n\n")).unwrap_or_default();
                writeln!(out, "\n{file}   {marker}\n{}\n   {marker}", indent(snippet.trim_end(), "   "))?;
            }
            if let Some(t) = &r.tradeoffs {
                writeln!(out, "\n   _Trade-off:_ {}", v.fill(t))?;
            }
        }
        writeln!(out, "\nMore: <{}>\n", v.url)
    }

    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        if report.findings.is_empty() && report.status == Status::Clean {
            let names: Vec<&str> = report.inputs.iter().map(|i| i.name.as_str()).collect();
            writeln!(out, "No known failure found in `{}`.", names.join("`, `"))?;
        }
        Ok(())
    }
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines().map(|l| format!("{prefix}{l}")).collect::<Vec<_>>().join("\n")
}
