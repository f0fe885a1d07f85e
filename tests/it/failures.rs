//! A failed build is never called clean: failure signals that do not depend
//! on the catalogue, suspects worth reading when no rule knows the cause,
//! `--disable`, `--baseline`, and excerpts that get the answer the whole log
//! gets.

use crate::support::{fixture, root, run, run_env, write};

fn json(args: &[&str], log: &str) -> (i32, serde_json::Value) {
    let mut argv = vec!["--format", "json"];
    argv.extend_from_slice(args);
    let out = run(&argv, log.as_bytes());
    (out.code, out.json())
}

fn suspect_lines(doc: &serde_json::Value) -> Vec<u64> {
    doc["inputs"][0]["suspects"].as_array().unwrap().iter().map(|s| s["line"].as_u64().unwrap()).collect()
}

#[test]
fn every_shape_of_failure_is_an_unknown_failure_not_clean() {
    for log in [
        "error: the argument '--frozen' cannot be used with '--no-sources'\n",
        "==> Building...\n==> Running 'node server.js'\n==> Exited with status 1\n",
        "npm ERR! gyp ERR! stack Error: not found: make\n",
        "Traceback (most recent call last):\n  File \"/app/run.py\", line 3, in <module>\n",
        "Deployment failed during the network process\n",
        "make: *** [Makefile:12: all] Error 2\n",
        "E: Sub-process /usr/bin/dpkg returned an error code (1)\n",
        "fatal: could not read Username for 'https://github.com': No such device or address\n",
        "** (Mix) Could not compile dependency :mint\n",
        "thread 'main' panicked at src/main.rs:4:5:\n",
        "#9 ERROR: process \"/bin/sh -c ./x\" did not complete successfully: exit code: 9\n",
    ] {
        // With no rule the answer is an unknown failure; some of these a
        // rule also knows, and then it names the cause.
        let (code, doc) = json(&[], log);
        assert_ne!(doc["status"], "clean", "{log}");
        assert!(doc["inputs"][0]["failure"]["line"].as_u64().is_some(), "{log}");
        let ids: Vec<String> =
            doc["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect();
        let mut args = vec!["--format", "json"];
        for id in &ids {
            args.extend(["--disable", id.as_str()]);
        }
        let bare = run(&args, log.as_bytes());
        assert_eq!((bare.code, code == 3 || code == 1), (3, true), "{log}");
        assert_eq!(bare.json()["status"], "unknown-failure", "{log}");
    }
}

#[test]
fn lines_that_only_look_like_errors_stay_clean() {
    let log = "Compiling thiserror v1.0.50\ncc -Werror -O2 -c x.c\nnpm warn deprecated glob@7.2.3: Glob versions prior to v9 are no longer supported\nFound 0 errors.\nProcess completed with exit code 0.\nERROR: pip's dependency resolver does not currently take into account all the packages that are installed. This behaviour is the source of the following dependency conflicts.\n";
    let (code, doc) = json(&[], log);
    assert_eq!((code, doc["status"].as_str()), (0, Some("clean")), "{doc}");
}

#[test]
fn a_complaint_just_before_the_failure_is_the_first_suspect() {
    let (code, doc) = json(&[], &std::fs::read_to_string(fixture("buildkit-unknown-failure.log")).unwrap());
    assert_eq!(code, 3);
    assert_eq!(doc["inputs"][0]["failure"]["line"], 6);
    assert_eq!(doc["inputs"][0]["failure"]["signal"], "exit-status");
    assert_eq!(doc["inputs"][0]["failure"]["step"]["name"], "[3/5] RUN ./render.sh");
    let lines = suspect_lines(&doc);
    assert_eq!(lines.first(), Some(&4), "{doc}");
    assert!(lines.len() <= 3);
    // The summary's own framing is never a suspect.
    assert!(!lines.iter().any(|l| [6, 7, 8, 11, 12].contains(l)), "{lines:?}");
}

#[test]
fn suspects_come_from_the_failed_step_and_skip_chatter() {
    let log = "\
#5 [web 2/4] RUN npm run lint
#6 [api 3/5] RUN ./gen.sh
#5 0.301 error: lint rule 'no-console' is unknown, ignoring
#6 0.310 Downloading schema-1.2.3.tar.gz (13 kB)
#6 0.320 schema file has no 'version' key
#6 0.330 Collecting templates
#6 0.331 100% [====================] 13 kB/s
#5 DONE 0.4s
#6 ERROR: process \"/bin/sh -c ./gen.sh\" did not complete successfully: exit code: 2
";
    let (_, doc) = json(&[], log);
    let lines = suspect_lines(&doc);
    assert_eq!(lines.first(), Some(&5), "{doc}");
    assert!(!lines.contains(&4) && !lines.contains(&7), "chatter among {lines:?}");
}

#[test]
fn an_excerpt_without_a_summary_still_gets_suspects() {
    let (code, doc) = json(&[], "Preparing metadata\nerror: invalid config key 'mode' in build.toml\nCleaning up\n");
    assert_eq!(code, 3);
    assert_eq!(suspect_lines(&doc).first(), Some(&2));
}

#[test]
fn suspects_reach_every_format() {
    let log = std::fs::read_to_string(fixture("buildkit-unknown-failure.log")).unwrap();
    let text = "holds no *.tpl files, refusing to continue";
    let human = run(&[], log.as_bytes());
    assert!(human.stdout.starts_with("error unknown-failure"), "{}", human.stdout);
    assert!(human.stdout.contains("at line 6 in [3/5] RUN ./render.sh"), "{}", human.stdout);
    assert!(human.stdout.contains(text) && human.stdout.contains("rules new --from <stdin>:4"), "{}", human.stdout);
    let md = run(&["--format", "markdown"], log.as_bytes());
    assert!(md.stdout.contains("No rule names the cause") && md.stdout.contains(text), "{}", md.stdout);
    let gh = run(&["--format", "github"], log.as_bytes());
    let first = gh.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("::error title=Build failed") && first.contains("line=4") && first.contains(text),
        "{first}"
    );
    let jsonl = run(&["--format", "jsonl"], log.as_bytes());
    let summary: serde_json::Value = serde_json::from_str(jsonl.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["inputs"][0]["suspects"][0]["line"], 4);
}

