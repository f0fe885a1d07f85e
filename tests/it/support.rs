//! Runs the program in-process (or as a subprocess where the process-wide
//! state matters) with a scrubbed environment, and compares snapshots.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\nstderr: {}", self.stdout, self.stderr))
    }
}

pub fn fixture(name: &str) -> String {
    root().join("tests/fixtures").join(name).display().to_string()
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `buildmedic ARGS` in-process with no terminal and no colour settings.
pub fn run(args: &[&str], stdin: &[u8]) -> Out {
    run_env(args, stdin, &buildmedic::Env::default())
}

pub fn run_env(args: &[&str], stdin: &[u8], env: &buildmedic::Env) -> Out {
    let mut argv = vec!["buildmedic"];
    argv.extend_from_slice(args);
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let code = buildmedic::run(argv, env, &mut &stdin[..], &mut stdout, &mut stderr);
    Out {
        code,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Runs the real binary, for what only a process can show (environment
/// variables, colour, pipes).
pub fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_buildmedic"));
    for var in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "BUILDMEDIC_DOCS_URL", "TERM"] {
        cmd.env_remove(var);
    }
    cmd
}

/// Starts the real binary with every stream piped.
pub fn spawn(args: &[&str]) -> std::process::Child {
    use std::process::Stdio;
    command().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

/// Compares `actual` with `tests/snapshots/NAME`; `UPDATE_SNAPSHOTS=1`
/// rewrites the file instead.
pub fn snapshot(name: &str, actual: &str) {
    let path = root().join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("snapshot {} missing ({e}); run with UPDATE_SNAPSHOTS=1 to create it", path.display())
    });
    if expected != actual {
        panic!(
            "snapshot {} differs; if the change is intended, run UPDATE_SNAPSHOTS=1 cargo test\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

/// Rewrites the machine-specific fixture path in output to a stable one.
pub fn stable(text: &str) -> String {
    text.replace(&root().join("tests/fixtures").display().to_string(), "tests/fixtures")
}

pub fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path
}
