//! Task events: one broadcast every TaskEvents stream subscribes to.
//! Nomad routes each event to a task by alloc ID and task name.

use std::collections::HashMap;

use tokio::sync::broadcast;

use crate::proto::drivers::{DriverTaskEvent, TaskConfig};

/// Events held for a slow stream before the oldest are skipped.
const EVENT_BUFFER: usize = 256;

#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<DriverTaskEvent>,
}

/// The task an event is about, with the names operators know it by.
#[derive(Debug, Clone, Default)]
pub struct EventTarget {
    pub task_id: String,
    pub alloc_id: String,
    pub task_name: String,
    pub job_name: String,
    pub group_name: String,
    pub namespace: String,
}

impl EventTarget {
    pub fn of(task: &TaskConfig) -> Self {
        Self {
            task_id: task.id.clone(),
            alloc_id: task.alloc_id.clone(),
            task_name: task.name.clone(),
            job_name: task.job_name.clone(),
            group_name: task.task_group_name.clone(),
            namespace: task.namespace.clone(),
        }
    }
}

impl EventBus {
    pub fn new() -> Self {
        Self {
            sender: broadcast::channel(EVENT_BUFFER).0,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DriverTaskEvent> {
        self.sender.subscribe()
    }

    pub fn emit(
        &self,
        target: &EventTarget,
        message: impl Into<String>,
        annotations: &[(&str, String)],
    ) {
        let message = message.into();
        tracing::info!(task_id = %target.task_id, event = %message, "task event");
        let event = DriverTaskEvent {
            task_id: target.task_id.clone(),
            alloc_id: target.alloc_id.clone(),
            task_name: target.task_name.clone(),
            timestamp: Some(now_timestamp()),
            message,
            annotations: annotations
                .iter()
                .map(|(key, value)| (key.to_string(), value.clone()))
                .collect::<HashMap<_, _>>(),
        };
        // No subscriber yet is normal: Nomad opens the stream after Init.
        let _ = self.sender.send(event);
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

pub fn now_timestamp() -> prost_types::Timestamp {
    to_timestamp(time::OffsetDateTime::now_utc())
}

pub fn to_timestamp(at: time::OffsetDateTime) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.unix_timestamp(),
        nanos: at.nanosecond() as i32,
    }
}

/// Go's zero time, which Go plugins send for "not set".
pub fn zero_timestamp() -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: -62_135_596_800,
        nanos: 0,
    }
}
