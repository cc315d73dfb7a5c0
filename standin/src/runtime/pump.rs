//! Copying a process's output to its destinations. Each chunk goes first to
//! the attached CLI (if any) and then to `stdio.log`, as Apple's runtime
//! does. Input frames from the CLI go the other way, into the process.

use crate::attach::frame::{read_frame, write_frame, Frame};
use crate::runtime::process::resize_terminal;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Where output goes: an optional attached CLI and an optional log file.
pub struct Sink {
    attached: Mutex<Option<UnixStream>>,
    log: Option<Mutex<File>>,
}

impl Sink {
    pub fn new(attached: Option<UnixStream>, log: Option<File>) -> Arc<Sink> {
        Arc::new(Sink {
            attached: Mutex::new(attached),
            log: log.map(Mutex::new),
        })
    }

    fn deliver(&self, stream: Stream, bytes: &[u8]) {
        if let Ok(mut attached) = self.attached.lock() {
            let frame = match stream {
                Stream::Stdout => Frame::Stdout(bytes.to_vec()),
                Stream::Stderr => Frame::Stderr(bytes.to_vec()),
            };
            // Once the CLI is gone we stop trying; the log still gets
            // everything (Apple's log loses the stream here; see README).
            let failed = match attached.as_mut() {
                Some(socket) => write_frame(socket, &frame).is_err(),
                None => false,
            };
            if failed {
                *attached = None;
            }
        }
        if let Some(log) = &self.log {
            if let Ok(mut file) = log.lock() {
                let _ = file.write_all(bytes);
            }
        }
    }

    /// Sends a control frame (`Exit`) to the attached CLI, if still there.
    pub fn notify(&self, frame: &Frame) {
        if let Ok(mut attached) = self.attached.lock() {
            if let Some(socket) = attached.as_mut() {
                let _ = write_frame(socket, frame);
            }
        }
    }
}

/// Copies `reader` into `sink` until end of stream (EIO on a PTY master
/// counts as the end), then reports on `done`.
pub fn spawn_output_pump(
    mut reader: impl Read + Send + 'static,
    stream: Stream,
    sink: Arc<Sink>,
    done: Sender<()>,
) {
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(count) => sink.deliver(stream, &buffer[..count]),
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let _ = done.send(());
    });
}

/// Where input frames land.
pub enum InputTarget {
    Pipe(Option<std::process::ChildStdin>),
    Terminal(File),
    Nothing,
}

/// Applies `Stdin`, `StdinEof` and `Resize` frames from the CLI until it
/// hangs up. A CLI that disappears closes the process's stdin, like a pipe.
pub fn spawn_input_pump(mut socket: UnixStream, mut target: InputTarget) {
    std::thread::spawn(move || {
        while let Ok(Some(frame)) = read_frame(&mut socket) {
            match (frame, &mut target) {
                (Frame::Stdin(bytes), InputTarget::Pipe(Some(stdin))) => {
                    let _ = stdin.write_all(&bytes);
                }
                (Frame::Stdin(bytes), InputTarget::Terminal(master)) => {
                    let _ = master.write_all(&bytes);
                }
                (Frame::StdinEof, InputTarget::Pipe(stdin)) => *stdin = None,
                (Frame::StdinEof, InputTarget::Terminal(master)) => {
                    // End of input on a terminal is the EOF character.
                    let _ = master.write_all(&[4]);
                }
                (Frame::Resize { rows, cols }, InputTarget::Terminal(master)) => {
                    resize_terminal(master, rows, cols);
                }
                _ => {}
            }
        }
    });
}
