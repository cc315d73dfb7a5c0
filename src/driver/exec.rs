//! ExecTask and ExecTaskStreaming: commands run inside a task's container.
//!
//! `nomad alloc exec` only ever uses the streaming RPC. With a TTY we give
//! the CLI a local pseudo-terminal: its size follows every resize message,
//! and closing stdin sends end-of-file the way a terminal does (Ctrl-D).

use std::os::fd::{AsRawFd, OwnedFd};
use std::pin::Pin;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::process::Child;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Status, Streaming};

use super::{Driver, DriverError};
use crate::proto::drivers::{
    ExecTaskResponse, ExecTaskStreamingIoOperation, ExecTaskStreamingRequest,
    ExecTaskStreamingResponse, ExitResult,
};
use crate::runtime::{exit_code_of, ExecStdio};

type ResponseStream = Pin<Box<dyn Stream<Item = Result<ExecTaskStreamingResponse, Status>> + Send>>;

/// End-of-transmission: what a terminal sends for Ctrl-D.
const EOT: u8 = 0x04;
const DEFAULT_TERMINAL: (u16, u16) = (24, 80);
/// How long a TTY exec waits for Nomad's first terminal size.
const FIRST_SIZE_WAIT: Duration = Duration::from_millis(250);
/// When the CLI is surely listening for SIGWINCH.
const RESIZE_NUDGE_AFTER: Duration = Duration::from_millis(400);

impl Driver {
    pub(super) async fn exec_task(
        &self,
        id: &str,
        command: Vec<String>,
        timeout: Option<Duration>,
    ) -> Result<ExecTaskResponse, DriverError> {
        let task = self
            .task(id)
            .ok_or_else(|| DriverError::UnknownTask(id.to_string()))?;
        if command.is_empty() {
            return Err(DriverError::BadRequest("exec needs a command".into()));
        }
        let output = self
            .cli()?
            .exec_capture(task.container(), &command, timeout)
            .await
            .map_err(DriverError::cli("running the command in the container"))?;
        Ok(ExecTaskResponse {
            stdout: output.stdout,
            stderr: output.stderr,
            result: Some(ExitResult {
                exit_code: output.exit_code,
                ..Default::default()
            }),
        })
    }

    pub(super) async fn exec_task_streaming(
        &self,
        mut incoming: Streaming<ExecTaskStreamingRequest>,
    ) -> Result<ResponseStream, DriverError> {
        let first = incoming
            .message()
            .await
            .map_err(|status| DriverError::BadRequest(format!("reading the exec setup: {status}")))?
            .ok_or_else(|| {
                DriverError::BadRequest("the exec stream ended before its setup".into())
            })?;
        let setup = first
            .setup
            .ok_or_else(|| DriverError::BadRequest("the first exec message has no setup".into()))?;
        let task = self
            .task(&setup.task_id)
            .ok_or_else(|| DriverError::UnknownTask(setup.task_id.clone()))?;
        if setup.command.is_empty() {
            return Err(DriverError::BadRequest("exec needs a command".into()));
        }
        let cli = self.cli()?;

        let (sender, receiver) = mpsc::channel(32);
        let container = task.container().to_string();
        tracing::info!(task_id = %setup.task_id, tty = setup.tty, "streaming exec started");
        if setup.tty {
            // Nomad's client sends the terminal size right after the setup.
            // Opening the PTY at that size before the CLI starts avoids a
            // resize racing the CLI's start-up.
            let first = next_message_soon(&mut incoming).await;
            let size = first.as_ref().and_then(|message| message.tty_size);
            let pty = open_terminal(size.map(|s| (s.height, s.width)))?;
            let child = cli
                .exec_spawn(
                    &container,
                    &setup.command,
                    ExecStdio::Terminal(pty.secondary),
                )
                .map_err(DriverError::cli("starting the command in the container"))?;
            nudge_resize_later(child.id());
            tokio::spawn(run_terminal(child, pty.primary, first, incoming, sender));
        } else {
            let child = cli
                .exec_spawn(&container, &setup.command, ExecStdio::Pipes)
                .map_err(DriverError::cli("starting the command in the container"))?;
            tokio::spawn(run_pipes(child, incoming, sender));
        }
        Ok(Box::pin(ReceiverStream::new(receiver)))
    }
}

