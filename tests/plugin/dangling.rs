//! Dangling containers: ours, unclaimed by any task Nomad knows.

use std::time::Duration;

use nomad_driver_container::proto::drivers::{RecoverTaskRequest, TaskHandle};
use rmpv::Value;

use crate::support::*;
use crate::{configured_plugin, recover, running_task, EXIT_LIMIT};

/// `gc { container = .. dangling_containers { .. } }` with a 1 s period and
/// no creation grace, so a test sees passes quickly.
fn gc_block(container: bool, dry_run: bool) -> (&'static str, Value) {
    let dangling = Value::Map(vec![
        (Value::from("period"), Value::from("1s")),
        (Value::from("creation_grace"), Value::from("0s")),
        (Value::from("dry_run"), Value::from(dry_run)),
    ]);
    let gc = Value::Map(vec![
        (Value::from("container"), Value::from(container)),
        (Value::from("dangling_containers"), dangling),
    ]);
    ("gc", gc)
}

fn exists(standin: &Standin, container: &str) -> bool {
    standin.cli(&["inspect", container]).status.success()
}

fn state_of(standin: &Standin, container: &str) -> String {
    let output = standin.cli(&["inspect", container]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    json[0]["status"]["state"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The scene after a plugin crash: a task Nomad no longer knows (never
/// recovered), one Nomad recovers, a stranger's container, and a task the
/// new plugin starts. Returns the lost container, the new plugin, the
/// containers that must stay, and the task dirs that keep their logs read.
async fn after_a_plugin_crash(
    standin: &Standin,
    gc: (&'static str, Value),
) -> (String, Plugin, Vec<String>, Vec<TaskDir>) {
    let mut first = configured_plugin(standin).await;
    let (_lost_dir, _, lost_handle) =
        running_task(&first, "lost", "echo ready; exec sleep 300").await;
    let (recovered_dir, _, recovered_handle) =
        running_task(&first, "recovered", "echo ready; exec sleep 300").await;
    let container = |handle: &TaskHandle| {
        driver_state(handle, "container")
            .as_str()
            .unwrap()
            .to_string()
    };
    let lost = container(&lost_handle);
    first.kill_hard();

    let run = [
        "run",
        "-d",
        "--name",
        "stranger",
        "alpine:3.20",
        "sleep",
        "300",
    ];
    let stranger = standin.cli(&run);
    assert!(stranger.status.success(), "{stranger:?}");
    // Ours by its labels, but another Nomad client's (same user's service).
    let other_node = [
        "run",
        "-d",
        "--name",
        "other-node",
        "--label",
        "nomad.driver=nomad-driver-container",
        "--label",
        "nomad.alloc_id=elsewhere",
        "--label",
        "nomad.task_name=web",
        "--label",
        "nomad.node_id=another-client",
        "alpine:3.20",
        "sleep",
        "300",
    ];
    let other = standin.cli(&other_node);
    assert!(other.status.success(), "{other:?}");

    let second = Plugin::launch(standin).await;
    second.configure(&standin_binary(), &[gc]).await;
    recover(&second, &recovered_handle).await;
    let (kept_dir, _, kept_handle) =
        running_task(&second, "kept", "echo ready; exec sleep 300").await;
    let claimed = vec![container(&recovered_handle), container(&kept_handle)];
    (lost, second, claimed, vec![recovered_dir, kept_dir])
}

#[tokio::test]
async fn dangling_containers_are_removed_but_claimed_unlabelled_and_other_nodes_are_not() {
    let standin = Standin::new();
    let (lost, plugin, claimed, _dirs) =
        after_a_plugin_crash(&standin, gc_block(true, false)).await;

    wait_until(EXIT_LIMIT, "the dangling container to be removed", || {
        !exists(&standin, &lost)
    })
    .await;
    // Several more passes: nothing else goes.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        exists(&standin, "stranger"),
        "a container without our labels was touched"
    );
    assert!(
        exists(&standin, "other-node"),
        "another Nomad client's container was touched"
    );
    for container in claimed {
        assert_eq!(
            state_of(&standin, &container),
            "running",
            "{container}, claimed by a task, was touched"
        );
    }
    assert!(
        plugin.log().contains("removed a dangling container"),
        "{}",
        plugin.log()
    );
}

#[tokio::test]
async fn dangling_containers_are_reported_once_and_kept_when_gc_keeps_containers() {
    let standin = Standin::new();
    let (lost, plugin, _claimed, _dirs) =
        after_a_plugin_crash(&standin, gc_block(false, false)).await;

    wait_until(EXIT_LIMIT, "the dangling container to be reported", || {
        plugin.log().contains("dangling container left in place")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(exists(&standin, &lost));
    assert_eq!(state_of(&standin, &lost), "running");
    let log = plugin.log();
    let reports = log.matches("dangling container left in place").count();
    assert_eq!(reports, 1, "one report per container:\n{log}");
    assert!(log.contains(&lost) && log.contains("gc.container is false"));
}

/// A RecoverTask that arrives while the cleanup removes the task's
/// container waits for the removal and is refused, so Nomad never takes the
/// removal for the task's own exit.
#[tokio::test]
async fn a_recovery_racing_the_removal_of_its_container_is_refused_clearly() {
    let standin = Standin::new();
    let mut first = configured_plugin(&standin).await;
    let (_late_dir, _, late_handle) =
        running_task(&first, "late", "echo ready; exec sleep 300").await;
    let late = driver_state(&late_handle, "container")
        .as_str()
        .unwrap()
        .to_string();
    first.kill_hard();
    standin.set_knobs(r#"{"latency_ms": {"delete": 2000}}"#);

    let second = Plugin::launch(&standin).await;
    second
        .configure(&standin_binary(), &[gc_block(true, false)])
        .await;
    // A task of the same node, so the plugin knows which node is its own.
    let (_anchor_dir, _, _) = running_task(&second, "anchor", "echo ready; exec sleep 300").await;
    wait_until(
        EXIT_LIMIT,
        "the cleanup to begin removing the container",
        || {
            standin.calls().iter().any(|call| {
                call.first().map(String::as_str) == Some("delete") && call.contains(&late)
            })
        },
    )
    .await;

    let request = RecoverTaskRequest {
        task_id: String::new(),
        handle: Some(late_handle),
    };
    let status = second
        .driver()
        .recover_task(request)
        .await
        .expect_err("RecoverTask of a removed container succeeded");
    assert!(
        status.message().contains("was removed as dangling"),
        "{status:?}"
    );
    assert!(!exists(&standin, &late));
}
