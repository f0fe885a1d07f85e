//! One-pass multi-rule matching.
//!
//! Cost model: every pattern of every rule has a set of required literals
//! (`catalog::literal`). All literals go into one Aho-Corasick automaton, so
//! a line is scanned once whatever the number of rules; only the patterns
//! whose literal occurs in the line run their regex, and captures are left
//! to the caller, which needs them only for the hits it keeps. Patterns
//! without a usable literal (user rules may have them) run on every line.

use crate::catalog::Catalog;
use crate::finding::RuleIndex;
use aho_corasick::AhoCorasick;

/// A pattern of a rule: `catalog.rules[rule].patterns[pattern]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PatternRef {
    /// The rule.
    pub rule: RuleIndex,
    /// The pattern's place among the rule's patterns.
    pub pattern: usize,
}

/// The words besides the rules' literals that make a line worth reading,
/// handed to [`Matcher::new`] by whoever reads those lines.
#[derive(Debug, Clone, Copy)]
pub struct Words<'w> {
    /// Lines the build context reads hold one of these (exact spelling).
    pub context: &'w [&'w str],
    /// Error-looking words, lower case: found in lower, title and upper case.
    pub errors: &'w [&'w str],
    /// Failure triggers, exact spelling.
    pub failure: &'w [&'w str],
}

/// The literal gate and the pattern index of a catalogue: which lines to read, and which regexes to run on them.
#[derive(Debug)]
pub struct Matcher {
    /// Every literal that makes a line worth reading (the rules' required
    /// literals, the build context's triggers, and error-looking words), in
    /// packed (Teddy) searchers of at most 64 literals each.
    triggers: Vec<aho_corasick::packed::Searcher>,
    /// Error-looking words and failure triggers (three spellings each):
    /// lines worth a glance, in packed searchers like `triggers`.
    glance: Vec<aho_corasick::packed::Searcher>,
    patterns: Vec<PatternRef>,
    automaton: Option<AhoCorasick>,
    /// For each automaton literal, the flat indices of the patterns needing it.
    owners: Vec<Vec<usize>>,
    /// Flat indices of patterns that must be tried on every line.
    always: Vec<usize>,
    /// Every word of `triggers` and `glance`, sorted and distinct.
    literals: Vec<Vec<u8>>,
}

/// Per-reader scratch space, so matching allocates nothing per line.
#[derive(Debug, Default)]
pub struct Scratch {
    stamp: Vec<u32>,
    generation: u32,
    candidates: Vec<usize>,
}

impl Matcher {
    /// Builds the literal gate and the pattern index for `catalog`.
    pub fn new(catalog: &Catalog, words: Words<'_>) -> Matcher {
        let mut patterns = Vec::new();
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (r, rule) in catalog.rules.iter().enumerate() {
            for (p, pattern) in rule.patterns.iter().enumerate() {
                let flat = patterns.len();
                patterns.push(PatternRef { rule: RuleIndex(r), pattern: p });
                match &pattern.literals {
                    Some(set) if !set.is_empty() => {
                        for lit in set {
                            match literals.iter().position(|l| l == lit) {
                                Some(i) => owners.get_mut(i).into_iter().for_each(|o| o.push(flat)),
                                None => {
                                    literals.push(lit.clone());
                                    owners.push(vec![flat]);
                                }
                            }
                        }
                    }
                    _ => always.push(flat),
                }
            }
        }
        // The pieces of literals that mark a wrapped line go into the
        // automaton too, owned by no pattern: finding one tells the reader
        // that the line may hold the start or the end of a wrapped message.
        let pieces: Vec<Vec<u8>> = literals.iter().flat_map(|l| wrap_triggers(l)).collect();
        for piece in pieces {
            if !literals.contains(&piece) {
                literals.push(piece);
                owners.push(Vec::new());
            }
        }
        let automaton = if literals.is_empty() {
            None
        } else {
            // Literals are short and few (hundreds); building cannot fail
            // for them, but if it ever did, every pattern simply runs on
            // every line: slower, still correct.
            match AhoCorasick::builder().kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA)).build(&literals) {
                Ok(ac) => Some(ac),
                Err(_) => {
                    always = (0..patterns.len()).collect();
                    None
                }
            }
        };
        let mut gate: Vec<Vec<u8>> = literals.clone();
        gate.extend(words.context.iter().map(|t| t.as_bytes().to_vec()));
        let mut error_words = Vec::new();
        for word in words.errors {
            let mut title = word.as_bytes().to_vec();
            if let Some(first) = title.first_mut() {
                first.make_ascii_uppercase();
            }
            error_words.extend([word.as_bytes().to_vec(), title, word.as_bytes().to_ascii_uppercase()]);
        }
        error_words.extend(words.failure.iter().map(|t| t.as_bytes().to_vec()));
        let mut all: Vec<Vec<u8>> = gate.iter().chain(&error_words).cloned().collect();
        all.sort();
        all.dedup();
        let (triggers, glance) = match (packed(gate), packed(error_words)) {
            (Some(t), Some(g)) => (t, g),
            _ => {
                // No packed searcher here (no SIMD): read every line.
                always = (0..patterns.len()).collect();
                (Vec::new(), Vec::new())
            }
        };
        Matcher { triggers, glance, patterns, automaton, owners, always, literals: all }
    }

    /// Every literal the line gate searches for, sorted and distinct.
    pub fn literals(&self) -> Vec<Vec<u8>> {
        self.literals.clone()
    }

    /// Marks the lines of `text` (whole lines) that contain a trigger (to
    /// `marks`) or an error-looking word (to `glances`): the start offset of
    /// each such line, in order. Returns true when every line must be read
    /// anyway (a pattern without a literal, or no packed searcher here).
    pub fn mark_lines(&self, text: &[u8], marks: &mut Vec<usize>, glances: &mut Vec<usize>) -> bool {
        marks.clear();
        glances.clear();
        if !self.always.is_empty() || self.triggers.is_empty() {
            return true;
        }
        for searcher in &self.triggers {
            mark_with(searcher, text, marks);
        }
        if self.triggers.len() > 1 {
            marks.sort_unstable();
            marks.dedup();
        }
        for searcher in &self.glance {
            mark_with(searcher, text, glances);
        }
        if self.glance.len() > 1 {
            glances.sort_unstable();
            glances.dedup();
        }
        false
    }

    /// Appends to `out` every pattern whose regex matches `text`. Returns
    /// whether `text` holds any rule literal or a piece of one: a line that
    /// may be part of a wrapped message.
    pub fn scan(&self, catalog: &Catalog, text: &str, scratch: &mut Scratch, out: &mut Vec<PatternRef>) -> bool {
        let mut touched = false;
        scratch.generation = scratch.generation.wrapping_add(1);
        if scratch.generation == 0 {
            scratch.stamp.iter_mut().for_each(|s| *s = 0);
            scratch.generation = 1;
        }
        scratch.stamp.resize(self.patterns.len(), 0);
        scratch.candidates.clear();
        if let Some(ac) = &self.automaton {
            for m in ac.find_overlapping_iter(text) {
                touched |= m.len() >= WRAP_LITERAL;
                for &flat in self.owners.get(m.pattern().as_usize()).into_iter().flatten() {
                    if let Some(s) = scratch.stamp.get_mut(flat) {
                        if *s != scratch.generation {
                            *s = scratch.generation;
                            scratch.candidates.push(flat);
                        }
                    }
                }
            }
        }
        scratch.candidates.extend_from_slice(&self.always);
        scratch.candidates.sort_unstable();
        for &flat in &scratch.candidates {
            let Some(&pref) = self.patterns.get(flat) else {
                continue;
            };
            let hit =
                catalog.rule(pref.rule).and_then(|r| r.patterns.get(pref.pattern)).is_some_and(|p| p.is_match(text));
            if hit {
                out.push(pref);
            }
        }
        touched || !self.always.is_empty()
    }
}

