//! Writes a deterministic, realistic build log of a given size to stdout,
//! for benchmarks: BuildKit and Nixpacks chatter, pip, npm, cargo, go and
//! apt output, some ANSI colour, some long lines, many harmless lines that
//! contain "error" (thiserror, -Werror, 0 errors), and real failures at
//! known positions (or, with --dense, one every hundred lines).
//!
//!     cargo run --release --example genlog -- --size 100M [--dense] [--seed N] > big.log

use std::io::{self, BufWriter, Write};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic, good enough for picking lines.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items.get(self.below(items.len() as u64) as usize).copied().unwrap_or_default()
    }
}

const PACKAGES: &[&str] = &[
    "requests",
    "numpy",
    "pandas",
    "django",
    "flask",
    "fastapi",
    "uvicorn",
    "pydantic",
    "sqlalchemy",
    "celery",
    "react",
    "next",
    "vite",
    "typescript",
    "eslint",
    "express",
    "zod",
    "prisma",
    "tailwindcss",
    "lodash",
    "serde",
    "tokio",
    "thiserror",
    "anyhow",
    "clap",
    "regex",
    "hyper",
    "tracing",
    "rand",
    "bytes",
];

const FAILURES: &[&str] = &[
    "error: externally-managed-environment",
    "npm error code ERESOLVE",
    "go: go.mod requires go >= 1.24.1 (running go 1.22.12; GOTOOLCHAIN=local)",
    "E: Unable to locate package libpq5-dev",
    " ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with \"frozen-lockfile\" because pnpm-lock.yaml is not up to date with <ROOT>/package.json",
    "ERROR: No matching distribution found for torch==9.9.9",
    "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
    "error[E0658]: use of unstable library feature",
    "fatal error: Python.h: No such file or directory",
    "Error: Cannot find module '/app/dist/server.js'",
    "npm error `npm ci` can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync. Please update your lock file with `npm install` before continuing.",
    "ERROR: failed to solve: process \"/bin/sh -c npm run build\" did not complete successfully: exit code: 1",
    "/bin/sh: 1: vite: not found",
    "Error: pg_config executable not found.",
    "Your Ruby version is 3.2.6, but your Gemfile specified 3.3.5",
    "error NETSDK1045: The current .NET SDK does not support targeting .NET 9.0.",
    "no space left on device",
    "error: undefined variable 'nodejs_24'",
];

fn chatter(rng: &mut Rng, vertex: u64, t: f64, out: &mut Vec<u8>) {
    let p = rng.pick(PACKAGES);
    let (a, b, c) = (rng.below(9), rng.below(40), rng.below(20));
    let line = match rng.below(24) {
        0 => format!("Collecting {p}=={a}.{b}.{c}"),
        1 => format!("  Downloading {p}-{a}.{b}.{c}-py3-none-any.whl ({} kB)", rng.below(9000)),
        2 => format!("Successfully installed {p}-{a}.{b}.{c} six-1.16.0 urllib3-2.2.{c}"),
        3 => format!("npm warn deprecated {p}@{a}.{b}.{c}: This version is no longer supported"),
        4 => format!("added {} packages, and audited {} packages in {}s", rng.below(900), rng.below(900), c),
        5 => format!("   Compiling {p} v{a}.{b}.{c}"),
        6 => "   Compiling thiserror v1.0.69".to_string(),
        7 => format!("go: downloading github.com/{p}/{p} v{a}.{b}.{c}"),
        8 => format!(
            "Get:{b} http://deb.debian.org/debian bookworm/main amd64 lib{p}{a} amd64 {a}.{b}-{c} [{} kB]",
            rng.below(900)
        ),
        9 => format!("Setting up lib{p}{a}:amd64 ({a}.{b}-{c}) ..."),
        10 => "debconf: delaying package configuration, since apt-utils is not installed".to_string(),
        11 => format!("gcc -O2 -Wall -Werror -fPIC -c src/{p}.c -o build/{p}.o"),
        12 => format!("\x1b[32m✓\x1b[0m Compiled {p} successfully in {c}.{b}s"),
        13 => format!("\x1b[1m\x1b[33mwarning\x1b[0m: unused import: `{p}::Error`"),
        14 => format!("Found 0 errors. Watching for file changes. ({p})"),
        15 => format!("[{a}/{b}] Building CXX object CMakeFiles/{p}.dir/src/{p}.cpp.o"),
        16 => format!("src/errors.go:{b}:{c}: note: {p} error_log rotated"),
        17 => format!("INFO: {p} worker {a} started (pid {})", rng.below(99999)),
        18 => {
            // An occasional long line: a minified bundle warning or a long classpath.
            let n = 200 + rng.below(1500) as usize;
            let mut s = String::from("(!) Some chunks are larger than 500 kB after minification: ");
            while s.len() < n * 5 {
                s.push_str(&format!("assets/{p}-{:x}.js ", rng.next()));
            }
            s
        }
        19 => format!("sha256:{:016x}{:016x} {} MB / {} MB", rng.next(), rng.next(), b, b + c),
        20 => format!("Requirement already satisfied: {p}>={a}.{b} in /opt/venv/lib/python3.12/site-packages"),
        21 => format!("WARNING: Running pip as the 'root' user can result in broken permissions ({p})"),
        22 => format!("  → {p}@{a}.{b}.{c} linked"),
        _ => format!("[{p}] {} passed, 0 failed, {} skipped", rng.below(500), rng.below(5)),
    };
    out.extend_from_slice(format!("#{vertex} {t:.3} ").as_bytes());
    out.extend_from_slice(line.as_bytes());
    out.push(b'\n');
}

