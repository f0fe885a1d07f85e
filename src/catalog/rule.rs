//! The checked, compiled form of a rule, built from a [`RawRule`] by
//! `TryFrom`. Everything the matcher and the renderers need is validated
//! here once, so they can trust it.

use super::literal::required_literals;
use super::raw::{Builder, Kind, RawCondition, RawExample, RawPattern, RawRule, Severity};
use regex::{Regex, RegexBuilder};
use std::collections::BTreeMap;

/// Largest compiled program a rule's regex may need.
pub const REGEX_SIZE_LIMIT: usize = 2 * 1024 * 1024;
/// Longest regex source accepted.
pub const REGEX_MAX_LEN: usize = 8 * 1024;
/// Widest `near` / `unless` window.
pub const MAX_WINDOW: usize = 200;

#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub kind: Kind,
    pub patterns: Vec<Pattern>,
    pub explains: Vec<String>,
    pub exit_codes: Vec<u16>,
    pub explanation: String,
    pub remediation: Vec<Remedy>,
    pub links: Vec<Link>,
    pub examples: Examples,
    /// Where the rule came from, as the user would name it.
    pub source: String,
}

#[derive(Debug)]
pub struct Pattern {
    pub regex: Regex,
    /// Every match contains one of these (ASCII lower-cased); `None` means
    /// the pattern must be tried on every line.
    pub literals: Option<Vec<Vec<u8>>>,
    pub near: Vec<Condition>,
    pub unless: Vec<Condition>,
}

#[derive(Debug)]
pub struct Condition {
    /// The compiled regex; for a template, with every placeholder as `.+?`.
    pub regex: Regex,
    /// The source, when it uses `{capture}` placeholders of its pattern:
    /// filled in (escaped) with the hit's captures at match time.
    pub template: Option<String>,
    pub before: usize,
    pub after: usize,
}

#[derive(Debug)]
pub struct Remedy {
    pub title: String,
    pub builders: Vec<Builder>,
    pub steps: Vec<String>,
    pub file: Option<String>,
    pub snippet: Option<String>,
    pub tradeoffs: Option<String>,
}

#[derive(Debug)]
pub struct Link {
    pub title: String,
    pub url: String,
}

#[derive(Debug, Default)]
pub struct Examples {
    pub matches: Vec<Example>,
    pub no_match: Vec<Example>,
}

#[derive(Debug, Clone)]
pub struct Example {
    /// The log text (one line, or several).
    pub log: String,
    pub captures: BTreeMap<String, String>,
}

/// A field-level problem found while compiling; the loader adds file and id.
#[derive(Debug)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    /// Text to look for in the file to report a line number.
    pub needle: Option<String>,
}

impl Condition {
    /// The regex for one hit: the template filled in with its captures.
    pub fn resolve(&self, captures: &BTreeMap<String, String>) -> Regex {
        let Some(template) = &self.template else { return self.regex.clone() };
        let mut source = template.clone();
        for (name, value) in captures {
            source = source.replace(&format!("{{{name}}}"), &regex::escape(value));
        }
        RegexBuilder::new(&source).size_limit(REGEX_SIZE_LIMIT).build().unwrap_or_else(|_| self.regex.clone())
    }
}

impl Rule {
    /// `python` for `python/externally-managed-environment`.
    pub fn group(&self) -> &str {
        self.id.split('/').next().unwrap_or_default()
    }

    /// The first paragraph of the explanation: the card's short text.
    pub fn summary(&self) -> String {
        first_paragraph(&self.explanation)
    }

    /// Names of every capture group in the rule's patterns.
    pub fn capture_names(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().flat_map(|p| p.regex.capture_names().flatten())
    }

    /// The widest `after` window of any condition: how long a hit may wait.
    pub fn max_after(&self) -> usize {
        self.patterns.iter().flat_map(|p| p.near.iter().chain(&p.unless)).map(|c| c.after).max().unwrap_or(0)
    }

    /// The widest `before` window of any condition.
    pub fn max_before(&self) -> usize {
        self.patterns.iter().flat_map(|p| p.near.iter().chain(&p.unless)).map(|c| c.before).max().unwrap_or(0)
    }
}

