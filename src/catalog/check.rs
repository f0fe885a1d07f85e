//! From a rule file's text to a checked rule, without compiling a regex.
//!
//! Everything here is a pure function of the file's text: parsing, every
//! check a rule must pass, and what the matcher needs to know about each
//! pattern (its regexes' capture names, its required literals, which regex
//! of an `all:` pattern gates it). `build.rs` includes this file (with
//! `raw.rs`, `literal.rs` and `error.rs`) to check the embedded rules and
//! compile them into the binary; at run time it reads `--rules` files.
//!
//! Regexes are not compiled here: the caller passes `compile`, which is
//! called on each regex right after its syntax is checked, in file order,
//! and whose value is kept beside the regex. So a caller that compiles gets
//! the first error of the file, whichever check finds it.

use super::literal::{required_literals, score};
use super::raw::{Builder, Kind, RawCondition, RawExample, RawPattern, RawRule, Severity};
use crate::error::RuleError;
use std::collections::BTreeMap;

/// Longest regex source accepted.
pub const REGEX_MAX_LEN: usize = 8 * 1024;
/// Widest `near` / `unless` window.
pub const MAX_WINDOW: usize = 200;

/// A rule that passed every check; `C` is what `compile` made of each regex.
#[derive(Debug)]
pub struct CheckedRule<C> {
    pub id: String,
    /// Trimmed.
    pub title: String,
    pub severity: Severity,
    pub kind: Kind,
    pub patterns: Vec<CheckedPattern<C>>,
    pub explains: Vec<String>,
    pub exit_codes: Vec<u16>,
    pub explanation: String,
    pub remediation: Vec<Remedy>,
    pub links: Vec<Link>,
    pub matches: Vec<Example>,
    pub no_match: Vec<Example>,
}

#[derive(Debug)]
pub struct CheckedRegex<C> {
    pub source: String,
    /// Its named groups, each once, in order of appearance.
    pub names: Vec<String>,
    pub compiled: C,
}

#[derive(Debug)]
pub struct CheckedPattern<C> {
    /// The regex whose literals gate the pattern (for an `all:` pattern,
    /// the one with the most selective literal).
    pub regex: CheckedRegex<C>,
    /// The other regexes of an `all:` pattern.
    pub also: Vec<CheckedRegex<C>>,
    /// Every match contains one of these; `None`: no usable literal.
    pub literals: Option<Vec<Vec<u8>>>,
    /// The rule's conditions followed by the pattern's own.
    pub near: Vec<CheckedCondition<C>>,
    pub unless: Vec<CheckedCondition<C>>,
}

#[derive(Debug)]
pub struct CheckedCondition<C> {
    /// The regex; for a template, with every placeholder as `.+?`.
    pub regex: CheckedRegex<C>,
    /// The source, when it uses `{capture}` placeholders of its pattern.
    pub template: Option<String>,
    pub before: usize,
    pub after: usize,
}

/// A remediation option, checked.
#[derive(Debug)]
pub struct Remedy {
    /// What to do, in the imperative.
    pub title: String,
    /// The builders it is for; empty means every builder.
    pub builders: Vec<Builder>,
    /// Short steps.
    pub steps: Vec<String>,
    /// Where the snippet goes.
    pub file: Option<String>,
    /// Text to copy.
    pub snippet: Option<String>,
    /// What the option costs.
    pub tradeoffs: Option<String>,
}

/// A link to documentation.
#[derive(Debug)]
pub struct Link {
    /// What it links to.
    pub title: String,
    /// The address.
    pub url: String,
}

/// An example of a rule, checked.
#[derive(Debug, Clone)]
pub struct Example {
    /// The log text (one line, or several).
    pub log: String,
    /// The captures the rule must give on it.
    pub captures: BTreeMap<String, String>,
}

/// A field-level problem found while checking; `parse` adds file and id.
#[derive(Debug)]
pub struct FieldError {
    /// The field, as a path (`patterns[0].regex`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
    /// Text to look for in the file to report a line number.
    pub needle: Option<String>,
}

