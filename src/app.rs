//! The only place where the stages are wired together:
//! input -> normalize -> match -> diagnose -> render.

use crate::catalog::{Catalog, Kind, Severity};
use crate::cli::{Args, Command, Format, RulesCommand};
use crate::config::{Config, Env, Source};
use crate::diagnose::{Diagnoser, InputReport, Options};
use crate::error::{Error, EXIT_FINDING, EXIT_OK, EXIT_UNKNOWN_FAILURE, EXIT_USAGE};
use crate::input::for_each_chunk;
use crate::matcher::Matcher;
use crate::render::github::Github;
use crate::render::jsonl::hit_event;
use crate::render::{self, card::Cards, json::Json, markdown::Markdown, RenderOptions, Report, Sink, Status};
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
    fn note(&mut self, message: &str) {
        let out: &mut dyn Write = match self.messages.as_mut() {
            Some(m) => &mut **m,
            None => &mut *self.diagnosis,
        };
        let _ = writeln!(out, "buildmedic: {message}");
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
        let mut message = format!("--disable: no rule has the id `{id}`");
        if let Some(near) = closest(catalog.rules.iter().map(|r| r.id.as_str()), id) {
            message.push_str(&format!("; did you mean `{near}`?"));
        }
        message.push_str(" (`buildmedic rules list` lists them all)");
        return Err(Error::Usage(message).into());
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
    let matcher = Matcher::new(&catalog);
    let options = Options { context: config.context, redact: config.redact, baseline };
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
                    let out: &mut dyn Write = match outputs.messages.as_mut() {
                        Some(m) => &mut **m,
                        None => &mut *outputs.diagnosis,
                    };
                    let _ = writeln!(out, "paste a build log, then press Ctrl-D");
                }
                // Standard input ends by itself on Ctrl-C (see `interrupt`).
                Ok(read_input(&catalog, &matcher, &options, config, None, &mut outputs, &name, stdin))
            }
            Source::File(path) => match open(path) {
                Ok(mut file) => {
                    // Progress only for people: a terminal on stderr, human
                    // output, and stderr not carrying the diagnosis.
                    let show = env.stderr_is_terminal && config.format == Format::Human && !config.tee;
                    let size = if show { file.metadata().map_or(0, |m| m.len()) } else { 0 };
                    let mut input = Progress::new(&mut file, size, &name);
                    let result = read_input(
                        &catalog,
                        &matcher,
                        &options,
                        config,
                        env.interrupted.as_deref(),
                        &mut outputs,
                        &name,
                        &mut input,
                    );
                    input.clear();
                    Ok(result)
                }
                Err(e) => Err(e),
            },
        };
        match result {
            Ok((report, None)) => reports.push(report),
            Ok((report, Some(e))) => {
                input_failed = true;
                outputs.note(&Error::Input { name: name.clone(), source: e }.to_string());
                outputs.note(&format!("diagnosing the {} lines of {name} read before the error", report.lines));
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
    let report = assemble(&catalog, reports);
    let code = if input_failed {
        EXIT_USAGE
    } else {
        match report.status {
            Status::Clean => EXIT_OK,
            Status::Failed => EXIT_FINDING,
            Status::UnknownFailure => EXIT_UNKNOWN_FAILURE,
        }
    };
    if report.inputs.is_empty() {
        return Ok(code);
    }
    let render_options =
        RenderOptions { docs_url: config.docs_url.clone(), all_fixes: config.all_fixes, color: config.color };
    let mut sink: Box<dyn Sink> = match config.format {
        Format::Human => Box::new(Cards::new(render_options)),
        Format::Json => Box::new(Json::default()),
        Format::Markdown => Box::new(Markdown::default()),
        Format::Github => Box::new(Github),
        Format::Jsonl => Box::new(Json::summary_event()),
    };
    let mut buffered = io::BufWriter::new(outputs.diagnosis);
    render::render(sink.as_mut(), &report, &catalog, &config.docs_url, &mut buffered).map_err(output(code))?;
    buffered.flush().map_err(output(code))?;
    Ok(code)
}

fn open(path: &std::path::Path) -> io::Result<File> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(io::Error::new(io::ErrorKind::IsADirectory, "is a directory"));
    }
    File::open(path)
}

