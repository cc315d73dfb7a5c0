//! Starting, waiting, stopping, signalling and destroying tasks; the
//! transport and what the plugin prints.

use std::time::Duration;

use nomad_driver_container::proto::base::{PluginInfoRequest, PluginType};
use nomad_driver_container::proto::drivers::*;
use nomad_driver_container::proto::goplugin::grpc_controller_client::GrpcControllerClient;
use rmpv::Value;
use tokio_stream::StreamExt;

use crate::support::*;
use crate::{configured_plugin, running_task, start, stats_stream, stop, task_events, EXIT_LIMIT};

#[tokio::test]
async fn handshake_line_health_and_plugin_info_match_what_nomad_expects() {
    let standin = Standin::new();
    let plugin = Plugin::launch(&standin).await;

    assert!(
        plugin.handshake.starts_with("1|2|unix|"),
        "{}",
        plugin.handshake
    );
    assert!(plugin.handshake.ends_with("|grpc|"), "{}", plugin.handshake);
    assert!(plugin.socket.as_os_str().len() < 104);

    let mut health = tonic_health::pb::health_client::HealthClient::new(plugin.channel.clone());
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    let info = plugin
        .base()
        .plugin_info(PluginInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.r#type, PluginType::Driver as i32);
    assert_eq!(info.name, "container");
    assert!(info.plugin_api_versions.contains(&"v0.1.0".to_string()));
}

#[tokio::test]
async fn controller_shutdown_makes_the_process_exit_cleanly() {
    let standin = Standin::new();
    let mut plugin = Plugin::launch(&standin).await;
    let mut controller = GrpcControllerClient::new(plugin.channel.clone());
    controller
        .shutdown(nomad_driver_container::proto::goplugin::Empty {})
        .await
        .unwrap();

    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    let status = loop {
        if let Some(status) = plugin.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "plugin still running 2 s after Shutdown"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    assert!(!plugin.socket.exists(), "socket file left behind");
}

#[tokio::test]
async fn batch_task_exit_code_and_both_streams_are_exact() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("hello");
    let task = dir.task_config(&shell_task("echo to-stdout; echo to-stderr >&2; exit 3"));

    let handle = start(&plugin, task.clone()).await;
    assert_eq!(
        handle.config.as_ref().unwrap().id,
        task.id,
        "handle must echo the task config"
    );
    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;

    assert_eq!(exit.result.unwrap().exit_code, 3);
    assert_eq!(exit.err, "");
    assert_eq!(dir.stdout.wait_closed(EXIT_LIMIT).await, "to-stdout\n");
    assert_eq!(dir.stderr.wait_closed(EXIT_LIMIT).await, "to-stderr\n");
}

#[tokio::test]
async fn exit_zero_is_reported_as_zero_with_a_result() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("ok");
    let task = dir.task_config(&shell_task("true"));
    start(&plugin, task.clone()).await;

    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;
    let result = exit.result.expect("a wait result is always set");
    assert_eq!((result.exit_code, result.signal), (0, 0));
}

#[tokio::test]
async fn death_by_signal_reports_128_plus_the_signal() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("killed");
    let task = dir.task_config(&shell_task("kill -KILL $$"));
    start(&plugin, task.clone()).await;

    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;
    let result = exit.result.unwrap();
    assert_eq!(result.exit_code, 137);

    // The boot log was read and, holding no OOM report, did not make this OOM.
    let read_boot_log = standin
        .calls()
        .iter()
        .any(|call| call.starts_with(&["logs".to_string(), "--boot".to_string()]));
    assert!(read_boot_log, "calls: {:?}", standin.calls());
    assert!(!result.oom_killed, "a plain SIGKILL was reported as OOM");
}

