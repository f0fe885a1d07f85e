//! The front door: [`Engine::read`] turns one input (any reader) into an
//! [`InputReport`]. Everything that diagnoses a log goes through it: the
//! command line, `rules test`, the tests and the fuzz targets.
//!
//! ```
//! use buildmedic::{Catalog, Engine, Options, Status};
//!
//! let catalog = Catalog::load(&[]).expect("the embedded catalogue loads");
//! let engine = Engine::new(&catalog, Options::default());
//! let log = "#9 0.834 error: externally-managed-environment\n";
//! let input = engine.read("build.log", &mut log.as_bytes(), &mut ());
//! let report = buildmedic::rank::assemble(&catalog, vec![input]);
//! assert_eq!(report.status, Status::Failed);
//! let top = catalog.rule(report.findings[0].finding.rule).expect("a rule");
//! assert_eq!(top.id, "python/externally-managed-environment");
//! ```
//!
//! Per line, the stages are: the literal gate over the whole chunk
//! (`matcher`), normalisation of the lines it marks (`normalize`), the
//! build context (`context`), the rules' patterns (`matcher`), their
//! windows (`window`), failure signals (`failure`), and, at the end, the
//! ranking (`rank`) and the suspects (`suspects`). Memory is bounded
//! whatever the log: one accumulator per rule, the ring of recent lines,
//! and the windows' bounded queues.

use crate::catalog::{Catalog, Kind, Rule, Severity};
use crate::context::{Context, Step};
use crate::failure::{self, Signal, Watch};
use crate::finding::{Finding, InputReport, RuleIndex, ShownLine};
use crate::input::{for_each_chunk, Chunk, RawLine, MAX_LINE};
use crate::matcher::{Matcher, PatternRef, Scratch, Words};
use crate::normalize::{self, normalize_into};
use crate::redact::redact;
use crate::suspects::{self, Baseline};
use crate::window::{Recent, RingLine, Settled, Verdict, Windows};
use std::collections::{BTreeMap, VecDeque};
use std::io::Read;
use std::ops::ControlFlow;
use std::sync::Arc;

/// Further line numbers kept per finding besides the first.
const MAX_LINES: usize = 8;
/// Characters of a line kept for display and for context windows.
const KEEP_CHARS: usize = 4096;
/// Consecutive lines a wrapped message may span.
const WRAP_LINES: usize = 3;

/// The words besides the rules' literals that make the engine read a line.
pub const WORDS: Words<'static> =
    Words { context: crate::context::TRIGGERS, errors: failure::ERROR_WORDS, failure: failure::TRIGGERS };

/// How the engine reads.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Lines of context kept on each side of a finding's first hit.
    pub context: usize,
    /// Mask secrets in every line, capture and step kept for output.
    pub redact: bool,
    /// The log of a good build: its lines are never suspects.
    pub baseline: Option<Arc<Baseline>>,
}

/// What the engine tells its caller while an input is read.
pub trait Events {
    /// A rule matched for the first time in this input (the first hit is
    /// `line`): for output that reports findings as they happen.
    fn found(&mut self, _rule: RuleIndex, _line: &ShownLine) {}

    /// Whether to stop reading now (Ctrl-C); what was read is diagnosed.
    fn stop(&mut self) -> bool {
        false
    }

    /// Whether the caller wants [`found`](Events::found) calls at all.
    fn wants_found(&self) -> bool {
        false
    }
}

/// No events: read to the end, say nothing on the way.
impl Events for () {}

/// A catalogue made ready to read logs with.
pub struct Engine<'c> {
    catalog: &'c Catalog,
    matcher: Matcher,
    options: Options,
}

