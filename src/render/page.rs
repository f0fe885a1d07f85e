//! The explanation page of one rule, in two media: the terminal
//! (`buildmedic explain ID`) and HTML (`buildmedic site`). Both read the same
//! rule text as the cards, so there is one source of truth.

use super::{fill, rule_url};
use crate::catalog::{Builder, Remedy, Rule};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Remediation options grouped for a page: each builder's own options, then
/// those for any builder.
pub fn remedy_sections(rule: &Rule) -> Vec<(&'static str, Vec<&Remedy>)> {
    let mut sections = Vec::new();
    for builder in Builder::with_fixes() {
        let label = builder.label();
        let options: Vec<&Remedy> = rule.remediation.iter().filter(|r| r.builders.contains(&builder)).collect();
        if !options.is_empty() {
            sections.push((label, options));
        }
    }
    let any: Vec<&Remedy> = rule.remediation.iter().filter(|r| r.builders.is_empty()).collect();
    if !any.is_empty() {
        sections.push(("Any builder", any));
    }
    sections
}

/// Text of a rule with placeholders shown as `<name>`.
fn plain(rule: &Rule, text: &str) -> String {
    fill(text, rule, &BTreeMap::new())
}

/// `buildmedic explain ID`: the whole page as terminal text.
pub fn explain_text(rule: &Rule, docs_url: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}  [{} · {}]", rule.id, rule.severity.as_str(), rule.kind.as_str());
    let _ = writeln!(out, "{}", plain(rule, &rule.title));
    let _ = writeln!(out);
    let _ = writeln!(out, "What the log says");
    for ex in rule.examples.matches.iter().take(4) {
        for line in ex.log.lines().filter(|l| !l.trim().is_empty()) {
            let _ = writeln!(out, "    {line}");
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Why");
    for paragraph in plain(rule, &rule.explanation).split("\n\n") {
        let paragraph = paragraph.trim();
        if paragraph.is_empty() {
            continue;
        }
        if paragraph.lines().any(|l| l.trim_start().starts_with("- ") || l.trim_start().starts_with("* ")) {
            // Keep lists as they are written, indented.
            for line in paragraph.lines() {
                let _ = writeln!(out, "  {line}");
            }
        } else {
            for line in super::card::wrap(paragraph, 78) {
                let _ = writeln!(out, "  {line}");
            }
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "How to fix it");
    for (label, options) in remedy_sections(rule) {
        let _ = writeln!(out);
        let _ = writeln!(out, "  {label}");
        for (i, r) in options.iter().enumerate() {
            let _ = writeln!(out, "  {}. {}", i + 1, plain(rule, &r.title));
            for step in &r.steps {
                for (j, line) in super::card::wrap(&plain(rule, step), 72).into_iter().enumerate() {
                    let _ = writeln!(out, "     {} {line}", if j == 0 { "-" } else { " " });
                }
            }
            if let Some(snippet) = &r.snippet {
                if let Some(file) = &r.file {
                    let _ = writeln!(out, "     {file}:");
                }
                for line in plain(rule, snippet).trim_end().lines() {
                    let _ = writeln!(out, "       {line}");
                }
            }
            if let Some(t) = &r.tradeoffs {
                for line in super::card::wrap(&format!("Trade-off: {}", plain(rule, t)), 74) {
                    let _ = writeln!(out, "     {line}");
                }
            }
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Links");
    for link in &rule.links {
        let _ = writeln!(out, "  {}: {}", link.title, link.url);
    }
    let _ = writeln!(out, "  This page: {}", rule_url(docs_url, &rule.id));
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Markdown to HTML; raw HTML in the source is shown as text, never passed on.
pub fn markdown_html(markdown: &str) -> String {
    use pulldown_cmark::{html, CowStr, Event, Parser, Tag};
    let safe = |url: &str| {
        let lower = url.trim().to_ascii_lowercase();
        lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with('#') || !lower.contains(':')
    };
    let events = Parser::new(markdown).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) if !safe(&dest_url) => {
            Event::Start(Tag::Link { link_type, dest_url: CowStr::from("#"), title, id })
        }
        Event::Start(Tag::Image { link_type, dest_url, title, id }) if !safe(&dest_url) => {
            Event::Start(Tag::Image { link_type, dest_url: CowStr::from("#"), title, id })
        }
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}