#[tokio::test]
async fn an_oom_kill_in_the_guest_is_reported_as_oom_with_an_event() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let mut events = task_events(&plugin).await;
    let (_dir, task, handle) = running_task(&plugin, "hungry", "echo ready; exec sleep 300").await;
    let container = driver_state(&handle, "container");

    let oom = standin.cli(&["__simulate-oom", container.as_str().unwrap()]);
    assert!(oom.status.success(), "{oom:?}");

    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;
    let result = exit.result.unwrap();
    assert_eq!((result.exit_code, result.oom_killed), (137, true));
    loop {
        let event = tokio::time::timeout(EXIT_LIMIT, events.next())
            .await
            .expect("no OOM event")
            .unwrap()
            .unwrap();
        if event.message.starts_with("OOM Killed") {
            assert_eq!(event.task_id, task.id);
            assert!(
                event.message.contains("Killed process"),
                "{}",
                event.message
            );
            break;
        }
    }
}

#[tokio::test]
async fn task_ignoring_sigterm_is_killed_after_the_stop_timeout() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("stubborn");
    let task = dir.task_config(&shell_task(
        "trap '' TERM; echo ready; while true; do sleep 0.1; done",
    ));
    start(&plugin, task.clone()).await;
    dir.stdout.wait_for("ready", EXIT_LIMIT).await;

    let started = std::time::Instant::now();
    stop(&plugin, &task.id, "SIGTERM", Some(1)).await;
    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;

    assert_eq!(
        exit.result.unwrap().exit_code,
        137,
        "SIGKILL after the timeout"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "killed before its timeout"
    );
}

#[tokio::test]
async fn many_lines_arrive_complete_and_in_order_on_their_own_streams() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("chatty");
    let script = "i=1; while [ $i -le 2000 ]; do echo out-$i; echo err-$i >&2; i=$((i+1)); done";
    let task = dir.task_config(&shell_task(script));
    start(&plugin, task.clone()).await;
    wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;

    let expected_out: String = (1..=2000).map(|i| format!("out-{i}\n")).collect();
    let expected_err: String = (1..=2000).map(|i| format!("err-{i}\n")).collect();
    assert_eq!(dir.stdout.wait_closed(EXIT_LIMIT).await, expected_out);
    assert_eq!(dir.stderr.wait_closed(EXIT_LIMIT).await, expected_err);
}

#[tokio::test]
async fn stop_and_destroy_of_unknown_tasks_succeed() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let mut driver = plugin.driver();
    driver
        .stop_task(StopTaskRequest {
            task_id: "a/b/c".into(),
            timeout: None,
            signal: String::new(),
        })
        .await
        .unwrap();
    driver
        .destroy_task(DestroyTaskRequest {
            task_id: "a/b/c".into(),
            force: true,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn destroy_removes_the_container_and_forgets_the_task() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("gone");
    let task = dir.task_config(&shell_task("true"));
    let handle = start(&plugin, task.clone()).await;
    wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;

    plugin
        .driver()
        .destroy_task(DestroyTaskRequest {
            task_id: task.id.clone(),
            force: true,
        })
        .await
        .unwrap();

    let state: serde_json::Value = serde_json::from_slice(&handle.driver_state).unwrap();
    let container = state["container"].as_str().unwrap();
    let inspect = standin.cli(&["inspect", container]);
    assert!(
        !inspect.status.success(),
        "container still exists after destroy"
    );
    let wait = plugin
        .driver()
        .wait_task(WaitTaskRequest { task_id: task.id })
        .await
        .unwrap_err();
    assert_eq!(wait.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn leftover_container_from_an_interrupted_start_is_replaced() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("again");
    let name = nomad_driver_container::driver::names::container_name(&dir.alloc_id, "again");
    let alloc_label = format!("nomad.alloc_id={}", dir.alloc_id);
    let created = standin.cli(&[
        "create",
        "--name",
        &name,
        "--label",
        "nomad.driver=nomad-driver-container",
        "--label",
        &alloc_label,
        "--label",
        "nomad.task_name=again",
        "alpine:3.20",
        "sleep",
        "600",
    ]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );

    let task = dir.task_config(&shell_task("echo fresh"));
    start(&plugin, task.clone()).await;
    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 0);
    assert_eq!(dir.stdout.wait_closed(EXIT_LIMIT).await, "fresh\n");
}

#[tokio::test]
async fn env_values_travel_by_file_and_never_in_argv() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("secretive");
    let mut config = shell_task("printf '%s|%s' \"$SECRET\" \"$NOMAD_TASK_NAME\"");
    let secret = "hunter2=\"quoted\" ü ✓";
    config[5].1 = Value::Map(vec![(Value::from("SECRET"), Value::from(secret))]);
    let task = dir.task_config(&config);
    start(&plugin, task.clone()).await;
    wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;

    assert_eq!(
        dir.stdout.wait_closed(EXIT_LIMIT).await,
        format!("{secret}|secretive")
    );
    for argv in standin.calls() {
        assert!(
            !argv.join(" ").contains("hunter2"),
            "secret in argv: {argv:?}"
        );
    }
    let logs = plugin.stderr_lines.lock().unwrap().join("\n");
    assert!(!logs.contains("hunter2"), "secret in the plugin log");
}

