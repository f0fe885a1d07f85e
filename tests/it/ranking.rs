//! Root cause first: every ranking behaviour, on small logs written for it.

use crate::support::run;

fn diagnose(log: &str) -> serde_json::Value {
    run(&["--format", "json"], log.as_bytes()).json()
}

fn rules(doc: &serde_json::Value) -> Vec<String> {
    doc["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_specific_cause_outranks_the_generic_failure_lines_which_fold_under_it() {
    let doc = diagnose(
        "#7 [4/6] RUN pnpm install --frozen-lockfile\n\
         #7 1.2  ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with \"frozen-lockfile\" because pnpm-lock.yaml is not up to date with <ROOT>/package.json\n\
         #7 ERROR: process \"/bin/sh -c pnpm install --frozen-lockfile\" did not complete successfully: exit code: 1\n\
         ERROR: failed to solve: process \"/bin/sh -c pnpm install --frozen-lockfile\" did not complete successfully: exit code: 1\n",
    );
    assert_eq!(rules(&doc), vec!["node/pnpm-outdated-lockfile"]);
    let folded = &doc["findings"][0]["consequences"][0];
    assert_eq!(folded["rule"], "docker/build-step-failed");
    assert_eq!(folded["count"], 2);
}

#[test]
fn a_rule_folds_the_broader_findings_it_explains() {
    let doc = diagnose(
        "  error: command 'gcc' failed: No such file or directory\n\
         ERROR: Failed building wheel for psutil\n\
         ERROR: Could not build wheels for psutil, which is required to install pyproject.toml-based projects\n",
    );
    assert_eq!(doc["findings"][0]["rule"], "python/c-compiler-missing");
    let folded: Vec<&str> =
        doc["findings"][0]["consequences"].as_array().unwrap().iter().map(|c| c["rule"].as_str().unwrap()).collect();
    assert!(folded.contains(&"python/wheel-build-failed"), "{folded:?}");
    assert!(!rules(&doc).contains(&"python/wheel-build-failed".to_string()));
}

#[test]
fn a_near_condition_needs_its_second_line() {
    let alone = diagnose("#9 80.1 Killed\n#9 DONE 81.0s\n");
    assert!(!rules(&alone).contains(&"system/out-of-memory".to_string()), "{:?}", rules(&alone));
    let with_exit = diagnose(
        "#9 80.1 Killed\n#9 ERROR: process \"/bin/sh -c npm run build\" did not complete successfully: exit code: 137\n",
    );
    assert_eq!(with_exit["findings"][0]["rule"], "system/out-of-memory");
    assert_eq!(with_exit["findings"][0]["line"], 1);
}

#[test]
fn an_unless_condition_discards_the_hit() {
    let plain =
        diagnose(" ERR_PNPM_NO_LOCKFILE  Cannot install with \"frozen-lockfile\" because pnpm-lock.yaml is absent\n");
    assert_eq!(plain["findings"][0]["rule"], "node/pnpm-no-lockfile");
    let incompatible = diagnose(
        " WARN  Ignoring not compatible lockfile at /app/pnpm-lock.yaml\n\
          ERR_PNPM_NO_LOCKFILE  Cannot install with \"frozen-lockfile\" because pnpm-lock.yaml is absent\n",
    );
    assert_eq!(incompatible["findings"][0]["rule"], "node/pnpm-lockfile-incompatible");
    assert!(!rules(&incompatible).contains(&"node/pnpm-no-lockfile".to_string()));
}

#[test]
fn the_failed_steps_exit_code_favours_the_cause_that_explains_it() {
    let log = |code: u32| {
        format!(
            "#6 [3/5] RUN apt-get install -y libfoo-dev || true && gunicorn --check-config app:app\n\
             #6 0.5 E: Unable to locate package libfoo-dev\n\
             #6 0.6 /bin/sh: 1: gunicorn: not found\n\
             #6 ERROR: process \"/bin/sh -c apt-get install -y libfoo-dev || true && gunicorn --check-config app:app\" did not complete successfully: exit code: {code}\n"
        )
    };
    assert_eq!(diagnose(&log(127))["findings"][0]["rule"], "system/command-not-found");
    assert_eq!(diagnose(&log(100))["findings"][0]["rule"], "apt/unable-to-locate-package");
}

#[test]
fn repeated_matches_are_one_finding_with_a_count() {
    let log = "npm error Missing: zod@3.24.2 from lock file\n";
    let mut text = String::from("npm error `npm ci` can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync. Please update your lock file with `npm install` before continuing.\n");
    for _ in 0..50 {
        text.push_str(log);
    }
    let doc = diagnose(&text);
    assert_eq!(rules(&doc), vec!["node/npm-ci-out-of-sync"]);
    assert_eq!(doc["findings"][0]["count"], 51);
    assert_eq!(doc["findings"][0]["line"], 1);
}

#[test]
fn context_shows_n_lines_around_the_root_cause() {
    let mut log = String::new();
    for i in 1..=10 {
        log.push_str(&format!("line {i}\n"));
    }
    log.push_str("error: externally-managed-environment\n");
    for i in 12..=20 {
        log.push_str(&format!("line {i}\n"));
    }
    let out = run(&["--color", "never", "--context", "3"], log.as_bytes());
    for shown in
        ["     8 │ line 8", "    10 │ line 10", "> 11 │ error: externally-managed-environment", "    14 │ line 14"]
    {
        assert!(out.stdout.contains(shown), "missing {shown:?}:\n{}", out.stdout);
    }
    assert!(!out.stdout.contains("│ line 7\n") && !out.stdout.contains("│ line 15\n"));
    let none = run(&["--color", "never", "--context", "0"], log.as_bytes());
    assert!(!none.stdout.contains("line 10"));
}

#[test]
fn an_unknown_failure_exits_3_and_points_at_the_likeliest_lines() {
    let log = "#4 [2/4] RUN make release\n\
               #4 0.2 compiling module a\n\
               #4 0.9 warning: unused variable `x`\n\
               #4 1.3 ld: fatal: the frobnicator refused input\n\
               #4 1.4 make: *** [Makefile:12: release] Error 1\n\
               #4 ERROR: process \"/bin/sh -c make release\" did not complete successfully: exit code: 2\n\
               #5 [3/4] RUN echo other step\n";
    let out = run(&["--format", "json"], log.as_bytes());
    assert_eq!(out.code, 3);
    let doc = out.json();
    assert_eq!(doc["status"], "unknown-failure");
    assert_eq!(doc["findings"][0]["rule"], "docker/build-step-failed");
    assert_eq!(doc["findings"][0]["captures"]["exit_code"], "2");
    let suspects: Vec<u64> =
        doc["inputs"][0]["suspects"].as_array().unwrap().iter().map(|s| s["line"].as_u64().unwrap()).collect();
    assert_eq!(suspects.first(), Some(&4), "the complaint of the failed step first: {suspects:?}");
    assert!(!suspects.contains(&3), "not the warning: {suspects:?}");
    let card = run(&["--color", "never"], log.as_bytes());
    assert!(card.stdout.contains("Teach buildmedic: buildmedic rules new --from <stdin>:4"), "{}", card.stdout);
}

#[test]
fn the_builder_and_its_providers_are_detected() {
    let nix = diagnose("╔════════ Nixpacks v1.39.0 ═══════╗\n║ setup      │ nodejs_22, npm-9_x ║\n");
    assert_eq!(
        nix["inputs"][0]["builder"],
        serde_json::json!({"name": "nixpacks", "version": "1.39.0", "providers": ["node"]})
    );
    let railpack = diagnose("╭─────────────────╮\n│ Railpack 0.17.1 │\n╰─────────────────╯\n↳ Detected Python\n");
    assert_eq!(railpack["inputs"][0]["builder"]["name"], "railpack");
    assert_eq!(railpack["inputs"][0]["builder"]["providers"][0], "python");
    let docker = diagnose("==========================\nUsing detected Dockerfile!\n==========================\n");
    assert_eq!(docker["inputs"][0]["builder"]["name"], "dockerfile");
    let buildpack = diagnose("remote: -----> Python app detected\n");
    assert_eq!(buildpack["inputs"][0]["builder"]["name"], "buildpack");
    let plain = diagnose("hello\n");
    assert_eq!(plain["inputs"][0]["builder"]["name"], "unknown");
}

#[test]
fn interleaved_parallel_steps_are_told_apart() {
    let doc = diagnose(
        "#5 [web 3/4] RUN npm run build\n\
         #6 [api 3/4] RUN go build ./...\n\
         #5 1.0 > vite build\n\
         #6 1.1 go: go.mod requires go >= 1.25.0 (running go 1.23.4; GOTOOLCHAIN=local)\n\
         #5 1.2 transforming...\n",
    );
    assert_eq!(doc["findings"][0]["rule"], "go/toolchain-too-old");
    assert_eq!(doc["findings"][0]["step"]["command"], "go build ./...");
}

#[test]
fn fixes_for_the_detected_builder_come_first() {
    let hit = "#9 0.5 error: externally-managed-environment\n";
    let nix = diagnose(&format!("Using Nixpacks\n{hit}"));
    assert_eq!(nix["findings"][0]["fixes"][0]["builders"][0], "nixpacks");
    let railpack = diagnose(&format!("│ Railpack 0.17.1 │\n{hit}"));
    assert_eq!(railpack["findings"][0]["fixes"][0]["builders"][0], "railpack");
    let docker = diagnose(&format!("Using detected Dockerfile!\n{hit}"));
    assert_eq!(docker["findings"][0]["fixes"][0]["builders"][0], "dockerfile");

    let card = run(&["--color", "never"], format!("Using Nixpacks\n{hit}").as_bytes()).stdout;
    assert!(card.contains("Fix (Nixpacks)") && card.contains("options for other builders: --all-fixes"), "{card}");
    assert!(!card.contains("Railpack's Python provider"), "other builders' fixes are folded away");
    let all = run(&["--color", "never", "--all-fixes"], format!("Using Nixpacks\n{hit}").as_bytes()).stdout;
    assert!(all.contains("Railpack's Python provider"), "{all}");
}

#[test]
fn a_cause_in_the_step_that_failed_goes_first() {
    let doc = diagnose(
        "#5 [2/4] RUN pip install -r requirements.txt || true\n\
         #5 3.1 fatal error: Python.h: No such file or directory\n\
         #5 DONE 4.0s\n\
         #6 [3/4] RUN apt-get install -y libfrob-dev\n\
         #6 0.5 E: Unable to locate package libfrob-dev\n\
         #6 ERROR: process \"/bin/sh -c apt-get install -y libfrob-dev\" did not complete successfully: exit code: 100\n",
    );
    assert_eq!(doc["findings"][0]["rule"], "apt/unable-to-locate-package");
    assert_eq!(doc["findings"][1]["rule"], "python/python-headers-missing");
}

#[test]
fn a_specific_rule_beats_a_generic_one_on_the_same_line() {
    let top = |log: &str| diagnose(log)["findings"][0]["rule"].as_str().unwrap_or_default().to_string();
    let dns = "failed to resolve host 'postgres.railway.internal': [Errno -2] Name or service not known";
    let in_build = format!("#11 [stage-0 6/8] RUN python manage.py migrate\n#11 2.114 {dns}\n");
    assert_eq!(top(&in_build), "railway/database-at-build-time");
    // Alone, the line is still about Railway's private network, never a bare DNS failure.
    assert!(top(&format!("{dns}\n")).starts_with("railway/"), "{}", top(&format!("{dns}\n")));
    let nixpkgs = "error: unable to download 'https://github.com/NixOS/nixpkgs/archive/5148520bfab61f99fd25fb9ff7bfbb50dad3c9db.tar.gz': Couldn't resolve host name (6)";
    assert_eq!(top(&format!("{nixpkgs}\n")), "nixpacks/nixpkgs-download-failed");
}
