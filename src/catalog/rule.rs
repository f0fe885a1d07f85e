//! The compiled form of a rule, the one the matcher and the renderers use.
//! It is built from a checked rule (`check.rs`, for `--rules` files and
//! [`RawRule`]s) or from the embedded catalogue's statics (`embedded.rs`,
//! checked by the same code at build time). Either way everything in it has
//! been validated once, so its users can trust it.

use super::check::{self, CheckedCondition, CheckedPattern, CheckedRegex, CheckedRule};
pub use super::check::{is_valid_id, Example, FieldError, Link, Remedy, MAX_WINDOW, REGEX_MAX_LEN};
use super::embedded;
use super::raw::{Kind, RawRule, Severity};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{LazyLock, OnceLock};

/// Largest compiled program a rule's regex may need.
pub const REGEX_SIZE_LIMIT: usize = 2 * 1024 * 1024;
/// Cache of a regex's lazy DFA: matching one line at a time needs little,
/// and the default (2 MiB per regex) would let memory grow with every rule
/// a log hits.
pub const DFA_CACHE: usize = 256 * 1024;

/// A checked rule, ready to match.
#[derive(Debug)]
pub struct Rule {
    /// `<group>/<name>`.
    pub id: String,
    /// One line naming the failure; may use `{capture}` placeholders.
    pub title: String,
    /// How bad the failure is.
    pub severity: Severity,
    /// Whether it names a cause.
    pub kind: Kind,
    /// The patterns; any hit counts.
    pub patterns: Vec<Pattern>,
    /// Ids of the rules whose findings this one explains.
    pub explains: Vec<String>,
    /// Exit statuses a failed step typically ends with because of it.
    pub exit_codes: Vec<u16>,
    /// Markdown; the first paragraph is the short explanation.
    pub explanation: String,
    /// The fixes, best first.
    pub remediation: Vec<Remedy>,
    /// Documentation links, official first.
    pub links: Vec<Link>,
    /// The examples, built when first read.
    pub examples: LazyExamples,
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
    source: Cow<'static, str>,
    names: Names,
    cell: OnceLock<Option<MetaRegex>>,
}

/// A regex's capture names: the embedded catalogue's, or a file's.
enum Names {
    Embedded(&'static [&'static str]),
    Owned(Vec<String>),
}

impl Names {
    fn iter(&self) -> impl Iterator<Item = &str> {
        let (embedded, owned): (&[&str], &[String]) = match self {
            Names::Embedded(names) => (names, &[]),
            Names::Owned(names) => (&[], names),
        };
        embedded.iter().copied().chain(owned.iter().map(String::as_str))
    }
}

impl fmt::Debug for Names {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The regex engine used for every rule regex.
pub type MetaRegex = regex_automata::meta::Regex;

static NEVER: LazyLock<MetaRegex> =
    LazyLock::new(|| MetaRegex::new(r"[^\s\S]").unwrap_or_else(|e| unreachable!("{e}")));

impl LazyRegex {
    fn from_checked(checked: CheckedRegex<Option<MetaRegex>>) -> LazyRegex {
        let cell = OnceLock::new();
        if let Some(regex) = checked.compiled {
            let _ = cell.set(Some(regex));
        }
        LazyRegex { source: Cow::Owned(checked.source), names: Names::Owned(checked.names), cell }
    }

    fn from_embedded(regex: &'static embedded::Regex) -> LazyRegex {
        LazyRegex { source: Cow::Borrowed(regex.source), names: Names::Embedded(regex.names), cell: OnceLock::new() }
    }

    /// The compiled regex (compiled now if it was not yet); `None` only if
    /// an embedded regex failed to compile, which the test suite prevents.
    pub fn get(&self) -> Option<&MetaRegex> {
        self.cell.get_or_init(|| build_regex(&self.source).ok()).as_ref()
    }

    /// The regex source.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the regex matches `text` (never, if it does not compile).
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
        for name in self.names.iter() {
            if let Some(span) = caps.get_group_by_name(name) {
                if let Some(value) = text.get(span.start..span.end) {
                    out.insert(name.to_string(), value.to_string());
                }
            }
        }
        Some(out)
    }

    /// Names of the capture groups, without compiling.
    pub fn capture_names(&self) -> impl Iterator<Item = Option<&str>> {
        self.names.iter().map(Some)
    }

    /// The compiled regex, or one that never matches.
    pub fn or_never(&self) -> MetaRegex {
        self.get().cloned().unwrap_or_else(|| NEVER.clone())
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

/// One pattern of a rule: a regex (or several that must all match) with its conditions.
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
    /// Conditions any of which discards the hit.
    pub unless: Vec<Condition>,
}

impl Pattern {
    /// Every regex of the pattern, the gate first.
    pub fn regexes(&self) -> impl Iterator<Item = &LazyRegex> {
        std::iter::once(&self.regex).chain(&self.also)
    }

    /// Whether every regex of the pattern matches `text`.
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

    /// The names of the pattern's capture groups.
    pub fn capture_names(&self) -> impl Iterator<Item = &str> {
        self.regexes().flat_map(|r| r.capture_names().flatten())
    }

