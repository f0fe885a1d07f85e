//! `--rules DIR`: user rules add to and replace embedded ones; broken files
//! are reported with file, line, rule id and field, and exit 2.

use crate::support::{run, write};

const GOOD: &str = "id: team/flaky-mirror
title: The company mirror timed out
severity: error
patterns:
  - 'mirror\\.example\\.com timed out after (?P<secs>\\d+)s'
explanation: |
  The internal package mirror did not answer within {secs} seconds.
remediation:
  - title: Retry the build
    steps: [Redeploy.]
links:
  - title: Mirror status
    url: https://status.example.com
examples:
  match:
    - line: 'mirror.example.com timed out after 30s'
      captures: { secs: '30' }
    - 'ERROR: mirror.example.com timed out after 5s'
  no_match:
    - 'mirror.example.com answered in 3s'
";

fn broken(name: &str, text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), name, text);
    let out = run(&["--rules", dir.path().to_str().unwrap()], b"x\n");
    (out.code, out.stderr)
}

#[test]
fn user_rules_are_added_and_tested() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "team/flaky-mirror.yaml", GOOD);
    let d = dir.path().to_str().unwrap();
    let out = run(&["--rules", d, "--format", "json"], b"fetch\nmirror.example.com timed out after 12s\n");
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["findings"][0]["rule"], "team/flaky-mirror");
    assert_eq!(doc["findings"][0]["captures"]["secs"], "12");
    assert!(doc["findings"][0]["summary"].as_str().unwrap().contains("within 12 seconds"));
    let test = run(&["rules", "test", d], b"");
    assert_eq!(test.code, 0, "{}", test.stdout);
    assert!(test.stdout.contains("1 rules, 3 examples"), "{}", test.stdout);
}

#[test]
fn a_user_rule_replaces_the_embedded_rule_with_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let replaced = GOOD.replace("team/flaky-mirror", "python/externally-managed-environment");
    write(dir.path(), "python/externally-managed-environment.yaml", &replaced);
    let out =
        run(&["--rules", dir.path().to_str().unwrap(), "--format", "json"], b"error: externally-managed-environment\n");
    // The replacement no longer matches pip's line, which is still a
    // tool's error line: an unknown failure.
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert!(out.json()["findings"].as_array().unwrap().is_empty(), "{}", out.stdout);
}

#[test]
fn rules_test_reports_a_rule_that_fails_its_examples() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "team/flaky-mirror.yaml", &GOOD.replace("answered in 3s", "timed out after 1s"));
    let out = run(&["rules", "test", dir.path().to_str().unwrap()], b"");
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("FAIL team/flaky-mirror: examples.no_match[0] matched"), "{}", out.stdout);
}

#[test]
fn invalid_yaml() {
    let (code, err) = broken("team/bad.yaml", "id: team/bad\ntitle: [unclosed\n");
    assert_eq!(code, 2);
    assert!(err.contains("team/bad.yaml:"), "{err}");
    assert!(err.contains("rule team/bad"), "{err}");
}

#[test]
fn unknown_field_names_file_line_and_field() {
    let text = GOOD.replace("severity: error", "severity: error\ncolour: red");
    let (code, err) = broken("team/flaky-mirror.yaml", &text);
    assert_eq!(code, 2);
    assert!(err.contains("team/flaky-mirror.yaml:4:"), "{err}");
    assert!(err.contains("unknown field `colour`"), "{err}");
}

#[test]
fn missing_field() {
    let text = GOOD.replace("title: The company mirror timed out\n", "");
    let (code, err) = broken("team/flaky-mirror.yaml", &text);
    assert_eq!(code, 2);
    assert!(err.contains("missing field `title`") && err.contains("rule team/flaky-mirror"), "{err}");
}

#[test]
fn wrong_type_and_bad_severity() {
    let (code, err) = broken("team/flaky-mirror.yaml", &GOOD.replace("severity: error", "severity: fatal"));
    assert_eq!(code, 2);
    assert!(err.contains("severity") && err.contains("fatal"), "{err}");
    let (code, err) = broken("team/flaky-mirror.yaml", &GOOD.replace("steps: [Redeploy.]", "steps: 3"));
    assert_eq!(code, 2);
    assert!(err.contains("steps"), "{err}");
}

#[test]
fn a_regex_that_does_not_compile_names_the_rule() {
    let (code, err) = broken("team/flaky-mirror.yaml", &GOOD.replace("(?P<secs>\\d+)s", "(?P<secs>\\d+s"));
    assert_eq!(code, 2);
    assert!(
        err.contains("rule team/flaky-mirror") && err.contains("patterns[0].regex") && err.contains("does not compile"),
        "{err}"
    );
}

#[test]
fn a_huge_regex_is_refused_with_a_clear_error() {
    let (code, err) =
        broken("team/flaky-mirror.yaml", &GOOD.replace("timed out after", "timed out \\w{1000}\\w{1000} after"));
    assert_eq!(code, 2);
    assert!(err.contains("rule team/flaky-mirror") && err.contains("compiles to more than"), "{err}");
}

#[test]
fn duplicate_ids() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/one.yaml", GOOD);
    write(dir.path(), "b/two.yaml", GOOD);
    let out = run(&["--rules", dir.path().to_str().unwrap()], b"x\n");
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("duplicate id") && out.stderr.contains("rule team/flaky-mirror"), "{}", out.stderr);
}

#[test]
fn a_missing_rules_directory() {
    let out = run(&["--rules", "/no/such/rules"], b"x\n");
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--rules /no/such/rules: no such directory"), "{}", out.stderr);
}

