//! Failure signals: lines that show a build or deploy failed, whatever the
//! cause and whether or not a rule knows it. A log with a signal is never
//! reported clean; with no specific rule it is an unknown failure.
//!
//! Two kinds of signal, because they play different parts:
//!
//! - a **summary** says a step or the whole build ended badly (a non-zero
//!   exit status reported by a shell, BuildKit, a package manager or a
//!   platform; `Build failed`; `Deployment failed`). The lines the step
//!   printed just before the first summary are where its cause is, so the
//!   suspects are taken from there (see `suspects`).
//! - a **tool error** is a tool's own error line at the start of a message
//!   (`error:`, `ERROR:`, `E:`, `fatal:`, `npm ERR!`, a traceback, a
//!   panic). It is itself a likely cause.
//!
//! The detector reads normalised lines (prefixes and timestamps removed),
//! so `^` is the start of the message. It runs only on lines that hold one
//! of [`TRIGGERS`] or an error-looking word; every pattern needs one.
//! Lines that only look like errors (`0 errors`, `-Werror`, `thiserror`,
//! `exit code: 0`) do not match any pattern.

use crate::context::Step;
use crate::finding::{FailureLine, ShownLine};
use crate::window::{Recent, RingLine};
use regex::RegexSet;
use std::sync::LazyLock;

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

/// Words that a signal line holds besides the error-looking words of
/// [`ERROR_WORDS`], spelled exactly as the tools print
/// them (short ones such as `Err:` would be everywhere in other spellings:
/// `stderr:`).
pub const TRIGGERS: &[&str] = &[
    "exit code",
    "exit status",
    "Exited with",
    "exited with",
    "non-zero",
    "did not complete",
    "ERR_PNPM",
    "Err:",
    "** (",
];

/// What a signal says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Signal {
    /// A step or the build ended with a non-zero status.
    ExitStatus,
    /// The builder or the platform says the build or deploy failed.
    BuildFailed,
    /// A tool's own error line.
    ToolError,
    /// A Python traceback, a Go or Rust panic, a crash.
    Crash,
}

impl Signal {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::ExitStatus => "exit-status",
            Signal::BuildFailed => "build-failed",
            Signal::ToolError => "tool-error",
            Signal::Crash => "crash",
        }
    }

    /// Whether the signal closes a failed step (rather than stating a cause).
    pub fn is_summary(self) -> bool {
        matches!(self, Signal::ExitStatus | Signal::BuildFailed)
    }
}

