//! Hostile input: every case runs the real binary with its input streamed
//! (never held in memory here), and the harness bounds its time and its
//! peak memory. The bounds catch runaways (unbounded growth, work that is
//! quadratic in the input, a hang); they are not performance assertions.
//!
//! These streams are hundreds of megabytes: they are ignored by the quick
//! `cargo test` loop and run, in release mode, by the whole suite
//! (`cargo test --release -- --include-ignored`, which `.ci/run` runs).
//! The time bound is calibrated on the machine: the binary's time on a
//! small log whose every line matches a rule (the costliest kind of line)
//! gives a cost per MiB, and a case may take [`SLACK`] times that for its
//! size, plus [`GRACE`].

use crate::support::command;
use std::io::Write;
use std::process::{ChildStdin, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How many times the calibrated cost a case may take.
const SLACK: f64 = 10.0;
/// Time every case may take besides, for start-up and a busy machine.
const GRACE: Duration = Duration::from_secs(30);
/// The calibration log: this many MiB of lines that all match a rule.
const CALIBRATION_MIB: usize = 8;
/// Peak resident memory allowed, in KiB: well above the streaming bound of
/// the release build, far below what holding any of these inputs would take.
const MEMORY_BOUND_KIB: u64 = 64 * 1024;

struct Bounded {
    code: Option<i32>,
    stdout: String,
    peak_kib: u64,
}

/// Seconds the binary takes per MiB of its costliest input, measured once.
fn seconds_per_mib() -> f64 {
    static MEASURED: OnceLock<f64> = OnceLock::new();
    *MEASURED.get_or_init(|| {
        let start = Instant::now();
        let out = run_within(&["--format", "json"], Duration::from_secs(600), |stdin| {
            stream(stdin, b"npm error Missing: zod@3.24.2 from lock file\n", CALIBRATION_MIB << 20, b"")
        });
        assert_eq!(out.code, Some(1), "the calibration log must match");
        start.elapsed().as_secs_f64() / CALIBRATION_MIB as f64
    })
}

/// Runs buildmedic with `args` on `bytes` bytes fed from `feed` on a
/// thread, and fails if it takes more than the calibrated bound for that
/// size or its peak RSS passes MEMORY_BOUND_KIB.
fn run_bounded(args: &[&str], bytes: usize, feed: impl FnOnce(ChildStdin) + Send + 'static) -> Bounded {
    let mib = bytes as f64 / (1 << 20) as f64;
    let per_mib = seconds_per_mib();
    let bound = GRACE + Duration::from_secs_f64(SLACK * per_mib * mib);
    run_within(args, bound, feed)
}

fn run_within(args: &[&str], bound: Duration, feed: impl FnOnce(ChildStdin) + Send + 'static) -> Bounded {
    let mut child =
        command().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || feed(stdin));
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let status_path = format!("/proc/{}/status", child.id());
    let start = Instant::now();
    let mut peak_kib = 0;
    let code = loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            if let Some(hwm) = status.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
                peak_kib = peak_kib.max(hwm.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0));
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if start.elapsed() > bound {
            let _ = child.kill();
            panic!(
                "still running after {bound:?} (calibrated: {:.3} s per MiB of matching lines, x{SLACK}, plus {GRACE:?})",
                seconds_per_mib()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = feeder.join();
    let stdout = reader.join().unwrap();
    assert!(peak_kib <= MEMORY_BOUND_KIB, "peak memory {peak_kib} KiB");
    Bounded { code, stdout, peak_kib }
}

/// Writes `total` bytes made of `unit` repeated, in 1 MiB writes.
fn stream(mut stdin: ChildStdin, unit: &[u8], total: usize, tail: &[u8]) {
    // Whole units only, so the tail starts where a unit ends.
    let total = total / unit.len().max(1) * unit.len();
    let block: Vec<u8> = unit.iter().copied().cycle().take((1 << 20) / unit.len().max(1) * unit.len()).collect();
    let mut left = total;
    while left > 0 {
        let n = left.min(block.len());
        if stdin.write_all(&block[..n]).is_err() {
            return;
        }
        left -= n;
    }
    let _ = stdin.write_all(tail);
}

fn json(out: &Bounded) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

#[test]
#[ignore = "slow stream: run by cargo test --release -- --include-ignored"]
fn a_gigabyte_without_a_newline() {
    let out = run_bounded(&["--format", "json"], 1 << 30, |stdin| stream(stdin, b"x", 1 << 30, b""));
    assert_eq!(out.code, Some(0));
    assert_eq!(json(&out)["inputs"][0]["lines"], 1);
}

#[test]
#[ignore = "slow stream: run by cargo test --release -- --include-ignored"]
fn a_file_of_nul_bytes() {
    let out = run_bounded(&["--format", "json"], 100 << 20, |stdin| {
        stream(stdin, b"\0", 100 << 20, b"\nerror: externally-managed-environment\n")
    });
    assert_eq!(out.code, Some(1));
    let doc = json(&out);
    assert_eq!(doc["findings"][0]["line"], 2);
}

#[test]
#[ignore = "slow stream: run by cargo test --release -- --include-ignored"]
fn invalid_utf8_of_every_shape() {
    // Lone continuation bytes, truncated sequences, overlong forms,
    // surrogates, values past U+10FFFF, and bytes that are never UTF-8.
    let shapes: &[&[u8]] = &[
        b"\x80",
        b"\xbf\xbf",
        b"\xc3",
        b"\xe2\x82",
        b"\xf0\x9f\x98",
        b"\xc0\xaf",
        b"\xe0\x80\xaf",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
        b"\xf8\x88\x80\x80\x80",
        b"\xfe\xff",
        b"\xff",
    ];
    let mut unit = Vec::new();
    for s in shapes {
        unit.extend_from_slice(s);
        unit.extend_from_slice(b" error ");
        unit.extend_from_slice(s);
        unit.push(b'\n');
    }
    let out = run_bounded(&["--format", "json"], 20 << 20, move |stdin| {
        stream(stdin, &unit, 20 << 20, b"error: externally-managed-environment\n")
    });
    assert_eq!(out.code, Some(1));
    assert_eq!(json(&out)["findings"][0]["rule"], "python/externally-managed-environment");
}

#[test]
#[ignore = "slow stream: run by cargo test --release -- --include-ignored"]
fn a_carriage_return_only_progress_log() {
    let out = run_bounded(&["--format", "json"], 50 << 20, |stdin| {
        stream(stdin, b"Downloading 42%\r", 50 << 20, b"\rerror: externally-managed-environment\r")
    });
    assert_eq!(out.code, Some(1));
    let doc = json(&out);
    assert_eq!(doc["findings"][0]["rule"], "python/externally-managed-environment");
    assert_eq!(doc["inputs"][0]["lines"], 1);
}

#[test]
#[ignore = "slow stream: run by cargo test --release -- --include-ignored"]
fn ten_million_lines_that_all_match_one_rule() {
    let out = run_bounded(&["--format", "json"], 10_000_000 * 45, |stdin| {
        stream(stdin, b"npm error Missing: zod@3.24.2 from lock file\n", 10_000_000 * 45, b"")
    });
    assert_eq!(out.code, Some(1));
    let doc = json(&out);
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["count"], 10_000_000);
    assert!(findings[0]["lines"].as_array().unwrap().len() <= 10);
}

