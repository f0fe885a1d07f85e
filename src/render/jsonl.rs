//! `--format jsonl`: one JSON object per line, as things happen. A
//! `finding` event is written as soon as a rule first matches (before the
//! log ends, so it is a preliminary, unranked view); the final `summary`
//! event ([`Json::summary_event`](super::json::Json::summary_event)) carries
//! the ranked result, the same as `--format json`.

use crate::catalog::{Catalog, Severity};
use crate::finding::{RuleIndex, ShownLine};
use schemars::JsonSchema;
use serde::Serialize;
use std::io::{self, Write};

/// The event written when a rule first matches.
#[derive(Serialize, JsonSchema)]
pub struct HitEvent<'a> {
    /// Always `finding`.
    pub event: &'static str,
    /// The rule's id.
    pub rule: &'a str,
    /// Its severity.
    pub severity: Severity,
    /// The input's name.
    pub input: &'a str,
    /// The 1-based line number of the hit.
    pub line: u64,
    /// The normalised text of the line.
    pub text: &'a str,
}

/// Writes the event for a rule's first match, while the log is read.
pub fn hit_event(
    out: &mut dyn Write,
    catalog: &Catalog,
    input: &str,
    rule: RuleIndex,
    line: &ShownLine,
) -> io::Result<()> {
    let Some(rule) = catalog.rule(rule) else {
        return Ok(());
    };
    let event = HitEvent {
        event: "finding",
        rule: &rule.id,
        severity: rule.severity,
        input,
        line: line.number,
        text: &line.text,
    };
    serde_json::to_writer(&mut *out, &event)?;
    writeln!(out)?;
    out.flush()
}
