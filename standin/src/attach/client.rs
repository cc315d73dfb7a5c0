//! The attached CLI's side of the relay. It copies the container's stdout
//! and stderr frames to its own streams, sends its stdin when interactive,
//! and exits with the code the runtime helper reports.
//!
//! Signals are deliberately *not* forwarded: Apple's CLI 1.x tries and
//! fails (the server expects a string, the client sends a number), prints
//! the failure, and on the third SIGINT/SIGTERM exits 1 while the container
//! keeps running. We reproduce that, including the `-t` variants.

use super::frame::{read_frame, write_frame, Frame};
use super::terminal;
use nix::sys::signal::{SigSet, Signal};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy)]
pub struct AttachMode {
    pub interactive: bool,
    pub terminal: bool,
}

/// Installed before the helper is asked to start anything, so a signal that
/// arrives early still follows Apple's rules.
pub struct SignalGuard {
    attached: Arc<AtomicBool>,
    socket: Arc<Mutex<Option<UnixStream>>>,
}

const WATCHED: [Signal; 5] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGWINCH,
];

impl SignalGuard {
    /// Blocks the watched signals in this thread (and every thread it
    /// spawns) and handles them on a dedicated thread with `sigwait`.
    pub fn install(mode: AttachMode) -> SignalGuard {
        let mut set = SigSet::empty();
        for signal in WATCHED {
            set.add(signal);
        }
        let _ = set.thread_block();

        let guard = SignalGuard {
            attached: Arc::new(AtomicBool::new(false)),
            socket: Arc::new(Mutex::new(None)),
        };
        let (attached, socket) = (guard.attached.clone(), guard.socket.clone());
        std::thread::spawn(move || watch_signals(set, mode, attached, socket));
        guard
    }
}

fn watch_signals(
    set: SigSet,
    mode: AttachMode,
    attached: Arc<AtomicBool>,
    socket: Arc<Mutex<Option<UnixStream>>>,
) {
    let mut strikes = 0;
    while let Ok(signal) = set.wait() {
        let interrupting = matches!(signal, Signal::SIGINT | Signal::SIGTERM);
        if interrupting && (!attached.load(Ordering::SeqCst) || (mode.terminal && mode.interactive))
        {
            terminal::restore();
            std::process::exit(128 + signal as i32);
        }

        if signal == Signal::SIGWINCH && mode.terminal {
            send_window_size(&socket);
            continue;
        }
        if mode.terminal && mode.interactive {
            continue;
        }
        eprintln!(
            "failed to send signal: [\"error\": invalidArgument: \"missing signal in xpc \
             message\", \"signal\": {}]",
            macos_number(signal)
        );
        if interrupting && !mode.terminal {
            strikes += 1;
            if strikes >= 3 {
                terminal::restore();
                std::process::exit(1);
            }
        }
    }
}

/// The CLI runs on macOS, so its messages carry Darwin signal numbers.
fn macos_number(signal: Signal) -> i32 {
    match signal {
        Signal::SIGUSR1 => 30,
        Signal::SIGUSR2 => 31,
        Signal::SIGWINCH => 28,
        other => other as i32,
    }
}

fn send_window_size(socket: &Mutex<Option<UnixStream>>) {
    let Some((rows, cols)) = terminal::window_size() else {
        return;
    };
    if let Ok(mut guard) = socket.lock() {
        if let Some(stream) = guard.as_mut() {
            let _ = write_frame(stream, &Frame::Resize { rows, cols });
        }
    }
}

/// Reads frames until the process has started. `Err` carries the text the
/// runtime reported.
pub fn wait_started(socket: &mut UnixStream) -> Result<i32, String> {
    loop {
        match read_frame(socket) {
            Ok(Some(Frame::Started(pid))) => return Ok(pid),
            Ok(Some(Frame::Failed(text))) => return Err(text),
            Ok(Some(_)) => continue,
            Ok(None) | Err(_) => {
                return Err("runtime helper exited before the process started".to_string())
            }
        }
    }
}

/// Relays until the helper reports the exit; returns the exit code.
pub fn relay(socket: UnixStream, mode: AttachMode, guard: &SignalGuard) -> Result<i32, String> {
    let writer = socket
        .try_clone()
        .map_err(|error| format!("attach socket: {error}"))?;
    if let Ok(mut shared) = guard.socket.lock() {
        *shared = Some(writer.try_clone().map_err(|error| error.to_string())?);
    }
    guard.attached.store(true, Ordering::SeqCst);

    if mode.terminal && mode.interactive {
        terminal::enter_raw_mode();
    }
    if mode.terminal {
        send_window_size(&guard.socket);
    }
    if mode.interactive {
        let shared = guard.socket.clone();
        std::thread::spawn(move || pump_stdin(shared));
    }

    let code = copy_output(socket);
    terminal::restore();
    code
}

fn copy_output(mut socket: UnixStream) -> Result<i32, String> {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    loop {
        match read_frame(&mut socket) {
            // A closed stdout must not end the relay (Apple fixed that crash in 1.1).
            Ok(Some(Frame::Stdout(bytes))) => {
                let mut out = stdout.lock();
                let _ = out.write_all(&bytes).and_then(|_| out.flush());
            }
            Ok(Some(Frame::Stderr(bytes))) => {
                let mut err = stderr.lock();
                let _ = err.write_all(&bytes).and_then(|_| err.flush());
            }
            Ok(Some(Frame::Exit(code))) => return Ok(code),
            Ok(Some(Frame::Failed(text))) => return Err(text),
            Ok(Some(_)) => continue,
            Ok(None) | Err(_) => {
                return Err("failed to wait for process: runtime helper exited".to_string())
            }
        }
    }
}

fn pump_stdin(socket: Arc<Mutex<Option<UnixStream>>>) {
    let mut stdin = std::io::stdin();
    let mut buffer = [0u8; 8192];
    loop {
        let frame = match stdin.read(&mut buffer) {
            Ok(0) | Err(_) => Frame::StdinEof,
            Ok(count) => Frame::Stdin(buffer[..count].to_vec()),
        };
        let finished = frame == Frame::StdinEof;
        let sent = match socket.lock() {
            Ok(mut guard) => match guard.as_mut() {
                Some(stream) => write_frame(stream, &frame).is_ok(),
                None => false,
            },
            Err(_) => false,
        };
        if finished || !sent {
            return;
        }
    }
}