type Outbox = mpsc::Sender<Result<ExecTaskStreamingResponse, Status>>;

struct Terminal {
    primary: OwnedFd,
    secondary: OwnedFd,
}

/// The next client message if one comes within a moment.
async fn next_message_soon(
    incoming: &mut Streaming<ExecTaskStreamingRequest>,
) -> Option<ExecTaskStreamingRequest> {
    match tokio::time::timeout(FIRST_SIZE_WAIT, incoming.message()).await {
        Ok(Ok(message)) => message,
        _ => None,
    }
}

/// A resize can land before the CLI listens for SIGWINCH; one more, once it
/// surely listens, makes it read the terminal's size again.
fn nudge_resize_later(pid: Option<u32>) {
    let Some(pid) = pid else { return };
    tokio::spawn(async move {
        tokio::time::sleep(RESIZE_NUDGE_AFTER).await;
        // SAFETY: a signal to the process group the CLI leads (setsid).
        unsafe {
            libc::kill(-(pid as libc::pid_t), libc::SIGWINCH);
        }
    });
}

fn open_terminal(size: Option<(i32, i32)>) -> Result<Terminal, DriverError> {
    let clamp = |value: i32| value.clamp(1, u16::MAX as i32) as u16;
    let (rows, cols) = size.map_or(DEFAULT_TERMINAL, |(rows, cols)| (clamp(rows), clamp(cols)));
    let size = nix::pty::Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = nix::pty::openpty(Some(&size), None)
        .map_err(|errno| DriverError::io("opening a pseudo-terminal")(errno.into()))?;
    // Raw from the start: the CLI would switch it to raw itself, but bytes
    // that arrive before it does (a Ctrl-D for stdin's close, say) must
    // reach the container's terminal, not be read by this one's line
    // discipline.
    let mut modes = nix::sys::termios::tcgetattr(&pty.slave)
        .map_err(|errno| DriverError::io("reading terminal modes")(errno.into()))?;
    nix::sys::termios::cfmakeraw(&mut modes);
    nix::sys::termios::tcsetattr(&pty.slave, nix::sys::termios::SetArg::TCSANOW, &modes)
        .map_err(|errno| DriverError::io("setting terminal modes")(errno.into()))?;
    Ok(Terminal {
        primary: pty.master,
        secondary: pty.slave,
    })
}

fn resize(primary: &OwnedFd, height: i32, width: i32) {
    let size = libc::winsize {
        ws_row: height.clamp(1, u16::MAX as i32) as u16,
        ws_col: width.clamp(1, u16::MAX as i32) as u16,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads a winsize we own from a valid descriptor.
    let result = unsafe { libc::ioctl(primary.as_raw_fd(), libc::TIOCSWINSZ as _, &size) };
    if result != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "terminal resize failed");
    }
}

async fn run_terminal(
    mut child: Child,
    primary: OwnedFd,
    first: Option<ExecTaskStreamingRequest>,
    incoming: Streaming<ExecTaskStreamingRequest>,
    outbox: Outbox,
) {
    let reader = match primary.try_clone() {
        Ok(fd) => tokio::fs::File::from_std(std::fs::File::from(fd)),
        Err(error) => return finish_with_error(&mut child, &outbox, error).await,
    };
    let writer = match primary.try_clone() {
        Ok(fd) => tokio::fs::File::from_std(std::fs::File::from(fd)),
        Err(error) => return finish_with_error(&mut child, &outbox, error).await,
    };

    let output = tokio::spawn(pump_output(reader, outbox.clone(), Channel::Stdout));
    let input = tokio::spawn(pump_input(
        first,
        incoming,
        Some(writer),
        Some(primary),
        true,
    ));
    finish(child, vec![output], input, &outbox).await;
}