#[tokio::test]
async fn signal_task_delivers_the_named_signal() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("listener");
    let script = "trap 'echo got-usr1; exit 0' USR1; echo ready; while true; do sleep 0.1; done";
    let task = dir.task_config(&shell_task(script));
    start(&plugin, task.clone()).await;
    dir.stdout.wait_for("ready", EXIT_LIMIT).await;

    plugin
        .driver()
        .signal_task(SignalTaskRequest {
            task_id: task.id.clone(),
            signal: "usr1".into(),
        })
        .await
        .unwrap();
    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 0);
    assert!(dir
        .stdout
        .wait_closed(EXIT_LIMIT)
        .await
        .contains("got-usr1"));

    let bogus = plugin
        .driver()
        .signal_task(SignalTaskRequest {
            task_id: task.id,
            signal: "SIGBOGUS".into(),
        })
        .await
        .unwrap_err();
    assert!(bogus.message().contains("SIGBOGUS"), "{}", bogus.message());
}

#[tokio::test]
async fn stop_with_detach_leaves_the_container_running() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let (_dir, task, handle) = running_task(
        &plugin,
        "detached",
        "echo ready; while true; do sleep 0.1; done",
    )
    .await;

    stop(&plugin, &task.id.clone(), "DETACH", None).await;
    plugin
        .driver()
        .destroy_task(DestroyTaskRequest {
            task_id: task.id,
            force: false,
        })
        .await
        .unwrap();

    let state: serde_json::Value = serde_json::from_slice(&handle.driver_state).unwrap();
    let inspect = standin.cli(&["inspect", state["container"].as_str().unwrap()]);
    let json = String::from_utf8_lossy(&inspect.stdout);
    assert!(
        json.contains("\"running\""),
        "container not running after DETACH: {json}"
    );
    standin.cli(&["delete", "--force", state["container"].as_str().unwrap()]);
}

#[tokio::test]
async fn task_events_reach_the_stream_routed_by_alloc_and_task_with_a_time() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let mut events = task_events(&plugin).await;
    let dir = TaskDir::new("eventful");
    let mut task = dir.task_config(&shell_task("true"));
    // 64 MiB is below the VM minimum: the raise is reported as an event.
    task.resources
        .as_mut()
        .unwrap()
        .allocated_resources
        .as_mut()
        .unwrap()
        .memory = Some(AllocatedMemoryResources {
        memory_mb: 64,
        memory_max_mb: 0,
    });
    start(&plugin, task.clone()).await;

    let mut messages: Vec<String> = Vec::new();
    while !messages
        .last()
        .is_some_and(|last| last.starts_with("Created container"))
    {
        let event = tokio::time::timeout(EXIT_LIMIT, events.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(
            (event.alloc_id.as_str(), event.task_name.as_str()),
            (dir.alloc_id.as_str(), "eventful")
        );
        assert_eq!(event.task_id, task.id);
        assert!(event.timestamp.unwrap().seconds > 1_700_000_000);
        messages.push(event.message);
    }
    // A fresh stand-in has no images, so this start also pulls.
    assert!(
        messages[0].contains("Memory raised from 64 MiB to 200 MiB"),
        "{messages:?}"
    );
    assert_eq!(messages[1], "Downloading image alpine:3.20", "{messages:?}");
    assert!(
        messages[messages.len() - 2].starts_with("Downloaded image alpine:3.20 in "),
        "{messages:?}"
    );
}

