//! Ctrl-C while reading: the first one stops reading and lets the diagnosis
//! of what was read be printed; the second one exits at once (status 130).
//!
//! Standard input is read by a pump thread, so that a blocked read (a paste
//! on a terminal, a quiet pipe) cannot keep the first Ctrl-C from taking
//! effect; files are read directly and the flag is checked between lines.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

/// Installs the SIGINT handler; returns the flag the first Ctrl-C sets.
/// Returns `None` if a handler cannot be installed (then Ctrl-C simply
/// ends the process, as it would anyway).
pub fn install() -> Option<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    let presses = AtomicUsize::new(0);
    let set = Arc::clone(&flag);
    ctrlc::set_handler(move || {
        if presses.fetch_add(1, Ordering::SeqCst) == 0 {
            set.store(true, Ordering::SeqCst);
        } else {
            std::process::exit(130);
        }
    })
    .ok()?;
    Some(flag)
}

/// Standard input read on a thread, handed over in chunks; reads report end
/// of input as soon as the interrupt flag is set.
/// The pump thread starts on the first read, so commands that never read
/// standard input never touch it.
pub struct StdinPump {
    rx: Option<Receiver<io::Result<Vec<u8>>>>,
    chunk: Vec<u8>,
    pos: usize,
    interrupted: Arc<AtomicBool>,
}

impl StdinPump {
    /// Reads standard input on a thread, ending the stream when `interrupted` is set.
    pub fn new(interrupted: Arc<AtomicBool>) -> StdinPump {
        StdinPump { rx: None, chunk: Vec::new(), pos: 0, interrupted }
    }

    fn start() -> Receiver<io::Result<Vec<u8>>> {
        // A small bound keeps memory flat when the consumer is slower.
        let (tx, rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(4);
        std::thread::spawn(move || {
            let mut stdin = io::stdin().lock();
            loop {
                let mut buf = vec![0u8; 64 * 1024];
                match stdin.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        buf.truncate(n);
                        if tx.send(Ok(buf)).is_err() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            }
        });
        rx
    }
}

impl Read for StdinPump {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos < self.chunk.len() {
                let rest = self.chunk.get(self.pos..).unwrap_or_default();
                let n = rest.len().min(buf.len());
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
                    dst.copy_from_slice(src);
                }
                self.pos += n;
                return Ok(n);
            }
            let rx = self.rx.get_or_insert_with(StdinPump::start);
            if self.interrupted.load(Ordering::SeqCst) {
                // Take what the pipe already holds (the pump reads it at
                // once), then report the end of input.
                return match rx.recv_timeout(Duration::from_millis(300)) {
                    Ok(Ok(chunk)) => {
                        self.chunk = chunk;
                        self.pos = 0;
                        continue;
                    }
                    Ok(Err(e)) => Err(e),
                    Err(_) => Ok(0),
                };
            }
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return Ok(0),
            }
        }
    }
}