/// Parses and checks one rule file, naming file, line, rule and field in
/// its error.
pub fn parse<C>(
    file: &str,
    text: &str,
    compile: &mut impl FnMut(&str) -> Result<C, String>,
) -> Result<CheckedRule<C>, RuleError> {
    let id = lenient_id(text);
    let raw: RawRule = serde_yaml::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line());
        let message = e.to_string();
        // serde_yaml appends " at line N column M"; the line is shown already.
        let message = match message.find(" at line ") {
            Some(i) if line.is_some() => message.get(..i).unwrap_or_default().to_string(),
            _ => message,
        };
        let (field, message) = split_field(&message);
        RuleError { file: file.to_string(), line, rule: id.clone(), field, message }
    })?;
    let rule_id = raw.id.clone();
    check(raw, compile).map_err(|e| RuleError {
        file: file.to_string(),
        line: e.needle.as_deref().and_then(|n| find_line(text, n)).or_else(|| {
            let top = e.field.split(['.', '[']).next().unwrap_or_default();
            find_line(text, &format!("{top}:"))
        }),
        rule: Some(rule_id),
        field: Some(e.field),
        message: e.message,
    })
}

/// The error for a second file of a set defining an id `first` defines.
pub fn duplicate_id(file: String, text: &str, id: &str, first: &str) -> RuleError {
    RuleError {
        line: find_line(text, "id:"),
        rule: Some(id.to_string()),
        field: Some("id".into()),
        message: format!("duplicate id: {first} defines it too"),
        file,
    }
}

/// serde_yaml reports nested errors as `path.to.field: message`.
fn split_field(message: &str) -> (Option<String>, String) {
    if let Some((path, rest)) = message.split_once(": ") {
        if !path.is_empty()
            && !path.contains(' ')
            && path.chars().all(|c| c.is_ascii_alphanumeric() || "._[]".contains(c))
        {
            return (Some(path.to_string()), rest.to_string());
        }
    }
    let field = ["unknown field `", "missing field `"].iter().find_map(|p| {
        let i = message.find(p)? + p.len();
        let rest = message.get(i..)?;
        rest.find('`').and_then(|j| rest.get(..j)).map(str::to_string)
    });
    (field, message.to_string())
}

/// The `id:` of a file that may not parse as a rule, for error messages.
fn lenient_id(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix("id:")?.trim();
        let rest = rest.trim_matches(|c| c == '\'' || c == '"');
        (!rest.is_empty()).then(|| rest.to_string())
    })
}

/// 1-based number of the first line of `text` containing `needle`.
fn find_line(text: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}

/// Whether `id` is a valid rule id: `<group>/<name>`, lower case.
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

/// Checks one regex: its length and syntax, then `compile`. Returns it with
/// its syntax tree, for literal extraction.
fn check_regex<C>(
    source: &str,
    field: &str,
    compile: &mut impl FnMut(&str) -> Result<C, String>,
) -> Result<(CheckedRegex<C>, regex_syntax::hir::Hir), FieldError> {
    let err = |message: String| FieldError {
        field: field.to_string(),
        message,
        needle: Some(source.chars().take(40).collect()),
    };
    if source.len() > REGEX_MAX_LEN {
        return Err(err(format!("regex is {} bytes long; the limit is {REGEX_MAX_LEN}", source.len())));
    }
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(source)
        .map_err(|e| err(format!("regex does not compile: {}", e.to_string().replace('\n', "\n    "))))?;
    let mut names = Vec::new();
    capture_names_of(&hir, &mut names);
    let compiled = compile(source).map_err(err)?;
    Ok((CheckedRegex { source: source.to_string(), names, compiled }, hir))
}

fn capture_names_of(hir: &regex_syntax::hir::Hir, out: &mut Vec<String>) {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(cap) => {
            if let Some(name) = &cap.name {
                if !out.iter().any(|n| n.as_str() == &**name) {
                    out.push(name.to_string());
                }
            }
            capture_names_of(&cap.sub, out);
        }
        HirKind::Repetition(rep) => capture_names_of(&rep.sub, out),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().for_each(|h| capture_names_of(h, out)),
        _ => {}
    }
}

