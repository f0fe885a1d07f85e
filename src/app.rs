//! The command line: parses arguments, runs the command, and for a
//! diagnosis reads each input through the [`Engine`], ranks the reports
//! ([`rank`]) and renders them.

use crate::catalog::Catalog;
use crate::cli::{Args, Command, Format, RulesCommand};
use crate::config::{Config, Env, Source};
use crate::engine::{Engine, Events, Options};
use crate::error::{Error, EXIT_FINDING, EXIT_OK, EXIT_USAGE};
use crate::finding::{InputReport, RuleIndex, ShownLine};
use crate::input::{for_each_chunk, Progress, Tee};
use crate::rank;
use crate::render::github::Github;
use crate::render::jsonl::hit_event;
use crate::render::{self, card::Cards, json::Json, markdown::Markdown, RenderOptions, Sink};
use crate::suspects::Baseline;
use clap::Parser;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Runs the whole program; returns the exit code. `main` is a thin wrapper;
/// tests call this in-process.
pub fn run(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    env: &Env,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32 {
    let args = match Args::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let text = e.render().to_string();
            let target: &mut dyn Write = if e.use_stderr() { stderr } else { stdout };
            let _ = target.write_all(text.as_bytes());
            return code;
        }
    };
    let config = match Config::resolve(&args, env) {
        Ok(c) => c,
        Err(msg) => {
            let _ = writeln!(stderr, "buildmedic: {msg}");
            return EXIT_USAGE;
        }
    };
    // Colour is off unless the theme asks for it, so the global switch only
    // ever needs turning on.
    if config.color {
        colored::control::set_override(true);
    }
    let result = match &args.command {
        Some(Command::Rules { action }) => rules_command(action, &config, stdout),
        Some(Command::Explain { id }) => explain_command(id, &config, stdout),
        Some(Command::Site { out }) => site_command(out, &config, stdout),
        Some(Command::Completions { shell }) => {
            // Generated into memory first: clap_complete panics on a write
            // error, and a closed pipe must end quietly.
            let mut cmd = <Args as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut cmd, "buildmedic", &mut script);
            stdout.write_all(&script).map_err(output(EXIT_OK)).map(|()| EXIT_OK)
        }
        Some(Command::Man) => {
            let cmd = <Args as clap::CommandFactory>::command();
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .and_then(|()| stdout.write_all(&page))
                .map_err(output(EXIT_OK))
                .map(|()| EXIT_OK)
        }
        None => diagnose_command(&config, env, stdin, stdout, stderr),
    };
    match result {
        Ok(code) => code,
        Err(Failure::Quiet(code)) => code,
        Err(Failure::Error(e)) => {
            let _ = writeln!(stderr, "buildmedic: {e}");
            e.exit_code()
        }
    }
}

enum Failure {
    /// Stop with this code and say nothing (stdout was closed).
    Quiet(i32),
    Error(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Error(e)
    }
}

/// Maps an output error: a closed pipe ends quietly with `code`.
fn output(code: i32) -> impl Fn(io::Error) -> Failure {
    move |e| {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::Quiet(code)
        } else {
            Failure::Error(Error::Output { path: "<stdout>".into(), source: e })
        }
    }
}

/// Where each kind of output goes. Normally the diagnosis goes to stdout
/// and messages to stderr; with `--tee` the log goes to stdout and both the
/// diagnosis and the messages to stderr.
struct Outputs<'a> {
    diagnosis: &'a mut dyn Write,
    log: Option<&'a mut dyn Write>,
    messages: Option<&'a mut dyn Write>,
    /// The tee'd log's reader closed it; the copy stops, the diagnosis goes on.
    log_closed: bool,
}

impl Outputs<'_> {
    /// A message about the run, prefixed with the program's name.
    fn note(&mut self, message: &str) {
        self.note_plain(&format!("buildmedic: {message}"));
    }

    fn note_plain(&mut self, message: &str) {
        let out: &mut dyn Write = match self.messages.as_mut() {
            Some(m) => &mut **m,
            None => &mut *self.diagnosis,
        };
        let _ = writeln!(out, "{message}");
        let _ = out.flush();
    }
}