#[test]
fn disable_switches_rules_off_by_flag_and_by_environment() {
    let log = "error: externally-managed-environment\n";
    let (code, doc) = json(&[], log);
    assert_eq!((code, doc["findings"][0]["rule"].as_str()), (1, Some("python/externally-managed-environment")));
    let (code, doc) = json(&["--disable", "python/externally-managed-environment"], log);
    assert_eq!((code, doc["status"].as_str()), (3, Some("unknown-failure")), "{doc}");
    assert!(doc["findings"].as_array().unwrap().is_empty());
    let env =
        buildmedic::Env { disable: Some(" python/externally-managed-environment , ".into()), ..Default::default() };
    let out = run_env(&["--format", "json"], log.as_bytes(), &env);
    assert_eq!(out.code, 3, "{}", out.stdout);
}

#[test]
fn disabling_an_unknown_id_names_the_closest() {
    let out = run(&["--disable", "python/externally-managed"], b"x\n");
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("did you mean `python/externally-managed-environment`"), "{}", out.stderr);
}

#[test]
fn baseline_lines_are_never_suspects_and_the_card_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let good = "#7 [3/5] RUN ./render.sh\n#7 0.199 rendering templates for production\n#7 0.244 warning: template cache is cold, took 41 ms\n#7 DONE 0.5s\n";
    write(dir.path(), "good.log", good);
    let failed = "#7 [3/5] RUN ./render.sh\n#7 0.201 rendering templates for production\n#7 0.248 warning: template cache is cold, took 37 ms\n#7 0.250 partial 'footer' is referenced but never defined\n#7 ERROR: process \"/bin/sh -c ./render.sh\" did not complete successfully: exit code: 4\n";
    let base = dir.path().join("good.log");
    let base = base.to_str().unwrap();
    let (_, doc) = json(&["--baseline", base], failed);
    assert_eq!(suspect_lines(&doc), vec![4], "{doc}");
    assert_eq!(doc["inputs"][0]["baseline"], base);
    let (_, without) = json(&[], failed);
    assert!(suspect_lines(&without).len() > 1);
    let card = run(&["--baseline", base], failed.as_bytes());
    assert!(card.stdout.contains(&format!("(none of them in {base})")), "{}", card.stdout);
    let missing = run(&["--baseline", "/nonexistent/good.log"], failed.as_bytes());
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("--baseline /nonexistent/good.log"), "{}", missing.stderr);
}

/// The top finding of `log`, by rule id.
fn top_rule(log: &str) -> Option<String> {
    json(&[], log).1["findings"][0]["rule"].as_str().map(str::to_string)
}

#[test]
fn an_excerpt_gets_the_answer_the_whole_log_gets() {
    let mut checked = 0;
    for entry in std::fs::read_dir(root().join("tests/fixtures")).unwrap() {
        let path = entry.unwrap().path();
        let log = std::fs::read_to_string(&path).unwrap();
        let (_, doc) = json(&[], &log);
        let Some(line) = doc["findings"][0]["line"].as_u64() else { continue };
        if doc["findings"][0]["severity"] != "error" {
            continue;
        }
        let lines: Vec<&str> = log.lines().collect();
        let at = line as usize - 1;
        let excerpt = lines[at.saturating_sub(3)..(at + 4).min(lines.len())].join("\n") + "\n";
        assert_eq!(top_rule(&excerpt), top_rule(&log), "{}: excerpt\n{excerpt}", path.display());
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} fixtures checked");
}

#[test]
fn every_clean_log_of_the_shared_corpus_stays_clean() {
    let corpus = root().join("../shared/corpus");
    let Ok(cases) = std::fs::read_to_string(corpus.join("cases.tsv")) else {
        eprintln!("no shared corpus beside the checkout; nothing to check");
        return;
    };
    let mut clean = 0;
    for row in cases.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.get(2) != Some(&"none") {
            continue;
        }
        let path = corpus.join(cols[1]);
        let out = run(&["--format", "json", path.to_str().unwrap()], b"");
        assert_eq!(out.json()["status"], "clean", "{}", path.display());
        assert_eq!(out.code, 0);
        clean += 1;
    }
    assert!(clean > 0);
}