#[test]
fn a_symlink_loop_in_the_rules_directory_does_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "team/flaky-mirror.yaml", GOOD);
    std::os::unix::fs::symlink(dir.path(), dir.path().join("team/loop")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("team"), dir.path().join("team/again")).unwrap();
    let out = run(&["--rules", dir.path().to_str().unwrap(), "rules", "list", "--group", "team"], b"");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 1);
}

#[test]
fn thousands_of_rules_load_and_match() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..2000 {
        let text = GOOD
            .replace("team/flaky-mirror", &format!("team/mirror-{i}"))
            .replace("mirror\\.example\\.com", &format!("mirror{i}\\.example\\.com"));
        write(dir.path(), &format!("team/mirror-{i}.yaml"), &text);
    }
    let out = run(
        &["--rules", dir.path().to_str().unwrap(), "--format", "json"],
        b"mirror1234.example.com timed out after 9s\n",
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.json()["findings"][0]["rule"], "team/mirror-1234");
}

#[test]
fn a_ten_megabyte_regex_is_refused() {
    let huge = format!("id: team/huge\ntitle: t\nseverity: error\npatterns:\n  - '{}'\n", "a".repeat(10 << 20));
    let (code, err) = broken("team/huge.yaml", &huge);
    assert_eq!(code, 2);
    assert!(err.contains("team/huge.yaml") && err.contains("rule files may be at most"), "{err}");
}

/// A rule that says what must co-occur in a line, and a rule-level `unless`.
const ALL: &str = "id: team/internal-host-unresolved
title: '{host} did not resolve'
severity: error
patterns:
  - all:
      - '(?P<host>[a-z0-9-]+\\.corp\\.internal)'
      - '(?i)could not resolve|name or service not known|ENOTFOUND'
  - 'getaddrinfo failed for (?P<host>[a-z0-9-]+\\.corp\\.internal)'
unless:
  - regex: 'retrying'
    after: 1
explains: [system/dns-resolution-failed]
explanation: |
  The host {host} was looked up and not found.
remediation:
  - title: Check the host name
    steps: [Fix it.]
links:
  - title: Docs
    url: https://example.com
examples:
  match:
    - line: 'Error: getaddrinfo ENOTFOUND db.corp.internal'
      captures: { host: db.corp.internal }
    - 'could not resolve api.corp.internal: timeout'
  no_match:
    - 'connected to db.corp.internal'
    - 'could not resolve example.com'
";

#[test]
fn an_all_pattern_needs_every_regex_in_one_line_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "team/internal-host-unresolved.yaml", ALL);
    let d = dir.path().to_str().unwrap();
    let hit = |log: &str| {
        let out = run(&["--rules", d, "--format", "json"], log.as_bytes());
        out.json()["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "team/internal-host-unresolved")
    };
    assert!(hit("Name or service not known: cache.corp.internal\n"));
    assert!(hit("cache.corp.internal: could not resolve\n"));
    assert!(!hit("cache.corp.internal answered\n"));
    assert!(!hit("could not resolve cache.example.com\n"));
    let out = run(&["rules", "test", d], b"");
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn a_rule_level_unless_applies_to_every_pattern() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "team/internal-host-unresolved.yaml", ALL);
    let d = dir.path().to_str().unwrap();
    for first in ["getaddrinfo failed for db.corp.internal", "db.corp.internal: ENOTFOUND"] {
        let log = format!("{first}\nretrying in 5s\n");
        let out = run(&["--rules", d, "--format", "json"], log.as_bytes());
        let found =
            out.json()["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "team/internal-host-unresolved");
        assert!(!found, "{first}: {}", out.stdout);
    }
}

#[test]
fn regex_and_all_together_or_neither_are_refused() {
    let both = ALL.replace("  - all:\n", "  - regex: 'x{4}'\n    all:\n");
    let (code, err) = broken("team/internal-host-unresolved.yaml", &both);
    assert_eq!(code, 2);
    assert!(err.contains("patterns[0]") && err.contains("not both"), "{err}");
    let neither = ALL
        .replace("  - getaddrinfo", "  - near: []\n  - getaddrinfo")
        .replace("  - 'getaddrinfo failed", "  - near: [{regex: abcd, before: 1}]\n  - 'getaddrinfo failed");
    let (code, err) = broken("team/internal-host-unresolved.yaml", &neither);
    assert_eq!(code, 2);
    assert!(err.contains("patterns[1]") && err.contains("`all`"), "{err}");
}

#[test]
fn two_patterns_on_one_line_are_one_hit() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "team/internal-host-unresolved.yaml", ALL);
    let d = dir.path().to_str().unwrap();
    let out = run(&["--rules", d, "--format", "json"], b"getaddrinfo failed for db.corp.internal: ENOTFOUND\n");
    let doc = out.json();
    assert_eq!(doc["findings"][0]["rule"], "team/internal-host-unresolved");
    assert_eq!(doc["findings"][0]["count"], 1, "{}", out.stdout);
}

#[test]
fn a_long_message_needs_a_wrapped_or_excerpt_example() {
    let long = "mirror.example.com timed out after 30s while fetching the package index for the second time in a row";
    let rule = GOOD.replace("    - 'ERROR: mirror.example.com timed out after 5s'", &format!("    - '{long}'"));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "team/flaky-mirror.yaml", &rule);
    let d = dir.path().to_str().unwrap();
    let out = run(&["rules", "test", d], b"");
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains("needs a wrapped or an excerpt example"), "{}", out.stdout);
    let wrapped = rule.replace(
        "  no_match:",
        "    - log: |\n        mirror.example.com timed out after 30s while fetching\n        the package index\n  no_match:",
    );
    write(dir.path(), "team/flaky-mirror.yaml", &wrapped);
    let out = run(&["rules", "test", d], b"");
    assert_eq!(out.code, 0, "{}", out.stdout);
}
