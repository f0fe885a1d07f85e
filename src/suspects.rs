//! Suspects: when a build failed and no rule names the cause, the lines
//! most likely to state it, best first. This is what a person does by hand:
//! read the last lines the failed step printed before the failure summary,
//! skip the chatter, look for the line that reads like a complaint, and
//! ignore what the last good build printed too.
//!
//! The diagnoser hands over the lines it kept before the first failure
//! summary (or before the end of an excerpt that has none); this module
//! only scores them. A line's score adds up:
//!
//! - its shape: a tool's error line at the start of the message, an
//!   exception, words of refusal (`cannot`, `refusing`, `missing`…);
//! - where it is: in the failed step, and close to the summary;
//! - minus chatter: progress, downloads, `Collecting`, layer hashes,
//!   warnings, stack frames, and the failure summary's own framing.
//!
//! With `--baseline GOOD.log`, lines that also appear in the good build
//! (after [`canonical`] form) are never suspects.

use crate::context::Step;
use crate::input::{for_each_chunk, MAX_LINE};
use crate::normalize::normalize;
use regex::{Regex, RegexSet};
use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::sync::{Arc, LazyLock};

/// Lines before the failure summary that are scored.
pub const WINDOW: usize = 64;
/// Suspects reported.
pub const REPORTED: usize = 3;
/// Distinct lines a baseline remembers, at most (8 bytes each, about 4 MiB
/// with the set's overhead): far more than a build log has.
pub const BASELINE_LINES: usize = 1 << 18;

/// A line the diagnoser kept, with what it knows of it.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Its 1-based line number.
    pub number: u64,
    /// The normalised text.
    pub text: String,
    /// The build step it belongs to, when known.
    pub step: Option<Arc<Step>>,
}

fn set(patterns: &[&str]) -> RegexSet {
    crate::failure::small_set(patterns.iter().copied())
}

/// Shapes of a line that states a cause.
static CAUSE: LazyLock<RegexSet> = LazyLock::new(|| {
    set(&[
        r"^(?:[\w./-]+: )?(?:error|ERROR|Error|fatal|FATAL|E|npm ERR!|npm error|\[ERROR\])(?:\[[\w-]+\])?[:!]? ",
        r"^(?:[A-Z]\w*\.)*[A-Z]\w*(?:Error|Exception|Failure)\b",
        r"(?i)\b(?:cannot|can't|could not|couldn't|unable to|refus(?:e|es|ed|ing)|missing|has no|not found|no such|denied|invalid|unsupported|incompatible|unexpected|expected|required|requires|must|conflict|mismatch|undefined|unknown|failed|failure|error|errors|no space|timed? ?out|unreachable|not allowed|forbidden|unauthori[sz]ed|does not|doesn't|did not|didn't|is not|isn't|holds no|no \w+ found)\b",
    ])
});

/// Ordinary build chatter: progress, downloads, resolution, layer
/// bookkeeping, warnings.
static CHATTER: LazyLock<RegexSet> = LazyLock::new(|| {
    set(&[
        r"^(?:Collecting|Downloading|Downloaded|Installing|Installed|Building wheel|Created wheel|Stored in|Requirement already|Using cached|Obtaining|Preparing|Fetching|Fetched|Resolving|Resolved|Progress|Get:\d|Hit:\d|Ign:\d|Unpacking|Selecting|Setting up|Processing|Reading|Building dependency|Compiling|Checking|Updating|Locking|Adding|Added|Removing|Copying|Extracting|Successfully|Attaching|Running|Step \d+/\d+|Sending build context|Pulling|Waiting|Verifying|Digest:|Status:|Already up to date|up to date|added \d+|audited \d+|found 0|Done in|Lockfile is up to date|Packages:|Progress:|\+ \S+ \d)",
        r"(?i)^(?:npm (?:warn|notice|WARN)|warn(?:ing)?\b|⚠|\[warn|deprecat)",
        r"^(?:sha256:|[0-9a-f]{12,}\b|#\d+ (?:DONE|CACHED|resolve|sha256|extracting|exporting|writing|naming|transferring|load)|DONE \d|CACHED|extracting sha256|exporting|writing image|naming to|transferring|load (?:build|metadata|\.dockerignore))",
        r"\d{1,3}(?:\.\d+)?%|\[[=#>\- ]{4,}\]|\d+(?:\.\d+)? ?[kKMG]i?B/s|\d+(?:\.\d+)? ?[kMG]B(?: of|/)",
    ])
});

/// Lines that only frame a failure summary or point into a file.
static FRAMING: LazyLock<RegexSet> = LazyLock::new(|| {
    set(&[
        r"^-{3,}$|^={3,}$|^>\s*\[[^\]]*\]|^\[\s*\d+/\d+\]|^Dockerfile(?:\.\w+)?:\d+$|^\d+ \| |^\^+$|^-{2,}>",
        r"^(?:at |File |from |in |\.\.\. \d+ more|node:internal|    at )",
        r#"(?i)did not complete successfully|^(?:error: )?failed to solve: (?:process "|executor failed running)|^(?:==> )?exited with (?:status|code)|^(?:elifecycle|error)\s+command failed|returned a non-zero code|^(?:error: )?process completed with exit code|^exit (?:code|status):? *\d+\.?$|^\s*$"#,
        r"(?i)^(?:npm ERR!|npm error) (?:A complete log|code [A-Z0-9]+$|errno|path |command (?:failed|sh -c)|signal|Lifecycle script|Failed at the|This is probably not a problem|A log of this)|^(?:npm ERR!|npm error)$",
    ])
});

