//! The runtime helper's `exec` endpoint: an abstract unix socket (no path
//! length limit, gone when the helper dies) where each connection asks for
//! one process and then carries its stdio like the attach relay.

use super::plan;
use super::process::{self, ProcessIo};
use super::pump::{spawn_input_pump, spawn_output_pump, InputTarget, Sink, Stream};
use super::reaper::Reaper;
use crate::attach::frame::{read_frame, write_frame, Frame};
use crate::model::container::{ContainerConfiguration, User};
use serde::{Deserialize, Serialize};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long output may keep flowing after a process exited (Apple's CLI
/// waits 3 s for its pipes to drain).
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecRequest {
    /// Executable and arguments.
    pub command: Vec<String>,
    /// `-e` and `--env-file` entries, appended to the init environment.
    pub environment: Vec<String>,
    pub working_directory: Option<String>,
    pub user: Option<User>,
    pub terminal: bool,
    pub interactive: bool,
    pub detach: bool,
    pub window: Option<(u16, u16)>,
}

pub fn socket_address(name: &str) -> std::io::Result<SocketAddr> {
    SocketAddr::from_abstract_name(name.as_bytes())
}

pub fn connect(name: &str) -> std::io::Result<UnixStream> {
    UnixStream::connect_addr(&socket_address(name)?)
}

pub fn bind(name: &str) -> std::io::Result<UnixListener> {
    UnixListener::bind_addr(&socket_address(name)?)
}

pub fn serve(
    listener: UnixListener,
    reaper: Arc<Reaper>,
    config: ContainerConfiguration,
    ssh_socket: Option<String>,
) {
    let config = Arc::new(config);
    std::thread::spawn(move || {
        for connection in listener.incoming().flatten() {
            let (reaper, config, ssh) = (reaper.clone(), config.clone(), ssh_socket.clone());
            std::thread::spawn(move || handle(connection, &reaper, &config, ssh.as_deref()));
        }
    });
}

fn handle(
    mut connection: UnixStream,
    reaper: &Reaper,
    config: &ContainerConfiguration,
    ssh_socket: Option<&str>,
) {
    let Ok(Some(Frame::Exec(json))) = read_frame(&mut connection) else {
        return;
    };
    let started = serde_json::from_slice::<ExecRequest>(&json)
        .map_err(|error| format!("invalid exec request: {error}"))
        .and_then(|request| {
            let spec = plan::exec_process_spec(config, &request, ssh_socket)?;
            let spawned = reaper.spawn(|| process::spawn(&spec).map(|s| (s.pid, s.io)))?;
            Ok((request, spawned))
        });
    let (request, (pid, io, exit)) = match started {
        Ok(started) => started,
        Err(text) => {
            let _ = write_frame(&mut connection, &Frame::Failed(text));
            return;
        }
    };
    if write_frame(&mut connection, &Frame::Started(pid)).is_err() || request.detach {
        return;
    }

    let Ok(attached) = connection.try_clone() else {
        return;
    };
    let sink = Sink::new(Some(attached), None);
    let pumps = start_pumps(io, &sink, Some(&connection));
    let code = exit.recv().unwrap_or(-1);
    wait_for_pumps(pumps);
    sink.notify(&Frame::Exit(code));
}

/// Output pumps for `io` and, when there is a CLI, the input pump.
/// Returns a receiver that gets one message per finished output pump,
/// with the count.
pub fn start_pumps(
    io: ProcessIo,
    sink: &Arc<Sink>,
    control: Option<&UnixStream>,
) -> (std::sync::mpsc::Receiver<()>, usize) {
    let (done, finished) = channel();
    let input = match io {
        ProcessIo::Pipes {
            stdin,
            stdout,
            stderr,
        } => {
            spawn_output_pump(stdout, Stream::Stdout, sink.clone(), done.clone());
            spawn_output_pump(stderr, Stream::Stderr, sink.clone(), done);
            (InputTarget::Pipe(stdin), 2)
        }
        ProcessIo::Terminal { master } => {
            let input = master
                .try_clone()
                .map(InputTarget::Terminal)
                .unwrap_or(InputTarget::Nothing);
            spawn_output_pump(master, Stream::Stdout, sink.clone(), done);
            (input, 1)
        }
        ProcessIo::Discarded => (InputTarget::Nothing, 0),
    };
    if let Some(Ok(socket)) = control.map(UnixStream::try_clone) {
        spawn_input_pump(socket, input.0);
    }
    (finished, input.1)
}

pub fn wait_for_pumps((finished, count): (std::sync::mpsc::Receiver<()>, usize)) {
    let deadline = Instant::now() + DRAIN_TIMEOUT;
    for _ in 0..count {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if finished.recv_timeout(remaining).is_err() {
            return;
        }
    }
}
