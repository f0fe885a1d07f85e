//! `--format jsonl`: one JSON object per line, as things happen. A
//! `finding` event is written as soon as a rule first matches (before the
//! log ends, so it is a preliminary, unranked view); a final `summary`
//! event carries the ranked result, the same as `--format json`.

use super::json::{document, finding_json};
use super::{Report, Sink, View};
use crate::catalog::Catalog;
use crate::diagnose::ShownLine;
use serde_json::{json, Value};
use std::io::{self, Write};

#[derive(Default)]
pub struct JsonLines {
    findings: Vec<Value>,
}

/// The event for a rule's first match, written while the log is read.
pub fn hit_event(out: &mut dyn Write, catalog: &Catalog, input: &str, rule: usize, line: &ShownLine) -> io::Result<()> {
    let Some(rule) = catalog.rules.get(rule) else {
        return Ok(());
    };
    let event = json!({
        "event": "finding",
        "rule": rule.id,
        "severity": rule.severity.as_str(),
        "input": input,
        "line": line.number,
        "text": line.text,
    });
    serde_json::to_writer(&mut *out, &event)?;
    writeln!(out)?;
    out.flush()
}

impl Sink for JsonLines {
    fn begin(&mut self, _out: &mut dyn Write, _report: &Report) -> io::Result<()> {
        Ok(())
    }

    fn finding(&mut self, _out: &mut dyn Write, view: &View<'_>) -> io::Result<()> {
        self.findings.push(finding_json(view));
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let mut head = serde_json::Map::new();
        head.insert("event".into(), "summary".into());
        let event = Value::Object(document(report, std::mem::take(&mut self.findings), head));
        serde_json::to_writer(&mut *out, &event)?;
        writeln!(out)
    }
}