fn diagnose_command(
    config: &Config,
    env: &Env,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, Failure> {
    let mut catalog = Catalog::load(&config.rules)?;
    catalog.drop_examples();
    if let Some(id) = config.disable.iter().find(|id| catalog.get(id).is_none()) {
        return Err(Error::Usage(no_such_rule(&catalog, "--disable: no rule", id)).into());
    }
    catalog.disable(&config.disable);
    let baseline = match &config.baseline {
        None => None,
        Some(path) => {
            let name = path.display().to_string();
            let read = open(path).and_then(|mut f| Baseline::read(&name, &mut f));
            Some(Arc::new(read.map_err(|source| Error::Input { name: format!("--baseline {name}"), source })?))
        }
    };
    let engine = Engine::new(&catalog, Options { context: config.context, redact: config.redact, baseline });
    let interrupted = || env.interrupted.as_deref().is_some_and(|f| f.load(Ordering::SeqCst));
    let mut outputs = if config.tee {
        Outputs { diagnosis: stderr, log: Some(stdout), messages: None, log_closed: false }
    } else {
        Outputs { diagnosis: stdout, log: None, messages: Some(stderr), log_closed: false }
    };
    let mut reports = Vec::new();
    let mut input_failed = false;
    for source in &config.sources {
        let name = source.name();
        let result = match source {
            Source::Stdin => {
                if env.stdin_is_terminal {
                    outputs.note_plain("paste a build log, then press Ctrl-D");
                }
                // Standard input ends by itself on Ctrl-C (see `interrupt`).
                Ok(read_input(&engine, config, None, &mut outputs, &name, stdin))
            }
            Source::File(path) => open(path).map(|mut file| {
                // Progress only for people: a terminal on stderr, human
                // output, and stderr not carrying the diagnosis.
                let show = env.stderr_is_terminal && config.format == Format::Human && !config.tee;
                let size = if show { file.metadata().map_or(0, |m| m.len()) } else { 0 };
                let mut input = Progress::new(&mut file, size, &name);
                let report = read_input(&engine, config, env.interrupted.as_deref(), &mut outputs, &name, &mut input);
                input.clear();
                report
            }),
        };
        match result {
            Ok(report) => {
                if let Some(e) = &report.read_error {
                    input_failed = true;
                    let source = io::Error::new(e.kind(), e.to_string());
                    outputs.note(&Error::Input { name: name.clone(), source }.to_string());
                    outputs.note(&format!("diagnosing the {} lines of {name} read before the error", report.lines));
                }
                reports.push(report);
            }
            Err(e) => {
                input_failed = true;
                outputs.note(&Error::Input { name: name.clone(), source: e }.to_string());
            }
        }
        // After Ctrl-C, the inputs not started yet are skipped.
        if interrupted() {
            break;
        }
    }
    if interrupted() {
        let lines: u64 = reports.iter().map(|r| r.lines).sum();
        outputs.note(&format!("interrupted: diagnosing the {lines} lines read so far"));
    }
    let report = rank::assemble(&catalog, reports);
    let code = if input_failed { EXIT_USAGE } else { report.status.exit_code() };
    if report.inputs.is_empty() {
        return Ok(code);
    }
    let render_options =
        RenderOptions { docs_url: config.docs_url.clone(), all_fixes: config.all_fixes, color: config.color };
    let mut sink: Box<dyn Sink> = match config.format {
        Format::Human => Box::new(Cards::new(render_options)),
        Format::Json => Box::new(Json::default()),
        Format::Markdown => Box::new(Markdown),
        Format::Github => Box::new(Github),
        Format::Jsonl => Box::new(Json::summary_event()),
    };
    let mut buffered = io::BufWriter::new(outputs.diagnosis);
    render::render(sink.as_mut(), &report, &catalog, &config.docs_url, &mut buffered).map_err(output(code))?;
    buffered.flush().map_err(output(code))?;
    Ok(code)
}

/// "no rule has the id `x`", with the closest id and where to list them.
fn no_such_rule(catalog: &Catalog, what: &str, id: &str) -> String {
    let mut message = format!("{what} has the id `{id}`");
    if let Some(near) = catalog.closest_id(id) {
        message.push_str(&format!("; did you mean `{near}`?"));
    }
    message.push_str(" (`buildmedic rules list` lists them all)");
    message
}

fn open(path: &std::path::Path) -> io::Result<File> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(io::Error::new(io::ErrorKind::IsADirectory, "is a directory"));
    }
    File::open(path)
}