#[tokio::test]
async fn socket_goes_where_plugin_unix_socket_dir_says() {
    let standin = Standin::new();
    let socket_dir = tempfile::tempdir().unwrap();
    let dir_text = socket_dir.path().to_str().unwrap();
    let plugin = Plugin::launch_with_env(&standin, &[("PLUGIN_UNIX_SOCKET_DIR", dir_text)]).await;
    assert!(
        plugin.socket.starts_with(socket_dir.path()),
        "{}",
        plugin.socket.display()
    );
}

#[tokio::test]
async fn every_stderr_line_is_an_hclog_json_entry_nomad_can_relevel() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("logged");
    let task = dir.task_config(&shell_task("echo hi"));
    start(&plugin, task.clone()).await;
    wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;

    let log = plugin.log();
    assert!(log.lines().count() >= 3, "{log}");
    for line in log.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).expect("a JSON object per line");
        let level = entry["@level"].as_str().expect("@level is a string");
        assert!(
            ["trace", "debug", "info", "warn", "error"].contains(&level),
            "{line}"
        );
        assert!(entry["@message"].is_string(), "{line}");
        let timestamp = entry["@timestamp"]
            .as_str()
            .expect("@timestamp is a string");
        // Go layout 2006-01-02T15:04:05.000000Z07:00: six fractional digits.
        let fraction = timestamp.split('.').nth(1).unwrap();
        assert_eq!(fraction.len(), "000000Z".len(), "{timestamp}");
    }
}

#[tokio::test]
async fn a_task_costs_three_cli_calls_to_start_none_while_running_one_to_stop_one_to_destroy() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("frugal");
    let task = dir.task_config(&shell_task("echo ready; while true; do sleep 0.1; done"));
    let subcommands = |from: usize| -> Vec<String> {
        standin.calls()[from..]
            .iter()
            .map(|argv| argv[0].clone())
            .collect()
    };

    // The warm path: the image is already in the local store.
    assert!(standin
        .cli(&["image", "pull", "alpine:3.20"])
        .status
        .success());
    let before_start = standin.calls().len();
    start(&plugin, task.clone()).await;
    dir.stdout.wait_for("ready", EXIT_LIMIT).await;
    assert_eq!(
        subcommands(before_start),
        ["image", "create", "start"],
        "image inspect, create, start"
    );

    let before_run = standin.calls().len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        subcommands(before_run),
        Vec::<String>::new(),
        "no polling while a task runs"
    );

    // With Nomad's default kill_timeout the task ends on SIGTERM. (An exit
    // by SIGKILL costs one more call, `logs --boot`, to look for an OOM
    // report; a zero timeout would make that a race on a loaded machine.)
    let before_stop = standin.calls().len();
    stop(&plugin, &task.id, "", Some(5)).await;
    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 143);
    assert_eq!(subcommands(before_stop), ["stop"]);

    let before_destroy = standin.calls().len();
    plugin
        .driver()
        .destroy_task(DestroyTaskRequest {
            task_id: task.id,
            force: true,
        })
        .await
        .unwrap();
    assert_eq!(subcommands(before_destroy), ["delete"]);
}