/// The shortest literal (or piece of one) that makes a line a candidate for
/// a wrapped message: shorter ones (`error`, `.go:`) are in too many lines
/// for the joined windows to be worth matching.
pub const WRAP_LITERAL: usize = 10;

/// The words that mark a line for a literal: the literal itself, trimmed of
/// white space (a wrapped line ends where the literal's space was), and, for
/// a literal of several words, its first and last words of [`WRAP_LITERAL`]
/// bytes or more.
/// A message wrapped inside a literal leaves its head on the first line or
/// its tail on the next, so one of the lines is read and the window of
/// joined lines is matched (see `Diagnoser::match_wrapped`).
fn wrap_triggers(literal: &[u8]) -> Vec<Vec<u8>> {
    let trimmed = literal.trim_ascii();
    let trimmed = if trimmed.len() >= crate::catalog::lint::MIN_LITERAL { trimmed } else { literal };
    let mut out = vec![trimmed.to_vec()];
    let spaces: Vec<usize> = memchr::memchr_iter(b' ', trimmed).collect();
    if let Some(&head) = spaces.iter().find(|&&i| i >= WRAP_LITERAL) {
        out.extend(trimmed.get(..head).map(<[u8]>::to_vec));
    }
    if let Some(&tail) = spaces.iter().rev().find(|&&i| trimmed.len() - i > WRAP_LITERAL) {
        out.extend(trimmed.get(tail + 1..).map(<[u8]>::to_vec));
    }
    out
}

/// Packed (Teddy) searchers for `words`, at most 64 words each (the most
/// one searcher takes); `None` when this machine has none.
fn packed(mut words: Vec<Vec<u8>>) -> Option<Vec<aho_corasick::packed::Searcher>> {
    words.sort();
    words.dedup();
    words.chunks(64).map(|group| aho_corasick::packed::Config::new().builder().extend(group).build()).collect()
}

/// Pushes the start of every line of `text` in which `searcher` matches.
fn mark_with(searcher: &aho_corasick::packed::Searcher, text: &[u8], marks: &mut Vec<usize>) {
    let mut pos = 0;
    while pos < text.len() {
        let Some(m) = searcher.find_in(text, aho_corasick::Span { start: pos, end: text.len() }) else { break };
        let start = memchr::memrchr(b'\n', text.get(..m.start()).unwrap_or_default()).map_or(0, |i| i + 1);
        marks.push(start);
        pos = memchr::memchr(b'\n', text.get(m.end()..).unwrap_or_default()).map_or(text.len(), |i| m.end() + i + 1);
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::Catalog;

    #[test]
    fn marks_exactly_the_lines_that_hold_a_trigger() {
        let catalog = Catalog::load(&[]).unwrap();
        let m = super::Matcher::new(&catalog, crate::engine::WORDS);
        let text = b"plain line\n#3 1.0 error: externally-managed-environment\nmore\nStep 2/9 : RUN make\n";
        let (mut marks, mut glances) = (Vec::new(), Vec::new());
        assert!(!m.mark_lines(text, &mut marks, &mut glances));
        assert_eq!(marks, vec![11, 61]);
        assert_eq!(glances, vec![11]);
    }
}
