//! buildmedic in pipes: every log shape, streaming formats, secrets, tee,
//! Ctrl-C, completions and the man page.

use crate::support::{command, fixture, run};
use std::io::Write;
use std::process::Stdio;

fn top(log: &str) -> (String, u64, serde_json::Value) {
    let out = run(&["--format", "json", &fixture(log)], b"");
    let doc = out.json();
    let f = doc["findings"][0].clone();
    (f["rule"].as_str().unwrap_or_default().to_string(), f["line"].as_u64().unwrap_or_default(), doc)
}

#[test]
fn every_log_shape_is_read_without_configuration() {
    let cases = [
        ("github-actions-go.log", "go/toolchain-too-old", 11),
        ("compose-runtime.log", "node/module-not-found", 11),
        ("railway-cli-json.log", "node/pnpm-outdated-lockfile", 4),
        ("buildkit-tty-apt.log", "apt/unable-to-locate-package", 7),
        ("railway-dashboard-copy.log", "ruby/version-mismatch", 22),
        ("railpack-npm-ci-out-of-sync.log", "node/npm-ci-out-of-sync", 27),
    ];
    for (log, rule, line) in cases {
        let (got_rule, got_line, _) = top(log);
        assert_eq!((got_rule.as_str(), got_line), (rule, line), "{log}");
    }
}

