//! The catalogue of known failures: loading, validation and lookup.
//!
//! Rules come from the files embedded at build time (`build.rs`) and from
//! `--rules DIR` directories; a rule from a directory replaces an embedded
//! rule with the same id. A broken file never panics: every problem becomes
//! a [`RuleError`] naming the file, the line where it can be found, the rule
//! id and the field, and all of them are reported at once.
//!
//! Both go through the same checks (`check.rs`): the embedded files when
//! the binary is built, which then holds them as statics (`embedded.rs`),
//! so start-up parses no YAML; `--rules` files when they are loaded.
//!
//! The catalogue is read-only configuration for the matcher and renderers.

pub(crate) mod check;
pub(crate) mod embedded;
pub mod lint;
pub mod literal;
pub mod raw;
pub mod rule;

pub use raw::{Builder, Kind, Severity};
pub use rule::{Condition, Example, Link, Pattern, Remedy, Rule};

use crate::error::{describe_io, Error, RuleError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Largest rule file read.
const MAX_RULE_FILE: u64 = 1024 * 1024;
/// Deepest directory nesting searched under `--rules DIR`.
const MAX_DEPTH: usize = 16;

/// The rules, read-only once loaded.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Sorted by id.
    pub rules: Vec<Rule>,
    index: HashMap<String, usize>,
}

impl Catalog {
    /// The embedded rules plus every rule under `dirs`.
    pub fn load(dirs: &[PathBuf]) -> Result<Catalog, Error> {
        let mut errors = Vec::new();
        // Embedded rules were checked when the binary was built, and their
        // regexes by the test suite: they compile on first use. Rules from
        // directories compile now, so their errors are reported before any
        // log is read.
        let mut rules: Vec<Rule> = embedded::RULES.iter().map(Rule::from_embedded).collect();
        let mut user_files = Vec::new();
        for dir in dirs {
            if !dir.is_dir() {
                return Err(Error::Usage(format!(
                    "--rules {}: {}",
                    dir.display(),
                    if dir.exists() { "not a directory" } else { "no such directory" }
                )));
            }
            walk(dir, 0, &mut user_files);
        }
        let user = load_set(
            user_files.into_iter().map(|p| {
                let name = p.display().to_string();
                (name, read_rule_file(&p))
            }),
            &mut errors,
        );
        if !errors.is_empty() {
            return Err(Error::Rules(errors));
        }
        for rule in user {
            match rules.iter_mut().find(|r| r.id == rule.id) {
                Some(slot) => *slot = rule,
                None => rules.push(rule),
            }
        }
        Ok(Catalog::from_rules(rules))
    }

    /// A catalogue of these rules, sorted by id.
    pub fn from_rules(mut rules: Vec<Rule>) -> Catalog {
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        let index = rules.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
        Catalog { rules, index }
    }

    /// Frees the rules' examples, which a diagnosis never reads (they are
    /// a third of the catalogue's text; an embedded rule's are not made
    /// until read).
    pub fn drop_examples(&mut self) {
        for rule in &mut self.rules {
            rule.examples = rule::LazyExamples::default();
        }
    }

    /// Switches the rules with these ids off (ids no rule has are ignored).
    pub fn disable(&mut self, ids: &[String]) {
        self.rules.retain(|r| !ids.contains(&r.id));
        self.index = self.rules.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
    }

    /// The rule at `index`.
    pub fn rule(&self, index: crate::finding::RuleIndex) -> Option<&Rule> {
        self.rules.get(index.0)
    }

    /// The index of the rule with this id.
    pub fn index_of(&self, id: &str) -> Option<crate::finding::RuleIndex> {
        self.position(id).map(crate::finding::RuleIndex)
    }

    /// The place of the rule with this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.position(id).and_then(|i| self.rules.get(i))
    }

    /// The id most like `wanted`, for "did you mean" messages.
    pub fn closest_id(&self, wanted: &str) -> Option<&str> {
        closest(self.rules.iter().map(|r| r.id.as_str()), wanted)
    }
}

