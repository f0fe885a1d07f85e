//! From lines to ranked findings: runs the matcher over each normalised line,
//! checks `near` / `unless` windows, groups hits per rule, and ranks the
//! result so that `findings[0]` answers "why did this build fail".
//!
//! Memory is bounded whatever the log: one accumulator per rule (first hit,
//! a handful of further line numbers, a count), a ring of recent lines as
//! wide as the widest `before` window or `--context`, and at most
//! [`MAX_PENDING`] hits waiting for their `after` window.
//!
//! Ranking: findings a rule `explains` are folded under it; generic findings
//! fold under the best specific error; then error before warning before
//! info, specific before generic, a rule that explains the failed step's
//! exit status first, a cause in the failed step before causes elsewhere,
//! and earliest line first.

use crate::catalog::rule::MetaRegex;
use crate::catalog::{Catalog, Kind, Rule, Severity};
use crate::context::{BuilderInfo, Context, Step};
use crate::failure::{self, Signal};
use crate::input::{Chunk, RawLine, MAX_LINE};
use crate::matcher::{Matcher, PatternRef, Scratch};
use crate::normalize::normalize_into;
use crate::redact::redact;
use crate::suspects::{self, Baseline};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// Hits waiting for an `after` window, at most.
const MAX_PENDING: usize = 4096;
/// Further line numbers kept per finding besides the first.
const MAX_LINES: usize = 8;
/// Characters of a line kept for display and for context windows.
const KEEP_CHARS: usize = 4096;

/// One log line as shown to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownLine {
    pub number: u64,
    /// The line as read, ANSI codes removed, cut at a few KiB.
    pub raw: String,
    /// The normalised message.
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Finding {
    /// Index into `catalog.rules`.
    pub rule: usize,
    pub line: ShownLine,
    pub captures: BTreeMap<String, String>,
    /// How many times the rule matched in this input.
    pub count: u64,
    /// Line numbers of the first few hits (the first is `line.number`).
    pub lines: Vec<u64>,
    pub step: Option<Step>,
    /// Lines around the first hit, for `--context`.
    pub context: Vec<ShownLine>,
    /// Findings this one explains, folded under it.
    pub consequences: Vec<Consequence>,
}

#[derive(Debug, Clone)]
pub struct Consequence {
    pub rule: usize,
    pub line: u64,
    pub count: u64,
    pub text: String,
}

/// Everything learned about one input.
#[derive(Debug, Clone)]
pub struct InputReport {
    pub name: String,
    pub lines: u64,
    pub builder: BuilderInfo,
    /// Ranked best first.
    pub findings: Vec<Finding>,
    /// The first line that shows the build failed, whatever its cause
    /// (see `failure`): a summary (exit status, `Build failed`) if the log
    /// has one, else the first tool error line.
    pub failure: Option<FailureLine>,
    /// When the input failed and no specific rule explains it: the lines
    /// most likely to state the cause, best first (see `suspects`).
    pub suspects: Vec<ShownLine>,
    /// The `--baseline` log the suspects were compared with.
    pub baseline: Option<String>,
}

/// A line that shows a failure, and what it says.
#[derive(Debug, Clone)]
pub struct FailureLine {
    pub line: ShownLine,
    pub signal: Signal,
    /// The build step the line belongs to, when known.
    pub step: Option<Step>,
}

/// Words that make a line look like an error (lower case; found
/// case-insensitively): lines that hold one are read for failure signals.
pub const ERROR_WORDS: &[&str] = &[
    "error",
    "err!",
    "fail",
    "fatal",
    "exception",
    "traceback",
    "panic",
    "cannot ",
    "can't ",
    "could not",
    "couldn't",
    "unable to",
    "not found",
    "no such file",
    "denied",
    "killed",
    "segmentation fault",
    "abort",
];

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Lines of context kept on each side of a finding's first hit.
    pub context: usize,
    /// Mask secrets in every line, capture and step kept for output.
    pub redact: bool,
    /// The log of a good build: its lines are never suspects.
    pub baseline: Option<Arc<Baseline>>,
}

struct Pending {
    pattern: PatternRef,
    /// The pattern's `near` and `unless` regexes, resolved for this hit.
    near: Vec<MetaRegex>,
    unless: Vec<MetaRegex>,
    line: ShownLine,
    step: Option<Arc<Step>>,
    /// Last line number that can still settle a condition.
    deadline: u64,
    /// Which `near` conditions have been seen so far.
    near_ok: Vec<bool>,
    before_context: Vec<ShownLine>,
}

#[derive(Clone)]
struct RingLine {
    number: u64,
    raw: Vec<u8>,
}

