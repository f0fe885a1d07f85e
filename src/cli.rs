//! The command line, as clap parses it. Doc comments here are the `--help`
//! text. Nothing is decided here: `config` resolves these into a `Config`.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Reads a build or deploy log and says why it failed and what to change.
///
/// Reads the files given, or standard input (`-`, a pipe, or a paste ended
/// with Ctrl-D). Exit status: 0 no error found, 1 a known failure found,
/// 2 usage error / unreadable input / broken rules, 3 the build failed but
/// no rule knows why.
#[derive(Debug, Parser)]
#[command(name = "buildmedic", version, max_term_width = 100)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Log files to diagnose; `-` (or nothing) reads standard input.
    #[arg(value_name = "LOG")]
    pub files: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// When to use colour; `auto` means only on a terminal and when NO_COLOR is unset.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Load more rules from DIR (any depth, *.yaml); they replace embedded rules with the same id.
    #[arg(long = "rules", value_name = "DIR", global = true)]
    pub rules: Vec<PathBuf>,

    /// Show the remediation options for every builder, not only the detected one.
    #[arg(long)]
    pub all_fixes: bool,

    /// Lines of log shown around each finding.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub context: usize,

    /// Base URL of the explanation pages (also BUILDMEDIC_DOCS_URL).
    #[arg(long, value_name = "URL")]
    pub docs_url: Option<String>,

    /// Copy every input line to stdout as it arrives; print the diagnosis on stderr.
    #[arg(long)]
    pub tee: bool,

    /// Print log lines as they are, without masking tokens, keys and passwords.
    #[arg(long)]
    pub no_redact: bool,

    /// Switch a rule off for this run (repeatable; also BUILDMEDIC_DISABLE=id1,id2).
    #[arg(long, value_name = "ID")]
    pub disable: Vec<String>,

    /// The log of the last good build: lines it also printed are never suspects.
    #[arg(long, value_name = "GOOD_LOG")]
    pub baseline: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with the rule catalogue.
    Rules {
        #[command(subcommand)]
        action: RulesCommand,
    },
    /// Print the whole explanation of a rule: what the log says, why, every fix, links.
    Explain {
        /// The rule id, e.g. python/externally-managed-environment.
        id: String,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff).
    Man,
    /// Generate the static site of explanation pages (index plus one page per rule).
    Site {
        /// The directory to write the site into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules: id, severity, title.
    List {
        /// Only the rules of this group (python, node, nixpacks, …).
        #[arg(long)]
        group: Option<String>,
        /// Print every pattern's regex, one per line: a pattern file for `rg -f`.
        #[arg(long, conflicts_with = "literals")]
        patterns: bool,
        /// Print the literals the line gate searches for, one per line: a
        /// pattern file for `rg -F -f`, the floor any scan of the log costs.
        #[arg(long)]
        literals: bool,
    },
    /// Run every rule's examples and check the catalogue's conventions.
    ///
    /// With DIR, tests the rules in DIR, ranked against the whole catalogue
    /// (embedded rules plus DIR).
    Test {
        /// A directory of rule files to test.
        dir: Option<PathBuf>,
    },
    /// Write a rule skeleton from one log line, its variable parts as captures.
    New {
        /// The log line to start from: FILE:LINE.
        #[arg(long, value_name = "FILE:LINE")]
        from: String,
        /// The new rule's id (default: local/ and words of the line).
        #[arg(long)]
        id: Option<String>,
        /// Write the file under DIR/GROUP/NAME.yaml instead of printing it.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Cards for people.
    Human,
    /// One JSON document (see the README for the contract).
    Json,
    /// Markdown, to paste into an issue or a pull request.
    Markdown,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// JSON lines: a `finding` event as each rule first matches, then a `summary`.
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
