//! Streaming reader: turns any byte stream into chunks of whole, numbered
//! lines through one reused buffer.
//!
//! Invariants, relied on by everything downstream:
//! - Memory is bounded by [`CHUNK_SIZE`] whatever the input: a line longer
//!   than the buffer is delivered cut at [`MAX_LINE`] (marked `truncated`)
//!   and the rest of it is skipped without being stored; a line of `\r`
//!   progress redraws longer than the buffer is delivered in pieces that
//!   end at a `\r`, so a log made only of redraws is still read in full.
//! - Line numbers count `\n` exactly as an editor does (`\r\n` is one line
//!   end; the consumer splits a line at lone `\r` into segments that share
//!   its number).
//! - Bytes are bytes: invalid UTF-8 and NUL are data, never an error.
//!
//! What a line means is left to `diagnose` and `normalize`; this module
//! only cuts.

use std::io::{self, Read, Write};
use std::ops::ControlFlow;

/// Longest line segment kept for matching; the rest of a longer line is skipped.
pub const MAX_LINE: usize = 64 * 1024;

/// One segment of one line of input.
#[derive(Debug, Clone, Copy)]
pub struct RawLine<'a> {
    /// 1-based line number (count of `\n` before it, plus one).
    pub number: u64,
    /// The segment's bytes, without the line end.
    pub bytes: &'a [u8],
    /// The line was longer than [`MAX_LINE`] and was cut.
    pub truncated: bool,
}

/// How far a read got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadSummary {
    /// Lines seen (a last line without `\n` counts).
    pub lines: u64,
}

/// Bytes read per chunk: whole lines, handed to the consumer in one piece.
pub const CHUNK_SIZE: usize = 256 * 1024;

/// A run of whole lines from the input.
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    /// Whole lines, each ending in `\n` (the last one may not, at the end
    /// of the input, or when it is a line of `\r` redraws longer than the
    /// buffer: then its finished segments come in several chunks with the
    /// same `first_line`). A line longer than the buffer with no `\r`
    /// arrives alone, cut at [`MAX_LINE`], with `truncated` set.
    pub bytes: &'a [u8],
    /// 1-based number of the chunk's first line.
    pub first_line: u64,
    /// The line was longer than the buffer and was cut at [`MAX_LINE`].
    pub truncated: bool,
}

