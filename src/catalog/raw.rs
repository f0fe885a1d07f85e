//! The serde shape of a rule file, exactly as `rules/README.md` specifies it.
//! Unknown fields are rejected everywhere; turning this into a checked
//! [`Rule`](super::Rule) is `rule.rs`'s job.

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

/// A rule file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// `<group>/<name>`, equal to the file's path under the rules directory.
    pub id: String,
    /// One line naming the failure; may use `{capture}` placeholders.
    pub title: String,
    /// How bad the failure is.
    pub severity: Severity,
    /// `specific` names a cause; `generic` only says something failed.
    #[serde(default)]
    pub kind: Kind,
    /// Regexes (or maps with `regex` or `all`, `near`, `unless`); any hit counts.
    pub patterns: Vec<StringOr<RawPattern>>,
    /// Conditions every pattern's hit must meet, besides the pattern's own.
    #[serde(default)]
    pub near: Vec<RawCondition>,
    /// Conditions any of which discards a hit of any pattern.
    #[serde(default)]
    pub unless: Vec<RawCondition>,
    /// Rules whose findings this rule's finding explains (folded under it).
    #[serde(default)]
    pub explains: Vec<String>,
    /// Exit statuses a build step typically ends with because of this
    /// failure (127 command not found, 137 killed…): a hint for ranking.
    #[serde(default)]
    pub exit_codes: Vec<u16>,
    /// Markdown; the first paragraph is the card's short explanation.
    pub explanation: String,
    /// The fixes, best first.
    pub remediation: Vec<RawRemedy>,
    /// Official documentation first.
    pub links: Vec<RawLink>,
    /// Lines that must and must not match.
    pub examples: RawExamples,
}

/// How bad a failure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The build or deploy failed because of it.
    Error,
    /// Worth fixing; the build may still succeed.
    Warning,
    /// Good to know.
    Info,
}

impl Severity {
    /// The name rule files and JSON use.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Whether a rule names a cause.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// It names a cause.
    #[default]
    Specific,
    /// It only says that something failed.
    Generic,
}

impl Kind {
    /// The name rule files and JSON use.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Specific => "specific",
            Kind::Generic => "generic",
        }
    }
}

/// A pattern written as a map.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPattern {
    /// The regex, matched against one normalised line.
    #[serde(default)]
    pub regex: Option<String>,
    /// Regexes that must all match the same line, in any order (instead of
    /// `regex`).
    #[serde(default)]
    pub all: Vec<String>,
    /// Conditions that must all hold around the hit.
    #[serde(default)]
    pub near: Vec<RawCondition>,
    /// Conditions any of which discards the hit.
    #[serde(default)]
    pub unless: Vec<RawCondition>,
}

impl From<String> for RawPattern {
    fn from(regex: String) -> Self {
        RawPattern { regex: Some(regex), all: Vec::new(), near: Vec::new(), unless: Vec::new() }
    }
}

/// A `near` or `unless` condition as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCondition {
    /// The regex a nearby line must match.
    pub regex: String,
    /// How many lines before the hit to look at (at most 200).
    #[serde(default)]
    pub before: usize,
    /// How many lines after the hit to look at (at most 200).
    #[serde(default)]
    pub after: usize,
}

pub use crate::builder::Builder;

/// A remediation option as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRemedy {
    /// What to do, in the imperative.
    pub title: String,
    /// The builders the option is for; absent means every builder.
    #[serde(default)]
    pub builders: Vec<Builder>,
    /// Short steps, each a sentence.
    pub steps: Vec<String>,
    /// Where the snippet goes (`nixpacks.toml`, `service variables`, …).
    #[serde(default)]
    pub file: Option<String>,
    /// Text to copy.
    #[serde(default)]
    pub snippet: Option<String>,
    /// What the option costs or risks.
    #[serde(default)]
    pub tradeoffs: Option<String>,
}

/// A link as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLink {
    /// What it links to.
    pub title: String,
    /// The address.
    pub url: String,
}

/// A rule's examples as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExamples {
    /// Lines or logs the rule must find, with the captures they must yield.
    #[serde(default, rename = "match")]
    pub matches: Vec<StringOr<RawExample>>,
    /// Lines or logs the rule must not find.
    #[serde(default)]
    pub no_match: Vec<StringOr<RawExample>>,
}

/// One example as written: a log, or a map with captures.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExample {
    /// One log line.
    #[serde(default)]
    pub line: Option<String>,
    /// Several log lines.
    #[serde(default)]
    pub log: Option<String>,
    /// Captures the first hit must yield, exactly.
    #[serde(default)]
    pub captures: BTreeMap<String, String>,
}

impl From<String> for RawExample {
    fn from(line: String) -> Self {
        RawExample { line: Some(line), log: None, captures: BTreeMap::new() }
    }
}

/// A field that may be written as a plain string or as a full map.
#[derive(Debug)]
pub struct StringOr<T>(pub T);

impl<'de, T> Deserialize<'de> for StringOr<T>
where
    T: Deserialize<'de> + From<String>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + From<String>> Visitor<'de> for V<T> {
            type Value = StringOr<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a map")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StringOr(T::from(v.to_owned())))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(StringOr)
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}