const PATTERNS: &[(Signal, &str)] = &[
    // `exit code: 1`, `exited with code 1`, `Exited with status 1`,
    // `exit status 2`, `Process completed with exit code 1`, `with exit code 127`.
    (
        Signal::ExitStatus,
        r"(?i)(?-u:\b)exit(?:ed)?(?: with)?(?: exit)? (?:code|status)(?-u:\b)[:=]?[ \t]*(?:[1-9][0-9]{0,2})(?-u:\b)",
    ),
    // Docker's legacy builder; Python's CalledProcessError.
    (Signal::ExitStatus, r"returned (?:a )?non-zero (?:code|exit status): ?[1-9]"),
    (Signal::ExitStatus, r"did not complete successfully"),
    (Signal::ExitStatus, r"^make(?:\[[0-9]+\])?: \*\*\* .*Error [1-9]"),
    (Signal::ExitStatus, r"^(?:ELIFECYCLE|error) +Command failed"),
    // BuildKit, Railway, Render, Heroku, Gradle, Maven, Ant.
    (Signal::BuildFailed, r"^(?:ERROR: |error: )?failed to (?:solve|build)(?-u:\b)"),
    (
        Signal::BuildFailed,
        r"(?i)^(?:=+> |! |×[ \t]+|✕[ \t]+|❌[ \t]*)?(?:(?:the )?build|deploy(?:ment)?|image build|docker build)(?: has)? failed[ \t]*(?:$|[.!:,(]|with(?-u:\b)|during(?-u:\b)|because(?-u:\b)|due(?-u:\b))",
    ),
    (Signal::BuildFailed, r"^(?:BUILD FAILED|BUILD FAILURE|FAILURE: Build failed)(?-u:\b)"),
    (Signal::BuildFailed, r"^Failed to build an image(?-u:\b)"),
    // A tool's own error line at the start of a message.
    (Signal::ToolError, r"^(?:error|ERROR|Error)(?:\[[[A-Za-z0-9_]-]+\])?: *[^ \t]"),
    (Signal::ToolError, r"^(?:npm ERR!|npm error|gyp ERR!|yarn error|pnpm: ) *[^ \t]"),
    (Signal::ToolError, r"^(?:ERR_PNPM_|ERR! )[A-Za-z0-9_]"),
    (Signal::ToolError, r"^E: [^ \t]"),
    (Signal::ToolError, r"^(?:fatal|FATAL|Fatal error)(?::| ERROR| error)"),
    (Signal::ToolError, r"^\[ERROR\] [^ \t]"),
    (Signal::ToolError, r"^Error response from daemon: "),
    // MSBuild, tsc, csc: `Foo.csproj : error NU1101:`, `x.ts(3,7): error TS2307:`.
    (Signal::ToolError, r"(?:^|[:)] )error [A-Z]+[0-9]+: "),
    // Compilers: `main.c:3:10: fatal error: zlib.h: No such file or directory`.
    (Signal::ToolError, r"^[^ \t]+?:[0-9]+:[0-9]+: (?:fatal )?error: "),
    // apt's fetch failures: `Err:4 http://deb.debian.org/debian buster Release`.
    (Signal::ToolError, r"^Err:[0-9]+ [^ \t]"),
    // An exception that reached the top: `TypeError: x is not a function`,
    // `java.lang.IllegalStateException: …`.
    (Signal::Crash, r"^(?:Uncaught )?(?:[a-z_$][[A-Za-z0-9_]$]*\.)*[A-Z][A-Za-z0-9_]*(?:Error|Exception): [^ \t]"),
    (Signal::Crash, r"^Traceback \(most recent call last\):"),
    // Elixir and Mix: `** (Mix) Could not compile`, `** (MatchError) no match`.
    (Signal::Crash, r"^\*\* \([A-Z][[A-Za-z0-9_].]*\) [^ \t]"),
    // A program the kernel cannot run (wrong architecture, no shebang).
    (Signal::Crash, r"(?-u:\b)exec format error(?-u:\b)"),
    (Signal::Crash, r"^panic: [^ \t]"),
    (Signal::Crash, r"^thread '[^']*' panicked at"),
    (Signal::Crash, r"^(?:Segmentation fault|Killed$|Bus error|Aborted \(core dumped\))"),
];

static SET: LazyLock<RegexSet> = LazyLock::new(|| small_set(PATTERNS.iter().map(|(_, p)| *p)));

/// A regex set with a small lazy-DFA cache, for the memory budget. Its
/// patterns use ASCII classes (`[0-9]`, not `\d`), so the automaton stays
/// small enough for the cache: one that outgrows it gives up and falls
/// back to far slower engines.
pub fn small_set<'p>(patterns: impl IntoIterator<Item = &'p str>) -> RegexSet {
    regex::RegexSetBuilder::new(patterns)
        .dfa_size_limit(crate::catalog::rule::DFA_CACHE)
        .build()
        .unwrap_or_else(|e| unreachable!("built-in patterns: {e}"))
}

/// The signal a normalised line gives, if any (the first pattern wins).
pub fn detect(text: &str) -> Option<Signal> {
    // Most lines that reach here give no signal: the cheaper test first.
    if !SET.is_match(text) {
        return None;
    }
    let first = SET.matches(text).iter().next()?;
    PATTERNS.get(first).map(|(signal, _)| *signal)
}

/// The failure lines of one input as it is read: the first summary, the
/// first tool error, and the lines before the first summary (where the
/// failed step printed its cause), kept for the suspects.
#[derive(Debug, Default)]
pub struct Watch {
    first_summary: Option<FailureLine>,
    first_error: Option<FailureLine>,
    before: Option<Vec<RingLine>>,
}

