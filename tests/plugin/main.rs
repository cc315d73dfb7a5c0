//! The plugin driven over gRPC as Nomad's client drives it, against the
//! stand-in `container` CLI. Each test has its own plugin process and its own
//! stand-in state, so they run in parallel.

#[path = "../support/mod.rs"]
mod support;

mod config;
mod exec_stats;
mod installer;
mod lifecycle;
mod recovery;

use std::time::Duration;

use nomad_driver_container::proto::drivers::*;
use support::*;

pub const EXIT_LIMIT: Duration = Duration::from_secs(30);

pub async fn configured_plugin(standin: &Standin) -> Plugin {
    let plugin = Plugin::launch(standin).await;
    plugin.configure(&standin_binary(), &[]).await;
    plugin
}

pub async fn start(plugin: &Plugin, task: TaskConfig) -> TaskHandle {
    match plugin
        .driver()
        .start_task(StartTaskRequest { task: Some(task) })
        .await
    {
        Ok(response) => response
            .into_inner()
            .handle
            .expect("StartTask returned no handle"),
        Err(status) => panic!(
            "StartTask failed: {status:?}\nplugin log:\n{}",
            plugin.log()
        ),
    }
}

/// Starts a task running `script` and waits until it printed "ready".
pub async fn running_task(
    plugin: &Plugin,
    name: &str,
    script: &str,
) -> (TaskDir, TaskConfig, TaskHandle) {
    let dir = TaskDir::new(name);
    let task = dir.task_config(&shell_task(script));
    let handle = start(plugin, task.clone()).await;
    dir.stdout.wait_for("ready", EXIT_LIMIT).await;
    (dir, task, handle)
}

/// Starts a task that must be refused; returns the status Nomad would get.
pub async fn start_error(plugin: &Plugin, task: TaskConfig) -> tonic::Status {
    let request = StartTaskRequest { task: Some(task) };
    match plugin.driver().start_task(request).await {
        Ok(_) => panic!("StartTask succeeded; plugin log:\n{}", plugin.log()),
        Err(status) => status,
    }
}
