//! The line reader and the normaliser on arbitrary bytes, read in pieces
//! whose sizes come from the input too: never a panic, and the line count
//! always follows the newlines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Read;
use std::ops::ControlFlow;

struct Pieces<'a> {
    data: &'a [u8],
    size: usize,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.size.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&size, data)) = data.split_first() else { return };
    let mut reader = Pieces { data, size: usize::from(size).max(1) };
    let mut text = String::new();
    let mut scratch = Vec::new();
    let (summary, _) = buildmedic::input::for_each_chunk(&mut reader, |chunk| {
        for line in chunk.bytes.split(|&b| b == b'\n') {
            buildmedic::normalize::normalize_into(line, &mut scratch, &mut text);
        }
        ControlFlow::Continue(())
    });
    let newlines = data.iter().filter(|&&b| b == b'\n').count() as u64;
    let partial = u64::from(!data.is_empty() && data.last() != Some(&b'\n'));
    assert_eq!(summary.lines, newlines + partial);
});
