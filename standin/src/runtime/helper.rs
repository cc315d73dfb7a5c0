//! The per-container runtime helper: our stand-in for Apple's per-container
//! runtime service and its VM. The CLI re-executes itself in this hidden
//! mode, in a session of its own with stdio on /dev/null, so the container
//! outlives whichever CLI started it.
//!
//! The helper spawns the init process and keeps it as its child, relays its
//! output to the attached CLI (fd 3, framed) and to `stdio.log`, serves
//! `exec`, and when the init process exits it kills what is left (the VM
//! powering off), records the exit, removes `--rm` containers, and only
//! then tells the attached CLI the exit code.

use super::exec_server::{self, start_pumps, wait_for_pumps};
use super::namespace::{self, Isolation};
use super::process::{self, ProcessIo};
use super::pump::Sink;
use super::reaper::Reaper;
use super::{boot_log, plan};
use crate::attach::frame::{write_frame, Frame};
use crate::model::container::{ContainerConfiguration, ContainerOptions};
use crate::procfs::{self, ProcessRef};
use crate::store::{Status, Store};
use std::fs::File;
use std::io::Write;
use std::os::fd::FromRawFd;
use std::os::unix::net::UnixStream;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// The hidden subcommand that runs a helper.
pub const HELPER_COMMAND: &str = "__runtime-helper";
/// The attached CLI's end of the control socket is passed as this fd.
pub const CONTROL_FD: i32 = 3;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct HelperArgs {
    pub id: String,
    pub attach: bool,
    pub interactive: bool,
    pub window: Option<(u16, u16)>,
}

impl HelperArgs {
    pub fn to_argv(&self) -> Vec<String> {
        let mut argv = vec![HELPER_COMMAND.to_string(), self.id.clone()];
        if self.attach {
            argv.push("--attach".into());
        }
        if self.interactive {
            argv.push("--interactive".into());
        }
        if let Some((rows, cols)) = self.window {
            argv.push(format!("--window={rows}x{cols}"));
        }
        argv
    }

    pub fn parse(argv: &[String]) -> Option<HelperArgs> {
        let mut args = HelperArgs {
            id: argv.first()?.clone(),
            ..HelperArgs::default()
        };
        for flag in &argv[1..] {
            match flag.as_str() {
                "--attach" => args.attach = true,
                "--interactive" => args.interactive = true,
                other => {
                    let (rows, cols) = other.strip_prefix("--window=")?.split_once('x')?;
                    args.window = Some((rows.parse().ok()?, cols.parse().ok()?));
                }
            }
        }
        Some(args)
    }
}

/// A started init process and what the helper needs to supervise it.
struct Running {
    control: UnixStream,
    io: ProcessIo,
    exit: Receiver<i32>,
    options: ContainerOptions,
}

/// Entry point of the hidden mode; returns the helper's exit status.
pub fn run(store: Store, args: HelperArgs) -> i32 {
    // SAFETY: fd 3 was placed there by the launching CLI for us alone.
    let control = unsafe { UnixStream::from_raw_fd(CONTROL_FD) };
    let _ = nix::fcntl::fcntl(
        &control,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    );
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes one integer argument.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }

    match boot(&store, &args, control) {
        Ok(running) => {
            supervise(&store, &args, running);
            0
        }
        Err((mut control, text)) => {
            power_off();
            let _ = write_frame(&mut control, &Frame::Failed(text));
            let _ = store.update_state(&args.id, |state| {
                state.helper = None;
                state.status = Status::Stopped;
            });
            1
        }
    }
}

type BootError = (UnixStream, String);

fn boot(store: &Store, args: &HelperArgs, control: UnixStream) -> Result<Running, BootError> {
    let container = match store.load(&args.id) {
        Ok(Some(container)) => container,
        _ => {
            return Err((
                control,
                format!("get failed: container {} not found", args.id),
            ))
        }
    };
    let config = container.config.clone();
    let fail = |text: String| -> BootError {
        let control = control
            .try_clone()
            .expect("control socket stays open during boot");
        (control, text)
    };

    plan::check_mount_sources(&config).map_err(fail)?;
    prepare_logs(&container.stdio_log(), &container.boot_log(), &config).map_err(fail)?;
    let ssh_socket = std::env::var("SSH_AUTH_SOCK")
        .ok()
        .filter(|path| !path.is_empty());
    let mounts = plan::planned_mounts(store, &config, ssh_socket.as_deref());
    if let Isolation::Shared(reason) = namespace::enter(&mounts).map_err(fail)? {
        note_in_boot_log(&container.boot_log(), &mounts, &reason);
    }

    let spec = plan::init_process_spec(
        &config,
        ssh_socket.as_deref(),
        args.interactive,
        args.window,
    )
    .map_err(fail)?;
    let reaper = Reaper::start();
    let (pid, io, exit) = reaper
        .spawn(|| process::spawn(&spec).map(|s| (s.pid, s.io)))
        .map_err(fail)?;

    let socket_name = exec_socket_name(store, &args.id);
    let listener = exec_server::bind(&socket_name)
        .map_err(|error| fail(format!("failed to listen for exec: {error}")))?;
    exec_server::serve(listener, reaper, config.clone(), ssh_socket);

    mark_running(store, &args.id, pid, &socket_name).map_err(fail)?;
    let mut control = control;
    let _ = write_frame(&mut control, &Frame::Started(pid));
    Ok(Running {
        control,
        io,
        exit,
        options: container.options,
    })
}