#[test]
fn a_mixed_paste_is_read_line_by_line() {
    let mut log = std::fs::read(fixture("github-actions-go.log")).unwrap();
    log.extend(std::fs::read(fixture("railway-cli-json.log")).unwrap());
    let out = run(&["--format", "json"], &log);
    let rules: Vec<String> =
        out.json()["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect();
    assert!(
        rules.contains(&"go/toolchain-too-old".into()) && rules.contains(&"node/pnpm-outdated-lockfile".into()),
        "{rules:?}"
    );
}

#[test]
fn dashboard_copy_gets_its_step() {
    let (_, _, doc) = top("railway-dashboard-copy.log");
    assert_eq!(doc["findings"][0]["step"]["command"], "bundle install --jobs 4");
    assert_eq!(doc["inputs"][0]["builder"]["name"], "dockerfile");
}

#[test]
fn jsonl_streams_findings_then_a_summary() {
    let out = run(&["--format", "jsonl", &fixture("nixpacks-pip-externally-managed.log")], b"");
    assert_eq!(out.code, 1);
    let events: Vec<serde_json::Value> = out.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(events.len() >= 2);
    let (last, first) = (events.last().unwrap(), &events[..events.len() - 1]);
    assert!(first.iter().all(|e| e["event"] == "finding"));
    assert!(first.iter().any(|e| e["rule"] == "python/externally-managed-environment" && e["line"] == 35));
    assert_eq!(last["event"], "summary");
    assert_eq!(last["version"], 1);
    assert_eq!(last["findings"][0]["rule"], "python/externally-managed-environment");
    // The summary is the same document as --format json, plus the event tag.
    let json = run(&["--format", "json", &fixture("nixpacks-pip-externally-managed.log")], b"").json();
    assert_eq!(last["findings"], json["findings"]);
}

#[test]
fn github_format_annotates_the_root_cause() {
    let out = run(&["--format", "github", &fixture("dockerfile-pnpm-outdated-lockfile.log")], b"");
    assert_eq!(out.code, 1);
    let first = out.stdout.lines().next().unwrap();
    assert!(first.starts_with("::error title="), "{first}");
    assert!(first.contains("(node/pnpm-outdated-lockfile)::"), "{first}");
    assert!(first.contains("%0A"), "newlines are escaped: {first}");
    assert_eq!(out.stdout.lines().count(), out.stdout.lines().filter(|l| l.starts_with("::")).count());
    let clean = run(&["--format", "github"], b"all good\n");
    assert_eq!(clean.stdout, "::notice title=buildmedic::No known failure found\n");
}

const SECRETS: [&str; 6] = [
    "ghp_4Fh7Kq2Lm9Np3Rs8Tv1Wx6Yz0Ab5Cd7Ef9Gh2",
    "AKIAZ7QW3ERT5YUI9OPA",
    "sk_live_51Pq7rStUvWxYz0123456789",
    "Xk92mPq7LwT3",
    "3f1c2b9e-7d4a-4c8e-9b1f-2a6d5e8c0f71",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJidWlsZCJ9.c2lnbmF0dXJlLXZhbHVl",
];

fn secret_log() -> Vec<u8> {
    format!(
        "#7 [stage-0 4/8] RUN pip install -r requirements.txt\n\
         #7 0.1 GITHUB_TOKEN={}\n\
         #7 0.2 using AWS key {} and STRIPE_KEY={}\n\
         #7 0.3 DATABASE_URL=postgresql://postgres:{}@db.internal:5432/app\n\
         #7 0.4 RAILWAY_TOKEN={} Authorization: Bearer {}\n\
         #7 0.5 error: externally-managed-environment\n",
        SECRETS[0], SECRETS[1], SECRETS[2], SECRETS[3], SECRETS[4], SECRETS[5]
    )
    .into_bytes()
}

#[test]
fn secrets_never_leave_in_any_format() {
    let log = secret_log();
    for format in ["human", "json", "markdown", "github", "jsonl"] {
        let out = run(&["--format", format, "--context", "6", "--color", "never"], &log);
        assert_eq!(out.code, 1, "{format}");
        for secret in SECRETS {
            assert!(!out.stdout.contains(secret), "{format} leaks {secret}:\n{}", out.stdout);
        }
    }
    let tee = run(&["--tee", "--context", "6", "--color", "never"], &log);
    for secret in SECRETS {
        assert!(!tee.stdout.contains(secret) && !tee.stderr.contains(secret), "--tee leaks {secret}");
    }
    assert_eq!(tee.stdout.lines().count(), 6, "every line is passed on");
    let raw = run(&["--no-redact", "--context", "6", "--color", "never"], &log);
    assert!(raw.stdout.contains(SECRETS[0]), "--no-redact shows the log as it is");
}

#[test]
fn tee_passes_the_log_through_unchanged() {
    let log = std::fs::read(fixture("dockerfile-pnpm-outdated-lockfile.log")).unwrap();
    let out = run(&["--tee", "--format", "json"], &log);
    assert_eq!(out.stdout.as_bytes(), &log[..]);
    let doc: serde_json::Value = serde_json::from_str(&out.stderr).unwrap();
    assert_eq!(doc["findings"][0]["rule"], "node/pnpm-outdated-lockfile");
}

#[test]
fn tee_lines_arrive_before_the_input_ends() {
    let mut child = crate::support::spawn(&["--tee", "--color", "never"]);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"first line\n").unwrap();
    stdin.flush().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = [0u8; 11];
    std::io::Read::read_exact(&mut stdout, &mut buf).unwrap();
    assert_eq!(&buf, b"first line\n", "the line was passed on while the input is still open");
    drop(stdin);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn ctrl_c_prints_the_diagnosis_of_what_was_read() {
    let mut child = crate::support::spawn(&["--format", "json"]);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"step 1\nerror: externally-managed-environment\n").unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {:?} {}", out.status, String::from_utf8_lossy(&out.stderr)));
    assert_eq!(doc["findings"][0]["rule"], "python/externally-managed-environment");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted: diagnosing the 2 lines read so far"));
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = run(&["completions", shell], b"");
        assert_eq!(out.code, 0, "{shell}");
        assert!(
            out.stdout.contains("buildmedic") && out.stdout.contains("format") && out.stdout.contains("no-redact"),
            "{shell}"
        );
    }
    let man = run(&["man"], b"");
    assert_eq!(man.code, 0);
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.contains(".TH buildmedic"),
        "{}",
        &man.stdout[..100.min(man.stdout.len())]
    );
    assert!(man.stdout.contains("no\\-redact"));
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let mut child = command()
        .args(["--color", "never", &fixture("nixpacks-pip-externally-managed.log")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1));
}
