//! Copying one output stream of the attached CLI into Nomad's FIFO.
//!
//! Two threads per stream. The reader drains the CLI's pipe without ever
//! blocking on Nomad, so the container never stalls because nobody reads its
//! logs; chunks wait in a bounded queue. The writer moves them into the FIFO
//! and may block while Nomad's log collector is away. When the queue is full
//! the oldest chunks are dropped and counted: a bounded loss, said in our log,
//! instead of unbounded memory.
//!
//! We also hold a read handle on the FIFO. A FIFO whose last reader closed
//! makes writes fail with EPIPE; with our handle open, a restarting log
//! collector finds the pipe intact, and what was written meanwhile is still
//! in the pipe's buffer for it to read.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

const CHUNK_BYTES: usize = 64 * 1024;
/// How much of the end of a stream is kept for the exit record.
const TAIL_BYTES: usize = 2048;
/// Output held in memory per stream while Nomad's log collector is away.
pub const QUEUE_LIMIT_BYTES: usize = 8 * 1024 * 1024;

/// Where a stream's output goes.
pub struct Sink {
    writer: Option<File>,
    /// Kept open, never read: see the module doc.
    _keeper: Option<File>,
}

impl Sink {
    /// Opens Nomad's FIFO (or a plain file) for writing without blocking on
    /// a reader; `None` discards output.
    pub fn open(path: Option<&Path>) -> std::io::Result<Self> {
        let Some(path) = path else {
            return Ok(Self {
                writer: None,
                _keeper: None,
            });
        };

        let is_fifo = std::fs::metadata(path).is_ok_and(|meta| {
            use std::os::unix::fs::FileTypeExt;
            meta.file_type().is_fifo()
        });
        if !is_fifo {
            let file = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)?;
            return Ok(Self {
                writer: Some(file),
                _keeper: None,
            });
        }

        use std::os::unix::fs::OpenOptionsExt;
        let keeper = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?;
        let writer = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?;
        set_blocking(&writer)?;
        Ok(Self {
            writer: Some(writer),
            _keeper: Some(keeper),
        })
    }
}

fn set_blocking(file: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own, with integer arguments only.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

#[derive(Default)]
struct QueueState {
    chunks: VecDeque<Vec<u8>>,
    bytes: usize,
    dropped_bytes: u64,
    source_closed: bool,
    /// The last bytes read, whatever happened to them after.
    tail: Vec<u8>,
}

#[derive(Default)]
struct Queue {
    state: Mutex<QueueState>,
    changed: Condvar,
}

/// A running copy of one stream.
pub struct Copy {
    name: &'static str,
    reader: JoinHandle<()>,
    writer: JoinHandle<Sink>,
    queue: Arc<Queue>,
}

impl Copy {
    /// Starts copying `source` (the CLI's pipe) into `sink`.
    pub fn start(name: &'static str, mut source: impl Read + Send + 'static, sink: Sink) -> Self {
        let queue = Arc::new(Queue::default());

        let reader_queue = queue.clone();
        let reader = std::thread::spawn(move || {
            let mut buffer = vec![0u8; CHUNK_BYTES];
            loop {
                match source.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(count) => push_bounded(&reader_queue, name, buffer[..count].to_vec()),
                    Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(error) => {
                        tracing::warn!(stream = name, error = %error, "reading CLI output failed");
                        break;
                    }
                }
            }
            let mut state = lock(&reader_queue);
            state.source_closed = true;
            reader_queue.changed.notify_all();
        });

        let writer_queue = queue.clone();
        let writer = std::thread::spawn(move || write_loop(name, &writer_queue, sink));
        Self {
            name,
            reader,
            writer,
            queue,
        }
    }

    /// Waits until the source has ended, everything queued reached the sink,
    /// and Nomad's reader has taken it out of the FIFO, for at most `limit`.
    /// Bytes still in a FIFO when its last descriptor closes are lost, so
    /// the sink is closed only after that.
    pub fn finish(self, limit: Duration) -> Finished {
        let _ = self.reader.join();
        let deadline = std::time::Instant::now() + limit;
        while !self.writer.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }

        let mut delivered = false;
        if self.writer.is_finished() {
            if let Ok(sink) = self.writer.join() {
                delivered = sink.wait_drained(deadline);
            }
        }
        if !delivered {
            tracing::warn!(
                stream = self.name,
                "log collector not reading; output left undelivered"
            );
        }
        let state = lock(&self.queue);
        Finished {
            dropped_bytes: state.dropped_bytes,
            delivered,
            tail: String::from_utf8_lossy(&state.tail).into_owned(),
        }
    }
}

/// How a copy ended.
pub struct Finished {
    /// Output dropped because the log collector was away too long.
    pub dropped_bytes: u64,
    /// Whether everything reached Nomad's reader in time.
    pub delivered: bool,
    /// The end of the stream, for diagnosis.
    pub tail: String,
}