/// What the command line hears while an input is read: first matches for
/// `--format jsonl`, and Ctrl-C.
struct Heard<'a, 'w> {
    catalog: &'a Catalog,
    name: &'a str,
    /// Where `finding` events go, with `--format jsonl`, until it closes.
    events: Option<&'a mut (dyn Write + 'w)>,
    interrupted: Option<&'a AtomicBool>,
}

impl Events for Heard<'_, '_> {
    fn found(&mut self, rule: RuleIndex, line: &ShownLine) {
        if let Some(out) = self.events.as_mut() {
            if hit_event(&mut **out, self.catalog, self.name, rule, line).is_err() {
                self.events = None;
            }
        }
    }

    fn stop(&mut self) -> bool {
        self.interrupted.is_some_and(|f| f.load(Ordering::Relaxed))
    }

    fn wants_found(&self) -> bool {
        self.events.is_some()
    }
}

/// Reads one input to the end through the engine: copies it to the log
/// output with `--tee`, reports first matches as they happen with `--format
/// jsonl`, and stops early on Ctrl-C.
fn read_input(
    engine: &Engine<'_>,
    config: &Config,
    interrupted: Option<&AtomicBool>,
    outputs: &mut Outputs<'_>,
    name: &str,
    input: &mut dyn Read,
) -> InputReport {
    let Outputs { diagnosis, log, log_closed, .. } = outputs;
    let mut reader = Tee::new(input, log.as_deref_mut(), log_closed, config.redact);
    let events = if config.format == Format::Jsonl { Some(&mut **diagnosis) } else { None };
    let mut heard = Heard { catalog: engine.catalog(), name, events, interrupted };
    engine.read(name, &mut reader, &mut heard)
}

fn rules_command(action: &RulesCommand, config: &Config, stdout: &mut dyn Write) -> Result<i32, Failure> {
    match action {
        RulesCommand::List { literals: true, .. } => {
            // The whole catalogue's gate: reading a log searches for all of it.
            let catalog = Catalog::load(&config.rules)?;
            let engine = Engine::new(&catalog, Options::default());
            let mut out = io::BufWriter::new(stdout);
            for literal in engine.literals() {
                out.write_all(&literal).and_then(|()| out.write_all(b"\n")).map_err(output(EXIT_OK))?;
            }
            out.flush().map_err(output(EXIT_OK))?;
            Ok(EXIT_OK)
        }
        RulesCommand::List { group, patterns: true, .. } => {
            let catalog = Catalog::load(&config.rules)?;
            let mut out = io::BufWriter::new(stdout);
            for rule in catalog.rules.iter().filter(|r| group.as_deref().is_none_or(|g| r.group() == g)) {
                for p in &rule.patterns {
                    writeln!(out, "{}", p.regex.as_str()).map_err(output(EXIT_OK))?;
                }
            }
            out.flush().map_err(output(EXIT_OK))?;
            Ok(EXIT_OK)
        }
        RulesCommand::List { group, patterns: false, .. } => {
            let catalog = Catalog::load(&config.rules)?;
            let mut out = io::BufWriter::new(stdout);
            let rules = catalog.rules.iter().filter(|r| group.as_deref().is_none_or(|g| r.group() == g));
            let width = catalog.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
            for r in rules {
                writeln!(out, "{:<width$}  {:<7}  {}", r.id, r.severity.as_str(), r.title).map_err(output(EXIT_OK))?;
            }
            out.flush().map_err(output(EXIT_OK))?;
            Ok(EXIT_OK)
        }
        RulesCommand::Test { dir } => {
            let mut dirs = config.rules.clone();
            dirs.extend(dir.iter().cloned());
            let catalog = Catalog::load(&dirs)?;
            let only = dir.as_ref().map(|d| d.display().to_string());
            let outcome = crate::selftest::test_catalog(&catalog, only.as_deref());
            let mut out = io::BufWriter::new(stdout);
            for failure in &outcome.failures {
                writeln!(out, "FAIL {}: {}", failure.rule, failure.message).map_err(output(EXIT_FINDING))?;
            }
            writeln!(
                out,
                "{} rules, {} examples: {} passed, {} failed",
                outcome.rules,
                outcome.examples,
                outcome.checks - outcome.failures.len(),
                outcome.failures.len()
            )
            .map_err(output(EXIT_FINDING))?;
            out.flush().map_err(output(EXIT_FINDING))?;
            Ok(if outcome.failures.is_empty() { EXIT_OK } else { EXIT_FINDING })
        }
        RulesCommand::New { from, id, out } => {
            let text = new_rule(from, id.as_deref())?;
            match out {
                None => stdout.write_all(text.as_bytes()).map_err(output(EXIT_OK))?,
                Some(dir) => {
                    let id = crate::catalog::parse_rule("skeleton", &text)
                        .map(|r| r.id)
                        .map_err(|e| Error::Usage(format!("--id: {}", e.message)))?;
                    let path = dir.join(format!("{id}.yaml"));
                    if path.exists() {
                        return Err(
                            Error::Usage(format!("{} exists already; choose another --id", path.display())).into()
                        );
                    }
                    let write = |p: &std::path::Path| -> io::Result<()> {
                        if let Some(parent) = p.parent() {
                            std::fs::create_dir_all(parent)?;
                        }
                        std::fs::write(p, &text)
                    };
                    write(&path).map_err(|e| Error::Output { path: path.display().to_string(), source: e })?;
                    writeln!(stdout, "wrote {}", path.display()).map_err(output(EXIT_OK))?;
                }
            }
            Ok(EXIT_OK)
        }
    }
}