fn prepare_logs(
    stdio_log: &std::path::Path,
    boot_log: &std::path::Path,
    config: &ContainerConfiguration,
) -> Result<(), String> {
    // The container log is truncated at every start, like Apple's.
    File::create(stdio_log).map_err(|error| format!("failed to create log file: {error}"))?;
    boot_log::write_boot(
        boot_log,
        &config.id,
        config.resources.memory_in_bytes,
        config.resources.cpus,
    )
    .map_err(|error| format!("failed to create boot log: {error}"))
}

fn note_in_boot_log(path: &std::path::Path, mounts: &[namespace::PlannedMount], reason: &str) {
    if mounts.is_empty() {
        return;
    }
    if let Ok(mut file) = std::fs::OpenOptions::new().append(true).open(path) {
        let _ = writeln!(file, "[    0.170000] vminitd: mounts not applied: {reason}");
    }
}

/// The abstract socket name: unique per root and container.
fn exec_socket_name(store: &Store, id: &str) -> String {
    let digest = crate::registry::fixtures::fake_digest(&store.root().display().to_string());
    format!("container-standin/{}/{id}", &digest[7..23])
}

fn mark_running(store: &Store, id: &str, pid: i32, socket_name: &str) -> Result<(), String> {
    let _lock = store.lock().map_err(|error| format!("{error:#}"))?;
    let address_host = free_address_host(store, id);
    let updated = store.update_state_locked(id, |state| {
        state.status = Status::Running;
        state.started_date = Some(crate::output::time::now_iso8601());
        state.helper = ProcessRef::of(std::process::id() as i32);
        state.pid = Some(pid);
        state.exit_code = None;
        state.address_host = Some(address_host);
        state.exec_socket = Some(socket_name.to_string());
        state.boot_unix_ms = Some(crate::output::time::now_unix_ms() as u64);
        state.forgotten_by_server = false;
    });
    match updated {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(format!("get failed: container {id} not found")),
        Err(error) => Err(format!("{error:#}")),
    }
}

/// Lowest N ≥ 2 not used by another running container's 192.168.64.N.
fn free_address_host(store: &Store, id: &str) -> u8 {
    let used: Vec<u8> = store
        .list()
        .unwrap_or_default()
        .iter()
        .filter(|other| other.id != id && other.is_running())
        .filter_map(|other| other.state.address_host)
        .collect();
    (2..=254).find(|host| !used.contains(host)).unwrap_or(254)
}

fn supervise(store: &Store, args: &HelperArgs, running: Running) {
    let attached = if args.attach {
        running.control.try_clone().ok()
    } else {
        None
    };
    let log = std::fs::OpenOptions::new()
        .append(true)
        .open(store.container_dir(&args.id).join("stdio.log"))
        .ok();
    let sink = Sink::new(attached, log);
    let control = args.attach.then_some(&running.control);
    let pumps = start_pumps(running.io, &sink, control);

    let code = running.exit.recv().unwrap_or(-1);
    power_off();
    wait_for_pumps(pumps);
    record_exit(store, &args.id, code, &running.options);
    sink.notify(&Frame::Exit(code));
}

/// Kills every process left below the helper, as a VM shutdown would.
fn power_off() {
    let me = std::process::id() as i32;
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let remaining = procfs::descendants(me);
        if remaining.is_empty() {
            return;
        }
        for process in remaining {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(process.pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn record_exit(store: &Store, id: &str, code: i32, options: &ContainerOptions) {
    let Ok(_lock) = store.lock() else {
        return;
    };
    if options.auto_remove {
        let _ = store.remove_locked(id);
        return;
    }
    let _ = store.update_state_locked(id, |state| {
        state.status = Status::Stopped;
        state.exit_code = Some(code);
        state.helper = None;
        state.pid = None;
        state.address_host = None;
        state.exec_socket = None;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_arguments_round_trip() {
        let args = HelperArgs {
            id: "web".into(),
            attach: true,
            interactive: false,
            window: Some((40, 120)),
        };
        assert_eq!(HelperArgs::parse(&args.to_argv()[1..]), Some(args));
    }
}
