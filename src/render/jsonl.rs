//! `--format jsonl`: one JSON object per line, as things happen. A
//! `finding` event is written as soon as a rule first matches (before the
//! log ends, so it is a preliminary, unranked view); the final `summary`
//! event ([`Json::summary_event`](super::json::Json::summary_event)) carries
//! the ranked result, the same as `--format json`.

use crate::catalog::Catalog;
use crate::diagnose::ShownLine;
use serde_json::json;
use std::io::{self, Write};

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
