//! Property tests: invariants that must hold for any input.

use buildmedic::{Catalog, Engine, Options};
use proptest::prelude::*;
use std::io::Read;
use std::sync::LazyLock;

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog::load(&[]).unwrap());
static ENGINE: LazyLock<Engine<'static>> =
    LazyLock::new(|| Engine::new(&CATALOG, Options { context: 2, redact: true, ..Options::default() }));

/// Reads from `data` in pieces of the given sizes (cycled), like a pipe.
struct Pieces<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    turn: usize,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = self.sizes[self.turn % self.sizes.len()].max(1);
        self.turn += 1;
        let n = want.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// (rule id, first line, count) of every finding and consequence, and the line count.
fn diagnose(reader: &mut dyn Read) -> (Vec<(String, u64, u64)>, u64) {
    let report = ENGINE.read("x", reader, &mut ());
    let mut out = Vec::new();
    for f in &report.findings {
        out.push((CATALOG.rules[f.rule.0].id.clone(), f.line.number, f.count));
        for c in &f.consequences {
            out.push((CATALOG.rules[c.rule.0].id.clone(), c.line, c.count));
        }
    }
    out.sort();
    (out, report.lines)
}

/// Log-like lines: real failure messages, noise, prefixes, escapes, CRs.
fn log_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"error: externally-managed-environment".to_vec()),
        Just(b"#9 0.512 npm error code ERESOLVE".to_vec()),
        Just(
            b"ERROR: failed to solve: process \"/bin/sh -c make\" did not complete successfully: exit code: 137"
                .to_vec()
        ),
        Just(b"#9 80.1 Killed".to_vec()),
        Just(b"\x1b[31mE: Unable to locate package libfoo\x1b[0m".to_vec()),
        Just(b"2026-01-23T14:13:20.92Z [err]  ERR_PNPM_OUTDATED_LOCKFILE  Cannot install".to_vec()),
        Just(b"Collecting requests==2.31.0".to_vec()),
        Just(b"   Compiling thiserror v1.0.69".to_vec()),
        Just(b"progress 10%\rprogress 90%\r".to_vec()),
        Just(b"{\"message\":\"error: externally-managed-environment\"}".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..80),
    ]
}

fn log() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec((log_line(), prop_oneof![Just(&b"\n"[..]), Just(&b"\r\n"[..])]), 0..60).prop_map(
        |lines| {
            let mut out = Vec::new();
            for (line, end) in lines {
                out.extend_from_slice(&line);
                out.extend_from_slice(end);
            }
            out
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn normalising_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let text = buildmedic::normalize::normalize(&bytes);
        prop_assert!(!text.contains('\u{1b}'), "escape codes are removed");
        prop_assert_eq!(text.trim(), text.as_str());
    }

    #[test]
    fn line_numbering_follows_newlines(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let (_, lines) = diagnose(&mut &bytes[..]);
        let newlines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        let partial = u64::from(!bytes.is_empty() && bytes.last() != Some(&b'\n'));
        prop_assert_eq!(lines, newlines + partial);
    }

    #[test]
    fn findings_do_not_depend_on_how_the_input_is_read(
        data in log(),
        sizes in proptest::collection::vec(1usize..300, 1..8),
    ) {
        let whole = diagnose(&mut &data[..]);
        let pieces = diagnose(&mut Pieces { data: &data, sizes, turn: 0 });
        prop_assert_eq!(whole, pieces);
    }

    #[test]
    fn every_finding_points_at_a_line_of_the_input(data in log()) {
        let (findings, lines) = diagnose(&mut &data[..]);
        for (_, line, count) in findings {
            prop_assert!(line >= 1 && line <= lines.max(1));
            prop_assert!(count >= 1);
        }
    }
}

#[test]
fn a_file_and_a_pipe_give_the_same_diagnosis() {
    let path = crate::support::fixture("nixpacks-pip-externally-managed.log");
    let bytes = std::fs::read(&path).unwrap();
    let file = crate::support::run(&["--format", "json", &path], b"").json();
    let pipe = crate::support::run(&["--format", "json"], &bytes).json();
    assert_eq!(file["findings"], {
        let mut f = pipe["findings"].clone();
        for item in f.as_array_mut().unwrap() {
            item["input"] = serde_json::Value::String(path.clone());
        }
        f
    });
}
