//! Streaming line reader: turns any byte stream into numbered line segments
//! through one reused buffer.
//!
//! Invariants, relied on by everything downstream:
//! - Memory is bounded by `CHUNK + MAX_LINE` whatever the input: a line longer
//!   than [`MAX_LINE`] is cut there (the segment is marked `truncated`) and
//!   the rest of it is skipped without being stored.
//! - Line numbers count `\n` exactly as an editor does: `\r\n` is one line
//!   end, and a lone `\r` (a progress redraw) splits the line into segments
//!   that share its number, so a log made only of `\r` redraws is still read
//!   piece by piece instead of as one giant line.
//! - Bytes are bytes: invalid UTF-8 and NUL are data, never an error.
//!
//! What a line means is left to `normalize`; this module only cuts.

use std::io::{self, Read};
use std::ops::ControlFlow;

/// Longest line segment kept for matching; the rest of a longer line is skipped.
pub const MAX_LINE: usize = 64 * 1024;
const CHUNK: usize = 64 * 1024;

/// One segment of one line of input.
#[derive(Debug, Clone, Copy)]
pub struct RawLine<'a> {
    /// 1-based line number (count of `\n` before it, plus one).
    pub number: u64,
    pub bytes: &'a [u8],
    /// The line was longer than [`MAX_LINE`] and was cut.
    pub truncated: bool,
}

/// How far a read got: lines seen, and whether the consumer stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadSummary {
    pub lines: u64,
    pub bytes: u64,
    pub stopped: bool,
}

/// Reads `input` to the end, calling `on_line` for every segment.
///
/// On a read error the lines read so far have been delivered; the error is
/// returned together with the partial summary so the caller can still
/// diagnose what was read.
pub fn for_each_line<R: Read + ?Sized>(
    input: &mut R,
    mut on_line: impl FnMut(RawLine<'_>) -> ControlFlow<()>,
) -> (ReadSummary, Option<io::Error>) {
    let mut chunk = vec![0u8; CHUNK];
    let mut cur: Vec<u8> = Vec::with_capacity(1024);
    let mut state = Cutter::default();
    let mut total: u64 = 0;
    loop {
        let n = match input.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let summary = state.finish(&mut cur, total, &mut on_line);
                return (summary, Some(e));
            }
        };
        total += n as u64;
        let data = chunk.get(..n).unwrap_or_default();
        if state.feed(data, &mut cur, &mut on_line).is_break() {
            return (ReadSummary { lines: state.line_count(), bytes: total, stopped: true }, None);
        }
    }
    (state.finish(&mut cur, total, &mut on_line), None)
}

/// The cutting state carried from one chunk to the next.
#[derive(Default)]
struct Cutter {
    /// Completed lines (`\n` seen).
    done: u64,
    /// Some byte of the current line has been consumed.
    started: bool,
    /// A segment of the current line has been delivered already.
    emitted: bool,
    /// The previous byte was a `\r` that ended a segment.
    pending_cr: bool,
    /// The current segment passed MAX_LINE.
    truncated: bool,
}

impl Cutter {
    fn line_count(&self) -> u64 {
        self.done + u64::from(self.started)
    }