fn explain_command(id: &str, config: &Config, stdout: &mut dyn Write) -> Result<i32, Failure> {
    let catalog = Catalog::load(&config.rules)?;
    let Some(rule) = catalog.get(id) else {
        return Err(Error::Usage(no_such_rule(&catalog, "no rule", id)).into());
    };
    let text = render::page::explain_text(rule, &config.docs_url);
    stdout.write_all(text.as_bytes()).map_err(output(EXIT_OK))?;
    Ok(EXIT_OK)
}

fn site_command(out: &std::path::Path, config: &Config, stdout: &mut dyn Write) -> Result<i32, Failure> {
    let catalog = Catalog::load(&config.rules)?;
    let files = render::site::site(&catalog);
    for (rel, text) in &files {
        let path = out.join(rel);
        let write = || -> io::Result<()> {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, text)
        };
        write().map_err(|e| Error::Output { path: path.display().to_string(), source: e })?;
    }
    writeln!(stdout, "wrote {} pages to {}", files.len(), out.display()).map_err(output(EXIT_OK))?;
    Ok(EXIT_OK)
}

/// Reads line `N` of `FILE` (from `FILE:N`) and turns it into a rule skeleton.
fn new_rule(from: &str, id: Option<&str>) -> Result<String, Error> {
    let usage = || Error::Usage(format!("--from {from}: expected FILE:LINE, for example build.log:57"));
    let (file, number) = from.rsplit_once(':').ok_or_else(usage)?;
    let number: u64 = number.parse().map_err(|_| usage())?;
    if let Some(id) = id {
        if !crate::catalog::rule::is_valid_id(id) {
            return Err(Error::Usage(format!("--id {id}: expected <group>/<name> in lower case")));
        }
    }
    let mut input = open(std::path::Path::new(file)).map_err(|e| Error::Input { name: file.to_string(), source: e })?;
    let mut found: Option<Vec<u8>> = None;
    let (summary, error) = for_each_chunk(&mut input, |chunk| {
        let lines = chunk.bytes.split(|&b| b == b'\n');
        for (i, line) in lines.enumerate() {
            if chunk.first_line + i as u64 == number {
                // The last progress redraw of the line is what a person saw.
                let segment = line.split(|&b| b == b'\r').rev().find(|s| !s.iter().all(u8::is_ascii_whitespace));
                found = segment.map(<[u8]>::to_vec);
            }
        }
        if chunk.first_line + chunk.bytes.iter().filter(|&&b| b == b'\n').count() as u64 > number {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    if let Some(e) = error {
        return Err(Error::Input { name: file.to_string(), source: e });
    }
    let raw = found.ok_or_else(|| {
        Error::Usage(format!("{file} has no line {number} with text (it has {} lines)", summary.lines))
    })?;
    Ok(crate::skeleton::skeleton(&raw, id))
}
