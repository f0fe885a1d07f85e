//! The pure line normaliser: raw bytes in, the message a rule should see out.
//!
//! It removes what real logs wrap around a tool's message: ANSI escape
//! sequences, and the prefixes that BuildKit (`#12 3.026 `, and the bare
//! `3.026 ` of its error excerpts), Railway's export (`2026-01-23T14:13:20Z
//! [err]  `), the Railway CLI (`[ERRO] `), GitHub Actions (ISO timestamps,
//! `##[error]`), Docker Compose (`app-1  | `) and plain clock timestamps put
//! in front of it; then it trims white space. Prefixes can stack, so they
//! are removed until none is left (a few rounds at most).
//!
//! The BuildKit vertex number is returned beside the text because it is how
//! interleaved output of parallel steps is told apart. Line numbers and the
//! original text are kept by the caller; this module never sees them.

use regex::Regex;
use std::sync::LazyLock;

/// What normalising a line learned besides its text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineMeta {
    /// BuildKit vertex (`#12`), when the line carried one.
    pub vertex: Option<u32>,
}

static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    let alternatives = [
        // Railway export: RFC 3339 timestamp, then [inf]/[err], then two spaces.
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?Z[ \t]+\[(?:inf|err|wrn|dbg)\][ \t]*",
        // ISO timestamps (GitHub Actions, many CLIs), optionally bracketed.
        r"\[?[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?\]?(?:[ \t]+|$)",
        // Coolify: `2025-Jan-13 15:35:03.556728 `.
        r"[0-9]{4}-[A-Z][a-z]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[ \t]+|$)",
        // Clock time alone: `22:30:19 `.
        r"\[?[0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?\]?(?:[ \t]+|$)",
        // BuildKit plain progress: `#12 ` or `#12 3.026 `.
        r"#[0-9]{1,9}(?:[ \t]+[0-9]+\.[0-9]+)?(?:[ \t]+|$)",
        // BuildKit error excerpt: a bare elapsed time `61.96 `.
        r"[0-9]{1,5}\.[0-9]{1,3}(?:[ \t]+|$)",
        // Netlify: `7:55:46 AM: `.
        r"[0-9]{1,2}:[0-9]{2}:[0-9]{2} [AP]M: ",
        // Railway CLI level tags.
        r"\[(?:INFO|ERRO|WARN|DBUG|DEBUG|inf|err|wrn|dbg)\][ \t]+",
        // GitHub Actions workflow markers.
        r"##\[(?:error|warning|notice|debug|group|endgroup|command|section)\]",
        // Docker Compose service prefix: `app-1  | `, `web_1 | `.
        r"[A-Za-z0-9][A-Za-z0-9_.-]*[-_][0-9]+[ \t]+\|[ \t]?",
        // Google Cloud Build: `Step #0 - "build": `.
        r#"Step #[0-9]+(?: - "[^"]*")?: "#,
        // Heroku runtime logs: `app[web.1]: `, `heroku[router]: `.
        r"(?:app|heroku)\[[A-Za-z0-9_.-]+\]:[ \t]",
        // Go's log package and many CLIs: `2014/10/08 17:30:35 `.
        r"[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[ \t]+|$)",
        // syslog / journald: `Oct 22 21:15:04 host unit[123]: `.
        r"[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} \S+ [A-Za-z0-9_.@/-]+(?:\[[0-9]+\])?: ",
        // Nix build output: `openssl-3.0.13> `.
        r"[a-z0-9][A-Za-z0-9_.+-]*-[0-9][A-Za-z0-9_.+-]*> ",
    ];
    // ASCII classes (`[0-9]`, not `\d`, which is every Unicode digit): the
    // automaton stays small enough for the small lazy-DFA cache, and it is
    // run on nearly every line read; with Unicode classes it outgrew the
    // cache and fell back to a backtracker that clears a table per line.
    let pattern = format!("^(?:{})", alternatives.join("|"));
    regex::RegexBuilder::new(&pattern)
        .dfa_size_limit(crate::catalog::rule::DFA_CACHE)
        .build()
        .unwrap_or_else(|e| unreachable!("prefix regex: {e}"))
});

/// Normalises `raw` into `out` (cleared first) and returns what it learned.
pub fn normalize_into(raw: &[u8], scratch: &mut Vec<u8>, out: &mut String) -> LineMeta {
    out.clear();
    let bytes = if memchr::memchr(0x1b, raw).is_some() {
        strip_ansi(raw, scratch);
        scratch.as_slice()
    } else {
        raw
    };
    match std::str::from_utf8(bytes) {
        Ok(s) => out.push_str(s),
        Err(_) => out.push_str(&String::from_utf8_lossy(bytes)),
    }
    let mut meta = LineMeta::default();
    let mut start = leading_ws(out, 0);
    for _ in 0..6 {
        let rest = out.get(start..).unwrap_or_default();
        // The BuildKit prefix `#12 3.026 ` is on most lines of most logs:
        // read it by hand, without the regex.
        if let Some((len, vertex)) = buildkit_prefix(rest.as_bytes()) {
            meta.vertex = meta.vertex.or(Some(vertex));
            start = leading_ws(out, start + len);
            continue;
        }
        if !might_have_prefix(rest) {
            break;
        }
        let Some(m) = PREFIX.find(rest) else { break };
        if m.end() == 0 {
            break;
        }
        start = leading_ws(out, start + m.end());
    }
    let end = out.trim_end().len().max(start);
    out.truncate(end);
    out.drain(..start);
    meta
}

