//! The program as a user meets it: fixtures in, cards and JSON out, exit codes.

use crate::support::{command, fixture, run, run_env, snapshot, stable};

#[test]
fn nixpacks_pip_log_names_the_flagship_cause_first() {
    let out = run(&["--format", "json", &fixture("nixpacks-pip-externally-managed.log")], b"");
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["version"], 1);
    let top = &doc["findings"][0];
    assert_eq!(top["rule"], "python/externally-managed-environment");
    assert_eq!(top["severity"], "error");
    assert_eq!(top["line"], 35);
    assert_eq!(top["text"], "error: externally-managed-environment");
    assert_eq!(top["step"]["command"], "pip install -r requirements.txt");
    assert_eq!(top["step"]["phase"], "install");
    assert_eq!(doc["inputs"][0]["builder"]["name"], "nixpacks");
    assert_eq!(doc["inputs"][0]["builder"]["version"], "1.38.0");
    assert_eq!(doc["inputs"][0]["lines"], 61);
    assert!(top["url"].as_str().unwrap_or_default().ends_with("/rules/python/externally-managed-environment/"));
    // The generic BuildKit failure lines are folded under the cause.
    let folded: Vec<&str> = top["consequences"].as_array().unwrap().iter().filter_map(|c| c["rule"].as_str()).collect();
    assert!(folded.contains(&"docker/build-step-failed"), "{folded:?}");
    // The harmless build-check warning never outranks it and is not an error.
    for f in doc["findings"].as_array().unwrap() {
        if f["rule"] == "docker/undefined-var-warning" {
            assert_eq!(f["severity"], "info");
        }
    }
}

#[test]
fn card_output_snapshot() {
    let out = run(&["--color", "never", &fixture("nixpacks-pip-externally-managed.log")], b"");
    assert_eq!(out.code, 1);
    snapshot("nixpacks-pip.card.txt", &stable(&out.stdout));
}

#[test]
fn json_output_snapshot() {
    let out = run(&["--format", "json", &fixture("dockerfile-pnpm-outdated-lockfile.log")], b"");
    assert_eq!(out.code, 1);
    snapshot("dockerfile-pnpm.json", &stable(&out.stdout));
}

#[test]
fn railpack_export_is_read_through_its_timestamps() {
    let out = run(&["--format", "json", &fixture("railpack-npm-ci-out-of-sync.log")], b"");
    let doc = out.json();
    assert_eq!(doc["findings"][0]["rule"], "node/npm-ci-out-of-sync");
    assert_eq!(doc["inputs"][0]["builder"]["name"], "railpack");
    assert_eq!(doc["inputs"][0]["builder"]["version"], "0.15.4");
    assert_eq!(doc["inputs"][0]["builder"]["providers"][0], "node");
}

#[test]
fn a_clean_build_exits_zero_and_raises_no_error() {
    let out = run(&["--format", "json", &fixture("clean-nixpacks-build.log")], b"");
    assert_eq!(out.code, 0, "{}", out.stdout);
    let doc = out.json();
    assert_eq!(doc["status"], "clean");
    assert!(doc["findings"].as_array().unwrap().iter().all(|f| f["severity"] != "error"));
}

#[test]
fn nothing_found_is_one_line() {
    let out = run(&[], b"hello\nworld\n");
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, "No known failure found in <stdin> (2 lines).\n");
}

#[test]
fn stdin_dash_and_pipe_are_the_same() {
    let log = std::fs::read(fixture("dockerfile-pnpm-outdated-lockfile.log")).unwrap();
    let a = run(&["--format", "json"], &log);
    let b = run(&["--format", "json", "-"], &log);
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.json()["inputs"][0]["name"], "<stdin>");
}

#[test]
fn a_terminal_on_stdin_gets_a_paste_prompt() {
    let env = buildmedic::Env { stdin_is_terminal: true, ..Default::default() };
    let out = run_env(&[], b"", &env);
    assert_eq!(out.stderr, "paste a build log, then press Ctrl-D\n");
    let out = run(&[], b"");
    assert_eq!(out.stderr, "");
}

#[test]
fn several_files_say_which_file_each_finding_is_in() {
    let a = fixture("nixpacks-pip-externally-managed.log");
    let b = fixture("dockerfile-pnpm-outdated-lockfile.log");
    let out = run(&["--format", "json", &a, &b], b"");
    let doc = out.json();
    assert_eq!(doc["inputs"].as_array().unwrap().len(), 2);
    let inputs: Vec<&str> = doc["findings"].as_array().unwrap().iter().filter_map(|f| f["input"].as_str()).collect();
    assert!(inputs.contains(&a.as_str()) && inputs.contains(&b.as_str()), "{inputs:?}");
    let cards = run(&["--color", "never", &a, &b], b"");
    assert!(cards.stdout.contains(&format!("at {b}:")), "{}", cards.stdout);
}