/// Bytes of a line kept in the ring of recent lines.
const KEEP_BYTES: usize = 2 * 1024;

/// Consecutive lines a wrapped message may span.
const WRAP_LINES: usize = 3;

struct Accumulator {
    finding: Finding,
    /// The line of the latest hit: a wrapped window that starts there or
    /// before is the same message again.
    last_line: u64,
    /// Lines of trailing context still to collect.
    context_due: usize,
}

pub struct Diagnoser<'a> {
    catalog: &'a Catalog,
    matcher: &'a Matcher,
    options: Options,
    context: Context,
    /// Recent lines as read (ANSI removed, cut at KEEP_BYTES), normalised
    /// only when a hit needs its neighbours.
    ring: VecDeque<RingLine>,
    /// The vertex of the last line that had one, to spot new vertices.
    last_vertex: Option<u32>,
    /// A chunk with its ANSI codes removed.
    clean: Vec<u8>,
    /// Line starts of a chunk's lines that contain a trigger literal.
    marks: Vec<usize>,
    /// Line starts of a chunk's lines that contain an error-looking word.
    glances: Vec<usize>,
    ring_size: usize,
    pending: VecDeque<Pending>,
    found: Vec<Option<Accumulator>>,
    /// Rules first found since the last `take_fresh`.
    fresh: Vec<usize>,
    /// Rules whose finding still collects trailing context.
    context_due: Vec<usize>,
    scratch: Scratch,
    /// The first failure summary and the first tool error seen.
    first_summary: Option<FailureLine>,
    first_error: Option<FailureLine>,
    /// The lines before the first failure summary, kept for ranking
    /// suspects (taken from the ring when the summary is seen).
    before_failure: Option<Vec<RingLine>>,
    bytes: Vec<u8>,
    text: String,
    hits: Vec<PatternRef>,
    /// Whether each of the last [`WRAP_LINES`] lines held a rule literal or
    /// a piece of one (bit 0: the newest; see `Matcher::scan`): windows of
    /// wrapped lines are matched only around such lines.
    wrap_candidates: u8,
    /// Whether the last line matched held a rule literal or a piece of one.
    touched: bool,
    /// The normalised last lines, oldest first, for `match_wrapped`.
    wrap_parts: VecDeque<WrapPart>,
}

/// One line of a window of possibly wrapped lines.
struct WrapPart {
    number: u64,
    text: String,
    vertex: Option<u32>,
}

