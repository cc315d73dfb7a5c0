//! RecoverTask: a freshly started plugin takes a task back from its handle.
//!
//! Nomad calls this after its client restarts and after our process died.
//! It may also come for a task we already track (after the client
//! reattached to us), which is a no-op.

use std::sync::Arc;

use super::events::EventTarget;
use super::state::DriverState;
use super::task::TaskEntry;
use super::{supervision, Driver, DriverError};
use crate::proto::drivers::TaskHandle;

impl Driver {
    pub(super) async fn recover_task(&self, handle: TaskHandle) -> Result<(), DriverError> {
        let config = handle
            .config
            .ok_or_else(|| DriverError::BadRequest("the task handle has no task config".into()))?;
        if config.id.is_empty() {
            return Err(DriverError::BadRequest(
                "the task handle's config has no task ID".into(),
            ));
        }
        if self.task(&config.id).is_some() {
            return Ok(());
        }

        let state = DriverState::decode(handle.version, &handle.driver_state)?;
        let _claim = self.claim_in_flight(&state.container).await;
        if super::lock(&self.inner.removed_dangling).contains(&state.container) {
            return Err(DriverError::BadRequest(format!(
                "container {} was removed as dangling before Nomad recovered its task",
                state.container
            )));
        }
        self.note_node(&config.node_id);
        let cli = self.cli()?;
        let target = EventTarget::of(&config);
        let task = Arc::new(TaskEntry::new(target.clone(), state.clone()));

        // A live supervisor answers on its socket; a gone one left an exit
        // record, or nothing at all if it was killed.
        let connection = match supervision::connect(&state.socket_path).await {
            Ok((stream, hello)) => {
                task.set_cli_pid(hello.cli_pid);
                tracing::info!(
                    task_id = %config.id,
                    supervisor_pid = hello.supervisor_pid,
                    "reattached to the task supervisor",
                );
                Some(stream)
            }
            Err(error) => {
                tracing::info!(
                    task_id = %config.id,
                    error = %error,
                    "task supervisor is gone; reading its exit record",
                );
                None
            }
        };
        let outcome = if connection.is_some() {
            "reattached"
        } else {
            "supervisor gone"
        };
        self.register(task.clone());
        tokio::spawn(supervision::watch_exit(
            task,
            cli,
            self.inner.events.clone(),
            connection,
        ));
        self.inner.events.emit(
            &target,
            format!("Recovered task after a plugin restart ({outcome})"),
            &[("container", state.container.clone())],
        );
        Ok(())
    }
}