/// The score of one candidate line; higher is likelier. `age` counts lines
/// back from the failure (0: the last line before it); `in_step` is whether
/// the line belongs to the failed step, when that is known.
pub fn score(text: &str, age: usize, in_step: Option<bool>) -> i32 {
    if FRAMING.is_match(text) {
        return i32::MIN;
    }
    let cause = CAUSE.matches(text);
    let mut s = 0;
    if cause.matched(0) {
        s += 6;
    }
    if cause.matched(1) {
        s += 5;
    }
    if cause.matched(2) {
        s += 3;
    }
    if CHATTER.is_match(text) {
        s -= 6;
    }
    // A heading (`Failure reason:`) introduces the line that says it.
    if text.ends_with(':') {
        s -= 2;
    }
    // A summary says that something failed, not why: it is a suspect only
    // when nothing better is there (an excerpt of one line).
    if crate::failure::detect(text).is_some_and(crate::failure::Signal::is_summary) {
        s -= 8;
    }
    s += match in_step {
        Some(true) => 4,
        Some(false) => -6,
        None => 0,
    };
    // The nearest lines before the failure are the likeliest: up to 4
    // points, fading over the window.
    s + (4 * WINDOW.saturating_sub(age) / WINDOW) as i32
}

/// Ranks `candidates` (in log order, the failure after the last one) and
/// returns the indices of the best [`REPORTED`], best first. Lines seen in
/// `baseline` and repeats of a line are left out.
pub fn rank(candidates: &[Candidate], failed_step: Option<&Step>, baseline: Option<&Baseline>) -> Vec<usize> {
    let same = |a: &Step, b: &Step| a.name == b.name || (a.command.is_some() && a.command == b.command);
    // A tool that fails prints a block of lines under one prefix (`npm
    // ERR!`, `gyp ERR!`): its first lines say what went wrong, the rest is
    // detail, usage and where the log is. The block's first line that is
    // not framing (`npm ERR! code E…`, a bare `npm ERR!`) gets a bonus.
    let mut previous: Option<&str> = None;
    let opens_block: Vec<bool> = candidates
        .iter()
        .map(|c| {
            if FRAMING.is_match(&c.text) {
                return false;
            }
            let key = block_key(&c.text);
            let opens = key.is_some() && key != previous;
            previous = key;
            opens
        })
        .collect();
    let mut seen = HashSet::new();
    let mut scored: Vec<(i32, usize)> = Vec::new();
    for (age, (i, c)) in candidates.iter().enumerate().rev().enumerate() {
        if !seen.insert(c.text.as_str()) || baseline.is_some_and(|b| b.contains(&c.text)) {
            continue;
        }
        let in_step = match (failed_step, &c.step) {
            (Some(f), Some(s)) => Some(same(f, s)),
            _ => None,
        };
        let mut s = score(&c.text, age, in_step);
        if s > i32::MIN && opens_block.get(i) == Some(&true) {
            s += 3;
        }
        if s > i32::MIN {
            scored.push((s, i));
        }
    }
    // Best score first; between equals, the later line.
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    scored.into_iter().take(REPORTED).map(|(_, i)| i).collect()
}

/// The prefix of a tool's error block a line belongs to, if any: its first
/// two words when the line is error-shaped (`npm ERR!`, `npm error`).
fn block_key(text: &str) -> Option<&str> {
    if !CAUSE.matches(text).matched(0) {
        return None;
    }
    let end = text.match_indices(' ').nth(1).map_or(text.len(), |(i, _)| i);
    text.get(..end)
}

