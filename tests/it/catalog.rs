//! The embedded catalogue as a whole: examples, conventions, coverage.

use crate::support::root;
use buildmedic::catalog::Catalog;

fn catalog() -> Catalog {
    Catalog::load(&[]).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_rule_passes_its_examples_and_conventions() {
    let catalog = catalog();
    let outcome = buildmedic::selftest::test_catalog(&catalog, None);
    let report: Vec<String> = outcome.failures.iter().map(|f| format!("{}: {}", f.rule, f.message)).collect();
    assert!(report.is_empty(), "{} failures:\n{}", report.len(), report.join("\n"));
    assert!(outcome.examples >= catalog.rules.len() * 3);
}

#[test]
fn every_taxonomy_id_has_a_rule() {
    let catalog = catalog();
    let ids = std::fs::read_to_string(root().join("tests/taxonomy-ids.txt")).unwrap();
    let missing: Vec<&str> = ids.lines().filter(|id| !id.is_empty() && catalog.get(id).is_none()).collect();
    assert!(missing.is_empty(), "no rule for {} taxonomy ids: {missing:?}", missing.len());
}

/// The checked-in id list follows the shared taxonomy when it is beside the
/// checkout; regenerate it with the command in the message.
#[test]
fn the_taxonomy_id_list_is_current() {
    let taxonomy = root().join("../shared/taxonomy.md");
    let Ok(text) = std::fs::read_to_string(&taxonomy) else {
        return;
    };
    let re = regex::Regex::new(r"(?m)^\| `([a-z]+/[a-z0-9-]+)`").unwrap();
    let ids: Vec<&str> = re.captures_iter(&text).filter_map(|c| c.get(1)).map(|m| m.as_str()).collect();
    let listed = std::fs::read_to_string(root().join("tests/taxonomy-ids.txt")).unwrap();
    let listed: Vec<&str> = listed.lines().collect();
    assert_eq!(
        ids, listed,
        "tests/taxonomy-ids.txt is stale; regenerate: grep -oE '^\\| `[a-z]+/[a-z0-9-]+`' ../shared/taxonomy.md | tr -d '|` ' > tests/taxonomy-ids.txt"
    );
}

#[test]
fn every_regex_has_a_required_literal_for_the_fast_path() {
    let catalog = catalog();
    let mut slow = Vec::new();
    for rule in &catalog.rules {
        for (i, p) in rule.patterns.iter().enumerate() {
            let best = p.literals.as_deref().map_or(0, buildmedic::catalog::literal::score);
            if best < buildmedic::catalog::lint::MIN_LITERAL {
                slow.push(format!("{} patterns[{i}] `{}`", rule.id, p.regex.as_str()));
            }
        }
    }
    assert!(slow.is_empty(), "patterns without a 4-byte required literal:\n{}", slow.join("\n"));
}

#[test]
fn known_noise_never_raises_an_error() {
    let noise = "\
 1 warning found (use docker --debug to expand):
 - UndefinedVar: Usage of undefined variable '$NIXPACKS_PATH' (line 18)
 - FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)
 - LegacyKeyValueFormat: \"ENV key=value\" should be used instead of legacy \"ENV key value\" format (line 9)
 - SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ARG \"API_TOKEN\") (line 4)
npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory.
npm WARN deprecated rimraf@3.0.2: Rimraf versions prior to v4 are no longer supported
npm WARN EBADENGINE Unsupported engine {
npm warn EBADENGINE Unsupported engine {
npm notice New major version of npm available! 10.8.2 -> 11.1.0
 WARN  3 deprecated subdependencies found: glob@7.2.3, inflight@1.0.6, rimraf@3.0.2
WARNING: Running pip as the 'root' user can result in broken permissions and conflicting behaviour with the system package manager.
[notice] A new release of pip is available: 24.0 -> 25.0.1
debconf: unable to initialize frontend: Dialog
debconf: delaying package configuration, since apt-utils is not installed
WARNING: The requested image's platform (linux/arm64) does not match the detected host platform (linux/amd64/v3) and no specific platform was requested
   Compiling thiserror v1.0.69
cc1: some warnings being treated as errors -Werror
Build succeeded.
    0 Warning(s)
    0 Error(s)
found 0 vulnerabilities
";
    let catalog = catalog();
    let engine = buildmedic::Engine::new(&catalog, buildmedic::Options::default());
    let report = buildmedic::selftest::diagnose_text(&engine, noise);
    let errors: Vec<String> = report
        .findings
        .iter()
        .filter(|f| catalog.rules[f.rule.0].severity == buildmedic::catalog::Severity::Error)
        .map(|f| format!("{} at line {}: {}", catalog.rules[f.rule.0].id, f.line.number, f.line.text))
        .collect();
    assert!(errors.is_empty(), "noise raised errors:\n{}", errors.join("\n"));
}