fn parse_size(s: &str) -> Option<u64> {
    let (num, mult) = match s.chars().last()? {
        'K' | 'k' => (&s[..s.len() - 1], 1u64 << 10),
        'M' | 'm' => (&s[..s.len() - 1], 1 << 20),
        'G' | 'g' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().map(|n| n * mult)
}

fn main() -> io::Result<()> {
    let mut size = 1u64 << 20;
    let mut dense = false;
    let mut seed = 0x5eed_u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--size" => size = args.next().and_then(|s| parse_size(&s)).unwrap_or(size),
            "--dense" => dense = true,
            "--seed" => seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(seed),
            _ => {
                eprintln!("usage: genlog [--size 100M] [--dense] [--seed N]");
                std::process::exit(2);
            }
        }
    }
    let mut rng = Rng(seed | 1);
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let header = "==============\nUsing Nixpacks\n==============\n\n\
╔════════ Nixpacks v1.38.0 ═══════╗\n║ setup      │ nodejs_22, python312 ║\n║ install    │ npm ci             ║\n║ build      │ npm run build      ║\n╚═════════════════════════════════╝\n\n \
1 warning found (use docker --debug to expand):\n - UndefinedVar: Usage of undefined variable '$NIXPACKS_PATH' (line 18)\n";
    out.write_all(header.as_bytes())?;
    let mut written = header.len() as u64;
    let mut line_no = header.lines().count() as u64;
    // Sparse failures at fixed fractions of the log.
    let marks = [0.1, 0.3, 0.5, 0.7, 0.9].map(|f| (f * size as f64) as u64);
    let mut next_mark = 0;
    let mut vertex = 5u64;
    let mut t = 0.0f64;
    let mut buf = Vec::with_capacity(1 << 16);
    while written < size {
        buf.clear();
        if rng.below(400) == 0 {
            vertex += 1;
            let step = format!("#{vertex} [stage-0 {}/12] RUN npm run build:{}\n", vertex % 12, rng.pick(PACKAGES));
            buf.extend_from_slice(step.as_bytes());
        }
        let failure_due = if dense { line_no % 100 == 99 } else { marks.get(next_mark).is_some_and(|&m| written >= m) };
        if failure_due {
            let f = FAILURES.get((line_no as usize / 100 + next_mark) % FAILURES.len()).copied().unwrap_or_default();
            let before = buf.iter().filter(|&&b| b == b'\n').count() as u64;
            buf.extend_from_slice(format!("#{vertex} {t:.3} {f}\n").as_bytes());
            if !dense {
                eprintln!("failure at line {}: {f}", line_no + before + 1);
                next_mark += 1;
            }
        } else {
            chatter(&mut rng, vertex, t, &mut buf);
        }
        t += 0.001 * rng.below(50) as f64;
        line_no += buf.iter().filter(|&&b| b == b'\n').count() as u64;
        written += buf.len() as u64;
        out.write_all(&buf)?;
    }
    out.flush()
}
