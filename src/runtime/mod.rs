//! The one wrapper around Apple's `container` CLI. Every short-lived call
//! (create, stop, kill, delete, inspect, stats, exec, system status) goes
//! through [`ContainerCli::call`]: typed argv in, a timeout on every call,
//! stdin closed, stdout and stderr captured, a non-zero exit turned into a
//! typed error, and one debug line with the argv, duration and outcome.

mod args;
mod boot_log;
mod error;
mod exec;
mod image;
mod locate;
mod model;
mod signal;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

pub use args::{CreateOptions, Mount};
pub use boot_log::{last_oom_kill, OomReport};
pub use error::CliError;
pub use exec::{exit_code_of, ExecOutput, ExecStdio};
pub use image::{credential_host, parse_registry_hosts, registry_host};
pub use locate::{is_executable, locate_cli, DEFAULT_SEARCH_PATHS};
pub use model::parse_inspect as parse_inspect_output;
pub use model::parse_list as parse_list_output;
pub use model::parse_stats as parse_stats_output;
pub use model::parse_system_status as parse_system_status_output;
pub use model::{
    parse_cli_version, ContainerState, ContainerStats, ManagedContainer, PublishedPort,
    SystemStatus,
};
pub use signal::normalize_signal;

/// Time limits per kind of call. Apple's CLI pings its API server for up to
/// 10 s before failing, so nothing is shorter than that.
pub mod timeouts {
    use std::time::Duration;

    pub const QUICK: Duration = Duration::from_secs(20);
    pub const STATS: Duration = Duration::from_secs(30);
    /// `container stop` waits for the stop timeout itself, then SIGKILL, then
    /// for the VM to go down; this is the margin on top of its own timeout.
    pub const STOP_MARGIN: Duration = Duration::from_secs(30);
    pub const DELETE: Duration = Duration::from_secs(60);
}

/// A located `container` CLI.
#[derive(Debug, Clone)]
pub struct ContainerCli {
    path: PathBuf,
    /// Set on every call, e.g. SSH_AUTH_SOCK, which Apple's CLI forwards.
    env: Vec<(String, String)>,
}