/// Parses and compiles the files of all user directories, reporting
/// duplicate ids among them.
fn load_set(files: impl Iterator<Item = (String, Result<String, String>)>, errors: &mut Vec<RuleError>) -> Vec<Rule> {
    let mut rules: Vec<Rule> = Vec::new();
    for (file, text) in files {
        let text = match text {
            Ok(t) => t,
            Err(message) => {
                errors.push(RuleError { file, line: None, rule: None, field: None, message });
                continue;
            }
        };
        match parse_rule(&file, &text) {
            Ok(rule) => {
                if let Some(first) = rules.iter().find(|r| r.id == rule.id) {
                    errors.push(check::duplicate_id(file, &text, &rule.id, &first.source));
                } else {
                    rules.push(rule);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    rules
}

/// Parses and compiles one rule file.
pub fn parse_rule(file: &str, text: &str) -> Result<Rule, RuleError> {
    parse_rule_with(file, text, true)
}

/// Parses one rule file; `eager` compiles its regexes now.
pub fn parse_rule_with(file: &str, text: &str, eager: bool) -> Result<Rule, RuleError> {
    let mut rule = Rule::from_checked(check::parse(file, text, &mut rule::compiler(eager))?);
    rule.source = file.to_string();
    Ok(rule)
}

fn read_rule_file(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| describe_io(&e))?;
    if meta.len() > MAX_RULE_FILE {
        return Err(format!("the file is {} bytes; rule files may be at most {MAX_RULE_FILE}", meta.len()));
    }
    let bytes = std::fs::read(path).map_err(|e| describe_io(&e))?;
    String::from_utf8(bytes)
        .map_err(|e| format!("not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()))
}

/// Collects `*.yaml` / `*.yml` files under `dir`, sorted, without following
/// symbolic links to directories (so a link loop cannot hang the walk).
fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if hidden {
            continue;
        }
        if meta.is_dir() {
            walk(&path, depth + 1, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// The id most like `wanted`: by edit distance over the whole id and over
/// its name part, so `externally-managed` finds the python rule.
fn closest<'c>(ids: impl Iterator<Item = &'c str>, wanted: &str) -> Option<&'c str> {
    let wanted = wanted.to_ascii_lowercase();
    ids.map(|id| {
        let name = id.rsplit('/').next().unwrap_or_default();
        let prefix: String = name.chars().take(wanted.chars().count()).collect();
        let d = edit_distance(&wanted, id).min(edit_distance(&wanted, name)).min(edit_distance(&wanted, &prefix) + 1);
        let d = if id.contains(&wanted) && wanted.len() >= 3 { d.min(1) } else { d };
        (d, id)
    })
    .filter(|(d, id)| *d <= (id.len() / 3).max(3))
    .min_by_key(|(d, _)| *d)
    .map(|(_, id)| id)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = sub.min(del).min(ins);
            }
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_catalogue_loads() {
        let catalog = Catalog::load(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert!(catalog.get("python/externally-managed-environment").is_some());
    }

    /// The statics `build.rs` wrote hold exactly what loading the YAML files
    /// as `--rules` files gives, field for field, and every embedded regex
    /// compiles within the limits.
    #[test]
    fn the_compiled_catalogue_is_what_its_files_say() {
        assert_eq!(embedded::SOURCES.len(), embedded::RULES.len());
        let mut errors = Vec::new();
        for ((file, text), compiled) in embedded::SOURCES.iter().zip(embedded::RULES) {
            if let Err(e) = parse_rule(file, text) {
                errors.push(e.to_string());
                continue;
            }
            let parsed = parse_rule_with(file, text, false).unwrap_or_else(|e| panic!("{e}"));
            let loaded = Rule::from_embedded(compiled);
            assert_eq!(format!("{loaded:#?}"), format!("{parsed:#?}"), "{file}");
        }
        assert!(errors.is_empty(), "{}", errors.join("\n"));
        let on_disk = {
            let mut files = Vec::new();
            walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"), 0, &mut files);
            files.len()
        };
        assert_eq!(on_disk, embedded::RULES.len(), "every file under rules/ is embedded");
    }

    #[test]
    fn unknown_fields_name_file_line_and_field() {
        let text = "id: a/b\ntitle: t\nseverity: error\npatterns: ['abcd']\nexplanation: x\nremediation: [{title: t, steps: [s], colour: red}]\nlinks: []\nexamples: {}\n";
        let e = parse_rule("x.yaml", text).err().unwrap_or_else(|| panic!("must fail"));
        assert_eq!(e.line, Some(6));
        assert_eq!(e.rule.as_deref(), Some("a/b"));
        assert!(e.to_string().contains("colour"), "{e}");
    }

    #[test]
    fn bad_regex_names_the_rule_and_field() {
        let text = "id: a/b\ntitle: t\nseverity: error\npatterns:\n  - 'ok literal'\n  - 'broken ('\nexplanation: x\nremediation: [{title: t, steps: [s]}]\nlinks: []\nexamples: {}\n";
        let e = parse_rule("x.yaml", text).err().unwrap_or_else(|| panic!("must fail"));
        assert_eq!(e.field.as_deref(), Some("patterns[1].regex"));
        assert_eq!(e.line, Some(6));
        assert!(e.to_string().contains("rule a/b"));
    }
}