    fn from_checked(checked: CheckedPattern<Option<MetaRegex>>) -> Pattern {
        Pattern {
            regex: LazyRegex::from_checked(checked.regex),
            also: checked.also.into_iter().map(LazyRegex::from_checked).collect(),
            literals: checked.literals,
            near: checked.near.into_iter().map(Condition::from_checked).collect(),
            unless: checked.unless.into_iter().map(Condition::from_checked).collect(),
        }
    }

    fn from_embedded(pattern: &'static embedded::Pattern) -> Pattern {
        Pattern {
            regex: LazyRegex::from_embedded(&pattern.regex),
            also: pattern.also.iter().map(LazyRegex::from_embedded).collect(),
            literals: pattern.literals.map(|set| set.iter().map(|l| l.to_vec()).collect()),
            near: pattern.near.iter().map(Condition::from_embedded).collect(),
            unless: pattern.unless.iter().map(Condition::from_embedded).collect(),
        }
    }
}

/// A `near` or `unless` condition: a regex and its window.
#[derive(Debug)]
pub struct Condition {
    /// The regex; for a template, with every placeholder as `.+?`.
    pub regex: LazyRegex,
    /// The source, when it uses `{capture}` placeholders of its pattern:
    /// filled in (escaped) with the hit's captures at match time.
    pub template: Option<String>,
    /// Lines before the hit to look at.
    pub before: usize,
    /// Lines after the hit to look at.
    pub after: usize,
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

    fn from_checked(checked: CheckedCondition<Option<MetaRegex>>) -> Condition {
        Condition {
            regex: LazyRegex::from_checked(checked.regex),
            template: checked.template,
            before: checked.before,
            after: checked.after,
        }
    }

    fn from_embedded(condition: &'static embedded::Condition) -> Condition {
        Condition {
            regex: LazyRegex::from_embedded(&condition.regex),
            template: condition.template.map(str::to_string),
            before: condition.before,
            after: condition.after,
        }
    }
}

/// A rule's examples.
#[derive(Debug, Default)]
pub struct Examples {
    /// Logs the rule must match, ranked first.
    pub matches: Vec<Example>,
    /// Logs the rule must not match.
    pub no_match: Vec<Example>,
}

/// A rule's examples, which only `rules test`, `explain` and `site` read
/// (they are a third of the catalogue's text). It dereferences to
/// [`Examples`]; an embedded rule's are made from the statics on first use.
#[derive(Default)]
pub struct LazyExamples {
    embedded: Option<&'static embedded::Examples>,
    cell: OnceLock<Examples>,
}

impl From<Examples> for LazyExamples {
    fn from(examples: Examples) -> Self {
        LazyExamples { embedded: None, cell: OnceLock::from(examples) }
    }
}

impl Deref for LazyExamples {
    type Target = Examples;

    fn deref(&self) -> &Examples {
        self.cell.get_or_init(|| {
            let owned = |list: &[embedded::Example]| -> Vec<Example> {
                list.iter()
                    .map(|e| Example {
                        log: e.log.to_string(),
                        captures: e.captures.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                    })
                    .collect()
            };
            self.embedded
                .map_or_else(Examples::default, |e| Examples { matches: owned(e.matches), no_match: owned(e.no_match) })
        })
    }
}

impl fmt::Debug for LazyExamples {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
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

/// What a checked regex is compiled to: the regex now when `eager`,
/// otherwise nothing (it compiles on first use).
pub fn compiler(eager: bool) -> impl FnMut(&str) -> Result<Option<MetaRegex>, String> {
    move |source| if eager { build_regex(source).map(Some) } else { Ok(None) }
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
        check::check(raw, &mut compiler(eager)).map(Rule::from_checked)
    }

    /// The rule `check` made (its `source` is left empty).
    pub fn from_checked(checked: CheckedRule<Option<MetaRegex>>) -> Rule {
        Rule {
            id: checked.id,
            title: checked.title,
            severity: checked.severity,
            kind: checked.kind,
            patterns: checked.patterns.into_iter().map(Pattern::from_checked).collect(),
            explains: checked.explains,
            exit_codes: checked.exit_codes,
            explanation: checked.explanation,
            remediation: checked.remediation,
            links: checked.links,
            examples: Examples { matches: checked.matches, no_match: checked.no_match }.into(),
            source: String::new(),
        }
    }

    /// An embedded rule, whose examples are only made when read.
    pub fn from_embedded(rule: &'static embedded::Rule) -> Rule {
        let text = |s: Option<&str>| s.map(str::to_string);
        Rule {
            id: rule.id.to_string(),
            title: rule.title.to_string(),
            severity: rule.severity,
            kind: rule.kind,
            patterns: rule.patterns.iter().map(Pattern::from_embedded).collect(),
            explains: rule.explains.iter().map(|s| s.to_string()).collect(),
            exit_codes: rule.exit_codes.to_vec(),
            explanation: rule.explanation.to_string(),
            remediation: rule
                .remediation
                .iter()
                .map(|r| Remedy {
                    title: r.title.to_string(),
                    builders: r.builders.to_vec(),
                    steps: r.steps.iter().map(|s| s.to_string()).collect(),
                    file: text(r.file),
                    snippet: text(r.snippet),
                    tradeoffs: text(r.tradeoffs),
                })
                .collect(),
            links: rule.links.iter().map(|l| Link { title: l.title.to_string(), url: l.url.to_string() }).collect(),
            examples: LazyExamples { embedded: Some(&rule.examples), cell: OnceLock::new() },
            source: rule.source.to_string(),
        }
    }
}
