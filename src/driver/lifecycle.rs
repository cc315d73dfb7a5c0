//! WaitTask, StopTask, DestroyTask and SignalTask.

use std::time::Duration;

use super::task::TaskEntry;
use super::{Driver, DriverError};
use crate::proto::drivers::WaitTaskResponse;
use crate::runtime::{normalize_signal, ContainerCli, ContainerState};

/// Nomad's signal for "leave the task running" (remote tasks, pre-1.10).
const DETACH_SIGNAL: &str = "DETACH";
/// How long a stopped task may take to report its exit before we look why.
const STOP_SETTLE: Duration = Duration::from_secs(10);
/// How long a killed or deleted container's CLI may take to end.
const CLI_SETTLE: Duration = Duration::from_secs(5);
/// How long Destroy waits for the supervisor to report after a delete.
const DESTROY_SETTLE: Duration = Duration::from_secs(15);

impl Driver {
    pub(super) async fn wait_task(&self, id: &str) -> Result<WaitTaskResponse, DriverError> {
        let task = self
            .task(id)
            .ok_or_else(|| DriverError::UnknownTask(id.to_string()))?;
        let exit = task.wait().await;
        Ok(WaitTaskResponse {
            result: Some(exit.to_proto()),
            err: exit.error.unwrap_or_default(),
        })
    }

    /// Sends the stop signal (the image's stop signal when Nomad gives none),
    /// waits up to `grace`, then Apple's CLI kills the container. Unknown
    /// tasks succeed: Nomad cannot tell "not found" apart over gRPC and
    /// would retry with backoff.
    pub(super) async fn stop_task(
        &self,
        id: &str,
        grace: Duration,
        signal: &str,
    ) -> Result<(), DriverError> {
        let Some(task) = self.task(id) else {
            return Ok(());
        };
        if task.has_exited() {
            return Ok(());
        }
        task.note_stop_requested();
        if signal.trim().eq_ignore_ascii_case(DETACH_SIGNAL) {
            tracing::info!(task_id = %id, "detaching: the container keeps running");
            task.mark_detached();
            return Ok(());
        }

        let signal = match signal.trim() {
            "" => None,
            name => match normalize_signal(name) {
                Ok(name) => Some(name),
                Err(reason) => {
                    tracing::warn!(
                        task_id = %id,
                        signal = name,
                        reason = %reason,
                        "using the image's stop signal instead",
                    );
                    let message = format!(
                        "kill_signal {name:?} is not a signal Linux knows ({reason}); \
                         stopping with the image's stop signal instead"
                    );
                    self.inner.events.emit(&task.target, message, &[]);
                    None
                }
            },
        };

        let cli = self.cli()?;
        tracing::info!(
            task_id = %id,
            container = %task.container(),
            signal = ?signal,
            grace_ms = grace.as_millis() as u64,
            "stopping task"
        );
        if let Err(error) = cli.stop(task.container(), signal.as_deref(), grace).await {
            tracing::warn!(task_id = %id, error = %error, "container stop failed; killing instead");
            cli.kill(task.container(), "SIGKILL")
                .await
                .map_err(DriverError::cli("killing the container"))?;
        }

        // `container stop` returns once the VM is down, so the exit follows
        // at once; when it does not, find out why.
        if tokio::time::timeout(STOP_SETTLE, task.wait())
            .await
            .is_err()
        {
            self.end_stuck_container(&cli, &task).await?;
        }
        Ok(())
    }

    /// A stop that did not end the task. If the container reads stopped
    /// while its attached CLI still runs, Apple's service restarted (it then
    /// reports every container stopped, `stop` does nothing, and only
    /// `delete` ends the VM) or the CLI hangs: delete the container, and if
    /// even that ends nothing, kill the CLI. A CLI that already exited only
    /// means the supervisor is still handing output to Nomad: leave it be.
    async fn end_stuck_container(
        &self,
        cli: &ContainerCli,
        task: &TaskEntry,
    ) -> Result<(), DriverError> {
        if !task.cli_alive() {
            return Ok(());
        }
        let state = cli
            .inspect(task.container())
            .await
            .ok()
            .flatten()
            .map(|c| c.state());
        if state != Some(ContainerState::Stopped) {
            return Ok(());
        }
        tracing::warn!(
            task_id = %task.id(),
            container = %task.container(),
            "container reads stopped while its attached CLI runs (did Apple's container service \
             restart?); deleting it"
        );
        cli.delete_force(task.container())
            .await
            .map_err(DriverError::cli("deleting a container that would not stop"))?;
        if tokio::time::timeout(CLI_SETTLE, task.wait()).await.is_err() {
            tracing::warn!(task_id = %task.id(), "attached CLI still runs; killing it");
            task.kill_cli();
        }
        Ok(())
    }

    /// Removes the container (unless the operator keeps them with
    /// `gc { container = false }`) and forgets the task. Unknown tasks
    /// succeed; a running task needs `force`.
    pub(super) async fn destroy_task(&self, id: &str, force: bool) -> Result<(), DriverError> {
        let Some(task) = self.task(id) else {
            return Ok(());
        };
        if !task.has_exited() && !force && !task.is_detached() {
            return Err(DriverError::StillRunning(id.to_string()));
        }
        task.note_stop_requested();

        let cli = self.cli()?;
        let config = self.plugin_config();
        if task.is_detached() {
            tracing::info!(
                task_id = %id,
                "destroying a detached task leaves its container running",
            );
        } else if config.gc_container {
            // Only delete tears a container down after Apple's service restarted.
            cli.delete_force(task.container())
                .await
                .map_err(DriverError::cli("deleting the container"))?;
        } else if !task.has_exited() {
            cli.stop(task.container(), None, Duration::from_secs(5))
                .await
                .map_err(DriverError::cli("stopping the container"))?;
        }

        if !task.is_detached() {
            let settled = tokio::time::timeout(DESTROY_SETTLE, task.wait())
                .await
                .is_ok();
            if !settled {
                // Nothing may outlive Destroy: a CLI that hangs with its
                // container gone is killed, and its supervisor ends with it.
                tracing::warn!(
                    task_id = %id,
                    "no exit after the container was removed; killing its CLI",
                );
                task.kill_cli();
                let _ = tokio::time::timeout(CLI_SETTLE, task.wait()).await;
            }
        }
        remove_task_files(&task.state);
        self.forget(id);
        tracing::info!(
            task_id = %id,
            container = %task.container(),
            kept = !config.gc_container,
            "task destroyed",
        );
        Ok(())
    }

    pub(super) async fn signal_task(&self, id: &str, signal: &str) -> Result<(), DriverError> {
        let task = self
            .task(id)
            .ok_or_else(|| DriverError::UnknownTask(id.to_string()))?;
        let name = normalize_signal(signal).map_err(DriverError::BadRequest)?;
        if task.has_exited() {
            return Err(DriverError::BadRequest(format!(
                "task {id} has already exited"
            )));
        }
        if name == "SIGKILL" {
            task.note_stop_requested();
        }
        tracing::info!(task_id = %id, signal = %name, "signalling task");
        self.cli()?
            .kill(task.container(), &name)
            .await
            .map_err(DriverError::cli("signalling the container"))
    }
}

fn remove_task_files(state: &super::DriverState) {
    if !state.socket_path.starts_with(&state.state_dir) {
        let _ = std::fs::remove_file(&state.socket_path);
    }
    if let Err(error) = std::fs::remove_dir_all(&state.state_dir) {
        if error.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(
                path = %state.state_dir.display(),
                error = %error,
                "cannot remove task state",
            );
        }
    }
}