#[tokio::test]
async fn a_container_that_cannot_start_exits_minus_one_with_the_clis_error_not_one() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("unstartable");
    standin.set_knobs(r#"{"fail": {"start": "internalError: \"cannot boot the VM\""}}"#);
    let task = dir.task_config(&shell_task("echo never"));
    start(&plugin, task.clone()).await;

    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, -1);
    assert!(
        exit.err.contains("did not start") && exit.err.contains("cannot boot the VM"),
        "{}",
        exit.err
    );
}

#[tokio::test]
async fn a_task_exiting_one_with_an_error_line_keeps_its_exit_code() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("honest");
    let task = dir.task_config(&shell_task("echo 'Error: my own failure' >&2; exit 1"));
    start(&plugin, task.clone()).await;
    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 1);
    assert_eq!(exit.err, "");
}

#[tokio::test]
async fn a_failed_start_leaves_no_state_directory_behind() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("doomed");
    let config = with(
        shell_task("true"),
        "image",
        Value::from("alpine:does-not-exist"),
    );
    plugin
        .driver()
        .start_task(StartTaskRequest {
            task: Some(dir.task_config(&config)),
        })
        .await
        .unwrap_err();
    let state_root = dir.alloc.path().join("doomed/private/container");
    let left: Vec<_> = std::fs::read_dir(&state_root)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}

fn process_gone(pid: i64) -> bool {
    // Zombies count as gone: this machine's PID 1 may not reap orphans.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

#[tokio::test]
async fn a_hung_attached_cli_is_ended_and_nothing_outlives_destroy() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("hung");
    standin.set_knobs(r#"{"hang": ["start"]}"#);
    let task = dir.task_config(&shell_task("echo never"));
    let handle = start(&plugin, task.clone()).await;

    stop(&plugin, &task.id, "", Some(1)).await;
    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, -1, "{}", exit.err);

    plugin
        .driver()
        .destroy_task(DestroyTaskRequest {
            task_id: task.id,
            force: true,
        })
        .await
        .unwrap();
    let supervisor = driver_state(&handle, "supervisor_pid").as_i64().unwrap();
    wait_until(Duration::from_secs(10), "the supervisor to end", || {
        process_gone(supervisor)
    })
    .await;
}

#[tokio::test]
async fn stop_while_the_log_collector_is_away_keeps_a_container_the_operator_keeps() {
    let standin = Standin::new();
    let plugin = Plugin::launch(&standin).await;
    let keep = Value::Map(vec![(Value::from("container"), Value::from(false))]);
    plugin.configure(&standin_binary(), &[("gc", keep)]).await;
    let dir = TaskDir::new("kept");
    let script = "trap 'echo bye; exit 0' TERM; echo ready; while true; do sleep 0.1; done";
    let task = dir.task_config(&shell_task(script));
    let handle = start(&plugin, task.clone()).await;
    dir.stdout.wait_for("ready", EXIT_LIMIT).await;

    dir.stdout.pause();
    dir.stderr.pause();
    stop(&plugin, &task.id, "", Some(1)).await;
    let container = driver_state(&handle, "container");
    assert!(
        standin
            .cli(&["inspect", container.as_str().unwrap()])
            .status
            .success(),
        "container deleted"
    );
}