/// What a successful call printed.
#[derive(Debug)]
pub struct CliOutput {
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl ContainerCli {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            env: Vec::new(),
        }
    }

    /// The same CLI with one more environment variable on every call.
    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    pub fn extra_env(&self) -> impl Iterator<Item = (&str, &str)> {
        self.env
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs one CLI call to completion within `timeout`.
    pub async fn call(
        &self,
        args: Vec<OsString>,
        timeout: Duration,
    ) -> Result<CliOutput, CliError> {
        self.call_with_stdin(args, None, timeout).await
    }

    /// Like [`call`](Self::call), feeding `stdin` (e.g. a registry password,
    /// which must never be on the command line).
    pub async fn call_with_stdin(
        &self,
        args: Vec<OsString>,
        stdin: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<CliOutput, CliError> {
        let command = describe_command(&args);
        let started = Instant::now();
        let result = tokio::time::timeout(timeout, self.run(&args, stdin)).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;

        let outcome = match result {
            Err(_) => Err(CliError::TimedOut {
                command: command.clone(),
                after: timeout,
            }),
            Ok(Err(source)) => Err(CliError::spawn(&self.path, source)),
            Ok(Ok(output)) if output.status.success() => Ok(CliOutput {
                stdout: output.stdout,
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            }),
            Ok(Ok(output)) => Err(CliError::Failed {
                command: command.clone(),
                exit_code: output.status.code(),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            }),
        };

        tracing::debug!(
            argv = redacted_argv(&args),
            elapsed_ms,
            ok = outcome.is_ok(),
            "container CLI call"
        );
        outcome
    }

    async fn run(
        &self,
        args: &[OsString],
        stdin: Option<&[u8]>,
    ) -> std::io::Result<std::process::Output> {
        let mut command = Command::new(&self.path);
        command
            .args(args)
            .envs(self.extra_env())
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // A call abandoned on timeout must not leave a CLI process behind.
            .kill_on_drop(true);
        // Nor may a plugin that was killed outright: a hung call would live on.
        // SAFETY: only an async-signal-safe prctl between fork and exec.
        unsafe {
            command.pre_exec(|| {
                crate::platform::die_with_parent();
                Ok(())
            });
        }
        let mut child = command.spawn()?;

        if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(bytes).await?;
            drop(pipe);
        }
        child.wait_with_output().await
    }

    /// `container system status --format json`; a stopped service is not an
    /// error here but a status the caller reports.
    pub async fn system_status(&self) -> Result<SystemStatus, CliError> {
        let args = args::words(&["system", "status", "--format", "json"]);
        match self.call(args, timeouts::QUICK).await {
            Ok(output) => model::parse_system_status(&output.stdout),
            Err(CliError::Failed {
                exit_code: Some(1), ..
            }) => Ok(SystemStatus::not_running()),
            Err(error) => Err(error),
        }
    }

    /// The CLI's own version, from `container --version`.
    pub async fn version(&self) -> Result<String, CliError> {
        let output = self
            .call(args::words(&["--version"]), timeouts::QUICK)
            .await?;
        let text = String::from_utf8_lossy(&output.stdout);
        parse_cli_version(&text).ok_or_else(|| CliError::BadOutput {
            command: "container --version".into(),
            reason: format!("no version in {:?}", text.trim()),
        })
    }

    pub async fn create(&self, options: &CreateOptions, timeout: Duration) -> Result<(), CliError> {
        self.call(options.to_args()?, timeout).await.map(drop)
    }

    /// Inspects one container; `Ok(None)` when it does not exist.
    pub async fn inspect(&self, name: &str) -> Result<Option<ManagedContainer>, CliError> {
        let args = args::words(&["inspect", name]);
        match self.call(args, timeouts::QUICK).await {
            Ok(output) => model::parse_inspect(&output.stdout).map(|mut all| all.pop()),
            Err(error) if error.says_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Every container of this user's container service, running or not.
    pub async fn list_all(&self) -> Result<Vec<ManagedContainer>, CliError> {
        let args = args::words(&["list", "--all", "--format", "json"]);
        let output = self.call(args, timeouts::QUICK).await?;
        model::parse_list(&output.stdout)
    }

    /// Asks the container to stop: `signal` (or the image's stop signal when
    /// `None`), then SIGKILL after `grace`. Returns when the VM is down.
    pub async fn stop(
        &self,
        name: &str,
        signal: Option<&str>,
        grace: Duration,
    ) -> Result<(), CliError> {
        let args = args::stop(name, signal, grace);
        let timeout = grace + timeouts::STOP_MARGIN;
        self.call(args, timeout).await.map(drop)
    }

    /// Sends a signal by name (host and guest signal numbers differ).
    pub async fn kill(&self, name: &str, signal: &str) -> Result<(), CliError> {
        let args = args::words(&["kill", "--signal", signal, name]);
        self.call(args, timeouts::QUICK).await.map(drop)
    }

    /// Deletes a container, stopping it first if needed. A missing container
    /// counts as deleted.
    pub async fn delete_force(&self, name: &str) -> Result<(), CliError> {
        let args = args::words(&["delete", "--force", name]);
        match self.call(args, timeouts::DELETE).await {
            Err(error) if error.says_not_found() => Ok(()),
            other => other.map(drop),
        }
    }

    /// The container's log (its init process's stdout and stderr, combined,
    /// as Apple's service records them). The driver itself never reads it;
    /// `doctor --deep` checks that it works.
    pub async fn logs(&self, name: &str) -> Result<String, CliError> {
        let output = self
            .call(args::words(&["logs", name]), timeouts::QUICK)
            .await?;
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Creates a user network (macOS 26+).
    pub async fn network_create(&self, name: &str) -> Result<(), CliError> {
        let args = args::words(&["network", "create", name]);
        self.call(args, timeouts::QUICK).await.map(drop)
    }

    /// The guest's kernel and init log since the container's last boot.
    pub async fn boot_log(&self, name: &str) -> Result<String, CliError> {
        let args = args::words(&["logs", "--boot", name]);
        let output = self.call(args, timeouts::QUICK).await?;
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// One-shot stats for every running container (Apple's CLI samples
    /// twice, 2 s apart, and reports the second sample).
    pub async fn stats_all(&self) -> Result<Vec<ContainerStats>, CliError> {
        let args = args::words(&["stats", "--no-stream", "--format", "json"]);
        let output = self.call(args, timeouts::STATS).await?;
        model::parse_stats(&output.stdout)
    }
}

/// "container <subcommand>" for messages: the leading words without flags.
fn describe_command(args: &[OsString]) -> String {
    let words: Vec<String> = args
        .iter()
        .map(|arg| arg.to_string_lossy().into_owned())
        .take_while(|word| !word.starts_with('-'))
        .take(2)
        .collect();
    format!("container {}", words.join(" "))
}

/// The argv as logged. We never put secrets in argv, but values of flags
/// that can carry them are masked anyway, so a future caller cannot leak one
/// through this log line.
pub fn redacted_argv(args: &[OsString]) -> String {
    let mut shown = Vec::with_capacity(args.len());
    let mut mask_next = false;
    for arg in args {
        let word = arg.to_string_lossy();
        if mask_next {
            shown.push("<redacted>".to_string());
            mask_next = false;
            continue;
        }
        match word.as_ref() {
            "-e" | "--env" | "--password" => {
                shown.push(word.into_owned());
                mask_next = true;
            }
            other if other.starts_with("--env=") || other.starts_with("--password=") => {
                let flag = other.split('=').next().unwrap_or_default();
                shown.push(format!("{flag}=<redacted>"));
            }
            _ => shown.push(word.into_owned()),
        }
    }
    shown.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_command_keeps_subcommand_words_only() {
        let args = args::words(&["image", "pull", "--progress", "none", "alpine"]);
        assert_eq!(describe_command(&args), "container image pull");
        assert_eq!(
            describe_command(&args::words(&["stop", "--time", "5", "x"])),
            "container stop"
        );
    }

    #[test]
    fn redaction_masks_env_values_and_passwords() {
        let args = args::words(&["exec", "-e", "TOKEN=s3cret", "--password=hunter2", "x"]);
        let shown = redacted_argv(&args);
        assert!(
            !shown.contains("s3cret") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert!(shown.contains("-e <redacted>"), "{shown}");
    }
}
