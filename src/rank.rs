//! The only place that decides what comes first: it orders the findings of
//! an input and folds explained ones under their cause ([`rank_input`]),
//! ranks findings across inputs, gives each its [`Role`] and settles the
//! [`Status`] ([`assemble`]), and maps the status to the exit code.
//! Renderers follow the order and read the roles; they never re-rank.
//!
//! Within an input: findings a rule `explains` are folded under it; generic
//! findings fold under the best specific error; then error before warning
//! before info, specific before generic, a rule that explains the failed
//! step's exit status first, a cause in the failed step before causes
//! elsewhere, and earliest line first. Across inputs: the same severity and
//! kind order, each input's own order kept within a tie.

use crate::catalog::{Catalog, Kind, Severity};
use crate::context::Step;
use crate::error::{EXIT_FINDING, EXIT_OK, EXIT_UNKNOWN_FAILURE};
use crate::finding::{Consequence, Finding, InputReport, Ranked, Report, Role, Status};

/// Orders one input's findings best first and folds explained ones under
/// their cause.
pub fn rank_input(catalog: &Catalog, mut findings: Vec<Finding>) -> Vec<Finding> {
    let rule = |f: &Finding| catalog.rule(f.rule);
    let is_generic = |f: &Finding| rule(f).is_some_and(|r| r.kind == Kind::Generic);
    // The exit status of the failed step, from the generic failure line: a
    // rule that explains that status (127, 137…) goes before other causes.
    let exit_code: Option<u16> =
        findings.iter().filter(|f| is_generic(f)).find_map(|f| f.captures.get("exit_code")?.parse().ok());
    // The step that failed (where the generic failure line was printed): a
    // cause found in that step goes before causes found in other steps.
    let failed_step: Option<Step> =
        findings.iter().filter(|f| is_generic(f)).min_by_key(|f| f.line.number).and_then(|f| f.step.clone());
    let in_failed_step = |f: &Finding| match (&failed_step, &f.step) {
        (Some(failed), Some(step)) => failed.name == step.name,
        _ => true,
    };
    findings.sort_by_key(|f| {
        let (severity, kind) = class(catalog, f);
        let fits_exit = exit_code.is_some_and(|code| rule(f).is_some_and(|r| r.exit_codes.contains(&code)));
        (severity, kind, !fits_exit, !in_failed_step(f), f.line.number)
    });
    let id = |f: &Finding| rule(f).map_or("", |r| r.id.as_str());
    // Who absorbs whom: the best-ranked finding that explains it, or for a
    // generic finding the best specific error.
    let parent: Vec<Option<usize>> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let explained_by =
                findings.iter().position(|g| rule(g).is_some_and(|r| r.explains.iter().any(|e| e == id(f))));
            let generic_parent = if is_generic(f) {
                findings.iter().position(|g| class(catalog, g) == (Severity::Error, Kind::Specific))
            } else {
                None
            };
            explained_by.or(generic_parent).filter(|&p| p != i)
        })
        .collect();
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
    let folded: Vec<(usize, Consequence)> = findings
        .iter()
        .zip(&roots)
        .enumerate()
        .filter(|(i, (_, r))| *r != i)
        .map(|(_, (f, &r))| {
            (r, Consequence { rule: f.rule, line: f.line.number, count: f.count, text: f.line.text.clone() })
        })
        .collect();
    for (r, c) in folded {
        if let Some(f) = findings.get_mut(r) {
            f.consequences.push(c);
        }
    }
    findings.into_iter().enumerate().filter(|(i, _)| roots.get(*i) == Some(i)).map(|(_, f)| f).collect()
}

/// A finding's severity and kind, the first keys of every order.
fn class(catalog: &Catalog, f: &Finding) -> (Severity, Kind) {
    let rule = catalog.rule(f.rule);
    (rule.map_or(Severity::Info, |r| r.severity), rule.map_or(Kind::Generic, |r| r.kind))
}

/// Ranks findings across inputs, settles the overall status and gives each
/// finding its role.
pub fn assemble(catalog: &Catalog, inputs: Vec<InputReport>) -> Report {
    let mut findings: Vec<(usize, Finding)> =
        inputs.iter().enumerate().flat_map(|(i, r)| r.findings.iter().cloned().map(move |f| (i, f))).collect();
    findings.sort_by_key(|(_, f)| class(catalog, f));
    // A failure the log shows is never clean, whether or not a rule knows it.
    let shows_failure = inputs.iter().any(|i| i.failure.is_some());
    let status = match findings.first().map(|(_, f)| class(catalog, f)) {
        Some((Severity::Error, Kind::Specific)) => Status::Failed,
        Some((Severity::Error, Kind::Generic)) => Status::UnknownFailure,
        _ if shows_failure => Status::UnknownFailure,
        _ => Status::Clean,
    };
    // When no rule names the cause and an input shows where it failed, that
    // failure leads the report and no finding is the answer.
    let unknown_leads = status == Status::UnknownFailure && inputs.iter().any(leads_unexplained);
    let findings = findings
        .into_iter()
        .enumerate()
        .map(|(i, (input, finding))| {
            let role = if i == 0 && !unknown_leads {
                Role::RootCause
            } else if class(catalog, &finding).0 == Severity::Error {
                Role::FollowOn
            } else {
                Role::Note
            };
            Ranked { input, finding, role }
        })
        .collect();
    Report { inputs, findings, status }
}

/// Whether an input has an unexplained failure to show: its failure line or
/// its suspects.
fn leads_unexplained(input: &InputReport) -> bool {
    input.failure.is_some() || !input.suspects.is_empty()
}

/// The inputs whose failure no rule explains, when that is the report's
/// answer: their failure line and suspects lead the output.
pub fn unexplained(report: &Report) -> impl Iterator<Item = &InputReport> {
    let unknown = report.status == Status::UnknownFailure;
    report.inputs.iter().filter(move |i| unknown && leads_unexplained(i))
}

impl Status {
    /// The process exit code for this answer (see the README).
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Clean => EXIT_OK,
            Status::Failed => EXIT_FINDING,
            Status::UnknownFailure => EXIT_UNKNOWN_FAILURE,
        }
    }
}
