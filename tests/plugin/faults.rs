//! Fault injection: the plugin is killed with SIGKILL at each step of a
//! task's life, a new plugin takes over as Nomad's client would make it, and
//! the task must still end exactly: one container at a time, none left
//! behind, the exact exit code, every log line once. (Killing the plugin
//! mid-run, the supervisor, an exec session and Apple's service restarting
//! are in recovery.rs.)

use std::time::Duration;

use nomad_driver_container::proto::drivers::*;

use crate::support::*;
use crate::{configured_plugin, recover, start, stop, EXIT_LIMIT};

const LINES: usize = 20;

/// Prints numbered lines, then exits with `code`. The `:` no-op carries the
/// alloc ID into the process's argv so leftovers can be found.
fn counting_script(alloc_id: &str, code: i32) -> String {
    format!(
        ": {alloc_id}; sleep 0.5; i=1; while [ $i -le {LINES} ]; do echo line-$i; \
         sleep 0.02; i=$((i+1)); done; exit {code}"
    )
}

fn expected_lines() -> String {
    (1..=LINES).map(|i| format!("line-{i}\n")).collect()
}

/// A fresh attempt of the same task, as Nomad's restart makes one: same
/// allocation and task name, a new task ID.
fn next_attempt(dir: &TaskDir, script: &str) -> TaskConfig {
    dir.task_config(&shell_task(script))
}

/// Waits until the stand-in has been invoked with argv starting `words`.
async fn wait_for_call(standin: &Standin, words: &[&str]) {
    wait_until(
        EXIT_LIMIT,
        &format!("a `container {}` call", words.join(" ")),
        || {
            standin.calls().iter().any(|call| {
                call.iter()
                    .map(String::as_str)
                    .take(words.len())
                    .eq(words.iter().copied())
            })
        },
    )
    .await;
}

/// Runs `rpc` (a call on `plugin`), kills the plugin with SIGKILL once the
/// CLI call `words` has begun, and returns once the RPC has ended.
async fn kill_plugin_during<T: Send + 'static>(
    plugin: &mut Plugin,
    standin: &Standin,
    words: &[&str],
    rpc: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    let doomed = tokio::spawn(rpc);
    wait_for_call(standin, words).await;
    plugin.kill_hard();
    doomed.await.expect("the RPC task panicked")
}