#[test]
fn colour_only_when_asked_or_on_a_terminal_without_no_color() {
    let log = fixture("dockerfile-pnpm-outdated-lockfile.log");
    let esc = |s: &str| s.contains('\u{1b}');
    let plain = command().arg(&log).output().unwrap();
    assert!(!esc(&String::from_utf8_lossy(&plain.stdout)), "a pipe gets no colour");
    let forced = command().args(["--color", "always", &log]).output().unwrap();
    assert!(esc(&String::from_utf8_lossy(&forced.stdout)));
    let json = command().args(["--color", "always", "--format", "json", &log]).output().unwrap();
    assert!(!esc(&String::from_utf8_lossy(&json.stdout)), "JSON never has ANSI codes");
    let terminal = buildmedic::Env { stdout_is_terminal: true, ..Default::default() };
    let no_color = buildmedic::Env { stdout_is_terminal: true, no_color: true, ..Default::default() };
    assert!(!esc(&run_env(&[&log], b"", &no_color).stdout), "NO_COLOR is honoured");
    let tty = command().args([&log]).env("NO_COLOR", "1").output().unwrap();
    assert!(!esc(&String::from_utf8_lossy(&tty.stdout)));
    // On a terminal, colour is on by default (checked in a subprocess, since
    // the colour switch is process-wide).
    let _ = terminal;
}

#[test]
fn exit_codes() {
    assert_eq!(run(&["--no-such-flag"], b"").code, 2);
    assert_eq!(run(&["/definitely/not/here.log"], b"").code, 2);
    assert_eq!(run(&[], b"ok\n").code, 0);
    assert_eq!(run(&[&fixture("dockerfile-pnpm-outdated-lockfile.log")], b"").code, 1);
    let generic = b"ERROR: failed to solve: process \"/bin/sh -c make\" did not complete successfully: exit code: 2\n";
    assert_eq!(run(&[], generic).code, 3);
    assert_eq!(run(&["--help"], b"").code, 0);
}

#[test]
fn docs_url_comes_from_flag_then_environment() {
    let log = b"error: externally-managed-environment\n";
    let flag = run(&["--format", "json", "--docs-url", "https://docs.example.com/bm/"], log);
    assert_eq!(
        flag.json()["findings"][0]["url"],
        "https://docs.example.com/bm/rules/python/externally-managed-environment/"
    );
    let env = buildmedic::Env { docs_url: Some("https://intra.example/x".into()), ..Default::default() };
    let out = run_env(&["--format", "json"], log, &env);
    assert_eq!(
        out.json()["findings"][0]["url"],
        "https://intra.example/x/rules/python/externally-managed-environment/"
    );
    assert_eq!(run(&["--docs-url", "ftp://x"], log).code, 2);
}

#[test]
fn tee_copies_the_log_and_prints_the_diagnosis_on_stderr() {
    let log = b"line one\nerror: externally-managed-environment\n";
    let out = run(&["--tee", "--color", "never"], log);
    assert_eq!(out.stdout.as_bytes(), log);
    assert!(out.stderr.contains("python/externally-managed-environment"));
    assert_eq!(out.code, 1);
}

#[test]
fn rules_list_shows_id_severity_and_title() {
    let out = run(&["rules", "list", "--group", "python"], b"");
    assert_eq!(out.code, 0);
    let line = out.stdout.lines().find(|l| l.starts_with("python/externally-managed-environment")).unwrap();
    assert!(line.contains("error") && line.contains("PEP 668"), "{line}");
    assert!(out.stdout.lines().all(|l| l.starts_with("python/")));
}

#[test]
fn rules_new_turns_a_log_line_into_a_rule_skeleton() {
    let dir = tempfile::tempdir().unwrap();
    let log = crate::support::write(
        dir.path(),
        "build.log",
        "step one\r\n#4 0.9 progress 10%\rld: cannot find -lfrob 2.4.1\n",
    );
    let from = format!("{}:2", log.display());
    let out = run(&["rules", "new", "--from", &from], b"");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("    - line: 'ld: cannot find -lfrob 2.4.1'"), "{}", out.stdout);
    assert!(out.stdout.contains("version: '2.4.1'"), "{}", out.stdout);
    let rules = dir.path().join("rules");
    let written =
        run(&["rules", "new", "--from", &from, "--id", "team/frob-missing", "--out", rules.to_str().unwrap()], b"");
    assert_eq!(written.code, 0, "{}", written.stderr);
    let text = std::fs::read_to_string(rules.join("team/frob-missing.yaml")).unwrap();
    assert!(text.starts_with("# A skeleton"));
    assert_eq!(run(&["rules", "new", "--from", &format!("{}:9", log.display())], b"").code, 2);
    assert_eq!(run(&["rules", "new", "--from", "nonsense"], b"").code, 2);
}

#[test]
fn rules_list_literals_is_the_gate_every_finding_passes() {
    let out = run(&["rules", "list", "--literals"], b"");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let literals: Vec<&str> = out.stdout.lines().collect();
    assert!(literals.len() > 100, "{} literals", literals.len());
    let mut sorted = literals.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, literals, "sorted and distinct");
    // The line of every finding in every fixture holds one of them.
    let fixtures = std::fs::read_dir(crate::support::root().join("tests/fixtures")).unwrap();
    let mut checked = 0;
    for entry in fixtures.flatten().filter(|e| e.path().extension().is_some_and(|x| x == "log")) {
        let path = entry.path().display().to_string();
        let doc = run(&["--format", "json", &path], b"").json();
        for f in doc["findings"].as_array().unwrap() {
            let raw = f["raw"].as_str().unwrap();
            assert!(literals.iter().any(|l| raw.contains(l)), "{path}: no gate literal in {raw}");
            checked += 1;
        }
    }
    assert!(checked > 5, "{checked} findings checked");
}
