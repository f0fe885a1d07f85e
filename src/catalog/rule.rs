//! The checked, compiled form of a rule, built from a [`RawRule`] by
//! `TryFrom`. Everything the matcher and the renderers need is validated
//! here once, so they can trust it.

use super::literal::{required_literals, score};
use super::raw::{Builder, Kind, RawCondition, RawExample, RawPattern, RawRule, Severity};
use std::collections::BTreeMap;
use std::sync::{LazyLock, OnceLock};

/// Largest compiled program a rule's regex may need.
pub const REGEX_SIZE_LIMIT: usize = 2 * 1024 * 1024;
/// Longest regex source accepted.
pub const REGEX_MAX_LEN: usize = 8 * 1024;
/// Cache of a regex's lazy DFA: matching one line at a time needs little,
/// and the default (2 MiB per regex) would let memory grow with every rule
/// a log hits.
pub const DFA_CACHE: usize = 256 * 1024;
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

/// A regex compiled on first use. The catalogue holds hundreds; a run
/// needs the few whose literal occurs in the log, so compiling them all at
/// start-up would cost time and most of the memory. Rules from `--rules`
/// directories are compiled at load (to report errors there); the
/// embedded ones are checked by the test suite and compiled when hit.
///
/// It is regex-automata's meta regex with the one-pass DFA turned off and
/// a small lazy-DFA cache: captures are only wanted for the few lines a
/// rule hits, and those engines cost memory for every rule a log hits.
#[derive(Debug)]
pub struct LazyRegex {
    source: String,
    names: Vec<String>,
    cell: OnceLock<Option<MetaRegex>>,
}

pub type MetaRegex = regex_automata::meta::Regex;

static NEVER: LazyLock<MetaRegex> =
    LazyLock::new(|| MetaRegex::new(r"[^\s\S]").unwrap_or_else(|e| unreachable!("{e}")));

impl LazyRegex {
    fn new(source: &str, eager: bool) -> Result<LazyRegex, String> {
        let hir = regex_syntax::ParserBuilder::new()
            .build()
            .parse(source)
            .map_err(|e| format!("regex does not compile: {}", e.to_string().replace('\n', "\n    ")))?;
        let mut names = Vec::new();
        capture_names_of(&hir, &mut names);
        let cell = OnceLock::new();
        if eager {
            let _ = cell.set(Some(build_regex(source)?));
        }
        Ok(LazyRegex { source: source.to_string(), names, cell })
    }

    /// The compiled regex (compiled now if it was not yet); `None` only if
    /// an embedded regex failed to compile, which the test suite prevents.
    pub fn get(&self) -> Option<&MetaRegex> {
        self.cell.get_or_init(|| build_regex(&self.source).ok()).as_ref()
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.get().is_some_and(|r| r.is_match(text))
    }

    /// The named groups that took part in a match of `text`, if it matches.
    pub fn captures(&self, text: &str) -> Option<BTreeMap<String, String>> {
        let re = self.get()?;
        let mut caps = re.create_captures();
        re.captures(text, &mut caps);
        if !caps.is_match() {
            return None;
        }
        let mut out = BTreeMap::new();
        for name in &self.names {
            if let Some(span) = caps.get_group_by_name(name) {
                if let Some(value) = text.get(span.start..span.end) {
                    out.insert(name.clone(), value.to_string());
                }
            }
        }
        Some(out)
    }

    /// Names of the capture groups, without compiling.
    pub fn capture_names(&self) -> impl Iterator<Item = Option<&str>> {
        self.names.iter().map(|n| Some(n.as_str()))
    }

    /// The compiled regex, or one that never matches.
    pub fn or_never(&self) -> MetaRegex {
        self.get().cloned().unwrap_or_else(|| NEVER.clone())
    }
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

/// Compiles a rule's regex with the limits every rule regex gets.
pub fn build_regex(source: &str) -> Result<MetaRegex, String> {
    let config =
        MetaRegex::config().onepass(false).nfa_size_limit(Some(REGEX_SIZE_LIMIT)).hybrid_cache_capacity(DFA_CACHE);
    MetaRegex::builder().configure(config).build(source).map_err(|e| {
        if let Some(limit) = e.size_limit() {
            format!(
                "regex compiles to more than {limit} bytes; simplify it (bounded repetitions like {{1,1000}} multiply its size)"
            )
        } else {
            format!("regex does not compile: {}", e.to_string().replace('\n', "\n    "))
        }
    })
}

#[derive(Debug)]
pub struct Pattern {
    /// The regex whose literals gate the pattern (for an `all:` pattern,
    /// the one with the most selective literal).
    pub regex: LazyRegex,
    /// The other regexes of an `all:` pattern: each must match the line too.
    pub also: Vec<LazyRegex>,
    /// Every match contains one of these (ASCII lower-cased); `None` means
    /// the pattern must be tried on every line.
    pub literals: Option<Vec<Vec<u8>>>,
    /// The rule's conditions followed by the pattern's own.
    pub near: Vec<Condition>,
    pub unless: Vec<Condition>,
}

impl Pattern {
    /// Every regex of the pattern, the gate first.
    pub fn regexes(&self) -> impl Iterator<Item = &LazyRegex> {
        std::iter::once(&self.regex).chain(&self.also)
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regexes().all(|r| r.is_match(text))
    }

    /// The named captures of a match of `text`, if every regex matches;
    /// the gate's captures win a name two regexes share.
    pub fn captures(&self, text: &str) -> Option<BTreeMap<String, String>> {
        let mut out = self.regex.captures(text)?;
        for r in &self.also {
            for (k, v) in r.captures(text)? {
                out.entry(k).or_insert(v);
            }
        }
        Some(out)
    }

