//! The CLI's side of starting a container: launching the runtime helper in
//! a session of its own, handing it one end of a socket pair as fd 3, and
//! recording which helper now owns the container.

use super::helper::{HelperArgs, CONTROL_FD};
use crate::procfs::ProcessRef;
use crate::store::{Store, ROOT_ENV};
use anyhow::Context;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// Spawns the helper; the caller must hold the store lock so that two
/// starts of one container cannot both launch one. Returns the CLI's end of
/// the control socket.
pub fn launch_helper(store: &Store, args: &HelperArgs) -> anyhow::Result<UnixStream> {
    let (cli_end, helper_end) = UnixStream::pair().context("creating the attach socket")?;
    let executable = std::env::current_exe().context("locating the container binary")?;

    let mut command = Command::new(executable);
    command
        .args(args.to_argv())
        .env_clear()
        .env(ROOT_ENV, store.root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(agent) = std::env::var_os("SSH_AUTH_SOCK") {
        command.env("SSH_AUTH_SOCK", agent);
    }
    let helper_fd = helper_end.as_raw_fd();
    // SAFETY: only async-signal-safe calls (setsid, dup2, fcntl) between
    // fork and exec, on an fd that stays open until spawn returns.
    unsafe {
        command.pre_exec(move || {
            super::process::reset_signals();
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if helper_fd == CONTROL_FD {
                libc::fcntl(CONTROL_FD, libc::F_SETFD, 0);
            } else if libc::dup2(helper_fd, CONTROL_FD) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }

    // The helper is never waited for: once this CLI exits it is reparented,
    // and until then a finished helper is a harmless zombie.
    let child = command.spawn().context("starting the runtime helper")?;
    let helper = ProcessRef::of(child.id() as i32);
    store.update_state_locked(&args.id, |state| state.helper = helper)?;
    drop(helper_end);
    Ok(cli_end)
}