    fn feed(
        &mut self,
        mut data: &[u8],
        cur: &mut Vec<u8>,
        on_line: &mut impl FnMut(RawLine<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        while !data.is_empty() {
            if self.pending_cr {
                self.pending_cr = false;
                if data.first() == Some(&b'\n') {
                    self.end_line();
                    data = data.get(1..).unwrap_or_default();
                    continue;
                }
            }
            self.started = true;
            match memchr::memchr2(b'\n', b'\r', data) {
                None => {
                    self.push(cur, data);
                    return ControlFlow::Continue(());
                }
                Some(i) => {
                    self.push(cur, data.get(..i).unwrap_or_default());
                    let is_cr = data.get(i) == Some(&b'\r');
                    data = data.get(i + 1..).unwrap_or_default();
                    if is_cr {
                        // A segment ends; whether the line ends too depends on
                        // the next byte, which may be in the next chunk.
                        if !cur.is_empty() || self.truncated {
                            self.emit(cur, on_line)?;
                        }
                        self.pending_cr = true;
                    } else {
                        if !self.emitted || !cur.is_empty() {
                            self.emit(cur, on_line)?;
                        }
                        self.end_line();
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn push(&mut self, cur: &mut Vec<u8>, bytes: &[u8]) {
        let room = MAX_LINE.saturating_sub(cur.len());
        if bytes.len() > room {
            self.truncated = true;
        }
        cur.extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or_default());
    }

    fn emit(&mut self, cur: &mut Vec<u8>, on_line: &mut impl FnMut(RawLine<'_>) -> ControlFlow<()>) -> ControlFlow<()> {
        let line = RawLine { number: self.done + 1, bytes: cur, truncated: self.truncated };
        let flow = on_line(line);
        cur.clear();
        self.truncated = false;
        self.emitted = true;
        flow
    }

    fn end_line(&mut self) {
        self.done += 1;
        self.started = false;
        self.emitted = false;
    }

    fn finish(
        &mut self,
        cur: &mut Vec<u8>,
        total: u64,
        on_line: &mut impl FnMut(RawLine<'_>) -> ControlFlow<()>,
    ) -> ReadSummary {
        let mut stopped = false;
        if !cur.is_empty() || self.truncated {
            stopped = self.emit(cur, on_line).is_break();
        }
        ReadSummary { lines: self.line_count(), bytes: total, stopped }
    }
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
    let mut total: u64 = 0;
    // Inside an over-long line whose first MAX_LINE bytes were delivered.
    let mut skipping = false;
    let mut error = None;
    let summary = |line: u64, filled: usize, skipping: bool, total, stopped| ReadSummary {
        lines: line - 1 + u64::from(filled > 0 || skipping),
        bytes: total,
        stopped,
    };
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
        total += n as u64;
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
                    return (summary(line + lines, 0, false, total, true), None);
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
                    return (summary(line + 1, 0, false, total, true), None);
                }
                buf.copy_within(last + 1..filled, 0);
                filled -= last + 1;
            }
            None if filled == buf.len() => {
                // One line fills the whole buffer: deliver its first part.
                let cut = buf.get(..MAX_LINE).unwrap_or_default();
                if on_chunk(Chunk { bytes: cut, first_line: line, truncated: true }).is_break() {
                    return (summary(line + 1, 0, false, total, true), None);
                }
                filled = 0;
                skipping = true;
            }
            None => {}
        }
    }
    let mut stopped = false;
    if filled > 0 && !skipping {
        let bytes = buf.get(..filled).unwrap_or_default();
        stopped = on_chunk(Chunk { bytes, first_line: line, truncated: false }).is_break();
    }
    (summary(line, filled, skipping, total, stopped), error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(input: &[u8]) -> (Vec<(u64, String, bool)>, u64) {
        let mut out = Vec::new();
        let (summary, err) = for_each_line(&mut &input[..], |l| {
            out.push((l.number, String::from_utf8_lossy(l.bytes).into_owned(), l.truncated));
            ControlFlow::Continue(())
        });
        assert!(err.is_none());
        (out, summary.lines)
    }

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

    #[test]
    fn counts_lines_like_an_editor() {
        let (lines, n) = cut(b"a\nb\r\n\nc");
        assert_eq!(n, 4);
        let nums: Vec<_> = lines.iter().map(|l| (l.0, l.1.as_str())).collect();
        assert_eq!(nums, vec![(1, "a"), (2, "b"), (3, ""), (4, "c")]);
        assert_eq!(cut(b"").1, 0);
        assert_eq!(cut(b"x\n").1, 1);
    }

    #[test]
    fn lone_carriage_returns_split_segments_of_one_line() {
        let (lines, n) = cut(b"10%\r50%\r100%\ndone\n");
        assert_eq!(n, 2);
        let got: Vec<_> = lines.iter().map(|l| (l.0, l.1.as_str())).collect();
        assert_eq!(got, vec![(1, "10%"), (1, "50%"), (1, "100%"), (2, "done")]);
    }

    #[test]
    fn long_lines_are_cut_and_numbering_stays_exact() {
        let mut input = vec![b'x'; MAX_LINE * 3 + 7];
        input.extend_from_slice(b"\nafter\n");
        let (lines, n) = cut(&input);
        assert_eq!(n, 2);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].1.len(), MAX_LINE);
        assert!(lines[0].2);
        assert_eq!((lines[1].0, lines[1].1.as_str(), lines[1].2), (2, "after", false));
    }

    #[test]
    fn crlf_split_across_chunks_is_one_line_end() {
        let mut input = vec![b'a'; CHUNK - 1];
        input.extend_from_slice(b"\r\nb\n");
        let (lines, n) = cut(&input);
        assert_eq!(n, 2);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].1, "b");
    }
}