    /// The byte range from the earliest start to the latest end of the
    /// leftmost matches of the pattern's regexes, if all match.
    pub fn span(&self, text: &str) -> Option<std::ops::Range<usize>> {
        let mut span: Option<std::ops::Range<usize>> = None;
        for r in self.regexes() {
            let m = r.get()?.find(text)?;
            span = Some(match span {
                Some(s) => s.start.min(m.start())..s.end.max(m.end()),
                None => m.start()..m.end(),
            });
        }
        span
    }

    /// The pattern's regex sources, joined for display (`all:` parts by ` && `).
    pub fn source(&self) -> String {
        self.regexes().map(LazyRegex::as_str).collect::<Vec<_>>().join(" && ")
    }

    pub fn capture_names(&self) -> impl Iterator<Item = &str> {
        self.regexes().flat_map(|r| r.capture_names().flatten())
    }
}

#[derive(Debug)]
pub struct Condition {
    /// The regex; for a template, with every placeholder as `.+?`.
    pub regex: LazyRegex,
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
    pub fn resolve(&self, captures: &BTreeMap<String, String>) -> MetaRegex {
        let Some(template) = &self.template else { return self.regex.or_never() };
        let mut source = template.clone();
        for (name, value) in captures {
            source = source.replace(&format!("{{{name}}}"), &regex::escape(value));
        }
        build_regex(&source).unwrap_or_else(|_| self.regex.or_never())
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
        self.patterns.iter().flat_map(Pattern::capture_names)
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

fn compile_regex(source: &str, field: &str, eager: bool) -> Result<LazyRegex, FieldError> {
    let err = |message: String| FieldError {
        field: field.to_string(),
        message,
        needle: Some(source.chars().take(40).collect()),
    };
    if source.len() > REGEX_MAX_LEN {
        return Err(err(format!("regex is {} bytes long; the limit is {REGEX_MAX_LEN}", source.len())));
    }
    LazyRegex::new(source, eager).map_err(err)
}

/// The rule-level conditions every pattern shares.
struct Shared<'a> {
    near: &'a [RawCondition],
    unless: &'a [RawCondition],
}

fn compile_pattern(raw: RawPattern, shared: &Shared<'_>, field: &str, eager: bool) -> Result<Pattern, FieldError> {
    let fail = |message: &str| FieldError { field: field.to_string(), message: message.into(), needle: None };
    let sources: Vec<(String, String)> = match (raw.regex, raw.all.is_empty()) {
        (Some(regex), true) => vec![(regex, format!("{field}.regex"))],
        (None, false) => raw.all.into_iter().enumerate().map(|(i, r)| (r, format!("{field}.all[{i}]"))).collect(),
        (Some(_), false) => return Err(fail("give `regex` or `all`, not both")),
        (None, true) => return Err(fail("give `regex` (one regex) or `all` (regexes that must all match)")),
    };
    let mut compiled = Vec::new();
    for (source, f) in &sources {
        let regex = compile_regex(source, f, eager)?;
        let literals = regex_syntax::Parser::new().parse(source).ok().and_then(|hir| required_literals(&hir));
        compiled.push((regex, literals));
    }
    // The gate is the regex with the most selective literal.
    let gate = compiled
        .iter()
        .enumerate()
        .max_by_key(|(i, (_, lits))| (lits.as_deref().map_or(0, score), std::cmp::Reverse(*i)))
        .map_or(0, |(i, _)| i);
    let (regex, literals) = compiled.remove(gate);
    let also: Vec<LazyRegex> = compiled.into_iter().map(|(r, _)| r).collect();
    let names: Vec<String> =
        std::iter::once(&regex).chain(&also).flat_map(|r| r.capture_names().flatten()).map(str::to_string).collect();
    // `prefix` names the list in errors: `near` for the rule's own,
    // `patterns[2].near` for a pattern's.
    let conditions = |list: Vec<RawCondition>, prefix: &str| -> Result<Vec<Condition>, FieldError> {
        list.into_iter()
            .enumerate()
            .map(|(i, c)| {
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
                for n in names.iter() {
                    generic = generic.replace(&format!("{{{n}}}"), ".+?");
                }
                Ok(Condition {
                    regex: compile_regex(&generic, &format!("{f}.regex"), eager)?,
                    template: templated.then_some(c.regex),
                    before: c.before,
                    after: c.after,
                })
            })
            .collect()
    };
    // Rule-level conditions come first, so their errors name the rule's field.
    let mut near = conditions(shared.near.to_vec(), "near")?;
    near.extend(conditions(raw.near, &format!("{field}.near"))?);
    let mut unless = conditions(shared.unless.to_vec(), "unless")?;
    unless.extend(conditions(raw.unless, &format!("{field}.unless"))?);
    Ok(Pattern { regex, also, literals, near, unless })
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
        Rule::compile(raw, true)
    }
}

impl Rule {
    /// Checks `raw` and builds the rule; `eager` compiles every regex now
    /// (otherwise only their syntax is checked, and they compile on use).
    pub fn compile(raw: RawRule, eager: bool) -> Result<Rule, FieldError> {
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
        let shared = Shared { near: &raw.near, unless: &raw.unless };
        let patterns = raw
            .patterns
            .into_iter()
            .enumerate()
            .map(|(i, p)| compile_pattern(p.0, &shared, &format!("patterns[{i}]"), eager))
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
