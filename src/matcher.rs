//! One-pass multi-rule matching.
//!
//! Cost model: every pattern of every rule has a set of required literals
//! (`catalog::literal`). All literals go into one Aho-Corasick automaton, so
//! a line is scanned once whatever the number of rules; only the patterns
//! whose literal occurs in the line run their regex, and captures are left
//! to the caller, which needs them only for the hits it keeps. Patterns
//! without a usable literal (user rules may have them) run on every line.

use crate::catalog::Catalog;
use aho_corasick::AhoCorasick;

/// A pattern of a rule: `catalog.rules[rule].patterns[pattern]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PatternRef {
    pub rule: usize,
    pub pattern: usize,
}

#[derive(Debug)]
pub struct Matcher {
    patterns: Vec<PatternRef>,
    automaton: Option<AhoCorasick>,
    /// For each automaton literal, the flat indices of the patterns needing it.
    owners: Vec<Vec<usize>>,
    /// Flat indices of patterns that must be tried on every line.
    always: Vec<usize>,
}

/// Per-reader scratch space, so matching allocates nothing per line.
#[derive(Debug, Default)]
pub struct Scratch {
    stamp: Vec<u32>,
    generation: u32,
    candidates: Vec<usize>,
}

impl Matcher {
    pub fn new(catalog: &Catalog) -> Matcher {
        let mut patterns = Vec::new();
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (r, rule) in catalog.rules.iter().enumerate() {
            for (p, pattern) in rule.patterns.iter().enumerate() {
                let flat = patterns.len();
                patterns.push(PatternRef { rule: r, pattern: p });
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
        let automaton = if literals.is_empty() {
            None
        } else {
            // Literals are short and few (hundreds); building cannot fail
            // for them, but if it ever did, every pattern simply runs on
            // every line: slower, still correct.
            match AhoCorasick::builder().ascii_case_insensitive(true).build(&literals) {
                Ok(ac) => Some(ac),
                Err(_) => {
                    always = (0..patterns.len()).collect();
                    None
                }
            }
        };
        Matcher { patterns, automaton, owners, always }
    }

    /// Appends to `out` every pattern whose regex matches `text`.
    pub fn scan(&self, catalog: &Catalog, text: &str, scratch: &mut Scratch, out: &mut Vec<PatternRef>) {
        scratch.generation = scratch.generation.wrapping_add(1);
        if scratch.generation == 0 {
            scratch.stamp.iter_mut().for_each(|s| *s = 0);
            scratch.generation = 1;
        }
        scratch.stamp.resize(self.patterns.len(), 0);
        scratch.candidates.clear();
        if let Some(ac) = &self.automaton {
            for m in ac.find_overlapping_iter(text) {
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
            let hit = catalog
                .rules
                .get(pref.rule)
                .and_then(|r| r.patterns.get(pref.pattern))
                .is_some_and(|p| p.regex.is_match(text));
            if hit {
                out.push(pref);
            }
        }
    }
}