impl<'c> Engine<'c> {
    /// Builds the matcher for `catalog`.
    pub fn new(catalog: &'c Catalog, options: Options) -> Engine<'c> {
        Engine { catalog, matcher: Matcher::new(catalog, WORDS), options }
    }

    /// Every literal the line gate searches for (sorted, distinct): a line
    /// holding none of them is only copied into the ring of recent lines.
    pub fn literals(&self) -> Vec<Vec<u8>> {
        self.matcher.literals()
    }

    /// The catalogue the engine reads with.
    pub fn catalog(&self) -> &'c Catalog {
        self.catalog
    }

    /// Reads `input` to its end (or until `events` says stop) and
    /// diagnoses it. A read error ends the input early: what was read
    /// before it is diagnosed, and the error is in
    /// [`InputReport::read_error`].
    pub fn read(&self, name: &str, input: &mut dyn Read, events: &mut dyn Events) -> InputReport {
        let mut reading = Reading::new(self);
        let wants_found = events.wants_found();
        let (summary, error) = for_each_chunk(input, |chunk| {
            if events.stop() {
                return ControlFlow::Break(());
            }
            reading.feed_chunk(chunk);
            if wants_found {
                for (rule, line) in reading.found.take_fresh() {
                    events.found(rule, &line);
                }
            }
            ControlFlow::Continue(())
        });
        let mut report = reading.finish(name.to_string(), summary.lines);
        report.read_error = error.map(Arc::new);
        report
    }
}

/// What is known of one rule's finding while the input is read.
struct Accumulator {
    finding: Finding,
    /// The line of the latest hit: a wrapped window that starts there or
    /// before is the same message again.
    last_line: u64,
    /// Lines of trailing context still to collect.
    context_due: usize,
}

/// The findings of one input as they accumulate: one slot per rule.
struct Found {
    slots: Vec<Option<Accumulator>>,
    /// Rules first found since the last `take_fresh`.
    fresh: Vec<RuleIndex>,
    /// Rules whose finding still collects trailing context.
    context_due: Vec<RuleIndex>,
}

impl Found {
    fn slot(&self, rule: RuleIndex) -> Option<&Accumulator> {
        self.slots.get(rule.0).and_then(Option::as_ref)
    }

    /// Rules found for the first time since the last call, with their first line.
    fn take_fresh(&mut self) -> Vec<(RuleIndex, ShownLine)> {
        let slots = &self.slots;
        self.fresh
            .drain(..)
            .filter_map(|r| slots.get(r.0).and_then(Option::as_ref).map(|a| (r, a.finding.line.clone())))
            .collect()
    }

    /// Gives the findings that collect trailing context one more line.
    fn trailing(&mut self, line: &ShownLine) {
        let slots = &mut self.slots;
        self.context_due.retain(|&r| {
            let Some(Some(acc)) = slots.get_mut(r.0) else {
                return false;
            };
            acc.finding.context.push(line.clone());
            acc.context_due = acc.context_due.saturating_sub(1);
            acc.context_due > 0
        });
    }
}

/// One input being read: the state between chunks.
struct Reading<'e> {
    catalog: &'e Catalog,
    matcher: &'e Matcher,
    options: &'e Options,
    context: Context,
    recent: Recent,
    windows: Windows,
    found: Found,
    watch: Watch,
    wraps: Wraps,
    /// The vertex of the last line that had one, to spot new vertices.
    last_vertex: Option<u32>,
    /// Reused buffers: a chunk without ANSI codes, the marked and glanced
    /// line starts of a chunk, a line's bytes and text, its hits.
    clean: Vec<u8>,
    marks: Vec<usize>,
    glances: Vec<usize>,
    scratch: Scratch,
    bytes: Vec<u8>,
    text: String,
    hits: Vec<PatternRef>,
}

/// Windows of wrapped lines: which of the last lines hold a rule literal or
/// a piece of one, and their normalised texts.
#[derive(Default)]
struct Wraps {
    /// Whether each of the last [`WRAP_LINES`] lines held a rule literal or
    /// a piece of one (bit 0: the newest; see `Matcher::scan`): windows of
    /// wrapped lines are matched only around such lines.
    candidates: u8,
    /// Whether the line being read held one.
    touched: bool,
    /// The normalised last lines, oldest first.
    parts: VecDeque<WrapPart>,
}

