//! Test knobs, calls.log, the hidden test hooks, and the private mount
//! namespace.

use crate::support::{is_root, Sandbox};
use std::time::{Duration, Instant};

#[test]
fn system_status_reports_a_down_service_on_stdout_with_exit_1() {
    let sandbox = Sandbox::new();
    assert!(sandbox
        .ok(&["system", "status", "--format", "json"])
        .contains("\"status\":\"running\""));

    std::fs::write(sandbox.path("knobs.json"), r#"{"service_down": true}"#).unwrap();
    let status = sandbox.run(&["system", "status"]);
    assert_eq!(
        (status.code, status.stdout.as_str()),
        (1, "apiserver is not running\n")
    );
    let list = sandbox.run(&["list"]);
    assert_eq!(list.code, 1);
    assert!(list
        .stderr
        .contains("XPC connection error: Connection invalid"));
    assert!(list.stderr.contains("container system start"));
}

#[test]
fn fail_and_latency_knobs_apply_per_command() {
    let sandbox = Sandbox::new();
    let knobs = r#"{"fail": {"image pull": "registry on fire"}, "latency_ms": {"list": 300}}"#;
    std::fs::write(sandbox.path("knobs.json"), knobs).unwrap();

    let pull = sandbox.run(&["image", "pull", "alpine"]);
    assert_eq!(
        (pull.code, pull.stderr.as_str()),
        (1, "Error: registry on fire\n")
    );
    let began = Instant::now();
    sandbox.ok(&["ls"]);
    assert!(began.elapsed() >= Duration::from_millis(300));
}

#[test]
fn every_invocation_is_recorded_in_calls_log() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["ls", "-a"]);
    let _ = sandbox.run(&["inspect", "nothing"]);
    let log = std::fs::read_to_string(sandbox.path("calls.log")).unwrap();
    let argvs: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["argv"].clone())
        .collect();
    assert_eq!(
        argvs,
        [
            serde_json::json!(["ls", "-a"]),
            serde_json::json!(["inspect", "nothing"])
        ]
    );
}

#[test]
fn simulated_apiserver_restart_forgets_running_containers_until_delete() {
    let sandbox = Sandbox::new();
    let cmd = "echo up; while :; do sleep 1; echo tick; done";
    sandbox.ok(&["run", "-d", "--name", "ghost", "alpine", "sh", "-c", cmd]);
    sandbox.wait_for_log("ghost", "up");

    sandbox.ok(&["__simulate-apiserver-restart"]);
    assert_eq!(sandbox.ok(&["ls", "-q"]), "");
    assert_eq!(sandbox.state_of("ghost"), "stopped");
    assert_eq!(sandbox.ok(&["stop", "ghost"]), "ghost\n");
    assert!(sandbox
        .run(&["kill", "ghost"])
        .stderr
        .contains("no runtime client exists"));

    // The process still runs: its log keeps growing.
    let before = sandbox.ok(&["logs", "ghost"]).len();
    std::thread::sleep(Duration::from_millis(1300));
    assert!(sandbox.ok(&["logs", "ghost"]).len() > before);

    assert_eq!(sandbox.ok(&["delete", "ghost"]), "ghost\n");
    let helpers = std::process::Command::new("pgrep")
        .args(["-f", "__runtime-helper ghost"])
        .output();
    if let Ok(helpers) = helpers {
        assert!(String::from_utf8_lossy(&helpers.stdout).trim().is_empty());
    }
}

#[test]
fn simulated_oom_kills_the_process_and_logs_the_kernel_line() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "create",
        "--name",
        "hungry",
        "alpine",
        "sh",
        "-c",
        "echo up; sleep 60",
    ]);
    let attached = sandbox.spawn(&["start", "-a", "hungry"]);
    sandbox.wait_for_log("hungry", "up");

    sandbox.ok(&["__simulate-oom", "hungry"]);
    let outcome = crate::support::finish(attached, crate::support::TIMEOUT);
    assert_eq!(outcome.code, 137);
    let boot = sandbox.ok(&["logs", "--boot", "hungry"]);
    assert!(boot.contains("Out of memory: Killed process"), "{boot}");
}

#[test]
fn bind_mounts_appear_at_their_container_paths_when_root() {
    if !is_root() {
        eprintln!("skipped: bind mounts need root");
        return;
    }
    let sandbox = Sandbox::new();
    let host = tempfile::tempdir().unwrap();
    let target = format!("/standin-test-{}", std::process::id());
    let volume = format!("{}:{target}", host.path().display());
    let script = format!("echo written > {target}/out.txt");
    sandbox.ok(&["run", "--rm", "-v", &volume, "alpine", "sh", "-c", &script]);

    let written = std::fs::read_to_string(host.path().join("out.txt")).unwrap();
    let _ = std::fs::remove_dir(&target);
    assert_eq!(written, "written\n");
}
