//! The resolved configuration: settles colour, format, inputs and URLs once
//! from the parsed arguments and the environment, so that nothing
//! downstream reads either.

use crate::cli::{Args, ColorChoice, Format};
use crate::render::DEFAULT_DOCS_URL;
use std::path::PathBuf;

/// What the process knows about its surroundings; gathered by `main`,
/// supplied by tests.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `NO_COLOR` is set to a non-empty value.
    pub no_color: bool,
    /// `BUILDMEDIC_DOCS_URL`.
    pub docs_url: Option<String>,
    /// Whether standard input is a terminal (then a paste prompt is shown).
    pub stdin_is_terminal: bool,
    /// Whether standard output is a terminal (colour, by default).
    pub stdout_is_terminal: bool,
    /// Whether standard error is a terminal (the progress line).
    pub stderr_is_terminal: bool,
    /// `BUILDMEDIC_DISABLE`: rule ids to switch off, comma-separated.
    pub disable: Option<String>,
    /// Set by the first Ctrl-C: stop reading, diagnose what was read.
    pub interrupted: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// Where a log comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input.
    Stdin,
    /// A file.
    File(PathBuf),
}

impl Source {
    /// The name an input is reported under: its path, or `<stdin>`.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".into(),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// Everything a command needs, settled from the arguments and the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// The inputs, in order.
    pub sources: Vec<Source>,
    /// The output format.
    pub format: Format,
    /// Colour for the diagnosis (on stdout, or on stderr with `--tee`).
    pub color: bool,
    /// `--rules` directories, in order.
    pub rules: Vec<PathBuf>,
    /// Show every fix, for every builder.
    pub all_fixes: bool,
    /// Lines of context around each finding.
    pub context: usize,
    /// Where the explanation pages live.
    pub docs_url: String,
    /// Pass the log through to standard output as it is read.
    pub tee: bool,
    /// Mask secrets in everything printed from the log.
    pub redact: bool,
    /// Rule ids switched off (`--disable` and `BUILDMEDIC_DISABLE`), checked
    /// against the catalogue when it is loaded.
    pub disable: Vec<String>,
    /// `--baseline`: the log of a good build.
    pub baseline: Option<PathBuf>,
}

/// Widest `--context` accepted.
pub const MAX_CONTEXT: usize = 50;

impl Config {
    /// Settles the configuration, or says what is wrong with the arguments.
    pub fn resolve(args: &Args, env: &Env) -> Result<Config, String> {
        let sources: Vec<Source> = if args.files.is_empty() {
            vec![Source::Stdin]
        } else {
            args.files
                .iter()
                .map(|p| if p.as_os_str() == "-" { Source::Stdin } else { Source::File(p.clone()) })
                .collect()
        };
        if sources.iter().filter(|s| **s == Source::Stdin).count() > 1 {
            return Err("standard input (`-`) can be read only once".into());
        }
        if args.context > MAX_CONTEXT {
            return Err(format!("--context {} is too wide; at most {MAX_CONTEXT}", args.context));
        }
        // With --tee the diagnosis goes to stderr, so that is the stream whose
        // terminal-ness decides colour.
        let terminal = if args.tee { env.stderr_is_terminal } else { env.stdout_is_terminal };
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && !env.no_color,
        } && args.format == Format::Human;
        let docs_url =
            args.docs_url.clone().or_else(|| env.docs_url.clone()).unwrap_or_else(|| DEFAULT_DOCS_URL.to_string());
        if !(docs_url.starts_with("https://") || docs_url.starts_with("http://") || docs_url.starts_with("file://")) {
            return Err(format!("--docs-url `{docs_url}` is not an http(s):// or file:// URL"));
        }
        Ok(Config {
            sources,
            format: args.format,
            color,
            rules: args.rules.clone(),
            all_fixes: args.all_fixes,
            context: args.context,
            docs_url,
            tee: args.tee,
            redact: !args.no_redact,
            disable: args
                .disable
                .iter()
                .map(String::as_str)
                .chain(env.disable.as_deref().unwrap_or_default().split(','))
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(str::to_string)
                .collect(),
            baseline: args.baseline.clone(),
        })
    }
}
