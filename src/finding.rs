//! What a diagnosis is made of: findings, the report of one input, and the
//! report of a whole run. These are the types of the JSON contract
//! (`--format json`); `render::json` adds the catalogue's text (titles,
//! fixes) to each finding, and `schema/report.schema.json` is generated
//! from these types (a test fails when it drifts).
//!
//! The engine ([`crate::engine`]) produces an [`InputReport`] per input;
//! [`crate::rank`] orders the findings, gives each its [`Role`] and settles
//! the [`Status`].

use crate::context::{BuilderInfo, Step};
use crate::failure::Signal;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A rule's place in its catalogue (`catalog.rules`), as the engine and the
/// renderers refer to it; [`crate::catalog::Catalog::rule`] looks it up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleIndex(pub usize);

/// One log line as shown to a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ShownLine {
    /// 1-based line number in the input.
    #[serde(rename = "line")]
    pub number: u64,
    /// The normalised message: prefixes, timestamps and ANSI codes removed.
    pub text: String,
    /// The line as read, ANSI codes removed, cut at a few KiB.
    pub raw: String,
}

/// A rule that matched an input: its first hit and what it captured.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule that matched.
    pub rule: RuleIndex,
    /// The line of the first hit.
    pub line: ShownLine,
    /// The named captures of the first hits (the first hit that has a
    /// capture wins).
    pub captures: BTreeMap<String, String>,
    /// How many lines the rule matched in this input.
    pub count: u64,
    /// Line numbers of the first few hits (the first is `line.number`).
    pub lines: Vec<u64>,
    /// The build step of the first hit, when known.
    pub step: Option<Step>,
    /// Lines around the first hit, for `--context` (the hit included).
    pub context: Vec<ShownLine>,
    /// Findings this one explains, folded under it by [`crate::rank`].
    pub consequences: Vec<Consequence>,
}

/// A finding folded under the finding that explains it.
#[derive(Debug, Clone)]
pub struct Consequence {
    /// The folded finding's rule.
    pub rule: RuleIndex,
    /// Its first line number.
    pub line: u64,
    /// How many lines it matched.
    pub count: u64,
    /// The normalised text of its first line.
    pub text: String,
}

/// A line that shows the build failed, whatever its cause.
#[derive(Debug, Clone)]
pub struct FailureLine {
    /// The line.
    pub line: ShownLine,
    /// What kind of failure it shows.
    pub signal: Signal,
    /// The build step the line belongs to, when known.
    pub step: Option<Step>,
}

/// Everything learned about one input. In JSON, one element of `inputs`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InputReport {
    /// The input's name: its path, or `<stdin>`.
    pub name: String,
    /// Lines read (a last line without a line end counts).
    pub lines: u64,
    /// The builder that produced the log, its version and providers.
    pub builder: BuilderInfo,
    /// Ranked best first, explained findings folded under their cause (in
    /// JSON they are the report's `findings`, ranked across inputs).
    #[serde(skip)]
    pub findings: Vec<Finding>,
    /// The first line that shows the build failed, whatever its cause (see
    /// `failure`): a summary (exit status, `Build failed`) if the log has
    /// one, else the first tool error line.
    #[serde(serialize_with = "failure_wire")]
    #[schemars(with = "Option<FailureWire>")]
    pub failure: Option<FailureLine>,
    /// When the input failed and no specific rule explains it: the lines
    /// most likely to state the cause, best first (see `suspects`).
    pub suspects: Vec<ShownLine>,
    /// The name of the `--baseline` log the suspects were compared with.
    pub baseline: Option<String>,
    /// The read error that ended the input early, if any: what was read
    /// before it is still diagnosed.
    #[serde(skip)]
    pub read_error: Option<Arc<std::io::Error>>,
}

/// The JSON form of a [`FailureLine`].
#[derive(Serialize, JsonSchema)]
struct FailureWire<'a> {
    /// Its 1-based line number.
    line: u64,
    /// Its normalised text.
    text: &'a str,
    /// What kind of failure it shows.
    signal: Signal,
    /// The build step it belongs to, when known.
    step: Option<&'a Step>,
}

fn failure_wire<S: serde::Serializer>(failure: &Option<FailureLine>, s: S) -> Result<S::Ok, S::Error> {
    let wire = failure.as_ref().map(|f| FailureWire {
        line: f.line.number,
        text: &f.line.text,
        signal: f.signal,
        step: f.step.as_ref(),
    });
    wire.serialize(s)
}

/// What a finding is to the reader of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The answer: the cause of the failure (in a build that did not fail,
    /// the most important note). Shown in full, every fix.
    RootCause,
    /// A further error: shown with its best fix.
    FollowOn,
    /// A warning or information after the answer: shown briefly.
    Note,
}

/// A finding in a report, with its input and its role.
#[derive(Debug, Clone)]
pub struct Ranked {
    /// Index into [`Report::inputs`].
    pub input: usize,
    /// The finding.
    pub finding: Finding,
    /// What it is to the reader.
    pub role: Role,
}

/// The diagnosis of every input, findings ranked across inputs.
#[derive(Debug)]
pub struct Report {
    /// Every input, in the order read.
    pub inputs: Vec<InputReport>,
    /// Best first: `findings[0]` answers "why did this build fail".
    pub findings: Vec<Ranked>,
    /// The overall answer.
    pub status: Status,
}

/// The overall answer of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// No error-severity finding, and no line shows a failure.
    Clean,
    /// A specific rule explains the failure.
    Failed,
    /// The log failed, but no specific rule names the cause.
    UnknownFailure,
}

impl Status {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Clean => "clean",
            Status::Failed => "failed",
            Status::UnknownFailure => "unknown-failure",
        }
    }
}