/// Containers labelled as this allocation's task.
fn containers_of(standin: &Standin, dir: &TaskDir) -> Vec<String> {
    let output = standin.cli(&["list", "--all", "--format", "json"]);
    assert!(output.status.success(), "{output:?}");
    let list: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    list.iter()
        .filter(|c| {
            let labels = &c["configuration"]["labels"];
            labels["nomad.alloc_id"] == dir.alloc_id.as_str()
                && labels["nomad.task_name"] == dir.task_name.as_str()
        })
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

/// Destroys the task as Nomad does when it is done with it, then checks
/// that no container, container process or supervisor is left.
async fn destroy_and_assert_nothing_left(
    plugin: &Plugin,
    standin: &Standin,
    dir: &TaskDir,
    id: &str,
) {
    plugin
        .driver()
        .destroy_task(DestroyTaskRequest {
            task_id: id.into(),
            force: true,
        })
        .await
        .expect("DestroyTask");
    assert_eq!(
        containers_of(standin, dir),
        Vec::<String>::new(),
        "containers left"
    );
    let alloc_dir = dir.alloc.path().to_str().unwrap().to_string();
    wait_until(
        Duration::from_secs(15),
        "every process of the task to end",
        || {
            processes_matching(&dir.alloc_id).is_empty()
                && processes_matching(&alloc_dir).is_empty()
        },
    )
    .await;
}

#[tokio::test]
async fn plugin_killed_during_the_image_pull_then_restarted_task_runs_once() {
    let standin = Standin::new();
    standin.set_knobs(r#"{"latency_ms": {"image pull": 2000}}"#);
    let mut first = configured_plugin(&standin).await;
    let dir = TaskDir::new("puller");
    let script = counting_script(&dir.alloc_id, 3);

    let mut driver = first.driver();
    let task = next_attempt(&dir, &script);
    let rpc = async move {
        driver
            .start_task(StartTaskRequest { task: Some(task) })
            .await
    };
    let result = kill_plugin_during(&mut first, &standin, &["image", "pull"], rpc).await;
    assert!(result.is_err(), "StartTask survived its plugin");
    assert!(
        containers_of(&standin, &dir).is_empty(),
        "a container before the pull ended"
    );

    let second = configured_plugin(&standin).await;
    let task = next_attempt(&dir, &script);
    start(&second, task.clone()).await;
    assert_eq!(containers_of(&standin, &dir).len(), 1);
    let exit = wait_exit(&mut second.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 3);
    assert_eq!(dir.stdout.wait_closed(EXIT_LIMIT).await, expected_lines());
    destroy_and_assert_nothing_left(&second, &standin, &dir, &task.id).await;
}

#[tokio::test]
async fn plugin_killed_between_create_and_start_then_restarted_task_runs_once() {
    let standin = Standin::new();
    let mut first = configured_plugin(&standin).await;
    let dir = TaskDir::new("starter");
    let script = counting_script(&dir.alloc_id, 4);
    // Warm the image so the only slow step is the attached start.
    let pull = standin.cli(&["image", "pull", "alpine:3.20"]);
    assert!(pull.status.success(), "{pull:?}");
    standin.set_knobs(r#"{"latency_ms": {"start": 2000}}"#);

    let mut driver = first.driver();
    let task = next_attempt(&dir, &script);
    let rpc = async move {
        driver
            .start_task(StartTaskRequest { task: Some(task) })
            .await
    };
    kill_plugin_during(&mut first, &standin, &["start"], rpc)
        .await
        .ok();

    let second = configured_plugin(&standin).await;
    let task = next_attempt(&dir, &script);
    start(&second, task.clone()).await;
    let exit = wait_exit(&mut second.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(
        exit.result.unwrap().exit_code,
        4,
        "{}\ncalls: {:#?}",
        second.log(),
        standin.calls()
    );
    // The interrupted attempt's container never ran, so nothing of it shows.
    assert_eq!(dir.stdout.wait_closed(EXIT_LIMIT).await, expected_lines());
    assert_eq!(
        containers_of(&standin, &dir).len(),
        1,
        "one container for the task"
    );
    destroy_and_assert_nothing_left(&second, &standin, &dir, &task.id).await;
}

#[tokio::test]
async fn plugin_killed_during_stop_then_recovered_task_reports_the_stop_exit() {
    let standin = Standin::new();
    let mut first = configured_plugin(&standin).await;
    let dir = TaskDir::new("stopper");
    let script = format!(": {}; echo ready; exec sleep 300", dir.alloc_id);
    let task = next_attempt(&dir, &script);
    let handle = start(&first, task.clone()).await;
    dir.stdout.wait_for("ready", EXIT_LIMIT).await;
    standin.set_knobs(r#"{"latency_ms": {"stop": 1500}}"#);

    let mut driver = first.driver();
    let request = StopTaskRequest {
        task_id: task.id.clone(),
        timeout: Some(prost_types::Duration {
            seconds: 5,
            nanos: 0,
        }),
        signal: "SIGTERM".into(),
    };
    let rpc = async move { driver.stop_task(request).await };
    kill_plugin_during(&mut first, &standin, &["stop"], rpc)
        .await
        .ok();

    let second = configured_plugin(&standin).await;
    recover(&second, &handle).await;
    // Nomad's kill is retried against the new plugin.
    stop(&second, &task.id, "SIGTERM", Some(5)).await;
    let exit = wait_exit(&mut second.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 143);
    assert_eq!(dir.stdout.wait_closed(EXIT_LIMIT).await, "ready\n");
    destroy_and_assert_nothing_left(&second, &standin, &dir, &task.id).await;
}

#[tokio::test]
async fn plugin_killed_during_destroy_then_destroy_again_leaves_nothing() {
    let standin = Standin::new();
    let mut first = configured_plugin(&standin).await;
    let dir = TaskDir::new("destroyer");
    let task = next_attempt(&dir, &counting_script(&dir.alloc_id, 5));
    let handle = start(&first, task.clone()).await;
    let exit = wait_exit(&mut first.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 5);
    assert_eq!(dir.stdout.wait_closed(EXIT_LIMIT).await, expected_lines());
    standin.set_knobs(r#"{"latency_ms": {"delete": 1500}}"#);

    let mut driver = first.driver();
    let request = DestroyTaskRequest {
        task_id: task.id.clone(),
        force: true,
    };
    let rpc = async move { driver.destroy_task(request).await };
    kill_plugin_during(&mut first, &standin, &["delete"], rpc)
        .await
        .ok();

    let second = configured_plugin(&standin).await;
    recover(&second, &handle).await;
    let exit = wait_exit(&mut second.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(
        exit.result.unwrap().exit_code,
        5,
        "the recorded exit survives"
    );
    destroy_and_assert_nothing_left(&second, &standin, &dir, &task.id).await;
}

#[tokio::test]
async fn plugin_killed_during_exec_then_recovered_task_finishes_exactly() {
    let standin = Standin::new();
    let mut first = configured_plugin(&standin).await;
    let dir = TaskDir::new("execd");
    let script = format!(
        ": {}; echo ready; sleep 2; i=1; while [ $i -le {LINES} ]; do echo line-$i; \
         i=$((i+1)); done; exit 6",
        dir.alloc_id
    );
    let task = next_attempt(&dir, &script);
    let handle = start(&first, task.clone()).await;
    dir.stdout.wait_for("ready", EXIT_LIMIT).await;

    let mut driver = first.driver();
    let request = ExecTaskRequest {
        task_id: task.id.clone(),
        command: vec![
            "/bin/sh".into(),
            "-c".into(),
            format!("sleep 300 # {}", dir.alloc_id),
        ],
        timeout: Some(prost_types::Duration {
            seconds: 60,
            nanos: 0,
        }),
    };
    let rpc = async move { driver.exec_task(request).await };
    let result = kill_plugin_during(&mut first, &standin, &["exec"], rpc).await;
    assert!(result.is_err(), "ExecTask survived its plugin");
    let exec_cli = format!(
        "exec {}",
        driver_state(&handle, "container").as_str().unwrap()
    );
    wait_until(
        Duration::from_secs(5),
        "the exec CLI to end with the plugin",
        || processes_matching(&exec_cli).is_empty(),
    )
    .await;

    let second = configured_plugin(&standin).await;
    recover(&second, &handle).await;
    let exit = wait_exit(&mut second.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 6);
    let expected = format!("ready\n{}", expected_lines());
    assert_eq!(dir.stdout.wait_closed(EXIT_LIMIT).await, expected);
    destroy_and_assert_nothing_left(&second, &standin, &dir, &task.id).await;
}
