//! Observing containers: list, logs, stats, exec.

use crate::support::Sandbox;
use serde_json::Value;

#[test]
fn list_shows_only_running_containers_unless_all_as_compact_json() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["run", "-d", "--name", "up", "alpine", "sleep", "60"]);
    sandbox.ok(&["create", "--name", "down", "alpine", "true"]);

    let running = sandbox.ok(&["list", "--format", "json"]);
    assert!(running.starts_with("[{\"configuration\":{"), "{running}");
    assert!(running.contains("\"reference\":\"docker.io\\/library\\/alpine:latest\""));
    let ids: Vec<String> = serde_json::from_str::<Value>(&running)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["up"]);

    assert_eq!(sandbox.ok(&["ls", "-a", "-q"]), "down\nup\n");
    let value: Value = serde_json::from_str(&sandbox.ok(&["ls", "--format", "json"])).unwrap();
    let address = value[0]["status"]["networks"][0]["ipv4Address"]
        .as_str()
        .unwrap();
    assert!(
        address.starts_with("192.168.64.") && address.ends_with("/24"),
        "{address}"
    );
}

#[test]
fn inspect_prints_foundation_style_pretty_json() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "create", "--name", "cfg", "-l", "tier=web", "-m", "512M", "-c", "2", "alpine",
    ]);
    let text = sandbox.ok(&["inspect", "cfg"]);
    assert!(
        text.starts_with("[\n  {\n    \"configuration\" : {\n"),
        "{text}"
    );
    let value: Value = serde_json::from_str(&text).unwrap();
    let config = &value[0]["configuration"];
    assert_eq!(config["labels"]["tier"], "web");
    assert_eq!(config["resources"]["memoryInBytes"], 536_870_912u64);
    assert_eq!(config["resources"]["cpus"], 2);
    assert_eq!(config["initProcess"]["executable"], "/bin/sh");
}

#[test]
fn logs_print_the_combined_log_and_n_drops_empty_lines() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "run",
        "--name",
        "chatty",
        "alpine",
        "sh",
        "-c",
        "echo one; echo; sleep 0.1; echo two >&2; sleep 0.1; echo three",
    ]);
    assert_eq!(sandbox.ok(&["logs", "chatty"]), "one\n\ntwo\nthree\n");
    assert_eq!(sandbox.ok(&["logs", "-n", "2", "chatty"]), "two\nthree\n");
    assert!(sandbox
        .ok(&["logs", "--boot", "chatty"])
        .contains("vminitd: starting container chatty"));
}

#[test]
fn logs_are_truncated_when_the_container_starts_again() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "run",
        "--name",
        "again",
        "alpine",
        "sh",
        "-c",
        "echo run-$$",
    ]);
    let first = sandbox.ok(&["logs", "again"]);
    sandbox.ok(&["start", "-a", "again"]);
    let second = sandbox.ok(&["logs", "again"]);
    assert_ne!(first, second);
    assert_eq!(second.lines().count(), 1);
}

#[test]
fn logs_of_a_never_started_container_fail() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["create", "--name", "fresh", "alpine", "true"]);
    let outcome = sandbox.run(&["logs", "fresh"]);
    assert_eq!(outcome.code, 1);
    assert!(outcome
        .stderr
        .starts_with("Error: failed to get logs for container fresh"));
}

#[test]
fn stats_json_reports_the_process_tree_and_memory_limit() {
    let sandbox = Sandbox::new();
    let cmd = "sleep 60 & sleep 60 & wait";
    sandbox.ok(&[
        "run", "-d", "--name", "busy", "-m", "256m", "alpine", "sh", "-c", cmd,
    ]);
    std::thread::sleep(std::time::Duration::from_millis(200));

    let text = sandbox.ok(&["stats", "--format", "json", "--no-stream", "busy"]);
    let value: Value = serde_json::from_str(&text).unwrap();
    let stats = &value[0];
    assert_eq!(stats["id"], "busy");
    assert_eq!(stats["numProcesses"], 3);
    assert_eq!(stats["memoryLimitBytes"], 268_435_456u64);
    assert!(stats["memoryUsageBytes"].as_u64().unwrap() > 0);
    assert!(stats["cpuUsageUsec"].is_u64());
}

#[test]
fn stats_skips_stopped_containers_and_rejects_unknown_ones() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["create", "--name", "idle", "alpine", "true"]);
    assert_eq!(sandbox.ok(&["stats", "--format", "json", "idle"]), "[]\n");
    let outcome = sandbox.run(&["stats", "--no-stream", "ghost"]);
    assert_eq!(outcome.stderr, "Error: no such container: ghost\n");
}

#[test]
fn exec_exits_with_the_process_code_in_the_container_env_and_cwd() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "run",
        "-d",
        "--name",
        "box",
        "-e",
        "MODE=test",
        "-w",
        "/tmp",
        "alpine",
        "sleep",
        "60",
    ]);
    let outcome = sandbox.run(&[
        "exec",
        "-e",
        "EXTRA=1",
        "box",
        "sh",
        "-c",
        "echo $MODE $EXTRA $PWD; exit 4",
    ]);
    assert_eq!(
        (outcome.code, outcome.stdout.as_str()),
        (4, "test 1 /tmp\n")
    );
    assert!(
        !sandbox.ok(&["logs", "box"]).contains("test 1"),
        "exec output must not reach the log"
    );
}

#[test]
fn exec_detached_prints_the_container_id() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["run", "-d", "--name", "box", "alpine", "sleep", "60"]);
    assert_eq!(sandbox.ok(&["exec", "-d", "box", "sleep", "30"]), "box\n");
}

#[test]
fn exec_refuses_stopped_and_unknown_containers() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["create", "--name", "idle", "alpine", "true"]);
    assert_eq!(
        sandbox.run(&["exec", "idle", "true"]).stderr,
        "Error: container idle is not running\n"
    );
    assert_eq!(
        sandbox.run(&["exec", "ghost", "true"]).stderr,
        "Error: get failed: container ghost not found\n"
    );
}

#[test]
fn exec_with_tty_gets_a_terminal_and_merged_output() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["run", "-d", "--name", "box", "alpine", "sleep", "60"]);
    let outcome = sandbox.run(&["exec", "-t", "box", "sh", "-c", "tty; echo oops >&2"]);
    assert_eq!(outcome.code, 0);
    assert!(
        outcome.stdout.starts_with("/dev/pts/"),
        "{}",
        outcome.stdout
    );
    assert!(outcome.stdout.contains("oops"));
    assert_eq!(outcome.stderr, "");
}
