//! Renderers: turn findings into text for people (cards) or programs (JSON).
//! They see only the findings and the rule text they point to, never the
//! reader or the regexes.

pub mod card;
pub mod github;
pub mod json;
pub mod jsonl;
pub mod markdown;
pub mod page;
pub mod site;
pub mod theme;

use crate::catalog::{Builder, Catalog, Remedy, Rule};
use crate::finding::{Finding, InputReport, Report, Role, RuleIndex};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Where the explanation pages live unless `--docs-url` or
/// `BUILDMEDIC_DOCS_URL` says otherwise.
pub const DEFAULT_DOCS_URL: &str = "https://buildmedic.dev";

/// How the renderers show a report.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Where the explanation pages live.
    pub docs_url: String,
    /// Show every fix, for every builder.
    pub all_fixes: bool,
    /// Use colour.
    pub color: bool,
}

/// A finding with everything a renderer needs to show it.
pub struct View<'a> {
    /// The catalogue, for other rules' ids.
    pub catalog: &'a Catalog,
    /// The finding's rule.
    pub rule: &'a Rule,
    /// The finding.
    pub finding: &'a Finding,
    /// The input it was found in.
    pub input: &'a InputReport,
    /// What the finding is to the reader (see `rank`).
    pub role: Role,
    /// Whether more than one input was read (findings then name their file).
    pub many_inputs: bool,
    /// The rule's explanation page.
    pub url: String,
}

impl View<'_> {
    /// `text` with the finding's captures filled in.
    pub fn fill(&self, text: &str) -> String {
        fill(text, self.rule, &self.finding.captures)
    }

    /// The id of another rule, by index.
    pub fn rule_id(&self, rule: RuleIndex) -> &str {
        self.catalog.rule(rule).map_or("", |r| r.id.as_str())
    }

    /// The remediation options, those for the detected builder (or for every
    /// builder) first; the second list holds options for other builders.
    pub fn remedies(&self) -> (Vec<&Remedy>, Vec<&Remedy>) {
        split_remedies(self.rule, self.input.builder.name.remedy_builder())
    }
}

/// Options that apply to `builder` (or to every builder), then the others.
/// With no known builder every option applies.
pub fn split_remedies(rule: &Rule, builder: Option<Builder>) -> (Vec<&Remedy>, Vec<&Remedy>) {
    let Some(builder) = builder else {
        return (rule.remediation.iter().collect(), Vec::new());
    };
    let (mine, others): (Vec<&Remedy>, Vec<&Remedy>) =
        rule.remediation.iter().partition(|r| r.builders.is_empty() || r.builders.contains(&builder));
    // Options for this builder come before generic ones.
    let (specific, general): (Vec<&Remedy>, Vec<&Remedy>) = mine.into_iter().partition(|r| !r.builders.is_empty());
    (specific.into_iter().chain(general).collect(), others)
}

/// Replaces `{name}` for every capture group name of `rule` with the
/// captured value, or `<name>` when the capture did not take part.
/// Other braces are left alone.
pub fn fill(text: &str, rule: &Rule, captures: &BTreeMap<String, String>) -> String {
    if !text.contains('{') {
        return text.to_string();
    }
    let mut out = text.to_string();
    for name in rule.capture_names() {
        let placeholder = format!("{{{name}}}");
        if out.contains(&placeholder) {
            let value = captures.get(name).cloned().unwrap_or_else(|| format!("<{name}>"));
            out = out.replace(&placeholder, &value);
        }
    }
    out
}

/// The explanation page of a rule.
pub fn rule_url(base: &str, id: &str) -> String {
    format!("{}/rules/{id}/", base.trim_end_matches('/'))
}

/// Receives the diagnosis as it is ready: one call per finding, best first.
pub trait Sink {
    /// Called once, before the findings.
    fn begin(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()>;
    /// Called for each finding, best first.
    fn finding(&mut self, out: &mut dyn Write, view: &View<'_>) -> io::Result<()>;
    /// Called once, after the findings.
    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()>;
}

/// Drives a sink over a report.
pub fn render(
    sink: &mut dyn Sink,
    report: &Report,
    catalog: &Catalog,
    docs_url: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    sink.begin(out, report)?;
    for ranked in &report.findings {
        let (Some(rule), Some(input)) = (catalog.rule(ranked.finding.rule), report.inputs.get(ranked.input)) else {
            continue;
        };
        let view = View {
            catalog,
            rule,
            finding: &ranked.finding,
            input,
            role: ranked.role,
            many_inputs: report.inputs.len() > 1,
            url: rule_url(docs_url, &rule.id),
        };
        sink.finding(out, &view)?;
    }
    sink.finish(out, report)
}