/// What reading one input gave: the diagnosis of what was read, and the
/// read error that stopped it early, if any.
type StreamResult = (InputReport, Option<io::Error>);

/// Reads one input to the end through the diagnoser: copies it to the log
/// output with `--tee`, reports first matches as they happen with `--format
/// jsonl`, and stops early on Ctrl-C.
#[allow(clippy::too_many_arguments)]
fn read_input(
    catalog: &Catalog,
    matcher: &Matcher,
    options: &Options,
    config: &Config,
    interrupted: Option<&AtomicBool>,
    outputs: &mut Outputs<'_>,
    name: &str,
    input: &mut dyn Read,
) -> StreamResult {
    let mut diagnoser = Diagnoser::new(catalog, matcher, options.clone());
    let streaming_events = config.format == Format::Jsonl;
    let mut events_closed = false;
    let (summary, error) = {
        let Outputs { diagnosis, log, log_closed, .. } = outputs;
        let mut reader =
            Tee { inner: input, out: log.as_deref_mut(), closed: log_closed, redact: config.redact, carry: Vec::new() };
        for_each_chunk(&mut reader, |chunk| {
            if interrupted.is_some_and(|f| f.load(Ordering::Relaxed)) {
                return ControlFlow::Break(());
            }
            diagnoser.feed_chunk(chunk);
            if streaming_events && !events_closed {
                for (rule, first) in diagnoser.take_fresh() {
                    if hit_event(&mut **diagnosis, catalog, name, rule, &first).is_err() {
                        events_closed = true;
                    }
                }
            }
            ControlFlow::Continue(())
        })
    };
    (diagnoser.finish(name.to_string(), summary.lines), error)
}

/// Counts bytes read from a file and, once reading has taken more than a
/// second, shows how far it got on the process's stderr (only ever used
/// when that is a terminal), refreshed at most every 200 ms and erased at
/// the end.
struct Progress<'a> {
    inner: &'a mut dyn Read,
    name: String,
    size: u64,
    read: u64,
    start: std::time::Instant,
    last: std::time::Instant,
    shown: bool,
}

impl<'a> Progress<'a> {
    fn new(inner: &'a mut dyn Read, size: u64, name: &str) -> Progress<'a> {
        let now = std::time::Instant::now();
        Progress { inner, name: name.to_string(), size, read: 0, start: now, last: now, shown: false }
    }

    fn clear(&mut self) {
        if self.shown {
            let mut err = io::stderr();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}

impl Read for Progress<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.size > 0 {
            let now = std::time::Instant::now();
            if now.duration_since(self.start).as_millis() > 1000 && now.duration_since(self.last).as_millis() > 200 {
                self.last = now;
                let pct = self.read.saturating_mul(100) / self.size.max(1);
                let mut err = io::stderr();
                let _ = write!(
                    err,
                    "\rreading {}: {pct}% ({} of {} MB)\x1b[K",
                    self.name,
                    self.read / 1_000_000,
                    self.size / 1_000_000
                );
                let _ = err.flush();
                self.shown = true;
            }
        }
        Ok(n)
    }
}

/// Copies what is read to `out` as soon as it is read. If `out` closes, the
/// copy stops but reading (and the diagnosis) goes on. When redacting, text
/// is passed on up to the last line end read so far (a secret cut by a read
/// boundary is then still masked), or when more than `TEE_CARRY` bytes wait.
struct Tee<'a, 'b> {
    inner: &'a mut dyn Read,
    out: Option<&'a mut (dyn Write + 'b)>,
    closed: &'a mut bool,
    redact: bool,
    carry: Vec<u8>,
}

const TEE_CARRY: usize = 64 * 1024;