impl Sink {
    /// Waits until no unread bytes remain in the FIFO, or the deadline.
    fn wait_drained(&self, deadline: std::time::Instant) -> bool {
        let Some(keeper) = &self._keeper else {
            return true;
        };
        loop {
            match unread_bytes(keeper) {
                Some(0) | None => return true,
                Some(_) if std::time::Instant::now() >= deadline => return false,
                Some(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
}

/// Bytes waiting in a pipe, from a descriptor on it.
fn unread_bytes(file: &File) -> Option<usize> {
    use std::os::fd::AsRawFd;
    let mut count: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through a pointer to our local.
    let result = unsafe { libc::ioctl(file.as_raw_fd(), libc::FIONREAD as _, &mut count) };
    (result == 0).then_some(count.max(0) as usize)
}

fn lock(queue: &Queue) -> std::sync::MutexGuard<'_, QueueState> {
    // A poisoned lock only means another copy thread panicked; the queue's
    // contents are still consistent byte buffers.
    queue
        .state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn push_bounded(queue: &Queue, name: &'static str, chunk: Vec<u8>) {
    let mut state = lock(queue);
    state.tail.extend_from_slice(&chunk);
    let excess = state.tail.len().saturating_sub(TAIL_BYTES);
    state.tail.drain(..excess);
    state.bytes += chunk.len();
    state.chunks.push_back(chunk);
    let mut dropped_now = 0u64;
    while state.bytes > QUEUE_LIMIT_BYTES && state.chunks.len() > 1 {
        if let Some(oldest) = state.chunks.pop_front() {
            state.bytes -= oldest.len();
            dropped_now += oldest.len() as u64;
        }
    }
    if dropped_now > 0 {
        state.dropped_bytes += dropped_now;
        tracing::warn!(
            stream = name,
            dropped_bytes = dropped_now,
            "log collector is away; dropped oldest output"
        );
    }
    queue.changed.notify_all();
}

fn write_loop(name: &'static str, queue: &Queue, mut sink: Sink) -> Sink {
    loop {
        let chunk = {
            let mut state = lock(queue);
            loop {
                if let Some(chunk) = state.chunks.pop_front() {
                    state.bytes -= chunk.len();
                    break Some(chunk);
                }
                if state.source_closed {
                    break None;
                }
                state = queue
                    .changed
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
        };
        let Some(chunk) = chunk else { return sink };

        if let Some(file) = sink.writer.as_mut() {
            if let Err(error) = file.write_all(&chunk) {
                // Keep draining the queue so the reader never backs up.
                tracing::warn!(
                    stream = name,
                    error = %error,
                    "writing to the log FIFO failed; output from now on is dropped",
                );
                sink.writer = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_everything_into_a_plain_file_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let input: Vec<u8> = (0..200_000u32).flat_map(|n| n.to_le_bytes()).collect();

        let copy = Copy::start(
            "stdout",
            std::io::Cursor::new(input.clone()),
            Sink::open(Some(&path)).unwrap(),
        );
        let finished = copy.finish(Duration::from_secs(10));

        assert!(finished.delivered);
        assert_eq!(finished.dropped_bytes, 0);
        assert_eq!(std::fs::read(&path).unwrap(), input);
    }

    #[test]
    fn fifo_without_a_reader_opens_and_holds_output_for_a_late_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();

        let sink = Sink::open(Some(&path)).unwrap();
        let input = std::io::Cursor::new(b"line one\nline two\n".to_vec());
        let copy = Copy::start("stdout", input, sink);

        // The reader arrives only after everything was written, while the
        // copy is finishing; nothing may be lost.
        let late_reader = std::thread::spawn({
            let path = path.clone();
            move || {
                std::thread::sleep(Duration::from_millis(300));
                let mut received = String::new();
                let mut fifo = std::fs::File::open(&path).unwrap();
                fifo.read_to_string(&mut received).unwrap();
                received
            }
        });
        let delivered = copy.finish(Duration::from_secs(5)).delivered;

        assert!(delivered);
        assert_eq!(late_reader.join().unwrap(), "line one\nline two\n");
    }

    #[test]
    fn finish_gives_up_on_an_absent_reader_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let copy = Copy::start(
            "stdout",
            std::io::Cursor::new(b"unread\n".to_vec()),
            Sink::open(Some(&path)).unwrap(),
        );

        let started = std::time::Instant::now();
        let delivered = copy.finish(Duration::from_millis(300)).delivered;
        assert!(!delivered);
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn overflow_drops_oldest_chunks_and_counts_them() {
        let queue = Queue::default();
        for _ in 0..(QUEUE_LIMIT_BYTES / CHUNK_BYTES + 4) {
            push_bounded(&queue, "stdout", vec![0u8; CHUNK_BYTES]);
        }
        let state = lock(&queue);
        assert!(state.bytes <= QUEUE_LIMIT_BYTES);
        assert_eq!(state.dropped_bytes, 4 * CHUNK_BYTES as u64);
    }

    #[test]
    fn no_sink_drains_and_discards() {
        let copy = Copy::start(
            "stderr",
            std::io::Cursor::new(vec![1u8; 1_000_000]),
            Sink::open(None).unwrap(),
        );
        let finished = copy.finish(Duration::from_secs(5));
        assert!(finished.delivered);
        assert_eq!(finished.dropped_bytes, 0);
    }
}