/// Removes ANSI escapes from `raw` and decodes it lossily into `out`,
/// keeping every prefix: the line as a person should see it.
pub fn strip_ansi_into(raw: &[u8], scratch: &mut Vec<u8>, out: &mut String) {
    strip_ansi(raw, scratch);
    out.clear();
    out.push_str(&String::from_utf8_lossy(scratch));
}

/// Convenience form for tests and one-off callers.
pub fn normalize(raw: &[u8]) -> String {
    let mut out = String::new();
    normalize_into(raw, &mut Vec::new(), &mut out);
    out
}

/// The segments of one line that a person saw: a line of `\r` progress
/// redraws is several messages sharing one line number (a trailing `\r` of
/// a CRLF line end is dropped; empty segments are skipped).
pub fn segments(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let whole = memchr::memchr(b'\r', line).is_none();
    line.split(|&b| b == b'\r').filter(move |s| whole || !s.is_empty())
}

/// The `message` of a JSON-object log line (`railway logs --json`, most
/// structured loggers), if the line is one: possibly several lines of text.
pub fn json_message(bytes: &[u8]) -> Option<String> {
    let trimmed = bytes.trim_ascii();
    if trimmed.first() != Some(&b'{') || trimmed.last() != Some(&b'}') {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(trimmed).ok()?;
    let object = value.as_object()?;
    ["message", "msg", "log"].iter().find_map(|k| object.get(*k)?.as_str().map(str::to_string))
}

/// The BuildKit vertex a raw line starts with (`#12 …`), if any: cheaper
/// than normalising, for spotting the first line of a new vertex.
pub fn vertex_of(line: &[u8]) -> Option<u32> {
    if line.first() != Some(&b'#') {
        return None;
    }
    let digits = line.get(1..)?.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(line.get(1..1 + digits)?).ok()?.parse().ok()
}

/// `#<vertex> ` optionally followed by `<seconds>.<fraction> `: the length
/// of the prefix and the vertex number.
fn buildkit_prefix(b: &[u8]) -> Option<(usize, u32)> {
    if b.first() != Some(&b'#') {
        return None;
    }
    let digits = b.get(1..)?.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 9 {
        return None;
    }
    let vertex: u32 = std::str::from_utf8(b.get(1..1 + digits)?).ok()?.parse().ok()?;
    let mut i = 1 + digits;
    match b.get(i) {
        None => return Some((i, vertex)),
        Some(c) if c.is_ascii_whitespace() => i += 1,
        Some(_) => return None,
    }
    // An elapsed time: digits, a dot, digits, then white space or the end.
    let int = b.get(i..)?.iter().take_while(|c| c.is_ascii_digit()).count();
    if int > 0 && b.get(i + int) == Some(&b'.') {
        let frac = b.get(i + int + 1..)?.iter().take_while(|c| c.is_ascii_digit()).count();
        let after = i + int + 1 + frac;
        if frac > 0 && b.get(after).is_none_or(|c| c.is_ascii_whitespace()) {
            i = after;
        }
    }
    Some((i, vertex))
}

/// Cheap test that saves running the prefix regex on most lines.
fn might_have_prefix(s: &str) -> bool {
    let b = s.as_bytes();
    let head = b.get(..b.len().min(64)).unwrap_or_default();
    match b.first() {
        Some(b'0'..=b'9' | b'#' | b'[') => true,
        Some(b'A'..=b'Z') => b.starts_with(b"Step #") || b.get(1).is_some_and(u8::is_ascii_lowercase),
        Some(_) => {
            b.starts_with(b"app[")
                || b.starts_with(b"heroku[")
                || memchr::memchr(b'|', head).is_some()
                || memchr::memmem::find(head, b"> ").is_some()
        }
        None => false,
    }
}

fn leading_ws(s: &str, from: usize) -> usize {
    let rest = s.get(from..).unwrap_or_default();
    from + (rest.len() - rest.trim_start().len())
}

/// Removes ANSI codes from a run of whole lines; line ends are never part
/// of a sequence, so the lines and their count stay as they were.
pub fn strip_ansi_keep_lines(raw: &[u8], out: &mut Vec<u8>) {
    strip_ansi(raw, out);
}

/// Removes ANSI/VT escape sequences: CSI (`ESC [ … final`), OSC (`ESC ] …
/// BEL` or `ESC \`), and two-byte escapes. A sequence cut short by the end
/// of the line (or by a `\n` / `\r`) is dropped, the line end kept.
fn strip_ansi(raw: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    while i < raw.len() {
        let Some(off) = memchr::memchr(0x1b, raw.get(i..).unwrap_or_default()) else {
            out.extend_from_slice(raw.get(i..).unwrap_or_default());
            break;
        };
        out.extend_from_slice(raw.get(i..i + off).unwrap_or_default());
        i += off + 1;
        match raw.get(i) {
            Some(b'[') => {
                i += 1;
                // Parameters and intermediates, then one final byte 0x40..=0x7e.
                while let Some(&b) = raw.get(i) {
                    if b == b'\n' || b == b'\r' {
                        break;
                    }
                    i += 1;
                    if (0x40..=0x7e).contains(&b) {
                        break;
                    }
                }
            }
            Some(b']') => {
                i += 1;
                while let Some(&b) = raw.get(i) {
                    if b == b'\n' || b == b'\r' {
                        break;
                    }
                    // An ESC that does not end the string starts a new
                    // sequence, as terminals treat it.
                    if b == 0x1b && raw.get(i + 1) != Some(&b'\\') {
                        break;
                    }
                    if b == 0x07 {
                        i += 1;
                        break;
                    }
                    if b == 0x1b && raw.get(i + 1) == Some(&b'\\') {
                        i += 2;
                        break;
                    }
                    i += 1;
                }
            }
            Some(b'(' | b')' | b'#' | b'%') => {
                i += 1;
                if raw.get(i).is_some_and(|&b| b != b'\n' && b != b'\r') {
                    i += 1;
                }
            }
            Some(b'\n' | b'\r') => {}
            Some(_) => i += 1,
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize(s.as_bytes())
    }

    #[test]
    fn strips_buildkit_prefixes_and_keeps_the_vertex() {
        let mut out = String::new();
        let meta = normalize_into(b"#12 3.026 npm ERR! code 1", &mut Vec::new(), &mut out);
        assert_eq!(out, "npm ERR! code 1");
        assert_eq!(meta.vertex, Some(12));
        assert_eq!(n("#9 [stage-0 4/9] RUN pip install x"), "[stage-0 4/9] RUN pip install x");
        assert_eq!(n("61.96        error: undefined variable 'nodejs_22'"), "error: undefined variable 'nodejs_22'");
    }

    #[test]
    fn strips_railway_export_and_cli_prefixes() {
        assert_eq!(n("2026-01-23T14:14:15.532237083Z [err]  ERROR: failed to build"), "ERROR: failed to build");
        assert_eq!(n("[ERRO] [internal] load metadata"), "[internal] load metadata");
        assert_eq!(n("2024-05-01T10:00:00.1234567Z ##[error]Process completed"), "Process completed");
        assert_eq!(n("22:30:19 error: externally-managed-environment"), "error: externally-managed-environment");
        assert_eq!(n("app-1  | Error: Cannot find module 'x'"), "Error: Cannot find module 'x'");
        assert_eq!(
            n("2025-Jan-13 15:35:03.556728 [DEBUG] #12 0.4 E: Unable to locate package x"),
            "E: Unable to locate package x"
        );
    }

    #[test]
    fn strips_ansi_including_unterminated_sequences() {
        assert_eq!(n("\x1b[31merror\x1b[0m: boom"), "error: boom");
        assert_eq!(n("\x1b]0;title\x07text"), "text");
        assert_eq!(n("text\x1b[1;3"), "text");
        assert_eq!(n("\x1b]0;\x1b]0;\x1b[31merror\x1b[0m"), "error");
        assert_eq!(n("#5 1.2 \x1b[1mnpm\x1b[22m error code E404"), "npm error code E404");
    }

    #[test]
    fn keeps_messages_that_only_look_like_prefixes() {
        assert_eq!(n("Step 6/10 : RUN pip3 install ."), "Step 6/10 : RUN pip3 install .");
        assert_eq!(n("1.38.0 is the version"), "1.38.0 is the version");
        assert_eq!(n("[ERROR] Failed to execute goal"), "[ERROR] Failed to execute goal");
        assert_eq!(n("a | b"), "a | b");
    }

    #[test]
    fn escape_sequences_never_swallow_a_line_end() {
        let mut out = Vec::new();
        strip_ansi_keep_lines(b"a\x1b[31\nb\x1b]0;t\nc\x1b(\nd\x1b\n", &mut out);
        assert_eq!(out, b"a\nb\nc\nd\n");
    }

    #[test]
    fn invalid_utf8_is_decoded_lossily() {
        assert_eq!(normalize(b"caf\xe9 error"), "caf\u{fffd} error");
        assert_eq!(normalize(b"\0\0x"), "\0\0x");
    }
}