#[test]
#[ignore = "slow stream: run by cargo test --release -- --include-ignored"]
fn a_million_distinct_matches() {
    let out = run_bounded(&["--format", "json"], 1_000_000 * 56, |mut stdin| {
        let mut block = Vec::with_capacity(1 << 20);
        for i in 0..1_000_000u32 {
            block.extend_from_slice(format!("ERROR: No matching distribution found for pkg{i}==1.{i}\n").as_bytes());
            if block.len() > (1 << 20) {
                if stdin.write_all(&block).is_err() {
                    return;
                }
                block.clear();
            }
        }
        let _ = stdin.write_all(&block);
    });
    assert_eq!(out.code, Some(1));
    let doc = json(&out);
    assert_eq!(doc["findings"][0]["rule"], "python/no-matching-distribution");
    assert_eq!(doc["findings"][0]["count"], 1_000_000);
    assert_eq!(doc["findings"][0]["captures"]["package"], "pkg0==1.0");
}

#[test]
#[ignore = "slow stream: run by cargo test --release -- --include-ignored"]
fn deeply_nested_and_unterminated_escape_sequences() {
    let out = run_bounded(&["--format", "json"], 20 << 20, |stdin| {
        let mut unit = b"\x1b[".repeat(1000);
        unit.extend_from_slice(&b"\x1b]0;".repeat(1000));
        unit.extend_from_slice(b"\x1b[31merror: externally-managed-environment\x1b[0m\n");
        stream(stdin, &unit, 20 << 20, b"\x1b[1;31;4")
    });
    assert_eq!(out.code, Some(1));
    let doc = json(&out);
    assert!(doc["findings"][0]["rule"].is_string());
    assert!(!out.stdout.contains('\u{1b}'));
}

#[test]
#[ignore = "slow stream: run by cargo test --release -- --include-ignored"]
fn memory_stays_flat_as_the_log_grows() {
    let line = b"#7 1.234 Collecting requests==2.31.0 from https://files.pythonhosted.org/packages/x\n";
    let small = run_bounded(&["--format", "json"], 8 << 20, move |stdin| stream(stdin, line, 8 << 20, b""));
    let large = run_bounded(&["--format", "json"], 512 << 20, move |stdin| stream(stdin, line, 512 << 20, b""));
    // Sixty-four times the input, about the same memory.
    assert!(
        large.peak_kib < small.peak_kib + 8 * 1024,
        "{} KiB for 8 MiB, {} KiB for 512 MiB",
        small.peak_kib,
        large.peak_kib
    );
}
