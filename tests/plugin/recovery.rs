//! The plugin, the supervisor or the log collector going away mid-task.

use std::time::Duration;

use nomad_driver_container::proto::drivers::*;

use crate::support::*;
use crate::{configured_plugin, start, EXIT_LIMIT};

#[tokio::test]
async fn plugin_killed_mid_run_then_recovered_reports_the_exact_exit_and_every_line_once() {
    let standin = Standin::new();
    let mut first = configured_plugin(&standin).await;
    let dir = TaskDir::new("survivor");
    let script = "i=1; while [ $i -le 30 ]; do echo line-$i; sleep 0.1; i=$((i+1)); done; exit 7";
    let task = dir.task_config(&shell_task(script));
    let mut handle = start(&first, task.clone()).await;
    dir.stdout.wait_for("line-3\n", EXIT_LIMIT).await;

    first.kill_hard();

    // As after a client restart: the stored handle has no driver config.
    handle
        .config
        .as_mut()
        .unwrap()
        .msgpack_driver_config
        .clear();
    let second = configured_plugin(&standin).await;
    second
        .driver()
        .recover_task(RecoverTaskRequest {
            task_id: String::new(),
            handle: Some(handle.clone()),
        })
        .await
        .expect("RecoverTask failed");
    // Idempotent for a task already tracked.
    second
        .driver()
        .recover_task(RecoverTaskRequest {
            task_id: String::new(),
            handle: Some(handle),
        })
        .await
        .unwrap();

    let exit = wait_exit(&mut second.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 7);
    let expected: String = (1..=30).map(|i| format!("line-{i}\n")).collect();
    assert_eq!(dir.stdout.wait_closed(EXIT_LIMIT).await, expected);
}

#[tokio::test]
async fn supervisor_killed_reports_minus_one_with_the_reason_never_zero() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("orphaned");
    let task = dir.task_config(&shell_task("echo ready; while true; do sleep 0.1; done"));
    let handle = start(&plugin, task.clone()).await;
    dir.stdout.wait_for("ready", EXIT_LIMIT).await;

    let state: serde_json::Value = serde_json::from_slice(&handle.driver_state).unwrap();
    let supervisor = state["supervisor_pid"].as_u64().unwrap() as i32;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(supervisor),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();

    // The container keeps running until stopped; then the status is lost.
    plugin
        .driver()
        .stop_task(StopTaskRequest {
            task_id: task.id.clone(),
            timeout: Some(prost_types::Duration {
                seconds: 1,
                nanos: 0,
            }),
            signal: String::new(),
        })
        .await
        .unwrap();
    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, -1);
    assert!(exit.err.contains("supervisor"), "{}", exit.err);
}

#[tokio::test]
async fn output_waits_while_the_log_collector_is_away_and_arrives_once_when_it_returns() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("patient");
    let script = "i=1; while [ $i -le 40 ]; do echo line-$i; sleep 0.05; i=$((i+1)); done";
    let task = dir.task_config(&shell_task(script));
    start(&plugin, task.clone()).await;
    dir.stdout.wait_for("line-5\n", EXIT_LIMIT).await;

    // Nomad's client restarts: logmon lets go of the FIFO for a while.
    dir.stdout.pause();
    tokio::time::sleep(Duration::from_millis(800)).await;
    dir.stdout.resume();

    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 0);
    let expected: String = (1..=40).map(|i| format!("line-{i}\n")).collect();
    assert_eq!(dir.stdout.wait_closed(EXIT_LIMIT).await, expected);
}

#[tokio::test]
async fn driver_shutdown_leaves_tasks_running_for_the_next_plugin() {
    let standin = Standin::new();
    let first = configured_plugin(&standin).await;
    let dir = TaskDir::new("steady");
    let task = dir.task_config(&shell_task("echo up; sleep 1; echo still-here; exit 5"));
    let handle = start(&first, task.clone()).await;
    dir.stdout.wait_for("up\n", EXIT_LIMIT).await;

    first.driver().shutdown(ShutdownRequest {}).await.unwrap();
    drop(first);

    let second = configured_plugin(&standin).await;
    second
        .driver()
        .recover_task(RecoverTaskRequest {
            task_id: String::new(),
            handle: Some(handle),
        })
        .await
        .unwrap();
    let exit = wait_exit(&mut second.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 5);
    assert_eq!(dir.stdout.wait_closed(EXIT_LIMIT).await, "up\nstill-here\n");
}

#[tokio::test]
async fn recovering_after_the_task_exited_meanwhile_reports_its_recorded_exit() {
    let standin = Standin::new();
    let mut first = configured_plugin(&standin).await;
    let dir = TaskDir::new("quick");
    let task = dir.task_config(&shell_task("echo begin; sleep 0.5; exit 9"));
    let handle = start(&first, task.clone()).await;
    first.kill_hard();
    dir.stdout.wait_closed(EXIT_LIMIT).await;

    let second = configured_plugin(&standin).await;
    second
        .driver()
        .recover_task(RecoverTaskRequest {
            task_id: String::new(),
            handle: Some(handle),
        })
        .await
        .unwrap();
    let exit = wait_exit(&mut second.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 9);
    assert_eq!(exit.err, "");
}