static NUMBER: LazyLock<Regex> = LazyLock::new(|| re(r"\d+(?:[.:]\d+)*"));
static HASH: LazyLock<Regex> = LazyLock::new(|| re(r"\b[0-9a-fA-F]{7,}\b"));
static PATH: LazyLock<Regex> = LazyLock::new(|| re(r#"(?:[A-Za-z]:)?(?:[\w.@+~-]*/)+(?P<base>[^\s/:'"(),]*)"#));

fn re(s: &str) -> Regex {
    Regex::new(s).unwrap_or_else(|e| unreachable!("{s}: {e}"))
}

/// A normalised line with what changes from build to build taken out:
/// paths keep only their last component, hashes and numbers (versions,
/// times, durations, sizes) become placeholders.
pub fn canonical(text: &str) -> String {
    let text = PATH.replace_all(text, "…/$base");
    let text = HASH.replace_all(&text, "#");
    NUMBER.replace_all(&text, "0").into_owned()
}

/// The lines of a good build, for `--baseline`: a set of hashes of their
/// canonical forms, so memory grows with the distinct lines (at most
/// [`BASELINE_LINES`]), not with the log.
#[derive(Debug)]
pub struct Baseline {
    /// The name of the good log.
    pub name: String,
    lines: HashSet<u64>,
}

impl Baseline {
    /// Reads a whole log.
    pub fn read(name: &str, input: &mut dyn Read) -> io::Result<Baseline> {
        let mut lines = HashSet::new();
        let (_, error) = for_each_chunk(input, |chunk| {
            for line in chunk.bytes.split(|&b| b == b'\n') {
                for segment in line.split(|&b| b == b'\r') {
                    let text = normalize(segment.get(..segment.len().min(MAX_LINE)).unwrap_or_default());
                    if !text.is_empty() && lines.len() < BASELINE_LINES {
                        lines.insert(fingerprint(&text));
                    }
                }
            }
            ControlFlow::Continue(())
        });
        match error {
            Some(e) => Err(e),
            None => Ok(Baseline { name: name.to_string(), lines }),
        }
    }

    /// Whether the good build printed this (normalised) line too.
    pub fn contains(&self, text: &str) -> bool {
        self.lines.contains(&fingerprint(text))
    }
}

fn fingerprint(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    canonical(text).hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(lines: &[&str]) -> Vec<Candidate> {
        lines
            .iter()
            .enumerate()
            .map(|(i, t)| Candidate { number: i as u64 + 1, text: t.to_string(), step: None })
            .collect()
    }

    fn best(lines: &[&str]) -> Vec<String> {
        let c = candidates(lines);
        rank(&c, None, None).into_iter().map(|i| c[i].text.clone()).collect()
    }

    #[test]
    fn a_complaint_without_an_error_word_beats_chatter() {
        let top = best(&[
            "Collecting jinja2==3.1.2",
            "Downloading jinja2-3.1.2-py3-none-any.whl (133 kB)",
            "rendering templates",
            "template directory 'assets/tpl' holds no *.tpl files, refusing to continue",
            "cleaning up 3 temporary files",
        ]);
        assert_eq!(top[0], "template directory 'assets/tpl' holds no *.tpl files, refusing to continue");
    }

    #[test]
    fn error_shaped_lines_first_and_framing_never() {
        let top = best(&[
            "Step 4/7 : RUN ./build.sh",
            "warning: unused variable `x`",
            "error: linking with `cc` failed: exit status: 1",
            "------",
            "Dockerfile:12",
            "exit code: 1",
        ]);
        assert_eq!(top[0], "error: linking with `cc` failed: exit status: 1");
        assert!(!top.iter().any(|t| t == "------" || t == "Dockerfile:12"));
    }

    #[test]
    fn the_failed_step_wins_over_a_noisier_step() {
        let step = |n: &str| Some(Arc::new(Step { name: n.into(), ..Step::default() }));
        let c = vec![
            Candidate { number: 1, text: "error: something else failed".into(), step: step("[web 3/5] RUN lint") },
            Candidate {
                number: 2,
                text: "config file has no [server] section".into(),
                step: step("[api 4/6] RUN make"),
            },
        ];
        let failed = Step { name: "[api 4/6] RUN make".into(), ..Step::default() };
        assert_eq!(rank(&c, Some(&failed), None).first(), Some(&1));
    }

    #[test]
    fn the_first_line_of_a_tools_error_block_beats_its_usage_text() {
        let mut lines = vec![
            "npm ERR! code EUSAGE",
            "npm ERR! The `npm ci` command can only install with an existing package-lock.json",
        ];
        lines.extend([
            "npm ERR! Usage:",
            "npm ERR! npm ci",
            "npm ERR! Options:",
            "npm ERR! [--no-audit] [--foreground-scripts]",
        ]);
        let top = best(&lines);
        // `code EUSAGE` is framing; the first line that says something wins.
        assert_eq!(top[0], lines[1], "{top:?}");
    }

    #[test]
    fn canonical_forms_ignore_what_changes_between_builds() {
        assert_eq!(
            canonical("Finished in 12.3s at /tmp/tmpab12cd/build/out.log"),
            canonical("Finished in 4.0s at /tmp/tmpzz99qq/build/out.log")
        );
        assert_eq!(canonical("layer sha256 9f86d081884c done"), canonical("layer sha256 4e07408562be done"));
        assert_ne!(canonical("cannot find module 'a'"), canonical("cannot find module 'b'"));
    }

    #[test]
    fn lines_of_the_good_build_are_never_suspects() {
        let good = b"Installing deps\nerror: optional tool missing, skipping\nBuilt in 3.2s\n";
        let baseline = Baseline::read("good.log", &mut &good[..]).unwrap();
        let c = candidates(&[
            "error: optional tool missing, skipping",
            "Built in 9.9s",
            "unit file has no [Service] section",
        ]);
        let top: Vec<&str> = rank(&c, None, Some(&baseline)).into_iter().map(|i| c[i].text.as_str()).collect();
        assert_eq!(top, vec!["unit file has no [Service] section"]);
    }
}
