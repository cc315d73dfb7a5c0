//! `container exec`: a process run inside a running container. Unlike the
//! other calls, a non-zero exit is the command's answer, not a failure.

use std::ffi::OsString;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::{CliError, ContainerCli};

/// What an exec'd command printed and how it ended.
#[derive(Debug)]
pub struct ExecOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit_code: i32,
}

/// The stdio a streaming exec gets.
pub enum ExecStdio {
    /// Separate pipes for stdin, stdout and stderr.
    Pipes,
    /// One terminal for all three; the fd is the PTY's secondary side, which
    /// becomes the CLI's controlling terminal.
    Terminal(std::os::fd::OwnedFd),
}

pub fn exec_args(
    container: &str,
    command: &[String],
    interactive: bool,
    tty: bool,
) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["exec".into()];
    if interactive {
        args.push("--interactive".into());
    }
    if tty {
        args.push("--tty".into());
    }
    args.push(container.into());
    args.extend(command.iter().map(OsString::from));
    args
}

impl ContainerCli {
    /// Runs a command to completion, capturing both streams. `None` means no
    /// time limit (Nomad sends zero for "run until done").
    pub async fn exec_capture(
        &self,
        container: &str,
        command: &[String],
        timeout: Option<Duration>,
    ) -> Result<ExecOutput, CliError> {
        let args = exec_args(container, command, false, false);
        tracing::debug!(argv = super::redacted_argv(&args), "container CLI exec");
        let child = Command::new(self.path())
            .args(&args)
            .envs(self.extra_env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| CliError::spawn(self.path(), source))?;

        let waited = match timeout {
            Some(limit) => tokio::time::timeout(limit, child.wait_with_output())
                .await
                .map_err(|_| CliError::TimedOut {
                    command: "container exec".into(),
                    after: limit,
                })?,
            None => child.wait_with_output().await,
        };
        let output = waited.map_err(|source| CliError::spawn(self.path(), source))?;
        Ok(ExecOutput {
            stdout: output.stdout,
            stderr: output.stderr,
            exit_code: exit_code_of(output.status),
        })
    }

    /// Starts an interactive exec whose stdio the caller drives.
    pub fn exec_spawn(
        &self,
        container: &str,
        command: &[String],
        stdio: ExecStdio,
    ) -> Result<Child, CliError> {
        let tty = matches!(stdio, ExecStdio::Terminal(_));
        let args = exec_args(container, command, true, tty);
        tracing::debug!(
            argv = super::redacted_argv(&args),
            "container CLI exec, streaming"
        );

        let mut process = Command::new(self.path());
        process
            .args(&args)
            .envs(self.extra_env())
            .kill_on_drop(true);
        match stdio {
            ExecStdio::Pipes => {
                process
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
                // SAFETY: only an async-signal-safe prctl between fork and exec.
                unsafe {
                    process.pre_exec(|| {
                        crate::platform::die_with_parent();
                        Ok(())
                    });
                }
            }
            ExecStdio::Terminal(secondary) => {
                let clone = |fd: &std::os::fd::OwnedFd| {
                    fd.try_clone()
                        .map_err(|source| CliError::spawn(self.path(), source))
                };
                process
                    .stdin(Stdio::from(clone(&secondary)?))
                    .stdout(Stdio::from(clone(&secondary)?))
                    .stderr(Stdio::from(secondary));
                // SAFETY: setsid and ioctl are async-signal-safe. The PTY
                // becomes the controlling terminal, so a resize reaches the
                // CLI as SIGWINCH and it resizes the container's terminal.
                unsafe {
                    process.pre_exec(|| {
                        crate::platform::die_with_parent();
                        libc::setsid();
                        libc::ioctl(0, libc::TIOCSCTTY as _, 0);
                        Ok(())
                    });
                }
            }
        }
        process
            .spawn()
            .map_err(|source| CliError::spawn(self.path(), source))
    }
}

/// The CLI exits with the command's own code; if the CLI itself died by a
/// signal, report it the shell's way (128 + n).
pub fn exit_code_of(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(-1)
}