impl<'a> Diagnoser<'a> {
    pub fn new(catalog: &'a Catalog, matcher: &'a Matcher, options: Options) -> Diagnoser<'a> {
        let widest = catalog.rules.iter().map(Rule::max_before).max().unwrap_or(0);
        let ring_size = widest.max(options.context).max(WRAP_LINES).max(suspects::WINDOW);
        Diagnoser {
            catalog,
            matcher,
            options,
            context: Context::default(),
            ring: VecDeque::with_capacity(ring_size),
            last_vertex: None,
            clean: Vec::new(),
            marks: Vec::new(),
            glances: Vec::new(),
            ring_size,
            pending: VecDeque::new(),
            found: (0..catalog.rules.len()).map(|_| None).collect(),
            context_due: Vec::new(),
            fresh: Vec::new(),
            scratch: Scratch::default(),
            first_summary: None,
            first_error: None,
            before_failure: None,
            bytes: Vec::new(),
            text: String::with_capacity(256),
            hits: Vec::new(),
            wrap_candidates: 0,
            touched: false,
            wrap_parts: VecDeque::with_capacity(WRAP_LINES),
        }
    }

    /// Feeds a chunk of whole lines: the fast path.
    ///
    /// One literal search over the chunk marks the lines that contain any
    /// rule's required literal or any trigger of the build context; only
    /// those (and lines that pending windows or trailing context are
    /// waiting for, new BuildKit vertices, JSON lines and lines with a
    /// `\r`) are normalised and matched. Every other line costs a newline
    /// search and a copy into the ring of recent lines.
    pub fn feed_chunk(&mut self, chunk: Chunk<'_>) {
        if chunk.truncated {
            self.feed_line(chunk.first_line, chunk.bytes, true);
            self.wrap_candidates = 0;
            return;
        }
        let mut clean = std::mem::take(&mut self.clean);
        let text: &[u8] = if memchr::memchr(0x1b, chunk.bytes).is_some() {
            crate::normalize::strip_ansi_keep_lines(chunk.bytes, &mut clean);
            &clean
        } else {
            chunk.bytes
        };
        let mut marks = std::mem::take(&mut self.marks);
        let mut glances = std::mem::take(&mut self.glances);
        let every_line = self.matcher.mark_lines(text, &mut marks, &mut glances);
        let mut next_glance = glances.iter().copied().peekable();
        let has_cr = memchr::memchr(b'\r', text).is_some();
        let mut pos = 0;
        let mut number = chunk.first_line;
        let mut next_mark = marks.iter().copied().peekable();
        while pos < text.len() {
            let end = memchr::memchr(b'\n', text.get(pos..).unwrap_or_default()).map_or(text.len(), |i| pos + i);
            let line = text.get(pos..end).unwrap_or_default();
            let marked = next_mark.peek() == Some(&pos);
            if marked {
                next_mark.next();
            }
            let glanced = next_glance.peek() == Some(&pos);
            if glanced {
                next_glance.next();
            }
            let slow = marked
                || every_line
                || !self.pending.is_empty()
                || !self.context_due.is_empty()
                || line.first() == Some(&b'{')
                || (has_cr && memchr::memchr(b'\r', line).is_some())
                || self.new_vertex(line);
            self.touched = false;
            if slow {
                self.feed_line(number, line, false);
            } else if glanced {
                self.glance(number, line.get(..line.len().min(MAX_LINE)).unwrap_or_default());
            } else {
                self.remember(number, line);
            }
            let window = (1u8 << WRAP_LINES) - 1;
            self.wrap_candidates = ((self.wrap_candidates << 1) | u8::from(self.touched)) & window;
            if self.wrap_candidates != 0 {
                self.match_wrapped(number);
            }
            number += 1;
            pos = end + 1;
        }
        self.marks = marks;
        self.glances = glances;
        self.clean = clean;
    }

    /// Whether `line` starts a BuildKit vertex the context has not seen:
    /// its first line names the step, so it must be read.
    fn new_vertex(&mut self, line: &[u8]) -> bool {
        if line.first() != Some(&b'#') {
            return false;
        }
        let digits = line.get(1..).unwrap_or_default().iter().take_while(|b| b.is_ascii_digit()).count();
        let Some(v) =
            std::str::from_utf8(line.get(1..1 + digits).unwrap_or_default()).ok().and_then(|d| d.parse().ok())
        else {
            return false;
        };
        if self.last_vertex == Some(v) {
            return false;
        }
        self.last_vertex = Some(v);
        !self.context.knows_vertex(v)
    }

    /// Feeds one whole line: splits `\r` progress redraws into segments of
    /// the same line (a trailing `\r` of a CRLF line end is dropped).
    fn feed_line(&mut self, number: u64, line: &[u8], truncated: bool) {
        let cap = |s: &'_ [u8]| -> (usize, bool) { (s.len().min(MAX_LINE), truncated || s.len() > MAX_LINE) };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if memchr::memchr(b'\r', line).is_none() {
            let (len, cut) = cap(line);
            self.feed(RawLine { number, bytes: line.get(..len).unwrap_or_default(), truncated: cut });
            return;
        }
        for segment in line.split(|&b| b == b'\r').filter(|s| !s.is_empty()) {
            let (len, cut) = cap(segment);
            self.feed(RawLine { number, bytes: segment.get(..len).unwrap_or_default(), truncated: cut });
        }
    }

    /// Feeds one line segment: the full pipeline.
    pub fn feed(&mut self, line: RawLine<'_>) {
        // `railway logs --json` and other JSON-lines logs: the text is in
        // `message`, possibly several lines of it.
        if let Some(message) = json_message(line.bytes) {
            for part in message.split('\n') {
                self.feed_segment(RawLine { number: line.number, bytes: part.as_bytes(), truncated: line.truncated });
            }
            return;
        }
        self.feed_segment(line);
    }

    fn feed_segment(&mut self, line: RawLine<'_>) {
        let meta = normalize_into(line.bytes, &mut self.bytes, &mut self.text);
        let step = self.context.observe(&self.text, meta);
        self.hits.clear();
        self.touched = self.matcher.scan(self.catalog, &self.text, &mut self.scratch, &mut self.hits);
        // A line that a warning or info rule explains is known noise, not a
        // failure, however it looks.
        let noise = !self.hits.is_empty()
            && self.hits.iter().all(|h| self.catalog.rules.get(h.rule).is_some_and(|r| r.severity != Severity::Error));
        let signal = if noise { None } else { failure::detect(&self.text) };
        let needed = !self.hits.is_empty() || signal.is_some() || !self.context_due.is_empty();
        if needed {
            let this = self.shown_as(line.number, line.bytes, &self.text);

            // Trailing context sees this line first.
            if !self.context_due.is_empty() {
                let found = &mut self.found;
                self.context_due.retain(|&r| {
                    let Some(Some(acc)) = found.get_mut(r) else {
                        return false;
                    };
                    acc.finding.context.push(this.clone());
                    acc.context_due = acc.context_due.saturating_sub(1);
                    acc.context_due > 0
                });
            }
            if !self.pending.is_empty() {
                self.advance_pending(line.number);
            }
            let hits = std::mem::take(&mut self.hits);
            for &pref in &hits {
                self.consider(pref, this.clone(), step.clone());
            }
            self.hits = hits;
            if let Some(signal) = signal {
                self.failure_seen(signal, this, step);
            }
        } else if !self.pending.is_empty() {
            self.advance_pending(line.number);
        }
        self.remember(line.number, line.bytes);
    }

    /// Notes a failure signal; the first summary keeps the lines before it
    /// for the suspects.
    fn failure_seen(&mut self, signal: Signal, line: ShownLine, step: Option<Arc<Step>>) {
        let slot = if signal.is_summary() { &mut self.first_summary } else { &mut self.first_error };
        if slot.is_none() {
            let step = step.map(|s| shown_step(&s, self.options.redact));
            *slot = Some(FailureLine { line, signal, step });
        }
        if signal.is_summary() && self.before_failure.is_none() {
            self.before_failure = Some(self.recent_lines());
        }
    }

    /// The last [`suspects::WINDOW`] lines read, for ranking suspects.
    fn recent_lines(&self) -> Vec<RingLine> {
        let skip = self.ring.len().saturating_sub(suspects::WINDOW);
        self.ring.iter().skip(skip).cloned().collect()
    }

    /// The cheap path for a line whose only trigger is an error-looking
    /// word or a failure trigger: read for a failure signal, never matched.
    fn glance(&mut self, number: u64, line: &[u8]) {
        let meta = normalize_into(line, &mut self.bytes, &mut self.text);
        if let Some(signal) = failure::detect(&self.text) {
            let shown = self.shown_as(number, line, &self.text);
            let step = self.context.step_of(meta.vertex);
            self.failure_seen(signal, shown, step);
        }
        self.remember(number, line);
    }

    /// A line as shown to a person: ANSI removed, cut, secrets masked.
    fn shown(&self, number: u64, bytes: &[u8]) -> ShownLine {
        let mut text = String::new();
        normalize_into(bytes, &mut Vec::new(), &mut text);
        self.shown_as(number, bytes, &text)
    }

    /// [`shown`](Self::shown) for a line whose normalised text is at hand.
    fn shown_as(&self, number: u64, bytes: &[u8], text: &str) -> ShownLine {
        let shown = ShownLine { number, raw: display_raw(bytes), text: cut(text) };
        if self.options.redact {
            self.redacted(shown)
        } else {
            shown
        }
    }

    fn redacted(&self, mut shown: ShownLine) -> ShownLine {
        shown.raw = redact(&shown.raw).into_owned();
        shown.text = redact(&shown.text).into_owned();
        shown
    }

    /// Puts a line into the ring of recent lines, reusing the oldest buffer.
    fn remember(&mut self, number: u64, bytes: &[u8]) {
        let mut raw = if self.ring.len() >= self.ring_size {
            self.ring.pop_front().map(|l| l.raw).unwrap_or_default()
        } else {
            Vec::new()
        };
        raw.clear();
        raw.extend_from_slice(bytes.get(..bytes.len().min(KEEP_BYTES)).unwrap_or_default());
        self.ring.push_back(RingLine { number, raw });
    }

    /// The normalised text of the last `n` lines, newest first.
    fn recent_texts(&self, n: usize) -> Vec<String> {
        let mut scratch = Vec::new();
        self.ring
            .iter()
            .rev()
            .take(n)
            .map(|l| {
                let mut text = String::new();
                normalize_into(&l.raw, &mut scratch, &mut text);
                text
            })
            .collect()
    }

    /// Matches the message a terminal or a dashboard wrapped over the lines
    /// ending at `number`: the last two and the last three lines, joined with
    /// a space (a break between words) and without one (a break inside a
    /// word). Only a match that starts in the first of the joined lines and
    /// ends in the last, of a pattern the first line does not match alone,
    /// counts: anything else was found on a single line already. The hit is
    /// reported on its first line.
    ///
    /// Runs only around lines that hold a rule literal or a piece of one
    /// (`wrap_candidates`), from the ring of recent lines: no second read.
    fn match_wrapped(&mut self, number: u64) {
        self.load_wrap_parts(number);
        let parts = std::mem::take(&mut self.wrap_parts);
        let mut joined = String::new();
        for size in 2..=parts.len() {
            if (self.wrap_candidates & ((1u8 << size) - 1)) == 0 {
                continue;
            }
            let window: Vec<&WrapPart> = parts.range(parts.len() - size..).collect();
            // A break inside a word is only possible between two word
            // characters; elsewhere the line broke at a space.
            let inside_word = window.windows(2).any(|w| match w {
                [a, b] => {
                    a.text.chars().last().is_some_and(char::is_alphanumeric)
                        && b.text.chars().next().is_some_and(char::is_alphanumeric)
                }
                _ => false,
            });
            let separators: &[&str] = if inside_word { &[" ", ""] } else { &[" "] };
            for separator in separators {
                joined.clear();
                let (mut first_end, mut last_start) = (0, 0);
                for (i, part) in window.iter().enumerate() {
                    if i > 0 {
                        joined.push_str(separator);
                    }
                    last_start = joined.len();
                    joined.push_str(&part.text);
                    if i == 0 {
                        first_end = joined.len();
                    }
                }
                self.hits.clear();
                self.matcher.scan(self.catalog, &joined, &mut self.scratch, &mut self.hits);
                let hits = std::mem::take(&mut self.hits);
                let (first, vertex) = window.first().map_or((number, None), |p| (p.number, p.vertex));
                for &pref in &hits {
                    let Some(pattern) = self.catalog.rules.get(pref.rule).and_then(|r| r.patterns.get(pref.pattern))
                    else {
                        continue;
                    };
                    // A pattern that matches the first line alone was found
                    // there; joining would only let a greedy tail (`.+$`,
                    // `\S+`) run on into the next line.
                    let crosses = pattern.span(&joined).is_some_and(|m| m.start < first_end && m.end > last_start)
                        && !window.first().is_some_and(|p| pattern.is_match(&p.text));
                    let seen = self.found.get(pref.rule).and_then(Option::as_ref).is_some_and(|a| a.last_line >= first);
                    if crosses && !seen {
                        let line = ShownLine { number: first, raw: cut(&joined), text: cut(&joined) };
                        let line = if self.options.redact { self.redacted(line) } else { line };
                        let step = self.context.step_of(vertex);
                        self.consider_text(pref, line, step, &joined);
                    }
                }
                self.hits = hits;
            }
        }
        self.wrap_parts = parts;
    }

    /// Brings `wrap_parts` to the normalised texts of the run of lines that
    /// ends at `number` (at most [`WRAP_LINES`]), normalising each line once.
    fn load_wrap_parts(&mut self, number: u64) {
        let oldest = number.saturating_sub(WRAP_LINES as u64 - 1);
        self.wrap_parts.retain(|p| p.number >= oldest && p.number < number);
        let mut scratch = std::mem::take(&mut self.bytes);
        for (age, l) in self.ring.iter().rev().take(WRAP_LINES).enumerate() {
            // `\r` segments of one line share its number and are no wrap.
            if l.number + age as u64 != number {
                self.wrap_parts.retain(|p| p.number > l.number);
                break;
            }
            if self.wrap_parts.iter().any(|p| p.number == l.number) {
                continue;
            }
            let mut text = String::new();
            let meta = if l.raw.first() == Some(&b'{') {
                // A JSON record is one message, never part of a wrap.
                crate::normalize::LineMeta::default()
            } else {
                normalize_into(&l.raw, &mut scratch, &mut text)
            };
            let part = WrapPart { number: l.number, text, vertex: meta.vertex };
            let at = self.wrap_parts.iter().position(|p| p.number > l.number).unwrap_or(self.wrap_parts.len());
            self.wrap_parts.insert(at, part);
        }
        self.bytes = scratch;
        // A blank line (or a JSON record) ends a message: keep what follows it.
        if let Some(blank) = self.wrap_parts.iter().rposition(|p| p.text.is_empty()) {
            self.wrap_parts.drain(..=blank);
        }
    }

    fn consider(&mut self, pref: PatternRef, line: ShownLine, step: Option<Arc<Step>>) {
        let text = std::mem::take(&mut self.text);
        self.consider_text(pref, line, step, &text);
        self.text = text;
    }

    /// Checks a hit's `near` / `unless` conditions; `text` is the text the
    /// pattern matched, for the captures a templated condition needs.
    fn consider_text(&mut self, pref: PatternRef, line: ShownLine, step: Option<Arc<Step>>, text: &str) {
        let Some(rule) = self.catalog.rules.get(pref.rule) else { return };
        let Some(pattern) = rule.patterns.get(pref.pattern) else { return };
        if pattern.near.is_empty() && pattern.unless.is_empty() {
            let before_context = self.before_context();
            self.accept(pref, line, step, before_context);
            return;
        }
        let templated = pattern.near.iter().chain(&pattern.unless).any(|c| c.template.is_some());
        let captures = if templated { captures_of(rule, pref.pattern, text) } else { BTreeMap::new() };
        let near: Vec<MetaRegex> = pattern.near.iter().map(|c| c.resolve(&captures)).collect();
        let unless: Vec<MetaRegex> = pattern.unless.iter().map(|c| c.resolve(&captures)).collect();
        let widest = pattern.near.iter().chain(&pattern.unless).map(|c| c.before).max().unwrap_or(0);
        let recent = self.recent_texts(widest);
        let window = |before: usize| recent.iter().take(before).map(String::as_str);
        if pattern.unless.iter().zip(&unless).any(|(c, re)| window(c.before).any(|t| re.is_match(t))) {
            return;
        }
        let near_ok: Vec<bool> =
            pattern.near.iter().zip(&near).map(|(c, re)| window(c.before).any(|t| re.is_match(t))).collect();
        if pattern.near.iter().zip(&near_ok).any(|(c, ok)| !ok && c.after == 0) {
            return;
        }
        let wait = pattern
            .near
            .iter()
            .zip(&near_ok)
            .filter(|(_, ok)| !**ok)
            .map(|(c, _)| c.after)
            .chain(pattern.unless.iter().map(|c| c.after))
            .max()
            .unwrap_or(0);
        let before_context = self.before_context();
        if wait == 0 {
            self.accept(pref, line, step, before_context);
        } else if self.pending.len() < MAX_PENDING {
            let deadline = line.number + wait as u64;
            self.pending.push_back(Pending {
                pattern: pref,
                near,
                unless,
                line,
                step,
                deadline,
                near_ok,
                before_context,
            });
        }
    }

    fn before_context(&self) -> Vec<ShownLine> {
        let n = self.options.context;
        self.ring.iter().skip(self.ring.len().saturating_sub(n)).map(|l| self.shown(l.number, &l.raw)).collect()
    }

    /// Lets pending hits look at one more line; settles those that can be.
    fn advance_pending(&mut self, number: u64) {
        let text = self.text.as_str();
        let mut settled = Vec::new();
        let mut i = 0;
        while i < self.pending.len() {
            let Some(p) = self.pending.get_mut(i) else { break };
            let Some(pattern) = self.catalog.rules.get(p.pattern.rule).and_then(|r| r.patterns.get(p.pattern.pattern))
            else {
                i += 1;
                continue;
            };
            let distance = number.saturating_sub(p.line.number).max(1) as usize;
            let vetoed = pattern.unless.iter().zip(&p.unless).any(|(c, re)| distance <= c.after && re.is_match(text));
            for ((c, re), ok) in pattern.near.iter().zip(&p.near).zip(p.near_ok.iter_mut()) {
                if !*ok && distance <= c.after && re.is_match(text) {
                    *ok = true;
                }
            }
            let all_near = p.near_ok.iter().all(|ok| *ok);
            let unless_open = pattern.unless.iter().any(|c| distance < c.after);
            if vetoed {
                self.pending.remove(i);
            } else if all_near && !unless_open {
                settled.extend(self.pending.remove(i));
            } else if number >= p.deadline {
                let done = self.pending.remove(i);
                if all_near {
                    settled.extend(done);
                }
            } else {
                i += 1;
            }
        }
        for p in settled {
            self.accept(p.pattern, p.line, p.step, p.before_context);
        }
    }

    fn accept(&mut self, pref: PatternRef, line: ShownLine, step: Option<Arc<Step>>, before_context: Vec<ShownLine>) {
        let Some(rule) = self.catalog.rules.get(pref.rule) else {
            return;
        };
        let first_generic = rule.kind == Kind::Generic && self.found.get(pref.rule).is_some_and(Option::is_none);
        if first_generic && self.before_failure.is_none() {
            self.before_failure = Some(self.recent_lines());
        }
        let Some(slot) = self.found.get_mut(pref.rule) else {
            return;
        };
        // Captures come from the masked text when redacting, so no secret
        // reaches a title or a snippet through them.
        let captures = || captures_of(rule, pref.pattern, &line.text);
        let redacting = self.options.redact;
        let step = step.map(|s| shown_step(&s, redacting));
        match slot {
            Some(acc) => {
                // Two patterns of one rule on one line are one hit, whose
                // captures both may fill in.
                let same_line = acc.last_line == line.number;
                let fill = same_line || acc.finding.lines.len() <= MAX_LINES;
                if !same_line {
                    acc.finding.count += 1;
                    acc.last_line = line.number;
                    if acc.finding.lines.len() <= MAX_LINES {
                        acc.finding.lines.push(line.number);
                    }
                }
                // Fill in captures the first hits did not have.
                if fill {
                    for (k, v) in captures() {
                        acc.finding.captures.entry(k).or_insert(v);
                    }
                }
            }
            None => {
                let mut context = before_context;
                context.push(line.clone());
                if self.options.context > 0 {
                    self.context_due.push(pref.rule);
                }
                self.fresh.push(pref.rule);
                *slot = Some(Accumulator {
                    last_line: line.number,
                    context_due: self.options.context,
                    finding: Finding {
                        rule: pref.rule,
                        captures: captures(),
                        count: 1,
                        lines: vec![line.number],
                        step,
                        context,
                        consequences: Vec::new(),
                        line,
                    },
                });
            }
        }
    }

    /// Rules found for the first time since the last call, with their first
    /// line: for output that reports findings while the log is still read.
    pub fn take_fresh(&mut self) -> Vec<(usize, ShownLine)> {
        let found = &self.found;
        self.fresh
            .drain(..)
            .filter_map(|r| found.get(r).and_then(Option::as_ref).map(|a| (r, a.finding.line.clone())))
            .collect()
    }

    /// Ends the input: settles pending hits and ranks the findings.
    pub fn finish(mut self, name: String, lines: u64) -> InputReport {
        let pending = std::mem::take(&mut self.pending);
        for p in pending {
            if p.near_ok.iter().all(|ok| *ok) {
                self.accept(p.pattern, p.line, p.step, p.before_context);
            }
        }
        let findings: Vec<Finding> = std::mem::take(&mut self.found).into_iter().flatten().map(|a| a.finding).collect();
        let findings = rank(self.catalog, findings);
        let failure = self.first_summary.take().or_else(|| self.first_error.take());
        // Suspects only for a failure no specific rule explains.
        let explained = findings.iter().any(|f| {
            self.catalog.rules.get(f.rule).is_some_and(|r| r.severity == Severity::Error && r.kind == Kind::Specific)
        });
        let generic = findings.iter().any(|f| self.catalog.rules.get(f.rule).is_some_and(|r| r.kind == Kind::Generic));
        let unexplained = !explained && (failure.is_some() || generic);
        let suspects = if unexplained { self.suspects(failure.as_ref(), &findings) } else { Vec::new() };
        let baseline = self.options.baseline.as_ref().map(|b| b.name.clone());
        InputReport { name, lines, builder: self.context.builder(), findings, failure, suspects, baseline }
    }

    /// Ranks the lines kept before the failure (or, in an excerpt with no
    /// failure summary, the last lines read).
    fn suspects(&mut self, failure: Option<&FailureLine>, findings: &[Finding]) -> Vec<ShownLine> {
        let kept = self.before_failure.take().unwrap_or_else(|| self.recent_lines());
        // The failed step: where the generic failure line or the first
        // summary was printed.
        let summary = failure.filter(|f| f.signal.is_summary());
        let generic = findings.iter().find(|f| self.catalog.rules.get(f.rule).is_some_and(|r| r.kind == Kind::Generic));
        let failed_step = generic.and_then(|f| f.step.clone()).or_else(|| summary.and_then(|f| f.step.clone()));
        // The lines before the summary, then the summary itself: in an
        // excerpt it may be the only line that says anything (`failed to
        // solve: … "/go.sum": not found`); pure framing scores nothing.
        let mut scratch = Vec::new();
        let mut shown = Vec::new();
        let mut candidates = Vec::new();
        for l in kept.iter().filter(|l| summary.is_none_or(|f| l.number < f.line.number)) {
            let mut text = String::new();
            let meta = normalize_into(&l.raw, &mut scratch, &mut text);
            let step = meta.vertex.and_then(|v| self.context.step_of(Some(v)));
            candidates.push(suspects::Candidate { number: l.number, text, step });
            shown.push(l);
        }
        if let Some(f) = summary {
            let step = failed_step.clone().map(Arc::new);
            candidates.push(suspects::Candidate { number: f.line.number, text: f.line.text.clone(), step });
        }
        let order = suspects::rank(&candidates, failed_step.as_ref(), self.options.baseline.as_deref());
        order
            .into_iter()
            .filter_map(|i| match shown.get(i) {
                Some(l) => Some(self.shown(l.number, &l.raw)),
                None => summary.map(|f| f.line.clone()),
            })
            .collect()
    }
}

