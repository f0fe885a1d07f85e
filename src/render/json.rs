//! `--format json`: one JSON document, the versioned contract. Its shape is
//! the [`Document`] type below (with [`InputReport`] for each input); the
//! JSON Schema in `schema/report.schema.json` is generated from these types
//! (`buildmedic schema` prints it, and a test fails when the checked-in
//! copy drifts).
//!
//! `findings[0]` is the best answer to "why did this build fail". Fields may
//! be added in version 1; none may change meaning.

use super::{Sink, View};
use crate::catalog::{Builder, Kind, Severity};
use crate::context::Step;
use crate::finding::{InputReport, Report, Status};
use schemars::JsonSchema;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The contract's version: `version` in every document.
pub const JSON_VERSION: u32 = 1;

/// The whole `--format json` document (and, with `event: "summary"`, the
/// last line of `--format jsonl`).
#[derive(Serialize, JsonSchema)]
pub struct Document<'a, F = FindingJson<'a>> {
    /// `summary` in the closing event of `--format jsonl`; absent in
    /// `--format json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<&'static str>,
    /// The contract's version.
    pub version: u32,
    /// The overall answer: `failed` (a rule names the cause),
    /// `unknown-failure` (the log failed, no rule names the cause) or `clean`.
    pub status: Status,
    /// Every input read, in order.
    pub inputs: &'a [InputReport],
    /// Best first, across inputs; explained findings are folded into their
    /// cause's `consequences`.
    pub findings: Vec<F>,
}

/// One finding with its rule's text filled in.
#[derive(Serialize, JsonSchema)]
pub struct FindingJson<'a> {
    /// The rule's id, `<group>/<name>`: stable.
    pub rule: &'a str,
    /// One line naming the failure, captures filled in.
    pub title: String,
    /// `error`, `warning` or `info`.
    pub severity: Severity,
    /// `specific` (names a cause) or `generic` (only says something failed).
    pub kind: Kind,
    /// The input's name.
    pub input: &'a str,
    /// 1-based line number of the first hit.
    pub line: u64,
    /// The normalised text of that line.
    pub text: &'a str,
    /// The line as read (ANSI codes removed).
    pub raw: &'a str,
    /// Named captures of the rule's patterns.
    pub captures: &'a BTreeMap<String, String>,
    /// How many lines the rule matched.
    pub count: u64,
    /// The first few of those line numbers.
    pub lines: &'a [u64],
    /// The rule's explanation page.
    pub url: String,
    /// The first paragraph of the explanation, captures filled in.
    pub summary: String,
    /// The build step of the first hit, when known.
    pub step: Option<&'a Step>,
    /// Findings this one explains.
    pub consequences: Vec<ConsequenceJson<'a>>,
    /// The fixes: those for the detected builder first.
    pub fixes: Vec<FixJson>,
}

/// A finding folded under the one that explains it.
#[derive(Serialize, JsonSchema)]
pub struct ConsequenceJson<'a> {
    /// Its rule's id.
    pub rule: &'a str,
    /// Its first line number.
    pub line: u64,
    /// How many lines it matched.
    pub count: u64,
    /// The normalised text of its first line.
    pub text: &'a str,
}

/// One remediation option, captures filled in.
#[derive(Serialize, JsonSchema)]
pub struct FixJson {
    /// What to do, in the imperative.
    pub title: String,
    /// The builders it is for; empty means every builder.
    pub builders: Vec<Builder>,
    /// Short steps.
    pub steps: Vec<String>,
    /// Where the snippet goes (`nixpacks.toml`, `service variables`, …).
    pub file: Option<String>,
    /// Text to copy.
    pub snippet: Option<String>,
    /// What the option costs.
    pub tradeoffs: Option<String>,
}

/// One finding in its JSON form; shared by every JSON-speaking format.
pub fn finding_json<'a>(v: &View<'a>) -> FindingJson<'a> {
    let f = v.finding;
    let rule = v.rule;
    let (mine, others) = v.remedies();
    let fixes = mine
        .iter()
        .chain(others.iter())
        .map(|r| FixJson {
            title: v.fill(&r.title),
            builders: r.builders.clone(),
            steps: r.steps.iter().map(|s| v.fill(s)).collect(),
            file: r.file.clone(),
            snippet: r.snippet.as_deref().map(|s| v.fill(s)),
            tradeoffs: r.tradeoffs.as_deref().map(|s| v.fill(s)),
        })
        .collect();
    FindingJson {
        rule: &rule.id,
        title: v.fill(&rule.title),
        severity: rule.severity,
        kind: rule.kind,
        input: &v.input.name,
        line: f.line.number,
        text: &f.line.text,
        raw: &f.line.raw,
        captures: &f.captures,
        count: f.count,
        lines: &f.lines,
        url: v.url.clone(),
        summary: v.fill(&rule.summary()),
        step: f.step.as_ref(),
        consequences: f
            .consequences
            .iter()
            .map(|c| ConsequenceJson {
                rule: v.catalog.rule(c.rule).map_or("", |r| r.id.as_str()),
                line: c.line,
                count: c.count,
                text: &c.text,
            })
            .collect(),
        fixes,
    }
}

/// The JSON Schema of [`Document`], pretty-printed.
pub fn schema() -> String {
    let schema = schemars::schema_for!(Document<'static, FindingJson<'static>>);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// `--format json` (one pretty document), or with `events` the closing
/// `summary` event of `--format jsonl`: the same fields on one line.
#[derive(Default)]
pub struct Json {
    findings: Vec<serde_json::Value>,
    events: bool,
}

impl Json {
    /// The `summary` event that ends `--format jsonl`.
    pub fn summary_event() -> Json {
        Json { findings: Vec::new(), events: true }
    }
}

impl Sink for Json {
    fn begin(&mut self, _out: &mut dyn Write, _report: &Report) -> io::Result<()> {
        Ok(())
    }

    fn finding(&mut self, _out: &mut dyn Write, view: &View<'_>) -> io::Result<()> {
        self.findings.push(serde_json::to_value(finding_json(view)).map_err(io::Error::other)?);
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let findings = std::mem::take(&mut self.findings);
        // The findings are already in JSON form: a sink receives them one
        // at a time, while the views they borrow from are alive.
        let doc = Document {
            event: self.events.then_some("summary"),
            version: JSON_VERSION,
            status: report.status,
            inputs: &report.inputs,
            findings,
        };
        if self.events {
            serde_json::to_writer(&mut *out, &doc)?;
        } else {
            serde_json::to_writer_pretty(&mut *out, &doc)?;
        }
        writeln!(out)
    }
}

impl JsonSchema for Severity {
    fn schema_name() -> Cow<'static, str> {
        "Severity".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = [Severity::Error, Severity::Warning, Severity::Info].map(Severity::as_str).to_vec();
        schemars::json_schema!({ "type": "string", "enum": names })
    }
}

impl JsonSchema for Kind {
    fn schema_name() -> Cow<'static, str> {
        "Kind".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = [Kind::Specific, Kind::Generic].map(Kind::as_str).to_vec();
        schemars::json_schema!({ "type": "string", "enum": names })
    }
}

impl JsonSchema for Builder {
    fn schema_name() -> Cow<'static, str> {
        "Builder".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let ids: Vec<&str> = crate::builder::TABLE.iter().map(|e| e.id).collect();
        schemars::json_schema!({ "type": "string", "enum": ids })
    }
}
