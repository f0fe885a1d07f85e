//! Required-literal extraction: for a regex, a small set of byte strings at
//! least one of which every match must contain.
//!
//! The matcher searches lines for these literals with one Aho-Corasick
//! automaton and runs a rule's regex only on lines that contain one, so the
//! cost per line does not grow rule by rule. The analysis is conservative:
//! when it cannot prove a literal is required it returns `None`, and the
//! pattern is then run on every line (correct, only slower). Literals keep
//! their case; a case-insensitive piece becomes the set of its spellings
//! (or, when that set grows too large, is left out).

use regex_syntax::hir::{Class, Hir, HirKind};

/// Largest literal set carried through the analysis.
const MAX_SET: usize = 32;
/// Largest character class expanded into literals.
const MAX_CLASS: usize = 8;

/// The best required literal set of `hir`, if any: every string non-empty.
pub fn required_literals(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let info = analyze(hir);
    let best = info.required.or(info.exact)?;
    (score(&best) > 0).then_some(best)
}

/// The length of the shortest literal in the set: how selective it is.
pub fn score(set: &[Vec<u8>]) -> usize {
    set.iter().map(Vec::len).min().unwrap_or(0)
}

#[derive(Default)]
struct Info {
    /// The hir matches exactly one of these strings.
    exact: Option<Vec<Vec<u8>>>,
    /// Every match contains one of these strings.
    required: Option<Vec<Vec<u8>>>,
}

fn analyze(hir: &Hir) -> Info {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Info { exact: Some(vec![Vec::new()]), required: None },
        HirKind::Literal(lit) => {
            let s = lit.0.to_vec();
            Info { exact: Some(vec![s.clone()]), required: Some(vec![s]) }
        }
        HirKind::Class(class) => {
            let exact = class_strings(class);
            Info { required: exact.clone(), exact }
        }
        HirKind::Capture(cap) => analyze(&cap.sub),
        HirKind::Repetition(rep) => {
            if rep.min == 0 {
                return Info::default();
            }
            let sub = analyze(&rep.sub);
            let exact = match (&sub.exact, rep.max) {
                (Some(set), Some(max)) if max == rep.min && rep.min <= 4 => {
                    (0..rep.min).try_fold(vec![Vec::new()], |acc, _| cross(&acc, set))
                }
                _ => None,
            };
            let required = best(sub.required.into_iter().chain(sub.exact).chain(exact.clone()));
            Info { exact, required }
        }
        HirKind::Concat(children) => {
            let mut candidates: Vec<Vec<Vec<u8>>> = Vec::new();
            let mut run: Option<Vec<Vec<u8>>> = Some(vec![Vec::new()]);
            let mut all_exact = true;
            for child in children {
                let info = analyze(child);
                if let Some(req) = info.required {
                    candidates.push(req);
                }
                match info.exact {
                    Some(set) => {
                        let joined = run.as_ref().and_then(|r| cross(r, &set));
                        run = match joined {
                            Some(j) => Some(j),
                            None => {
                                candidates.extend(run.take());
                                Some(set)
                            }
                        };
                    }
                    None => {
                        all_exact = false;
                        candidates.extend(run.take());
                        run = Some(vec![Vec::new()]);
                    }
                }
            }
            let exact = if all_exact { run.clone() } else { None };
            candidates.extend(run);
            Info { exact, required: best(candidates.into_iter()) }
        }
        HirKind::Alternation(children) => {
            let infos: Vec<Info> = children.iter().map(analyze).collect();
            let exact = union(infos.iter().map(|i| i.exact.as_ref()));
            let required = union(infos.iter().map(|i| match (&i.required, &i.exact) {
                (Some(r), Some(e)) => Some(if score(e) >= score(r) { e } else { r }),
                (Some(r), None) => Some(r),
                (None, e) => e.as_ref(),
            }));
            Info { exact, required }
        }
    }
}

fn class_strings(class: &Class) -> Option<Vec<Vec<u8>>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    match class {
        Class::Unicode(c) => {
            for range in c.ranges() {
                if (range.end() as u32) - (range.start() as u32) >= MAX_CLASS as u32 * 2 {
                    return None;
                }
                for ch in range.start()..=range.end() {
                    let mut buf = [0u8; 4];
                    let s = ch.encode_utf8(&mut buf).as_bytes().to_vec();
                    if !out.contains(&s) {
                        out.push(s);
                    }
                    if out.len() > MAX_CLASS {
                        return None;
                    }
                }
            }
        }
        Class::Bytes(c) => {
            for range in c.ranges() {
                for b in range.start()..=range.end() {
                    let s = vec![b];
                    if !out.contains(&s) {
                        out.push(s);
                    }
                    if out.len() > MAX_CLASS {
                        return None;
                    }
                }
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

fn cross(a: &[Vec<u8>], b: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if a.len() * b.len() > MAX_SET {
        return None;
    }
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            let mut s = x.clone();
            s.extend_from_slice(y);
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    Some(out)
}

fn union<'a>(sets: impl Iterator<Item = Option<&'a Vec<Vec<u8>>>>) -> Option<Vec<Vec<u8>>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for set in sets {
        for s in set? {
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
        if out.len() > MAX_SET {
            return None;
        }
    }
    Some(out)
}

/// The most selective set: longest shortest literal, then fewest literals.
fn best(sets: impl Iterator<Item = Vec<Vec<u8>>>) -> Option<Vec<Vec<u8>>> {
    sets.filter(|s| score(s) > 0).max_by(|a, b| score(a).cmp(&score(b)).then(b.len().cmp(&a.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(re: &str) -> Option<Vec<String>> {
        let hir = regex_syntax::Parser::new().parse(re).ok()?;
        required_literals(&hir).map(|set| set.into_iter().map(|s| String::from_utf8_lossy(&s).into_owned()).collect())
    }

    #[test]
    fn finds_the_longest_required_piece() {
        assert_eq!(
            lits(r"No matching distribution found for (?P<p>\S+)"),
            Some(vec!["No matching distribution found for ".into()])
        );
        assert_eq!(
            lits(r"^error: externally-managed-environment"),
            Some(vec!["error: externally-managed-environment".into()])
        );
        assert_eq!(lits(r"exit code: \d+ and more text here"), Some(vec![" and more text here".into()]));
    }

    #[test]
    fn alternations_need_a_literal_in_every_branch() {
        assert_eq!(
            lits(r"npm (ERR!|error) code ERESOLVE"),
            Some(vec!["npm ERR! code ERESOLVE".into(), "npm error code ERESOLVE".into()])
        );
        assert_eq!(lits(r"(?:foo|\w+) bar baz"), Some(vec![" bar baz".into()]));
        assert_eq!(lits(r"\w+|\d+"), None);
    }

    #[test]
    fn case_insensitive_pieces_become_their_spellings() {
        let set = lits(r"(?i)ok").unwrap();
        for spelling in ["ok", "OK", "Ok", "oK"] {
            assert!(set.contains(&spelling.to_string()), "{set:?}");
        }
        // Too many spellings: a shorter piece (or none) is used instead.
        assert!(lits(r"(?i)killed by the kernel").is_none_or(|set| set.len() <= 32));
    }

    #[test]
    fn optional_parts_are_not_required() {
        assert_eq!(lits(r"(?:abcdef)?xy"), Some(vec!["xy".into()]));
        assert_eq!(lits(r".*"), None);
    }
}