/// A step as shown to a person: its name and command masked when redacting.
fn shown_step(step: &Step, redacting: bool) -> Step {
    let mut s = step.clone();
    if redacting {
        s.name = redact(&s.name).into_owned();
        s.command = s.command.map(|c| redact(&c).into_owned());
    }
    s
}

/// The `message` of a JSON-object log line (`railway logs --json`, most
/// structured loggers), if the line is one.
fn json_message(bytes: &[u8]) -> Option<String> {
    let trimmed = bytes.trim_ascii();
    if trimmed.first() != Some(&b'{') || trimmed.last() != Some(&b'}') {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(trimmed).ok()?;
    let object = value.as_object()?;
    ["message", "msg", "log"].iter().find_map(|k| object.get(*k)?.as_str().map(str::to_string))
}

/// The named captures of `rule.patterns[pattern]` on `text`.
pub fn captures_of(rule: &Rule, pattern: usize, text: &str) -> BTreeMap<String, String> {
    rule.patterns.get(pattern).and_then(|p| p.captures(text)).unwrap_or_default()
}

/// Orders findings best first and folds explained ones under their cause.
pub fn rank(catalog: &Catalog, mut findings: Vec<Finding>) -> Vec<Finding> {
    // The exit status of the failed step, from the generic failure line: a
    // rule that explains that status (127, 137…) goes before other causes.
    let exit_code: Option<u16> = findings
        .iter()
        .filter(|f| catalog.rules.get(f.rule).is_some_and(|r| r.kind == Kind::Generic))
        .find_map(|f| f.captures.get("exit_code").and_then(|c| c.parse().ok()));
    // The step that failed (where the generic failure line was printed): a
    // cause found in that step goes before causes found in other steps.
    let failed_step: Option<Step> = findings
        .iter()
        .filter(|f| catalog.rules.get(f.rule).is_some_and(|r| r.kind == Kind::Generic))
        .min_by_key(|f| f.line.number)
        .and_then(|f| f.step.clone());
    let in_failed_step = |f: &Finding| match (&failed_step, &f.step) {
        (Some(failed), Some(step)) => failed.name == step.name,
        _ => true,
    };
    let key = |f: &Finding| {
        let rule = catalog.rules.get(f.rule);
        let severity = rule.map_or(Severity::Info, |r| r.severity);
        let kind = rule.map_or(Kind::Generic, |r| r.kind);
        let fits_exit = exit_code.is_some_and(|code| rule.is_some_and(|r| r.exit_codes.contains(&code)));
        (severity, kind, !fits_exit, !in_failed_step(f), f.line.number)
    };
    findings.sort_by_key(key);
    let id = |f: &Finding| catalog.rules.get(f.rule).map_or("", |r| r.id.as_str());
    // Who absorbs whom: the best-ranked finding that explains it, or for a
    // generic finding the best specific error.
    let mut parent: Vec<Option<usize>> = vec![None; findings.len()];
    for (i, f) in findings.iter().enumerate() {
        let explained_by = findings
            .iter()
            .position(|g| catalog.rules.get(g.rule).is_some_and(|r| r.explains.iter().any(|e| e == id(f))));
        let is_generic = catalog.rules.get(f.rule).is_some_and(|r| r.kind == Kind::Generic);
        let generic_parent = if is_generic {
            findings.iter().position(|g| {
                catalog.rules.get(g.rule).is_some_and(|r| r.kind == Kind::Specific && r.severity == Severity::Error)
            })
        } else {
            None
        };
        if let Some(p) = explained_by.or(generic_parent).filter(|&p| p != i) {
            if let Some(slot) = parent.get_mut(i) {
                *slot = Some(p);
            }
        }
    }
    // Follow chains to the root, guarding against explain cycles.
    let root = |mut i: usize| {
        for _ in 0..findings.len() {
            match parent.get(i).copied().flatten() {
                Some(p) => i = p,
                None => return i,
            }
        }
        i
    };
    let roots: Vec<usize> = (0..findings.len()).map(root).collect();
    let mut folded: Vec<(usize, Consequence)> = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        if let Some(&r) = roots.get(i) {
            if r != i {
                folded.push((
                    r,
                    Consequence { rule: f.rule, line: f.line.number, count: f.count, text: f.line.text.clone() },
                ));
            }
        }
    }
    for (r, c) in folded {
        if let Some(f) = findings.get_mut(r) {
            f.consequences.push(c);
        }
    }
    findings.into_iter().enumerate().filter(|(i, _)| roots.get(*i) == Some(i)).map(|(_, f)| f).collect()
}

fn display_raw(bytes: &[u8]) -> String {
    let mut scratch = Vec::new();
    let stripped = if memchr::memchr(0x1b, bytes).is_some() {
        let mut out = String::new();
        crate::normalize::strip_ansi_into(bytes, &mut scratch, &mut out);
        out
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    };
    cut(stripped.trim_end())
}

fn cut(s: &str) -> String {
    match s.char_indices().nth(KEEP_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
