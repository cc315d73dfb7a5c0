//! The plugin driven over gRPC as Nomad's client drives it, against the
//! stand-in `container` CLI. Each test has its own plugin process and its own
//! stand-in state, so they run in parallel.

#[path = "../support/mod.rs"]
mod support;

mod config;
mod dangling;
mod exec_stats;
mod faults;
mod garbage;
mod installer;
mod lifecycle;
mod recovery;
mod secrets;

use std::time::Duration;

use nomad_driver_container::proto::drivers::*;
use rmpv::Value;
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

/// The stand-in's private fixture image and the password it accepts.
pub const PRIVATE_IMAGE: &str = "registry.local.test/private/app:1";
pub const REGISTRY_PASSWORD: &str = "s3cret-pw";

/// A task's `auth` block as Nomad sends it.
pub fn auth_block(username: &str, password: &str) -> Value {
    Value::Map(vec![
        (Value::from("username"), Value::from(username)),
        (Value::from("password"), Value::from(password)),
        (Value::from("server_address"), Value::Nil),
    ])
}

/// Stores ci-bot's login for the private registry, as an operator would.
pub fn login_as_ci_bot(standin: &Standin) {
    use std::io::Write;
    let mut login = std::process::Command::new(standin_binary())
        .args([
            "registry",
            "login",
            "--password-stdin",
            "--username",
            "ci-bot",
            "registry.local.test",
        ])
        .env("CONTAINER_STANDIN_ROOT", standin.root.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    login
        .stdin
        .take()
        .unwrap()
        .write_all(REGISTRY_PASSWORD.as_bytes())
        .unwrap();
    assert!(login.wait().unwrap().success());
}

/// RecoverTask with a stored handle, as Nomad's client does after a restart.
pub async fn recover(plugin: &Plugin, handle: &TaskHandle) {
    let request = RecoverTaskRequest {
        task_id: String::new(),
        handle: Some(handle.clone()),
    };
    if let Err(status) = plugin.driver().recover_task(request).await {
        panic!(
            "RecoverTask failed: {status:?}\nplugin log:\n{}",
            plugin.log()
        );
    }
}

/// StopTask with `signal` and, when given, a timeout in seconds.
pub async fn stop(plugin: &Plugin, task_id: &str, signal: &str, timeout_seconds: Option<i64>) {
    let request = StopTaskRequest {
        task_id: task_id.into(),
        timeout: timeout_seconds.map(|seconds| prost_types::Duration { seconds, nanos: 0 }),
        signal: signal.into(),
    };
    if let Err(status) = plugin.driver().stop_task(request).await {
        panic!("StopTask failed: {status:?}\nplugin log:\n{}", plugin.log());
    }
}

/// The TaskEvents stream, opened as Nomad's client opens it.
pub async fn task_events(plugin: &Plugin) -> tonic::Streaming<DriverTaskEvent> {
    plugin
        .driver()
        .task_events(TaskEventsRequest {})
        .await
        .expect("TaskEvents")
        .into_inner()
}

/// A TaskStats stream at `interval_ms`, as the client's stats hook opens it.
pub async fn stats_stream(
    plugin: &Plugin,
    task_id: &str,
    interval_ms: u32,
) -> tonic::Streaming<TaskStatsResponse> {
    let request = TaskStatsRequest {
        task_id: task_id.into(),
        collection_interval: Some(prost_types::Duration {
            seconds: i64::from(interval_ms / 1000),
            nanos: (interval_ms % 1000 * 1_000_000) as i32,
        }),
    };
    plugin
        .driver()
        .task_stats(request)
        .await
        .expect("TaskStats")
        .into_inner()
}

/// A task `sidecar` in `main_dir`'s allocation that joins task main's
/// network (`network_mode = "task:main"`) and prints main's address.
pub fn sidecar_of_main(main_dir: &TaskDir) -> (TaskDir, TaskConfig) {
    let sidecar_dir = TaskDir::new("sidecar");
    let config = with(
        shell_task("echo $TASK_MAIN_IP"),
        "network_mode",
        Value::from("task:main"),
    );
    let mut sidecar = sidecar_dir.task_config(&config);
    sidecar.alloc_id = main_dir.alloc_id.clone();
    (sidecar_dir, sidecar)
}

/// The first message of a Fingerprint stream, as the client waits for it.
pub async fn first_fingerprint(plugin: &Plugin) -> FingerprintResponse {
    let mut stream = plugin
        .driver()
        .fingerprint(FingerprintRequest {})
        .await
        .expect("Fingerprint")
        .into_inner();
    tokio::time::timeout(
        Duration::from_secs(15),
        tokio_stream::StreamExt::next(&mut stream),
    )
    .await
    .expect("no fingerprint in time")
    .expect("the fingerprint stream ended")
    .expect("the fingerprint stream failed")
}
