//! `buildmedic rules test`: runs every rule's examples through the real
//! pipeline and checks the catalogue's conventions.
//!
//! A `match` example passes when the whole catalogue ranks the rule first on
//! it (so a rule that steals another's examples is caught) and the listed
//! captures come out exactly; a `no_match` example passes when the rule is
//! nowhere among the findings, folded ones included.

use crate::catalog::lint::lint;
use crate::catalog::{Catalog, Example, Rule};
use crate::engine::{Engine, Options};
use crate::finding::InputReport;

/// An example or a convention a rule fails.
#[derive(Debug)]
pub struct TestFailure {
    /// The rule's id.
    pub rule: String,
    /// What failed.
    pub message: String,
}

/// What `rules test` found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Rules tested.
    pub rules: usize,
    /// Examples run.
    pub examples: usize,
    /// Examples run plus rules linted.
    pub checks: usize,
    /// What failed.
    pub failures: Vec<TestFailure>,
}

/// Diagnoses a small in-memory log with the whole catalogue.
pub fn diagnose_text(engine: &Engine<'_>, text: &str) -> InputReport {
    engine.read("example", &mut text.as_bytes(), &mut ())
}

/// Tests the rules whose source starts with `only` (all rules when `None`).
pub fn test_catalog(catalog: &Catalog, only: Option<&str>) -> Outcome {
    let engine = Engine::new(catalog, Options::default());
    let mut outcome = Outcome::default();
    for rule in &catalog.rules {
        if only.is_some_and(|prefix| !rule.source.starts_with(prefix)) {
            continue;
        }
        outcome.rules += 1;
        outcome.checks += 1;
        let fail = |message: String| TestFailure { rule: rule.id.clone(), message };
        let lints = lint(rule, catalog);
        if !lints.is_empty() {
            outcome.failures.push(fail(lints.join("; ")));
        }
        for (i, example) in rule.examples.matches.iter().enumerate() {
            outcome.examples += 1;
            outcome.checks += 1;
            if let Err(message) = check_match(&engine, rule, example) {
                outcome.failures.push(fail(format!("examples.match[{i}]: {message}")));
            }
        }
        for (i, example) in rule.examples.no_match.iter().enumerate() {
            outcome.examples += 1;
            outcome.checks += 1;
            let report = diagnose_text(&engine, &example.log);
            let found = report.findings.iter().any(|f| {
                catalog.rule(f.rule).is_some_and(|r| r.id == rule.id)
                    || f.consequences.iter().any(|c| catalog.rule(c.rule).is_some_and(|r| r.id == rule.id))
            });
            if found {
                outcome.failures.push(fail(format!("examples.no_match[{i}] matched: {}", first_line(&example.log))));
            }
        }
    }
    outcome
}

fn check_match(engine: &Engine<'_>, rule: &Rule, example: &Example) -> Result<(), String> {
    let catalog = engine.catalog();
    let report = diagnose_text(engine, &example.log);
    let what = first_line(&example.log);
    let Some(top) = report.findings.first() else {
        return Err(format!("no finding for: {what}"));
    };
    let top_id = catalog.rule(top.rule).map_or("", |r| r.id.as_str());
    if top_id != rule.id {
        let mine = report.findings.iter().any(|f| Some(f.rule) == catalog.index_of(&rule.id))
            || report
                .findings
                .iter()
                .flat_map(|f| &f.consequences)
                .any(|c| catalog.rule(c.rule).is_some_and(|r| r.id == rule.id));
        return Err(if mine {
            format!("{top_id} is ranked first, above this rule (add `explains`?), for: {what}")
        } else {
            format!("does not match; {top_id} does, for: {what}")
        });
    }
    for (name, want) in &example.captures {
        match top.captures.get(name) {
            Some(got) if got == want => {}
            Some(got) => return Err(format!("capture `{name}` is `{got}`, expected `{want}`, for: {what}")),
            None => return Err(format!("capture `{name}` is missing, expected `{want}`, for: {what}")),
        }
    }
    Ok(())
}

fn first_line(log: &str) -> String {
    let mut lines = log.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or_default().trim().to_string();
    if lines.next().is_some() {
        format!("{first} …")
    } else {
        first
    }
}
