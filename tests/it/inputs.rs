//! Bad and odd input: never a panic, never a silent wrong answer.

use crate::support::run;

const HIT: &[u8] = b"error: externally-managed-environment";

fn top(out: &crate::support::Out) -> (String, u64) {
    let doc = out.json();
    let f = &doc["findings"][0];
    (f["rule"].as_str().unwrap_or_default().to_string(), f["line"].as_u64().unwrap_or_default())
}

#[test]
fn invalid_utf8_and_nul_bytes_are_data() {
    let mut log = b"\xff\xfe garbage \x00\x00\x01\n\xc3\x28 more\n".to_vec();
    log.extend_from_slice(b"\x80\x81 ");
    log.extend_from_slice(HIT);
    log.extend_from_slice(b"\n");
    let out = run(&["--format", "json"], &log);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The rule is anchored at the start of the message, so garbage in front
    // of it on the same line keeps it from matching; the next line shows
    // matching resumes normally.
    let mut log2 = log.clone();
    log2.extend_from_slice(HIT);
    let out = run(&["--format", "json"], &log2);
    assert_eq!(top(&out), ("python/externally-managed-environment".into(), 4));
}

#[test]
fn binary_garbage_is_read_without_error() {
    let garbage: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let out = run(&["--format", "json"], &garbage);
    assert!(out.code == 0 || out.code == 1 || out.code == 3, "{}", out.stderr);
    assert!(out.stderr.is_empty());
}

#[test]
fn a_50_mb_line_is_cut_and_numbering_stays_exact() {
    let mut log = vec![b'x'; 50 * 1024 * 1024];
    log.extend_from_slice(b"\nplain\n");
    log.extend_from_slice(HIT);
    log.push(b'\n');
    let out = run(&["--format", "json"], &log);
    assert_eq!(top(&out), ("python/externally-managed-environment".into(), 3));
    assert_eq!(out.json()["inputs"][0]["lines"], 3);
}

#[test]
fn crlf_and_progress_redraws() {
    let log =
        b"Downloading 10%\rDownloading 90%\rdone\r\n".iter().chain(HIT).chain(b"\r\n").copied().collect::<Vec<u8>>();
    let out = run(&["--format", "json"], &log);
    assert_eq!(top(&out), ("python/externally-managed-environment".into(), 2));
    assert_eq!(out.json()["findings"][0]["text"], "error: externally-managed-environment");
}

#[test]
fn ansi_colour_codes_do_not_hide_a_match() {
    let log = b"#7 2.1 \x1b[31merror\x1b[0m: externally-managed-environment\n";
    let out = run(&["--format", "json"], log);
    assert_eq!(top(&out).0, "python/externally-managed-environment");
}

#[test]
fn missing_file_and_directory_are_clear_errors() {
    let out = run(&["/no/such/build.log"], b"");
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("cannot read /no/such/build.log: no such file or directory"), "{}", out.stderr);
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[dir.path().to_str().unwrap()], b"");
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("it is a directory"), "{}", out.stderr);
}

#[test]
fn one_bad_input_among_several_still_diagnoses_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let good = crate::support::write(dir.path(), "good.log", "error: externally-managed-environment\n");
    let out = run(&["--format", "json", "/no/such.log", good.to_str().unwrap()], b"");
    assert_eq!(out.code, 2);
    assert_eq!(out.json()["findings"][0]["rule"], "python/externally-managed-environment");
}

#[test]
fn a_fifo_is_read_like_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("build.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        std::fs::write(writer_path, b"step\nerror: externally-managed-environment\n").unwrap();
    });
    let out = run(&["--format", "json", fifo.to_str().unwrap()], b"");
    writer.join().unwrap();
    assert_eq!(top(&out), ("python/externally-managed-environment".into(), 2));
}

#[test]
fn an_unreadable_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = crate::support::write(dir.path(), "secret.log", "error: externally-managed-environment\n");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        // Running as root: permissions do not apply, nothing to test.
        return;
    }
    let out = run(&[path.to_str().unwrap()], b"");
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("permission denied"), "{}", out.stderr);
}

#[test]
fn a_full_stdout_is_reported_not_ignored() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else { return };
    let out = crate::support::command()
        .args(["--color", "never", &crate::support::fixture("nixpacks-pip-externally-managed.log")])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot write <stdout>: No space left on device"), "{err}");
}

#[test]
fn a_file_that_shrinks_while_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("growing.log");
    let mut text = String::from("error: externally-managed-environment\n");
    text.push_str(&"#5 1.0 Collecting requests==2.31.0\n".repeat(3_000_000));
    std::fs::write(&path, &text).unwrap();
    let child = crate::support::command()
        .args(["--format", "json", path.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Cut the file to a few lines while buildmedic reads it.
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(200).unwrap();
    let out = child.wait_with_output().unwrap();
    // Whatever was read before the cut is diagnosed; nothing crashes.
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["findings"][0]["rule"], "python/externally-managed-environment");
    assert!(doc["inputs"][0]["lines"].as_u64().unwrap() >= 1);
}