impl Tee<'_, '_> {
    fn pass(&mut self, data: &[u8], eof: bool) {
        let Some(out) = self.out.as_mut() else { return };
        if *self.closed {
            return;
        }
        let result = if self.redact {
            self.carry.extend_from_slice(data);
            let cut = if eof || self.carry.len() > TEE_CARRY {
                self.carry.len()
            } else {
                memchr::memrchr2(b'\n', b'\r', &self.carry).map_or(0, |i| i + 1)
            };
            let ready: Vec<u8> = self.carry.drain(..cut).collect();
            if ready.is_empty() {
                Ok(())
            } else {
                out.write_all(&crate::redact::redact_bytes(&ready)).and_then(|()| out.flush())
            }
        } else if data.is_empty() {
            Ok(())
        } else {
            out.write_all(data).and_then(|()| out.flush())
        };
        if result.is_err() {
            *self.closed = true;
        }
    }
}

impl Read for Tee<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.out.is_some() {
            self.pass(buf.get(..n).unwrap_or_default(), n == 0);
        }
        Ok(n)
    }
}

/// Ranks findings across inputs and settles the overall status.
pub fn assemble(catalog: &Catalog, inputs: Vec<InputReport>) -> Report {
    let mut findings: Vec<(usize, crate::diagnose::Finding)> =
        inputs.iter().enumerate().flat_map(|(i, r)| r.findings.iter().cloned().map(move |f| (i, f))).collect();
    let key = |rule: usize| {
        let r = catalog.rules.get(rule);
        (r.map_or(Severity::Info, |r| r.severity), r.map_or(Kind::Generic, |r| r.kind))
    };
    findings.sort_by_key(|(_, f)| key(f.rule));
    // A failure the log shows is never clean, whether or not a rule knows it.
    let shows_failure = inputs.iter().any(|i| i.failure.is_some());
    let status = match findings.first().map(|(_, f)| key(f.rule)) {
        Some((Severity::Error, Kind::Specific)) => Status::Failed,
        Some((Severity::Error, Kind::Generic)) => Status::UnknownFailure,
        _ if shows_failure => Status::UnknownFailure,
        _ => Status::Clean,
    };
    Report { inputs, findings, status }
}

fn rules_command(action: &RulesCommand, config: &Config, stdout: &mut dyn Write) -> Result<i32, Failure> {
    match action {
        RulesCommand::List { group, patterns: true } => {
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
        RulesCommand::List { group, patterns: false } => {
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
        let mut message = format!("no rule has the id `{id}`");
        if let Some(near) = closest(catalog.rules.iter().map(|r| r.id.as_str()), id) {
            message.push_str(&format!("; did you mean `{near}`?"));
        }
        message.push_str(" (`buildmedic rules list` lists them all)");
        return Err(Error::Usage(message).into());
    };
    let text = render::page::explain_text(rule, &config.docs_url);
    stdout.write_all(text.as_bytes()).map_err(output(EXIT_OK))?;
    Ok(EXIT_OK)
}

/// The id most like `wanted`: by edit distance over the whole id and over
/// its name part, so `externally-managed` finds the python rule.
fn closest<'c>(ids: impl Iterator<Item = &'c str>, wanted: &str) -> Option<&'c str> {
    let wanted = wanted.to_ascii_lowercase();
    ids.map(|id| {
        let name = id.rsplit('/').next().unwrap_or_default();
        let prefix: String = name.chars().take(wanted.chars().count()).collect();
        let d = edit_distance(&wanted, id).min(edit_distance(&wanted, name)).min(edit_distance(&wanted, &prefix) + 1);
        let d = if id.contains(&wanted) && wanted.len() >= 3 { d.min(1) } else { d };
        (d, id)
    })
    .filter(|(d, id)| *d <= (id.len() / 3).max(3))
    .min_by_key(|(d, _)| *d)
    .map(|(_, id)| id)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = sub.min(del).min(ins);
            }
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
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