/// Checks one list of conditions; `prefix` names it in errors: `near` for
/// the rule's own, `patterns[2].near` for a pattern's. `names` are the
/// pattern's capture names, which a condition may use as placeholders.
fn check_conditions<C>(
    list: Vec<RawCondition>,
    prefix: &str,
    names: &[String],
    compile: &mut impl FnMut(&str) -> Result<C, String>,
) -> Result<Vec<CheckedCondition<C>>, FieldError> {
    let mut out = Vec::with_capacity(list.len());
    for (i, c) in list.into_iter().enumerate() {
        let f = format!("{prefix}[{i}]");
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
        for n in names {
            generic = generic.replace(&format!("{{{n}}}"), ".+?");
        }
        let (regex, _) = check_regex(&generic, &format!("{f}.regex"), compile)?;
        out.push(CheckedCondition { regex, template: templated.then_some(c.regex), before: c.before, after: c.after });
    }
    Ok(out)
}

/// The rule-level conditions every pattern shares.
struct Shared<'a> {
    near: &'a [RawCondition],
    unless: &'a [RawCondition],
}

fn check_pattern<C>(
    raw: RawPattern,
    shared: &Shared<'_>,
    field: &str,
    compile: &mut impl FnMut(&str) -> Result<C, String>,
) -> Result<CheckedPattern<C>, FieldError> {
    let fail = |message: &str| FieldError { field: field.to_string(), message: message.into(), needle: None };
    let sources: Vec<(String, String)> = match (raw.regex, raw.all.is_empty()) {
        (Some(regex), true) => vec![(regex, format!("{field}.regex"))],
        (None, false) => raw.all.into_iter().enumerate().map(|(i, r)| (r, format!("{field}.all[{i}]"))).collect(),
        (Some(_), false) => return Err(fail("give `regex` or `all`, not both")),
        (None, true) => return Err(fail("give `regex` (one regex) or `all` (regexes that must all match)")),
    };
    let mut checked = Vec::new();
    for (source, f) in &sources {
        let (regex, hir) = check_regex(source, f, compile)?;
        checked.push((regex, required_literals(&hir)));
    }
    // The gate is the regex with the most selective literal.
    let gate = checked
        .iter()
        .enumerate()
        .max_by_key(|(i, (_, lits))| (lits.as_deref().map_or(0, score), std::cmp::Reverse(*i)))
        .map_or(0, |(i, _)| i);
    let (regex, literals) = checked.remove(gate);
    let also: Vec<CheckedRegex<C>> = checked.into_iter().map(|(r, _)| r).collect();
    let names: Vec<String> = std::iter::once(&regex).chain(&also).flat_map(|r| r.names.iter().cloned()).collect();
    // Rule-level conditions come first, so their errors name the rule's field.
    let mut near = check_conditions(shared.near.to_vec(), "near", &names, compile)?;
    near.extend(check_conditions(raw.near, &format!("{field}.near"), &names, compile)?);
    let mut unless = check_conditions(shared.unless.to_vec(), "unless", &names, compile)?;
    unless.extend(check_conditions(raw.unless, &format!("{field}.unless"), &names, compile)?);
    Ok(CheckedPattern { regex, also, literals, near, unless })
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

/// Checks `raw` and builds the rule, passing each regex to `compile`.
pub fn check<C>(
    raw: RawRule,
    compile: &mut impl FnMut(&str) -> Result<C, String>,
) -> Result<CheckedRule<C>, FieldError> {
    let fail = |field: &str, message: String| FieldError { field: field.into(), message, needle: None };
    if !is_valid_id(&raw.id) {
        return Err(fail("id", format!("`{}` is not of the form <group>/<name> (lower case, digits and `-`)", raw.id)));
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
    let shared = Shared { near: &raw.near, unless: &raw.unless };
    let mut patterns = Vec::with_capacity(raw.patterns.len());
    for (i, p) in raw.patterns.into_iter().enumerate() {
        patterns.push(check_pattern(p.0, &shared, &format!("patterns[{i}]"), compile)?);
    }
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
    Ok(CheckedRule {
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
        matches,
        no_match,
    })
}
