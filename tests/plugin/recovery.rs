//! The plugin, the supervisor or the log collector going away mid-task.

use std::time::Duration;

use nomad_driver_container::proto::drivers::*;

use crate::support::*;
use crate::{configured_plugin, recover, running_task, start, stop, EXIT_LIMIT};

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
    recover(&second, &handle).await;
    // Idempotent for a task already tracked.
    recover(&second, &handle).await;

    let exit = wait_exit(&mut second.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 7);
    let expected: String = (1..=30).map(|i| format!("line-{i}\n")).collect();
    assert_eq!(dir.stdout.wait_closed(EXIT_LIMIT).await, expected);
}

#[tokio::test]
async fn supervisor_killed_reports_minus_one_with_the_reason_never_zero() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let (_dir, task, handle) = running_task(
        &plugin,
        "orphaned",
        "echo ready; while true; do sleep 0.1; done",
    )
    .await;

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
    recover(&second, &handle).await;
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
    recover(&second, &handle).await;
    let exit = wait_exit(&mut second.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 9);
    assert_eq!(exit.err, "");
}

#[tokio::test]
async fn a_removed_socket_file_still_yields_the_recorded_exit_after_recovery() {
    let standin = Standin::new();
    let mut first = configured_plugin(&standin).await;
    let (_dir, task, handle) =
        running_task(&first, "unreachable", "echo ready; sleep 2; exit 7").await;
    first.kill_hard();
    // A temp cleaner (or anything else) removed the supervisor's socket.
    std::fs::remove_file(driver_state(&handle, "socket_path").as_str().unwrap()).unwrap();

    let second = configured_plugin(&standin).await;
    let request = RecoverTaskRequest {
        task_id: String::new(),
        handle: Some(handle),
    };
    second.driver().recover_task(request).await.unwrap();
    let exit = wait_exit(&mut second.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 7);
    assert_eq!(exit.err, "");
}

#[tokio::test]
async fn an_unknown_container_state_is_not_taken_for_an_exit() {
    let standin = Standin::new();
    let tools = tempfile::tempdir().unwrap();
    let cli = cli_wrapper(
        tools.path(),
        concat!(
            r#"if [ "$1" = inspect ]; then "$REAL" "$@""#,
            r#" | sed 's/"state" : "running"/"state" : "unknown"/'; exit ${PIPESTATUS[0]}; fi"#,
        ),
    );
    let plugin = Plugin::launch(&standin).await;
    plugin.configure(&cli, &[]).await;
    let (_dir, task, handle) = running_task(
        &plugin,
        "unsure",
        "echo ready; while true; do sleep 0.1; done",
    )
    .await;

    let supervisor = driver_state(&handle, "supervisor_pid").as_i64().unwrap() as i32;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(supervisor),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let request = WaitTaskRequest {
        task_id: task.id.clone(),
    };
    let early =
        tokio::time::timeout(Duration::from_secs(5), plugin.driver().wait_task(request)).await;
    assert!(
        early.is_err(),
        "WaitTask returned while the container still ran: {early:?}"
    );

    plugin
        .driver()
        .destroy_task(DestroyTaskRequest {
            task_id: task.id.clone(),
            force: true,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn stop_after_apples_service_restarted_still_ends_the_task() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let (dir, task, _handle) = running_task(
        &plugin,
        "orphaned-vm",
        "echo ready; while true; do sleep 0.1; done",
    )
    .await;

    // Apple's API server restarts: every container now reads "stopped" and
    // `container stop` does nothing, while the VM still runs.
    assert!(standin
        .cli(&["__simulate-apiserver-restart"])
        .status
        .success());
    stop(&plugin, &task.id, "", Some(1)).await;

    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;
    assert!(exit.result.is_some());
    assert!(
        standin
            .cli(&["inspect", &driver_state_name(&dir)])
            .status
            .code()
            != Some(0)
    );
}

fn driver_state_name(dir: &TaskDir) -> String {
    nomad_driver_container::driver::names::container_name(&dir.alloc_id, &dir.task_name)
}

#[tokio::test]
async fn a_streaming_exec_does_not_outlive_a_killed_plugin() {
    let standin = Standin::new();
    let mut plugin = configured_plugin(&standin).await;
    let (dir, task, _handle) = running_task(
        &plugin,
        "execd",
        "echo ready; while true; do sleep 0.1; done",
    )
    .await;

    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    let setup = exec_task_streaming_request::Setup {
        task_id: task.id.clone(),
        command: vec![
            "/bin/sh".into(),
            "-c".into(),
            "sleep 300 # exec-marker-31337".into(),
        ],
        tty: false,
    };
    sender
        .send(ExecTaskStreamingRequest {
            setup: Some(setup),
            ..Default::default()
        })
        .await
        .unwrap();
    let _stream = plugin
        .driver()
        .exec_task_streaming(tokio_stream::wrappers::ReceiverStream::new(receiver))
        .await
        .unwrap();
    // This test's exec CLI only: other tests may run exec sessions too.
    let container = driver_state_name(&dir);
    let exec_cli = format!(
        "{} exec --interactive {container}",
        standin_binary().display()
    );
    let started = || !processes_matching(&exec_cli).is_empty();
    wait_until(EXIT_LIMIT, "the exec CLI to start", started).await;

    plugin.kill_hard();
    let gone = || processes_matching(&exec_cli).is_empty();
    wait_until(
        Duration::from_secs(5),
        "the exec CLI to end with the plugin",
        gone,
    )
    .await;
}

#[tokio::test]
async fn a_real_exit_one_survives_an_api_service_restart_before_recovery() {
    let standin = Standin::new();
    let mut first = configured_plugin(&standin).await;
    let dir = TaskDir::new("flaky-upstream");
    let script = "echo ready; sleep 1; echo 'Error: upstream refused' >&2; exit 1";
    let task = dir.task_config(&shell_task(script));
    let handle = start(&first, task.clone()).await;
    dir.stdout.wait_for("ready", EXIT_LIMIT).await;
    first.kill_hard();
    dir.stderr.wait_closed(EXIT_LIMIT).await;
    assert!(standin
        .cli(&["__simulate-apiserver-restart"])
        .status
        .success());

    let second = configured_plugin(&standin).await;
    let request = RecoverTaskRequest {
        task_id: String::new(),
        handle: Some(handle),
    };
    second.driver().recover_task(request).await.unwrap();
    let exit = wait_exit(&mut second.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 1, "{}", exit.err);
    assert_eq!(exit.err, "");
}