/// Every CLI call has a time limit: a hung `container kill` fails SignalTask
/// with a clear error within the quick-call bound (20 s), and nothing else
/// waits for it — another task still execs, streams stats and stops.
#[tokio::test]
async fn a_hung_cli_call_fails_its_rpc_in_bounded_time_while_other_tasks_keep_working() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let (_stuck_dir, stuck, _) = running_task(&plugin, "stuck", "echo ready; exec sleep 300").await;
    let (_fine_dir, fine, _) = running_task(&plugin, "fine", "echo ready; exec sleep 300").await;
    standin.set_knobs(r#"{"hang": ["kill", "stats"], "stats_interval_ms": 100}"#);

    let signal = {
        let mut driver = plugin.driver();
        let task_id = stuck.id.clone();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let result = driver
                .signal_task(SignalTaskRequest {
                    task_id,
                    signal: "SIGHUP".into(),
                })
                .await;
            (result, started.elapsed())
        })
    };

    // Meanwhile the other task is served as usual.
    let exec = plugin
        .driver()
        .exec_task(ExecTaskRequest {
            task_id: fine.id.clone(),
            command: vec!["/bin/sh".into(), "-c".into(), "echo alive".into()],
            timeout: Some(prost_types::Duration {
                seconds: 10,
                nanos: 0,
            }),
        })
        .await
        .expect("exec on another task while kill hangs")
        .into_inner();
    assert_eq!(String::from_utf8_lossy(&exec.stdout).trim(), "alive");
    let mut stats = stats_stream(&plugin, &fine.id, 200).await;
    for _ in 0..3 {
        let message = tokio::time::timeout(Duration::from_secs(5), stats.next())
            .await
            .expect("stats stream stalled behind a hung stats call")
            .unwrap()
            .unwrap();
        assert!(message.stats.unwrap().agg_resource_usage.is_some());
    }

    let (result, elapsed) = signal.await.unwrap();
    let status = result.expect_err("SignalTask succeeded with a hung CLI");
    assert!(
        status
            .message()
            .contains("container kill did not finish within 20s"),
        "{status:?}"
    );
    assert!(
        elapsed < Duration::from_secs(40),
        "SignalTask took {elapsed:?}; its bound is 20 s"
    );

    stop(&plugin, &fine.id, "SIGTERM", Some(5)).await;
    let exit = wait_exit(&mut plugin.driver(), &fine.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 143);

    // A call still hanging when the plugin is killed outright ends with it.
    assert!(
        !standin.live_calls("stats").is_empty(),
        "the hung stats call"
    );
    let mut plugin = plugin;
    plugin.kill_hard();
    wait_until(Duration::from_secs(5), "the hung stats call to end", || {
        standin.live_calls("stats").is_empty()
    })
    .await;
}

/// A task whose memory-hungry child the OOM killer took, which then dies by
/// SIGKILL for another reason, was not OOM-killed itself.
async fn child_oom_then_sigkill(end: impl AsyncFnOnce(&Standin, &Plugin, &str, &str)) -> bool {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let script = "trap '' TERM; python3 -c 'import time; b = bytearray(80_000_000); \
                  time.sleep(300)' & sleep 1; echo ready; while true; do sleep 0.2; done";
    let (_dir, task, handle) = running_task(&plugin, "parent", script).await;
    let container = driver_state(&handle, "container")
        .as_str()
        .unwrap()
        .to_string();
    let oom = standin.cli(&["__simulate-oom", &container]);
    assert!(oom.status.success(), "{oom:?}");

    end(&standin, &plugin, &task.id, &container).await;
    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;
    let result = exit.result.unwrap();
    assert_eq!(result.exit_code, 137);
    result.oom_killed
}

#[tokio::test]
async fn a_stop_past_its_timeout_after_a_childs_oom_kill_is_not_oom() {
    let oom = child_oom_then_sigkill(async |_, plugin, task_id, _| {
        // A moment after the child's OOM kill; the task ignores SIGTERM.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        stop(plugin, task_id, "SIGTERM", Some(1)).await;
    })
    .await;
    assert!(!oom, "the stop's own SIGKILL was reported as OOM");
}

#[tokio::test]
async fn a_kill_well_after_a_childs_oom_kill_is_not_oom() {
    let oom = child_oom_then_sigkill(async |standin, _, _, container| {
        tokio::time::sleep(Duration::from_secs(4)).await;
        let kill = standin.cli(&["kill", "--signal", "KILL", container]);
        assert!(kill.status.success(), "{kill:?}");
    })
    .await;
    assert!(
        !oom,
        "a SIGKILL 4 s after another process's OOM kill was reported as OOM"
    );
}
