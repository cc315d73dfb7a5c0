//! InspectTask. Nomad's client never calls it, but operators' tools do, so
//! it answers with everything known of the task and its container: one
//! `container inspect` per call, and what we hold ourselves if that fails.

use std::collections::HashMap;

use super::events::{to_timestamp, zero_timestamp};
use super::task::TaskEntry;
use super::{Driver, DriverError};
use crate::proto::drivers::{
    ExitResult, InspectTaskResponse, NetworkOverride, TaskDriverStatus, TaskState, TaskStatus,
};
use crate::runtime::{ManagedContainer, PublishedPort};

impl Driver {
    pub(super) async fn inspect_task(&self, id: &str) -> Result<InspectTaskResponse, DriverError> {
        let task = self
            .task(id)
            .ok_or_else(|| DriverError::UnknownTask(id.to_string()))?;

        let mut attributes = HashMap::from([
            ("container".to_string(), task.container().to_string()),
            ("image".to_string(), task.state.image.clone()),
            (
                "supervisor_pid".to_string(),
                task.state.supervisor_pid.to_string(),
            ),
        ]);
        let inspected = match self.cli() {
            Ok(cli) => cli
                .inspect(task.container())
                .await
                .map_err(|error| error.to_string()),
            Err(error) => Err(error.to_string()),
        };
        let address = match inspected {
            Ok(Some(container)) => {
                attributes.extend(container_attributes(&container));
                container.ipv4_address()
            }
            Ok(None) => {
                attributes.insert("container_state".into(), "deleted".into());
                None
            }
            Err(error) => {
                // What we know ourselves is still worth answering with.
                attributes.insert("inspect_error".into(), error);
                None
            }
        };

        let port_map = task.state.port_map.clone();
        Ok(InspectTaskResponse {
            task: Some(task_status(&task)),
            driver: Some(TaskDriverStatus { attributes }),
            network_override: (!port_map.is_empty()).then(|| NetworkOverride {
                port_map,
                addr: address.unwrap_or_default(),
                auto_advertise: false,
            }),
        })
    }
}

fn task_status(task: &TaskEntry) -> TaskStatus {
    let exit = task.exit();
    TaskStatus {
        id: task.id().to_string(),
        name: task.target.task_name.clone(),
        state: if exit.is_some() {
            TaskState::Exited
        } else {
            TaskState::Running
        } as i32,
        started_at: Some(to_timestamp(task.started_at)),
        completed_at: Some(
            exit.as_ref()
                .map_or_else(zero_timestamp, |e| to_timestamp(e.completed_at)),
        ),
        result: Some(
            exit.as_ref()
                .map_or(ExitResult::default(), |e| e.to_proto()),
        ),
    }
}

/// The container as Apple's service describes it; a value the service did
/// not report is left out rather than shown empty.
fn container_attributes(container: &ManagedContainer) -> Vec<(String, String)> {
    let configuration = &container.configuration;
    let image = configuration.image.as_ref();
    let ports: Vec<String> = configuration
        .published_ports
        .iter()
        .map(PublishedPort::describe)
        .collect();
    let candidates = [
        ("container_id", Some(container.id.clone())),
        ("container_state", Some(container.state_name().to_string())),
        ("image", image.map(|image| image.reference.clone())),
        (
            "image_digest",
            image.and_then(|image| image.descriptor.as_ref().map(|d| d.digest.clone())),
        ),
        ("ip_address", container.ipv4_address()),
        ("network", container.network_name()),
        ("ports", Some(ports.join(", "))),
    ];
    candidates
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_string(), value.filter(|v| !v.is_empty())?)))
        .collect()
}
