//! `--format json`: one JSON document, the versioned contract documented in
//! the README.
//!
//! ```text
//! {
//!   "version": 1,
//!   "status": "failed" | "unknown-failure" | "clean",
//!   "inputs": [{"name", "lines", "builder": {"name", "version", "providers"},
//!               "failure": {"line", "text", "signal", "step"} | null,
//!               "suspects": [{"line", "text", "raw"}], "baseline": name | null}],
//!   "findings": [{"rule", "title", "severity", "kind", "input", "line",
//!                 "text", "raw", "captures", "count", "lines", "url",
//!                 "summary", "step", "consequences", "fixes"}]
//! }
//! ```
//! `findings[0]` is the best answer to "why did this build fail". Fields may
//! be added in version 1; none may change meaning.

use super::{Report, Sink, View};
use serde_json::{json, Map, Value};
use std::io::{self, Write};

pub const JSON_VERSION: u32 = 1;

/// `--format json` (one pretty document), or with `events` the closing
/// `summary` event of `--format jsonl`: the same fields on one line.
#[derive(Default)]
pub struct Json {
    findings: Vec<Value>,
    events: bool,
}

impl Json {
    /// The `summary` event that ends `--format jsonl`.
    pub fn summary_event() -> Json {
        Json { findings: Vec::new(), events: true }
    }
}

/// One finding as a JSON object; shared by every JSON-speaking format.
pub fn finding_json(v: &View<'_>) -> Value {
    let f = v.finding;
    let rule = v.rule;
    let (mine, others) = v.remedies();
    let fixes: Vec<Value> = mine
        .iter()
        .chain(others.iter())
        .map(|r| {
            json!({
                "title": v.fill(&r.title),
                "builders": r.builders.iter().map(|b| b.as_str()).collect::<Vec<_>>(),
                "steps": r.steps.iter().map(|s| v.fill(s)).collect::<Vec<_>>(),
                "file": r.file,
                "snippet": r.snippet.as_deref().map(|s| v.fill(s)),
                "tradeoffs": r.tradeoffs.as_deref().map(|s| v.fill(s)),
            })
        })
        .collect();
    json!({
        "rule": rule.id,
        "title": v.fill(&rule.title),
        "severity": rule.severity.as_str(),
        "kind": rule.kind.as_str(),
        "input": v.input.name,
        "line": f.line.number,
        "text": f.line.text,
        "raw": f.line.raw,
        "captures": f.captures,
        "count": f.count,
        "lines": f.lines,
        "url": v.url,
        "summary": v.fill(&rule.summary()),
        "step": f.step,
        "consequences": f.consequences.iter().map(|c| json!({
            "rule": v.rule_id(c.rule),
            "line": c.line,
            "count": c.count,
            "text": c.text,
        })).collect::<Vec<_>>(),
        "fixes": fixes,
    })
}

pub fn inputs_json(report: &Report) -> Value {
    Value::Array(
        report
            .inputs
            .iter()
            .map(|i| {
                json!({
                    "name": i.name,
                    "lines": i.lines,
                    "builder": i.builder,
                    "failure": i.failure.as_ref().map(|f| json!({"line": f.line.number, "text": f.line.text, "signal": f.signal.as_str(), "step": f.step})),
                    "suspects": i.suspects.iter().map(|l| json!({"line": l.number, "text": l.text, "raw": l.raw})).collect::<Vec<_>>(),
                    "baseline": i.baseline,
                })
            })
            .collect(),
    )
}

/// The contract's document: `head` fields first, then version, status,
/// inputs and the findings (already in JSON form, best first).
pub fn document(report: &Report, findings: Vec<Value>, mut head: Map<String, Value>) -> Map<String, Value> {
    head.insert("version".into(), JSON_VERSION.into());
    head.insert("status".into(), report.status.as_str().into());
    head.insert("inputs".into(), inputs_json(report));
    head.insert("findings".into(), Value::Array(findings));
    head
}

impl Sink for Json {
    fn begin(&mut self, _out: &mut dyn Write, _report: &Report) -> io::Result<()> {
        Ok(())
    }

    fn finding(&mut self, _out: &mut dyn Write, view: &View<'_>) -> io::Result<()> {
        self.findings.push(finding_json(view));
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let findings = std::mem::take(&mut self.findings);
        if self.events {
            let mut head = Map::new();
            head.insert("event".into(), "summary".into());
            serde_json::to_writer(&mut *out, &Value::Object(document(report, findings, head)))?;
        } else {
            serde_json::to_writer_pretty(&mut *out, &Value::Object(document(report, findings, Map::new())))?;
        }
        writeln!(out)
    }
}