impl Watch {
    /// Notes a failure line; the first summary keeps the lines before it.
    pub fn seen(&mut self, signal: Signal, line: ShownLine, step: Option<Step>, recent: &Recent) {
        let slot = if signal.is_summary() { &mut self.first_summary } else { &mut self.first_error };
        if slot.is_none() {
            *slot = Some(FailureLine { line, signal, step });
        }
        if signal.is_summary() {
            self.keep_before(recent);
        }
    }

    /// Keeps the lines read so far for the suspects, unless lines were kept
    /// already (the generic failure finding keeps them too).
    pub fn keep_before(&mut self, recent: &Recent) {
        if self.before.is_none() {
            self.before = Some(recent.snapshot(crate::suspects::WINDOW));
        }
    }

    /// The input's failure line: the first summary, else the first tool error.
    pub fn failure(&mut self) -> Option<FailureLine> {
        self.first_summary.take().or_else(|| self.first_error.take())
    }

    /// The lines kept before the failure, or else the last lines read.
    pub fn before(&mut self, recent: &Recent) -> Vec<RingLine> {
        self.before.take().unwrap_or_else(|| recent.snapshot(crate::suspects::WINDOW))
    }
}

#[cfg(test)]
mod tests {
    use super::{detect, Signal};

    #[test]
    fn every_pattern_holds_a_trigger_word() {
        // The fast path only reads lines with a trigger or an error word.
        let words: Vec<String> = super::ERROR_WORDS.iter().map(|w| w.to_string()).collect();
        let samples = [
            "exit code: 1",
            "returned a non-zero code: 2",
            "did not complete successfully",
            "make: *** [all] Error 2",
            "ELIFECYCLE  Command failed with exit code 1.",
            "ERROR: failed to solve: process",
            "Build failed",
            "BUILD FAILED in 3s",
            "Failed to build an image",
            "error: could not compile",
            "npm ERR! code 1",
            "ERR_PNPM_X",
            "E: Unable to locate package",
            "fatal: not a git repository",
            "[ERROR] Failed",
            "Error response from daemon: x",
            "src/a.ts(3,7): error TS2307: x",
            "main.c:3:10: fatal error: zlib.h: No such file or directory",
            "Err:4 http://deb.debian.org/debian buster Release",
            "TypeError: colBuilder.setName is not a function",
            "Traceback (most recent call last):",
            "** (Mix.Config.LoadError) could not load config config/prod.secret.exs",
            "exec /app/start.sh: exec format error",
            "panic: runtime error",
            "thread 'main' panicked at src/main.rs",
            "Segmentation fault (core dumped)",
            "Killed",
        ];
        for s in samples {
            assert!(detect(s).is_some(), "{s}");
            let lower = s.to_lowercase();
            let found =
                words.iter().any(|w| lower.contains(w.as_str())) || super::TRIGGERS.iter().any(|t| s.contains(t));
            assert!(found, "no trigger word in {s}");
        }
    }

    #[test]
    fn lines_that_only_look_like_errors_give_no_signal() {
        for s in [
            "exit code: 0",
            "Process completed with exit code 0.",
            "0 errors, 2 warnings",
            "Compiling thiserror v1.0.50",
            "cc -Werror -O2 -c main.c",
            "npm warn deprecated inflight@1.0.6",
            "WARNING: Running pip as the 'root' user",
            "Build completed successfully",
            "handling errors: see docs",
            "The build failed to find a cache and started from scratch",
        ] {
            assert_eq!(detect(s), None, "{s}");
        }
    }

    #[test]
    fn summaries_and_causes() {
        assert_eq!(detect("==> Exited with status 1"), Some(Signal::ExitStatus));
        assert_eq!(detect("Deployment failed"), Some(Signal::BuildFailed));
        assert_eq!(
            detect("error: the argument '--frozen' cannot be used with '--no-sources'"),
            Some(Signal::ToolError)
        );
        assert!(Signal::ExitStatus.is_summary() && !Signal::ToolError.is_summary());
    }
}