/// The first paragraph of Markdown text, joined into one line.
pub fn first_paragraph(text: &str) -> String {
    let mut out = String::new();
    for line in text.trim_start().lines() {
        let line = line.trim();
        if line.is_empty() {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

pub fn is_valid_id(id: &str) -> bool {
    let mut parts = id.split('/');
    let ok = |s: Option<&str>| {
        s.is_some_and(|s| {
            !s.is_empty()
                && !s.starts_with('-')
                && !s.ends_with('-')
                && !s.contains("--")
                && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
    };
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

fn compile_regex(source: &str, field: &str) -> Result<Regex, FieldError> {
    let err = |message: String| FieldError {
        field: field.to_string(),
        message,
        needle: Some(source.chars().take(40).collect()),
    };
    if source.len() > REGEX_MAX_LEN {
        return Err(err(format!("regex is {} bytes long; the limit is {REGEX_MAX_LEN}", source.len())));
    }
    RegexBuilder::new(source)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => {
                err(format!("regex compiles to more than {limit} bytes; simplify it (bounded repetitions like {{1,1000}} multiply its size)"))
            }
            other => err(format!("regex does not compile: {}", other.to_string().replace('\n', "\n    "))),
        })
}

fn compile_pattern(raw: RawPattern, field: &str) -> Result<Pattern, FieldError> {
    let regex = compile_regex(&raw.regex, &format!("{field}.regex"))?;
    let literals = regex_syntax::Parser::new().parse(&raw.regex).ok().and_then(|hir| required_literals(&hir));
    let names: Vec<String> = regex.capture_names().flatten().map(str::to_string).collect();
    let conditions = |list: Vec<RawCondition>, name: &str| -> Result<Vec<Condition>, FieldError> {
        list.into_iter()
            .enumerate()
            .map(|(i, c)| {
                let f = format!("{field}.{name}[{i}]");
                if c.before > MAX_WINDOW || c.after > MAX_WINDOW {
                    return Err(FieldError {
                        field: f,
                        message: format!("`before` and `after` may be at most {MAX_WINDOW}"),
                        needle: None,
                    });
                }
                if c.before == 0 && c.after == 0 {
                    return Err(FieldError {
                        field: f,
                        message: "give `before`, `after` or both: how many lines around the hit to look at".into(),
                        needle: None,
                    });
                }
                let templated = names.iter().any(|n| c.regex.contains(&format!("{{{n}}}")));
                let mut generic = c.regex.clone();
                for n in names.iter() {
                    generic = generic.replace(&format!("{{{n}}}"), ".+?");
                }
                Ok(Condition {
                    regex: compile_regex(&generic, &format!("{f}.regex"))?,
                    template: templated.then_some(c.regex),
                    before: c.before,
                    after: c.after,
                })
            })
            .collect()
    };
    Ok(Pattern { regex, literals, near: conditions(raw.near, "near")?, unless: conditions(raw.unless, "unless")? })
}

fn example(raw: RawExample, field: &str) -> Result<Example, FieldError> {
    let log = match (raw.line, raw.log) {
        (Some(line), None) => line,
        (None, Some(log)) => log,
        _ => {
            return Err(FieldError {
                field: field.into(),
                message: "give exactly one of `line` and `log`".into(),
                needle: None,
            })
        }
    };
    Ok(Example { log, captures: raw.captures })
}

impl TryFrom<RawRule> for Rule {
    type Error = FieldError;

    fn try_from(raw: RawRule) -> Result<Self, FieldError> {
        let fail = |field: &str, message: String| FieldError { field: field.into(), message, needle: None };
        if !is_valid_id(&raw.id) {
            return Err(fail(
                "id",
                format!("`{}` is not of the form <group>/<name> (lower case, digits and `-`)", raw.id),
            ));
        }
        if raw.patterns.is_empty() {
            return Err(fail("patterns", "give at least one pattern".into()));
        }
        if raw.remediation.is_empty() {
            return Err(fail("remediation", "give at least one option".into()));
        }
        if raw.title.trim().is_empty() {
            return Err(fail("title", "must not be empty".into()));
        }
        let patterns = raw
            .patterns
            .into_iter()
            .enumerate()
            .map(|(i, p)| compile_pattern(p.0, &format!("patterns[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        for (i, r) in raw.remediation.iter().enumerate() {
            if r.steps.is_empty() {
                return Err(fail(&format!("remediation[{i}].steps"), "give at least one step".into()));
            }
        }
        let matches = raw
            .examples
            .matches
            .into_iter()
            .enumerate()
            .map(|(i, e)| example(e.0, &format!("examples.match[{i}]")))
            .collect::<Result<_, _>>()?;
        let no_match = raw
            .examples
            .no_match
            .into_iter()
            .enumerate()
            .map(|(i, e)| example(e.0, &format!("examples.no_match[{i}]")))
            .collect::<Result<_, _>>()?;
        Ok(Rule {
            id: raw.id,
            title: raw.title.trim().to_string(),
            severity: raw.severity,
            kind: raw.kind,
            patterns,
            explains: raw.explains,
            exit_codes: raw.exit_codes,
            explanation: raw.explanation,
            remediation: raw
                .remediation
                .into_iter()
                .map(|r| Remedy {
                    title: r.title,
                    builders: r.builders,
                    steps: r.steps,
                    file: r.file,
                    snippet: r.snippet,
                    tradeoffs: r.tradeoffs,
                })
                .collect(),
            links: raw.links.into_iter().map(|l| Link { title: l.title, url: l.url }).collect(),
            examples: Examples { matches, no_match },
            source: String::new(),
        })
    }
}