/// Reads `input` to the end in chunks of whole lines through one reused
/// buffer of [`CHUNK_SIZE`] bytes; memory stays flat whatever the input.
/// Lines are numbered by `\n` (a `\r` inside a line is for the consumer to
/// split). On a read error, what was read has been delivered.
pub fn for_each_chunk<R: Read + ?Sized>(
    input: &mut R,
    mut on_chunk: impl FnMut(Chunk<'_>) -> ControlFlow<()>,
) -> (ReadSummary, Option<io::Error>) {
    let mut buf = vec![0u8; CHUNK_SIZE];
    let mut filled = 0usize;
    let mut line: u64 = 1;
    // Inside an over-long line whose first MAX_LINE bytes were delivered.
    let mut skipping = false;
    let mut error = None;
    let summary =
        |line: u64, filled: usize, skipping: bool| ReadSummary { lines: line - 1 + u64::from(filled > 0 || skipping) };
    loop {
        let n = match input.read(buf.get_mut(filled..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        let start = filled;
        filled += n;
        if skipping {
            // Drop the rest of the over-long line, up to its end.
            match memchr::memchr(b'\n', buf.get(start..filled).unwrap_or_default()) {
                None => {
                    filled = start;
                    continue;
                }
                Some(i) => {
                    buf.copy_within(start + i + 1..filled, 0);
                    filled -= start + i + 1;
                    line += 1;
                    skipping = false;
                }
            }
        }
        match memchr::memrchr(b'\n', buf.get(..filled).unwrap_or_default()) {
            Some(last) => {
                let bytes = buf.get(..=last).unwrap_or_default();
                let lines = memchr::memchr_iter(b'\n', bytes).count() as u64;
                if on_chunk(Chunk { bytes, first_line: line, truncated: false }).is_break() {
                    return (summary(line + lines, 0, false), None);
                }
                line += lines;
                buf.copy_within(last + 1..filled, 0);
                filled -= last + 1;
            }
            None if filled == buf.len() && memchr::memrchr(b'\r', &buf).is_some() => {
                // A line of `\r` progress redraws longer than the buffer:
                // deliver its finished segments, keep the open one.
                let last = memchr::memrchr(b'\r', &buf).unwrap_or(0);
                let bytes = buf.get(..=last).unwrap_or_default();
                if on_chunk(Chunk { bytes, first_line: line, truncated: false }).is_break() {
                    return (summary(line + 1, 0, false), None);
                }
                buf.copy_within(last + 1..filled, 0);
                filled -= last + 1;
            }
            None if filled == buf.len() => {
                // One line fills the whole buffer: deliver its first part.
                let cut = buf.get(..MAX_LINE).unwrap_or_default();
                if on_chunk(Chunk { bytes: cut, first_line: line, truncated: true }).is_break() {
                    return (summary(line + 1, 0, false), None);
                }
                filled = 0;
                skipping = true;
            }
            None => {}
        }
    }
    if filled > 0 && !skipping {
        let bytes = buf.get(..filled).unwrap_or_default();
        let _ = on_chunk(Chunk { bytes, first_line: line, truncated: false });
    }
    (summary(line, filled, skipping), error)
}

/// Counts bytes read from a file and, once reading has taken more than a
/// second, shows how far it got on the process's stderr (only ever used
/// when that is a terminal), refreshed at most every 200 ms and erased at
/// the end.
pub struct Progress<'a> {
    inner: &'a mut dyn Read,
    name: String,
    size: u64,
    read: u64,
    start: std::time::Instant,
    last: std::time::Instant,
    shown: bool,
}

impl<'a> Progress<'a> {
    /// Wraps `inner`, a file of `size` bytes (0: show nothing).
    pub fn new(inner: &'a mut dyn Read, size: u64, name: &str) -> Progress<'a> {
        let now = std::time::Instant::now();
        Progress { inner, name: name.to_string(), size, read: 0, start: now, last: now, shown: false }
    }

    /// Erases the progress line, if one was shown.
    pub fn clear(&mut self) {
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
pub struct Tee<'a, 'b> {
    inner: &'a mut dyn Read,
    out: Option<&'a mut (dyn Write + 'b)>,
    closed: &'a mut bool,
    redact: bool,
    carry: Vec<u8>,
}

const TEE_CARRY: usize = 64 * 1024;

impl<'a, 'b> Tee<'a, 'b> {
    /// Reads `inner`, copying to `out` (when given) until `closed` is set.
    pub fn new(
        inner: &'a mut dyn Read,
        out: Option<&'a mut (dyn Write + 'b)>,
        closed: &'a mut bool,
        redact: bool,
    ) -> Tee<'a, 'b> {
        Tee { inner, out, closed, redact, carry: Vec::new() }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(input: &[u8]) -> (Vec<(u64, Vec<u8>, bool)>, u64) {
        let mut out = Vec::new();
        let (summary, err) = for_each_chunk(&mut &input[..], |c| {
            out.push((c.first_line, c.bytes.to_vec(), c.truncated));
            ControlFlow::Continue(())
        });
        assert!(err.is_none());
        (out, summary.lines)
    }

    #[test]
    fn chunks_hold_whole_lines_and_count_them() {
        assert_eq!(chunks(b"").1, 0);
        assert_eq!(chunks(b"a\nb").1, 2);
        let (c, n) = chunks(b"a\nb\n");
        assert_eq!(n, 2);
        assert_eq!(c, vec![(1, b"a\nb\n".to_vec(), false)]);
        let big: Vec<u8> = (0..100_000).flat_map(|i| format!("line {i}\n").into_bytes()).collect();
        let (c, n) = chunks(&big);
        assert_eq!(n, 100_000);
        assert!(c.len() > 1);
        let mut next = 1;
        for (first, bytes, _) in &c {
            assert_eq!(*first, next);
            assert_eq!(bytes.last(), Some(&b'\n'));
            next += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        }
    }

    #[test]
    fn an_over_long_line_is_cut_and_counted_once() {
        let mut input = b"first\n".to_vec();
        input.extend(vec![b'x'; CHUNK_SIZE * 3]);
        input.extend_from_slice(b"\nlast\n");
        let (c, n) = chunks(&input);
        assert_eq!(n, 3);
        let long = c.iter().find(|c| c.2).unwrap();
        assert_eq!((long.0, long.1.len()), (2, MAX_LINE));
        assert_eq!(c.last().unwrap().1, b"last\n".to_vec());
        assert_eq!(c.last().unwrap().0, 3);
        let (_, n) = chunks(&vec![b'y'; CHUNK_SIZE * 2]);
        assert_eq!(n, 1, "a log that is one long line without a newline");
    }

    #[test]
    fn a_carriage_return_only_log_arrives_in_segments() {
        let mut input = b"10%\r".repeat(CHUNK_SIZE);
        input.extend_from_slice(b"done\r");
        let (c, n) = chunks(&input);
        assert_eq!(n, 1);
        assert!(c.len() > 1 && c.iter().all(|(first, _, t)| *first == 1 && !t));
        assert!(c.last().unwrap().1.ends_with(b"done\r"));
        let total: usize = c.iter().map(|(_, b, _)| b.len()).sum();
        assert_eq!(total, input.len());
    }
}
