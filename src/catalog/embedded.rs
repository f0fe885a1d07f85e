//! The embedded catalogue as `build.rs` compiled it: every rule of
//! `rules/**/*.yaml`, already parsed and checked (by `check.rs`, the code
//! `--rules` files go through), as statics. Loading copies them into
//! [`super::Rule`]s, all but the examples, which are made when read; nothing
//! is parsed at run time, and the regexes compile on first use.
//!
//! The generated file is `embedded_catalog.rs` in `OUT_DIR`; a test checks
//! that it says exactly what parsing the YAML files says.

use super::raw::{Builder, Kind, Severity};

pub struct Rule {
    /// `rules/<group>/<name>.yaml`.
    pub source: &'static str,
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub kind: Kind,
    pub patterns: &'static [Pattern],
    pub explains: &'static [&'static str],
    pub exit_codes: &'static [u16],
    pub explanation: &'static str,
    pub remediation: &'static [Remedy],
    pub links: &'static [Link],
    pub examples: Examples,
}

pub struct Regex {
    pub source: &'static str,
    pub names: &'static [&'static str],
}

pub struct Pattern {
    pub regex: Regex,
    pub also: &'static [Regex],
    pub literals: Option<&'static [&'static [u8]]>,
    pub near: &'static [Condition],
    pub unless: &'static [Condition],
}

pub struct Condition {
    pub regex: Regex,
    pub template: Option<&'static str>,
    pub before: usize,
    pub after: usize,
}

pub struct Remedy {
    pub title: &'static str,
    pub builders: &'static [Builder],
    pub steps: &'static [&'static str],
    pub file: Option<&'static str>,
    pub snippet: Option<&'static str>,
    pub tradeoffs: Option<&'static str>,
}

pub struct Link {
    pub title: &'static str,
    pub url: &'static str,
}

pub struct Examples {
    pub matches: &'static [Example],
    pub no_match: &'static [Example],
}

pub struct Example {
    pub log: &'static str,
    /// Sorted by name.
    pub captures: &'static [(&'static str, &'static str)],
}

include!(concat!(env!("OUT_DIR"), "/embedded_catalog.rs"));