async fn run_pipes(
    mut child: Child,
    incoming: Streaming<ExecTaskStreamingRequest>,
    outbox: Outbox,
) {
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let error = std::io::Error::other("exec pipes missing");
        return finish_with_error(&mut child, &outbox, error).await;
    };
    let outputs = vec![
        tokio::spawn(pump_output(stdout, outbox.clone(), Channel::Stdout)),
        tokio::spawn(pump_output(stderr, outbox.clone(), Channel::Stderr)),
    ];
    let input = tokio::spawn(pump_input(None, incoming, Some(stdin), None, false));
    finish(child, outputs, input, &outbox).await;
}

/// Waits for the command, drains its output, then sends the one final
/// message Nomad expects: `exited` with the result and nothing else. If the
/// client goes away first, the command is killed and reaped.
async fn finish(
    mut child: Child,
    outputs: Vec<tokio::task::JoinHandle<()>>,
    input: tokio::task::JoinHandle<()>,
    outbox: &Outbox,
) {
    let status = tokio::select! {
        status = child.wait() => status,
        _ = outbox.closed() => {
            tracing::info!("exec client went away; ending the command");
            let _ = child.kill().await;
            input.abort();
            return;
        }
    };
    for output in outputs {
        let _ = output.await;
    }
    input.abort();

    let exit_code = match status {
        Ok(status) => exit_code_of(status),
        Err(error) => {
            tracing::warn!(error = %error, "waiting for the exec CLI failed");
            -1
        }
    };
    tracing::info!(exit_code, "streaming exec ended");
    let _ = outbox
        .send(Ok(ExecTaskStreamingResponse {
            exited: true,
            result: Some(ExitResult {
                exit_code,
                ..Default::default()
            }),
            ..Default::default()
        }))
        .await;
}

async fn finish_with_error(child: &mut Child, outbox: &Outbox, error: std::io::Error) {
    let _ = child.kill().await;
    let _ = outbox
        .send(Err(Status::internal(format!(
            "exec I/O setup failed: {error}"
        ))))
        .await;
}

#[derive(Clone, Copy)]
enum Channel {
    Stdout,
    Stderr,
}

async fn pump_output(mut source: impl AsyncRead + Unpin, outbox: Outbox, channel: Channel) {
    let mut buffer = vec![0u8; 32 * 1024];
    loop {
        match source.read(&mut buffer).await {
            // A PTY's primary side reports EIO once the terminal is closed.
            Ok(0) | Err(_) => break,
            Ok(count) => {
                let operation = Some(ExecTaskStreamingIoOperation {
                    data: buffer[..count].to_vec(),
                    close: false,
                });
                let message = match channel {
                    Channel::Stdout => ExecTaskStreamingResponse {
                        stdout: operation,
                        ..Default::default()
                    },
                    Channel::Stderr => ExecTaskStreamingResponse {
                        stderr: operation,
                        ..Default::default()
                    },
                };
                if outbox.send(Ok(message)).await.is_err() {
                    break;
                }
            }
        }
    }
}

/// Feeds the client's messages to the command: stdin bytes, stdin close,
/// terminal resizes; empty keep-alive messages are ignored.
async fn pump_input(
    first: Option<ExecTaskStreamingRequest>,
    mut incoming: Streaming<ExecTaskStreamingRequest>,
    mut stdin: Option<impl AsyncWrite + Unpin>,
    terminal: Option<OwnedFd>,
    tty: bool,
) {
    let mut pending = first;
    loop {
        let message = match pending.take() {
            Some(message) => message,
            None => match incoming.next().await {
                Some(Ok(message)) => message,
                _ => break,
            },
        };
        if let (Some(size), Some(primary)) = (&message.tty_size, &terminal) {
            resize(primary, size.height, size.width);
        }
        let Some(operation) = message.stdin else {
            continue;
        };
        if let Some(pipe) = stdin.as_mut() {
            // tokio's File buffers writes; flush so the byte reaches the PTY now.
            let written = async {
                pipe.write_all(&operation.data).await?;
                pipe.flush().await
            };
            if !operation.data.is_empty() && written.await.is_err() {
                stdin = None;
                continue;
            }
            if operation.close {
                if tty {
                    let _ = pipe.write_all(&[EOT]).await;
                    let _ = pipe.flush().await;
                } else {
                    let _ = pipe.shutdown().await;
                    stdin = None;
                }
            }
        }
    }
}
