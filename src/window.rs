//! The two windows a hit is judged in: the lines before it ([`Recent`], a
//! ring of the last lines read) and the lines after it ([`Windows`], hits
//! waiting for their `near` / `unless` conditions to be settled).
//!
//! Memory is bounded whatever the log: the ring holds as many lines as the
//! widest `before` window or `--context` needs, each cut at [`KEEP_BYTES`];
//! at most [`MAX_PENDING`] hits wait; templated conditions are compiled
//! once per capture set and kept in a small cache.

use crate::catalog::rule::MetaRegex;
use crate::catalog::{Catalog, Condition, Pattern};
use crate::context::Step;
use crate::finding::ShownLine;
use crate::matcher::PatternRef;
use crate::normalize::normalize_into;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

/// Bytes of a line kept in the ring of recent lines.
pub const KEEP_BYTES: usize = 2 * 1024;
/// Hits waiting for an `after` window, at most.
pub const MAX_PENDING: usize = 4096;
/// Compiled templated conditions kept, at most (the cache is emptied when
/// full: a log of endlessly distinct captures compiles, never grows).
const MAX_COMPILED: usize = 256;

/// One line in the ring: as read (ANSI codes kept), cut at [`KEEP_BYTES`],
/// with its normalised text once something asked for it.
#[derive(Debug, Clone)]
pub struct RingLine {
    /// Its 1-based line number.
    pub number: u64,
    /// The bytes as read, cut.
    pub raw: Vec<u8>,
    text: Option<String>,
}

impl RingLine {
    /// A line to rank or show later, from its bytes.
    pub fn new(number: u64, raw: &[u8]) -> RingLine {
        RingLine { number, raw: raw.to_vec(), text: None }
    }
}

/// The last lines read, oldest first.
#[derive(Debug)]
pub struct Recent {
    ring: VecDeque<RingLine>,
    size: usize,
    scratch: Vec<u8>,
}

impl Recent {
    /// A ring of `size` lines.
    pub fn new(size: usize) -> Recent {
        Recent { ring: VecDeque::with_capacity(size), size, scratch: Vec::new() }
    }

    /// Puts a line in, reusing the oldest line's buffer.
    pub fn push(&mut self, number: u64, bytes: &[u8]) {
        let mut raw = if self.ring.len() >= self.size {
            self.ring.pop_front().map(|l| l.raw).unwrap_or_default()
        } else {
            Vec::new()
        };
        raw.clear();
        raw.extend_from_slice(bytes.get(..bytes.len().min(KEEP_BYTES)).unwrap_or_default());
        self.ring.push_back(RingLine { number, raw, text: None });
    }

    /// The last `n` lines, oldest first.
    pub fn last(&self, n: usize) -> impl Iterator<Item = &RingLine> {
        self.ring.iter().skip(self.ring.len().saturating_sub(n))
    }

    /// A copy of the last `n` lines, oldest first.
    pub fn snapshot(&self, n: usize) -> Vec<RingLine> {
        self.last(n).cloned().collect()
    }

    /// The newest first: for windows that look back from a hit.
    pub fn newest_first(&self) -> impl Iterator<Item = &RingLine> {
        self.ring.iter().rev()
    }

    /// Normalises the last `n` lines once each, so windows can read them.
    fn normalise_last(&mut self, n: usize) {
        let skip = self.ring.len().saturating_sub(n);
        for line in self.ring.iter_mut().skip(skip).filter(|l| l.text.is_none()) {
            let mut text = String::new();
            normalize_into(&line.raw, &mut self.scratch, &mut text);
            line.text = Some(text);
        }
    }

    /// The normalised text of the last `n` lines, newest first.
    fn texts(&mut self, n: usize) -> impl Iterator<Item = &str> {
        self.normalise_last(n);
        self.ring.iter().rev().take(n).map(|l| l.text.as_deref().unwrap_or_default())
    }
}

/// A hit whose conditions are settled, ready to be accepted.
#[derive(Debug)]
pub struct Settled {
    /// The pattern that hit.
    pub pattern: PatternRef,
    /// The line it hit.
    pub line: ShownLine,
    /// The step of that line.
    pub step: Option<Arc<Step>>,
    /// `--context` lines before the hit, taken when it was queued (a hit
    /// accepted at once takes them when it is the rule's first).
    pub before: Option<Vec<ShownLine>>,
}

struct Pending {
    hit: Settled,
    /// The pattern's `near` and `unless` regexes, resolved for this hit.
    near: Arc<[MetaRegex]>,
    unless: Arc<[MetaRegex]>,
    /// Last line number that can still settle a condition.
    deadline: u64,
    /// Which `near` conditions have been seen so far.
    near_ok: Vec<bool>,
}

/// What [`Windows::consider`] decided about a hit.
pub enum Verdict {
    /// Every condition holds: accept it now.
    Accept,
    /// A condition rules it out.
    Reject,
    /// It waits for lines after it (it was queued).
    Wait,
}

/// The resolved `near` and `unless` regexes of one pattern for one hit.
type Resolved = (Arc<[MetaRegex]>, Arc<[MetaRegex]>);

/// Hits waiting for the lines after them, and the compiled conditions of
/// templated patterns.
#[derive(Default)]
pub struct Windows {
    pending: VecDeque<Pending>,
    /// Templated conditions by pattern and capture values.
    compiled: HashMap<(PatternRef, Vec<String>), Resolved>,
}

