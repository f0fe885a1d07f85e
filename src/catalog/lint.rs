//! The catalogue's text and shape conventions (rules/README.md), checked by
//! `buildmedic rules test` and by `cargo test`. A lint is not a load error:
//! a rule that breaks one still works, it is just not up to standard.

use super::literal::score;
use super::raw::{Kind, Severity};
use super::{Catalog, Rule};
use regex::Regex;
use std::sync::LazyLock;

/// Messages this long (normalised) need a wrapped or excerpt example.
pub const LONG_MESSAGE: usize = 80;

/// The shortest required literal the fast path accepts.
pub const MIN_LITERAL: usize = 4;

static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(^|[^$])\{([a-z_][a-z0-9_]*)\}").unwrap_or_else(|e| unreachable!("{e}")));

/// Every convention `rule` breaks, as sentences naming the field.
pub fn lint(rule: &Rule, catalog: &Catalog) -> Vec<String> {
    let mut out = Vec::new();
    let title = &rule.title;
    if title.ends_with('.') {
        out.push("title: no final period".into());
    }
    if title.chars().count() > 90 {
        out.push(format!("title: {} characters; at most 90", title.chars().count()));
    }
    let summary = rule.summary();
    if summary.is_empty() {
        out.push("explanation: the first paragraph is empty".into());
    }
    if summary.chars().count() > 400 {
        out.push(format!("explanation: the first paragraph has {} characters; at most 400", summary.chars().count()));
    }
    for (i, p) in rule.patterns.iter().enumerate() {
        let best = p.literals.as_deref().map_or(0, score);
        if best < MIN_LITERAL {
            out.push(format!(
                "patterns[{i}]: `{}` has no required literal of {MIN_LITERAL} bytes or more, so it must run on every line",
                p.source()
            ));
        }
        for name in p.capture_names() {
            if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                out.push(format!("patterns[{i}]: capture `{name}` is not lower-case snake_case"));
            }
        }
    }
    let captures: Vec<&str> = rule.capture_names().collect();
    let mut texts: Vec<(String, &str)> =
        vec![("title".into(), rule.title.as_str()), ("explanation".into(), rule.explanation.as_str())];
    for (i, r) in rule.remediation.iter().enumerate() {
        texts.push((format!("remediation[{i}].title"), &r.title));
        for s in &r.steps {
            texts.push((format!("remediation[{i}].steps"), s));
        }
        if let Some(s) = &r.snippet {
            texts.push((format!("remediation[{i}].snippet"), s));
        }
        if let Some(s) = &r.tradeoffs {
            texts.push((format!("remediation[{i}].tradeoffs"), s));
        }
    }
    for (field, text) in texts {
        for cap in PLACEHOLDER.captures_iter(text) {
            let name = cap.get(2).map_or("", |m| m.as_str());
            if !captures.contains(&name) {
                out.push(format!("{field}: placeholder `{{{name}}}` names no capture of this rule's patterns"));
            }
        }
    }
    for link in &rule.links {
        if !link.url.starts_with("https://") {
            out.push(format!("links: `{}` is not an https:// URL", link.url));
        }
    }
    if rule.links.is_empty() {
        out.push("links: give at least one".into());
    }
    if rule.examples.matches.len() < 2 {
        out.push("examples.match: give at least two".into());
    }
    // A long message is wrapped by dashboards and terminals and pasted in
    // pieces: such a rule shows that it still matches, with a wrapped or an
    // excerpt example (several lines).
    let longest = rule
        .examples
        .matches
        .iter()
        .filter(|e| !e.log.trim_end().contains('\n'))
        .map(|e| crate::normalize::normalize(e.log.trim_end().as_bytes()).chars().count())
        .max()
        .unwrap_or(0);
    let several = rule.examples.matches.iter().any(|e| e.log.trim().contains('\n'));
    if longest >= LONG_MESSAGE && !several {
        out.push(format!(
            "examples.match: a message of {longest} characters needs a wrapped or an excerpt example (`log:` with several lines)"
        ));
    }
    if rule.examples.no_match.is_empty() {
        out.push("examples.no_match: give at least one near miss".into());
    }
    if rule.severity == Severity::Error && rule.kind == Kind::Generic && rule.id != "docker/build-step-failed" {
        out.push("kind: only docker/build-step-failed may be a generic error".into());
    }
    for id in &rule.explains {
        if catalog.get(id).is_none() {
            out.push(format!("explains: no rule has the id `{id}`"));
        }
        if id == &rule.id {
            out.push("explains: a rule cannot explain itself".into());
        }
    }
    if let Some(name) = rule.source.strip_suffix(".yaml").or_else(|| rule.source.strip_suffix(".yml")) {
        let name = name.replace('\\', "/");
        if !name.ends_with(&format!("/{}", rule.id)) && name != rule.id {
            out.push(format!("id: `{}` does not match the file path {}", rule.id, rule.source));
        }
    }
    out
}