/// One line of a window of possibly wrapped lines.
struct WrapPart {
    number: u64,
    text: String,
    vertex: Option<u32>,
}

impl Wraps {
    /// Ends a line: shifts in whether it held a literal; true when a
    /// window ending at it is worth matching.
    fn end_line(&mut self) -> bool {
        let window = (1u8 << WRAP_LINES) - 1;
        self.candidates = ((self.candidates << 1) | u8::from(self.touched)) & window;
        self.touched = false;
        self.candidates != 0
    }

    /// Brings `parts` to the normalised texts of the run of lines that ends
    /// at `number` (at most [`WRAP_LINES`]), normalising each line once.
    fn load(&mut self, recent: &Recent, number: u64, scratch: &mut Vec<u8>) {
        let oldest = number.saturating_sub(WRAP_LINES as u64 - 1);
        self.parts.retain(|p| p.number >= oldest && p.number < number);
        for (age, l) in recent.newest_first().take(WRAP_LINES).enumerate() {
            // `\r` segments of one line share its number and are no wrap.
            if l.number + age as u64 != number {
                self.parts.retain(|p| p.number > l.number);
                break;
            }
            if self.parts.iter().any(|p| p.number == l.number) {
                continue;
            }
            let mut text = String::new();
            let meta = if l.raw.first() == Some(&b'{') {
                // A JSON record is one message, never part of a wrap.
                normalize::LineMeta::default()
            } else {
                normalize_into(&l.raw, scratch, &mut text)
            };
            let part = WrapPart { number: l.number, text, vertex: meta.vertex };
            let at = self.parts.iter().position(|p| p.number > l.number).unwrap_or(self.parts.len());
            self.parts.insert(at, part);
        }
        // A blank line (or a JSON record) ends a message: keep what follows it.
        if let Some(blank) = self.parts.iter().rposition(|p| p.text.is_empty()) {
            self.parts.drain(..=blank);
        }
    }
}