impl Windows {
    /// Whether any hit is waiting (then every line must be read).
    pub fn waiting(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Judges a hit of `pattern` by the lines before it; queues it when it
    /// must wait for lines after it. `text` is the text the pattern matched
    /// (for the captures a templated condition needs); `before` makes the
    /// hit's `--context` lines, called only when the hit is kept.
    pub fn consider(
        &mut self,
        catalog: &Catalog,
        recent: &mut Recent,
        hit: (PatternRef, ShownLine, Option<Arc<Step>>),
        text: &str,
        before: impl FnOnce(&Recent) -> Vec<ShownLine>,
    ) -> Verdict {
        let (pref, line, step) = hit;
        let Some(pattern) = catalog.rule(pref.rule).and_then(|r| r.patterns.get(pref.pattern)) else {
            return Verdict::Reject;
        };
        if pattern.near.is_empty() && pattern.unless.is_empty() {
            return Verdict::Accept;
        }
        let widest = pattern.near.iter().chain(&pattern.unless).map(|c| c.before).max().unwrap_or(0);
        recent.normalise_last(widest);
        let seen = |recent: &mut Recent, c: &Condition, re: &MetaRegex| recent.texts(c.before).any(|t| re.is_match(t));
        // A templated condition is compiled (once per capture set) only when
        // it can hold: when it waits for lines after the hit, or when its
        // untemplated form (placeholders as `.+?`) matches a line before it.
        // Most hits never need it.
        let templated = pattern.near.iter().chain(&pattern.unless).any(|c| c.template.is_some());
        let captures = if templated { pattern.captures(text).unwrap_or_default() } else { BTreeMap::new() };
        let templated_needed = templated
            && (captures.values().any(String::is_empty)
                || pattern.near.iter().chain(&pattern.unless).any(|c| {
                    c.template.is_some() && (c.after > 0 || c.regex.get().is_some_and(|re| seen(recent, c, re)))
                }));
        let (near, unless) = if templated_needed {
            self.resolved(pref, pattern, captures)
        } else {
            let plain = |cs: &[Condition]| -> Arc<[MetaRegex]> { cs.iter().map(|c| c.regex.or_never()).collect() };
            (plain(&pattern.near), plain(&pattern.unless))
        };
        let holds = |recent: &mut Recent, c: &Condition, re: &MetaRegex| {
            if c.template.is_some() && !templated_needed {
                false
            } else {
                seen(recent, c, re)
            }
        };
        if pattern.unless.iter().zip(unless.iter()).any(|(c, re)| holds(recent, c, re)) {
            return Verdict::Reject;
        }
        let near_ok: Vec<bool> = pattern.near.iter().zip(near.iter()).map(|(c, re)| holds(recent, c, re)).collect();
        if pattern.near.iter().zip(&near_ok).any(|(c, ok)| !ok && c.after == 0) {
            return Verdict::Reject;
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
        if wait == 0 {
            return Verdict::Accept;
        }
        if self.pending.len() >= MAX_PENDING {
            return Verdict::Reject;
        }
        let deadline = line.number + wait as u64;
        let before = before(recent);
        self.pending.push_back(Pending {
            hit: Settled { pattern: pref, line, step, before: Some(before) },
            near,
            unless,
            deadline,
            near_ok,
        });
        Verdict::Wait
    }

    /// The `near` and `unless` regexes of `pattern` for the captures of
    /// `text`, compiled once per capture set.
    fn resolved(&mut self, pref: PatternRef, pattern: &Pattern, captures: BTreeMap<String, String>) -> Resolved {
        let key = (pref, captures.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>());
        if let Some(found) = self.compiled.get(&key) {
            return found.clone();
        }
        let resolve = |cs: &[Condition]| -> Arc<[MetaRegex]> { cs.iter().map(|c| c.resolve(&captures)).collect() };
        let value = (resolve(&pattern.near), resolve(&pattern.unless));
        if self.compiled.len() >= MAX_COMPILED {
            self.compiled.clear();
        }
        self.compiled.insert(key, value.clone());
        value
    }

    /// Lets waiting hits look at line `number` (normalised: `text`);
    /// returns those it settles, in the order they were seen.
    pub fn advance(&mut self, catalog: &Catalog, number: u64, text: &str) -> Vec<Settled> {
        let mut settled = Vec::new();
        let mut i = 0;
        while i < self.pending.len() {
            let Some(p) = self.pending.get_mut(i) else { break };
            let pref = p.hit.pattern;
            let Some(pattern) = catalog.rule(pref.rule).and_then(|r| r.patterns.get(pref.pattern)) else {
                i += 1;
                continue;
            };
            let distance = number.saturating_sub(p.hit.line.number).max(1) as usize;
            let vetoed =
                pattern.unless.iter().zip(p.unless.iter()).any(|(c, re)| distance <= c.after && re.is_match(text));
            for ((c, re), ok) in pattern.near.iter().zip(p.near.iter()).zip(p.near_ok.iter_mut()) {
                if !*ok && distance <= c.after && re.is_match(text) {
                    *ok = true;
                }
            }
            let all_near = p.near_ok.iter().all(|ok| *ok);
            let unless_open = pattern.unless.iter().any(|c| distance < c.after);
            if vetoed {
                self.pending.remove(i);
            } else if all_near && !unless_open {
                settled.extend(self.pending.remove(i).map(|p| p.hit));
            } else if number >= p.deadline {
                let done = self.pending.remove(i);
                if all_near {
                    settled.extend(done.map(|p| p.hit));
                }
            } else {
                i += 1;
            }
        }
        settled
    }

    /// The input ended: the waiting hits whose `near` conditions all held.
    pub fn finish(&mut self) -> Vec<Settled> {
        std::mem::take(&mut self.pending)
            .into_iter()
            .filter(|p| p.near_ok.iter().all(|ok| *ok))
            .map(|p| p.hit)
            .collect()
    }
}
