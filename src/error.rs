//! User-facing errors and the process exit codes.
//!
//! Every failure a user can cause (a bad flag, an unreadable input, a broken
//! rule file) is one variant of [`Error`], whose message says what went
//! wrong, where, and what to do. Errors are printed once, at the edge, by
//! `app`; nothing below it prints.

use std::fmt;
use std::io;

/// No error-severity finding.
pub const EXIT_OK: i32 = 0;
/// At least one error-severity finding with a specific cause.
pub const EXIT_FINDING: i32 = 1;
/// Usage error, unreadable input, or invalid rules.
pub const EXIT_USAGE: i32 = 2;
/// The log shows a failure that no specific rule explains.
pub const EXIT_UNKNOWN_FAILURE: i32 = 3;

/// A problem in one rule file, located as precisely as the file allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The file, as the user would name it (`rules/python/x.yaml`).
    pub file: String,
    /// 1-based line in the file, when known.
    pub line: Option<usize>,
    /// The rule id, when it could be read.
    pub rule: Option<String>,
    /// The field at fault (`patterns[1].regex`), when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ":")?;
        if let Some(rule) = &self.rule {
            write!(f, " rule {rule}:")?;
        }
        if let Some(field) = &self.field {
            write!(f, " field `{field}`:")?;
        }
        write!(f, " {}", self.message)
    }
}

/// An error that ends a command, with its exit code.
#[derive(Debug)]
pub enum Error {
    /// The command line does not make sense.
    Usage(String),
    /// An input could not be opened or read.
    Input {
        /// The input's name.
        name: String,
        /// Why it could not be read.
        source: io::Error,
    },
    /// One or more rule files are broken.
    Rules(Vec<RuleError>),
    /// Writing an output file or directory failed.
    Output {
        /// Where the output was going.
        path: String,
        /// Why it could not be written.
        source: io::Error,
    },
}

impl Error {
    /// The exit code this error ends the process with.
    pub fn exit_code(&self) -> i32 {
        EXIT_USAGE
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(msg) => write!(f, "{msg}"),
            Error::Input { name, source } => {
                write!(f, "cannot read {name}: {}", describe_io(source))
            }
            Error::Rules(errors) => {
                let n = errors.len();
                write!(f, "{n} broken rule file{}:", if n == 1 { "" } else { "s" })?;
                for e in errors {
                    write!(f, "\n  {e}")?;
                }
                write!(f, "\nfix the rule files above; `buildmedic rules test DIR` checks them")
            }
            Error::Output { path, source } => {
                write!(f, "cannot write {path}: {}", describe_io(source))
            }
        }
    }
}

impl std::error::Error for Error {}

/// An io::Error in plain words, without Rust's `(os error N)` suffix.
pub fn describe_io(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::IsADirectory => "it is a directory, not a file".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}