impl<'e> Reading<'e> {
    fn new(engine: &'e Engine<'_>) -> Reading<'e> {
        let catalog = engine.catalog;
        let widest = catalog.rules.iter().map(Rule::max_before).max().unwrap_or(0);
        let ring = widest.max(engine.options.context).max(WRAP_LINES).max(suspects::WINDOW);
        Reading {
            catalog,
            matcher: &engine.matcher,
            options: &engine.options,
            context: Context::default(),
            recent: Recent::new(ring),
            windows: Windows::default(),
            found: Found {
                slots: (0..catalog.rules.len()).map(|_| None).collect(),
                fresh: Vec::new(),
                context_due: Vec::new(),
            },
            watch: Watch::default(),
            wraps: Wraps::default(),
            last_vertex: None,
            clean: Vec::new(),
            marks: Vec::new(),
            glances: Vec::new(),
            scratch: Scratch::default(),
            bytes: Vec::new(),
            text: String::with_capacity(256),
            hits: Vec::new(),
        }
    }

    /// Feeds a chunk of whole lines: the fast path.
    ///
    /// One literal search over the chunk marks the lines that contain any
    /// rule's required literal or any trigger of the build context; only
    /// those (and lines that waiting hits or trailing context need, new
    /// BuildKit vertices, JSON lines and lines with a `\r`) are normalised
    /// and matched. Lines with only an error-looking word get a glance for
    /// failure signals. Every other line costs a newline search and a copy
    /// into the ring of recent lines.
    fn feed_chunk(&mut self, chunk: Chunk<'_>) {
        if chunk.truncated {
            self.feed_line(chunk.first_line, chunk.bytes, true);
            self.wraps.candidates = 0;
            self.wraps.touched = false;
            return;
        }
        let mut clean = std::mem::take(&mut self.clean);
        let text: &[u8] = if memchr::memchr(0x1b, chunk.bytes).is_some() {
            normalize::strip_ansi_keep_lines(chunk.bytes, &mut clean);
            &clean
        } else {
            chunk.bytes
        };
        let mut marks = std::mem::take(&mut self.marks);
        let mut glances = std::mem::take(&mut self.glances);
        let every_line = self.matcher.mark_lines(text, &mut marks, &mut glances);
        let mut next_mark = marks.iter().copied().peekable();
        let mut next_glance = glances.iter().copied().peekable();
        let has_cr = memchr::memchr(b'\r', text).is_some();
        let mut pos = 0;
        let mut number = chunk.first_line;
        while pos < text.len() {
            let end = memchr::memchr(b'\n', text.get(pos..).unwrap_or_default()).map_or(text.len(), |i| pos + i);
            let line = text.get(pos..end).unwrap_or_default();
            let marked = next_mark.next_if_eq(&pos).is_some();
            let glanced = next_glance.next_if_eq(&pos).is_some();
            let slow = marked
                || every_line
                || self.windows.waiting()
                || !self.found.context_due.is_empty()
                || line.first() == Some(&b'{')
                || (has_cr && memchr::memchr(b'\r', line).is_some())
                || self.new_vertex(line);
            if slow {
                self.feed_line(number, line, false);
            } else if glanced {
                self.glance(number, line.get(..line.len().min(MAX_LINE)).unwrap_or_default());
            } else {
                self.recent.push(number, line);
            }
            if self.wraps.end_line() {
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
        let Some(v) = normalize::vertex_of(line) else { return false };
        if self.last_vertex == Some(v) {
            return false;
        }
        self.last_vertex = Some(v);
        !self.context.knows_vertex(v)
    }

    /// Feeds one whole line, segment by segment (`\r` redraws), each cut at
    /// [`MAX_LINE`].
    fn feed_line(&mut self, number: u64, line: &[u8], truncated: bool) {
        for segment in normalize::segments(line) {
            let len = segment.len().min(MAX_LINE);
            let cut = truncated || segment.len() > MAX_LINE;
            self.feed(RawLine { number, bytes: segment.get(..len).unwrap_or_default(), truncated: cut });
        }
    }

    /// Feeds one line segment; a JSON record's `message` (possibly several
    /// lines of it) stands for the record.
    fn feed(&mut self, line: RawLine<'_>) {
        if let Some(message) = normalize::json_message(line.bytes) {
            for part in message.split('\n') {
                self.feed_segment(RawLine { number: line.number, bytes: part.as_bytes(), truncated: line.truncated });
            }
            return;
        }
        self.feed_segment(line);
    }

    /// The full pipeline for one segment.
    fn feed_segment(&mut self, line: RawLine<'_>) {
        let meta = normalize_into(line.bytes, &mut self.bytes, &mut self.text);
        let step = self.context.observe(&self.text, meta);
        self.hits.clear();
        self.wraps.touched = self.matcher.scan(self.catalog, &self.text, &mut self.scratch, &mut self.hits);
        // A line that a warning or info rule explains is known noise, not a
        // failure, however it looks.
        let catalog = self.catalog;
        let noise = !self.hits.is_empty()
            && self.hits.iter().all(|h| catalog.rule(h.rule).is_some_and(|r| r.severity != Severity::Error));
        let signal = if noise { None } else { failure::detect(&self.text) };
        let needed = !self.hits.is_empty() || signal.is_some() || !self.found.context_due.is_empty();
        if needed {
            let this = self.shown_as(line.number, line.bytes, &self.text);
            // Trailing context sees this line first.
            self.found.trailing(&this);
            self.advance_windows(line.number);
            let hits = std::mem::take(&mut self.hits);
            let text = std::mem::take(&mut self.text);
            for &pref in &hits {
                self.consider(pref, this.clone(), step.clone(), &text);
            }
            self.text = text;
            self.hits = hits;
            if let Some(signal) = signal {
                self.failure_seen(signal, this, step);
            }
        } else {
            self.advance_windows(line.number);
        }
        self.recent.push(line.number, line.bytes);
    }

    fn advance_windows(&mut self, number: u64) {
        if self.windows.waiting() {
            for settled in self.windows.advance(self.catalog, number, &self.text) {
                self.accept(settled);
            }
        }
    }

    /// Notes a failure signal.
    fn failure_seen(&mut self, signal: Signal, line: ShownLine, step: Option<Arc<Step>>) {
        let step = step.map(|s| shown_step(&s, self.options.redact));
        self.watch.seen(signal, line, step, &self.recent);
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
        self.recent.push(number, line);
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
            redacted(shown)
        } else {
            shown
        }
    }

    /// Judges a hit by its windows; `text` is the text the pattern matched.
    fn consider(&mut self, pref: PatternRef, line: ShownLine, step: Option<Arc<Step>>, text: &str) {
        let n = self.options.context;
        let redacting = self.options.redact;
        let before = |recent: &Recent| before_context(recent, n, redacting);
        match self.windows.consider(self.catalog, &mut self.recent, (pref, line.clone(), step.clone()), text, before) {
            Verdict::Accept => self.accept(Settled { pattern: pref, line, step, before: None }),
            Verdict::Reject | Verdict::Wait => {}
        }
    }

    /// Counts a hit whose conditions hold. `hit.before` is the `--context`
    /// before a hit that waited; for one accepted at once it is taken now,
    /// and only when the hit is the rule's first.
    fn accept(&mut self, hit: Settled) {
        let Settled { pattern: pref, line, step, before } = hit;
        let Some(rule) = self.catalog.rule(pref.rule) else {
            return;
        };
        let first = self.found.slot(pref.rule).is_none();
        if first && rule.kind == Kind::Generic {
            self.watch.keep_before(&self.recent);
        }
        let redacting = self.options.redact;
        // Captures come from the masked text when redacting, so no secret
        // reaches a title or a snippet through them.
        let captures = || captures_of(rule, pref.pattern, &line.text);
        if !first {
            let Some(Some(acc)) = self.found.slots.get_mut(pref.rule.0) else { return };
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
            return;
        }
        let mut context = before.unwrap_or_else(|| before_context(&self.recent, self.options.context, redacting));
        context.push(line.clone());
        if self.options.context > 0 {
            self.found.context_due.push(pref.rule);
        }
        self.found.fresh.push(pref.rule);
        let finding = Finding {
            rule: pref.rule,
            captures: captures(),
            count: 1,
            lines: vec![line.number],
            step: step.map(|s| shown_step(&s, redacting)),
            context,
            consequences: Vec::new(),
            line,
        };
        if let Some(slot) = self.found.slots.get_mut(pref.rule.0) {
            *slot = Some(Accumulator { last_line: finding.line.number, context_due: self.options.context, finding });
        }
    }

    /// Matches the message a terminal or a dashboard wrapped over the lines
    /// ending at `number`: the last two and the last three lines, joined with
    /// a space (a break between words) and without one (a break inside a
    /// word). Only a match that starts in the first of the joined lines and
    /// ends in the last, of a pattern the first line does not match alone,
    /// counts: anything else was found on a single line already. The hit is
    /// reported on its first line.
    ///
    /// Runs only around lines that hold a rule literal or a piece of one,
    /// from the ring of recent lines: no second read.
    fn match_wrapped(&mut self, number: u64) {
        self.wraps.load(&self.recent, number, &mut self.bytes);
        let parts = std::mem::take(&mut self.wraps.parts);
        let mut joined = String::new();
        for size in 2..=parts.len() {
            if (self.wraps.candidates & ((1u8 << size) - 1)) == 0 {
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
                    let Some(pattern) = self.catalog.rule(pref.rule).and_then(|r| r.patterns.get(pref.pattern)) else {
                        continue;
                    };
                    // A pattern that matches the first line alone was found
                    // there; joining would only let a greedy tail (`.+$`,
                    // `\S+`) run on into the next line.
                    let crosses = pattern.span(&joined).is_some_and(|m| m.start < first_end && m.end > last_start)
                        && !window.first().is_some_and(|p| pattern.is_match(&p.text));
                    let seen = self.found.slot(pref.rule).is_some_and(|a| a.last_line >= first);
                    if crosses && !seen {
                        let line = ShownLine { number: first, raw: cut(&joined), text: cut(&joined) };
                        let line = if self.options.redact { redacted(line) } else { line };
                        let step = self.context.step_of(vertex);
                        self.consider(pref, line, step, &joined);
                    }
                }
                self.hits = hits;
            }
        }
        self.wraps.parts = parts;
    }

    /// Ends the input: settles waiting hits, ranks the findings and, for a
    /// failure no specific rule explains, picks the suspects.
    fn finish(mut self, name: String, lines: u64) -> InputReport {
        for settled in self.windows.finish() {
            self.accept(settled);
        }
        let catalog = self.catalog;
        let findings: Vec<Finding> =
            std::mem::take(&mut self.found.slots).into_iter().flatten().map(|a| a.finding).collect();
        let findings = crate::rank::rank_input(catalog, findings);
        let failure = self.watch.failure();
        let explained = findings
            .iter()
            .any(|f| catalog.rule(f.rule).is_some_and(|r| r.severity == Severity::Error && r.kind == Kind::Specific));
        let generic = findings.iter().any(|f| catalog.rule(f.rule).is_some_and(|r| r.kind == Kind::Generic));
        let unexplained = !explained && (failure.is_some() || generic);
        let suspects = if unexplained { self.suspects(failure.as_ref(), &findings) } else { Vec::new() };
        let baseline = self.options.baseline.as_ref().map(|b| b.name.clone());
        InputReport {
            name,
            lines,
            builder: self.context.builder(),
            findings,
            failure,
            suspects,
            baseline,
            read_error: None,
        }
    }

    /// Ranks the lines kept before the failure (or, in an excerpt with no
    /// failure summary, the last lines read).
    fn suspects(&mut self, failure: Option<&crate::finding::FailureLine>, findings: &[Finding]) -> Vec<ShownLine> {
        let kept: Vec<RingLine> = self.watch.before(&self.recent);
        // The failed step: where the generic failure line or the first
        // summary was printed.
        let summary = failure.filter(|f| f.signal.is_summary());
        let generic = findings.iter().find(|f| self.catalog.rule(f.rule).is_some_and(|r| r.kind == Kind::Generic));
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

/// The `--context` lines before a hit: the last `n` lines read, as shown.
fn before_context(recent: &Recent, n: usize, redacting: bool) -> Vec<ShownLine> {
    let mut scratch = Vec::new();
    recent
        .last(n)
        .map(|l| {
            let mut text = String::new();
            normalize_into(&l.raw, &mut scratch, &mut text);
            let shown = ShownLine { number: l.number, raw: display_raw(&l.raw), text: cut(&text) };
            if redacting {
                redacted(shown)
            } else {
                shown
            }
        })
        .collect()
}

fn redacted(mut shown: ShownLine) -> ShownLine {
    shown.raw = redact(&shown.raw).into_owned();
    shown.text = redact(&shown.text).into_owned();
    shown
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

/// The named captures of `rule.patterns[pattern]` on `text`.
pub fn captures_of(rule: &Rule, pattern: usize, text: &str) -> BTreeMap<String, String> {
    rule.patterns.get(pattern).and_then(|p| p.captures(text)).unwrap_or_default()
}

/// A line's bytes as shown: ANSI codes removed, decoded, cut.
fn display_raw(bytes: &[u8]) -> String {
    let mut scratch = Vec::new();
    let stripped = if memchr::memchr(0x1b, bytes).is_some() {
        let mut out = String::new();
        normalize::strip_ansi_into(bytes, &mut scratch, &mut out);
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
