//! create/start/stop/kill/delete semantics and their error texts.

use crate::support::{finish, Sandbox, TIMEOUT};
use std::time::{Duration, Instant};

const IGNORES_TERM: &str = "trap '' TERM; echo up; while :; do sleep 1; done";

#[test]
fn detached_start_then_stop_escalates_to_sigkill_and_records_137() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "create",
        "--name",
        "stubborn",
        "alpine",
        "sh",
        "-c",
        IGNORES_TERM,
    ]);
    assert_eq!(sandbox.ok(&["start", "stubborn"]), "stubborn\n");
    sandbox.wait_for_log("stubborn", "up");

    let began = Instant::now();
    assert_eq!(sandbox.ok(&["stop", "-t", "1", "stubborn"]), "stubborn\n");
    assert!(began.elapsed() >= Duration::from_secs(1));
    assert_eq!(sandbox.state_of("stubborn"), "stopped");
    let state = std::fs::read_to_string(sandbox.path("containers/stubborn/state.json")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    assert_eq!(state["exitCode"], 137);
}

#[test]
fn stop_timeout_ends_an_attached_start_with_exit_137() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "create",
        "--name",
        "stubborn",
        "alpine",
        "sh",
        "-c",
        IGNORES_TERM,
    ]);
    let attached = sandbox.spawn(&["start", "-a", "stubborn"]);
    sandbox.wait_for_log("stubborn", "up");

    let began = Instant::now();
    assert_eq!(sandbox.ok(&["stop", "-t", "1", "stubborn"]), "stubborn\n");
    assert!(began.elapsed() >= Duration::from_secs(1));
    assert_eq!(sandbox.state_of("stubborn"), "stopped");
    assert_eq!(finish(attached, TIMEOUT).code, 137);
}

#[test]
fn stop_uses_the_image_stop_signal() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["run", "-d", "--name", "web", "nginx"]);
    sandbox.wait_for_log("web", "ready for start up");
    sandbox.ok(&["stop", "web"]);
    assert!(sandbox
        .ok(&["logs", "web"])
        .contains("nginx: gracefully shutting down"));
}

#[test]
fn stop_of_a_stopped_container_succeeds_without_checking_the_signal() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["create", "--name", "idle", "alpine", "true"]);
    assert_eq!(sandbox.ok(&["stop", "-s", "BOGUS", "idle"]), "idle\n");
}

#[test]
fn kill_of_a_stopped_container_is_an_invalid_state_error() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["create", "--name", "idle", "alpine", "true"]);
    let outcome = sandbox.run(&["kill", "idle"]);
    assert_eq!(outcome.code, 1);
    assert_eq!(
        outcome.stderr,
        "Error: internalError: \"failed to kill container\" (cause: \"invalidState: \"no runtime \
         client exists: container is stopped\"\")\n"
    );
}

#[test]
fn kill_with_sigkill_blocks_until_the_container_is_stopped() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["run", "-d", "--name", "victim", "alpine", "sleep", "60"]);
    assert_eq!(sandbox.ok(&["kill", "victim"]), "victim\n");
    assert_eq!(sandbox.state_of("victim"), "stopped");
}

#[test]
fn kill_with_another_signal_reaches_the_process() {
    let sandbox = Sandbox::new();
    let cmd = "trap 'echo got-usr1' USR1; echo up; while :; do sleep 1 & wait $!; done";
    sandbox.ok(&["run", "-d", "--name", "sig", "alpine", "sh", "-c", cmd]);
    sandbox.wait_for_log("sig", "up");
    sandbox.ok(&["kill", "-s", "USR1", "sig"]);
    sandbox.wait_for_log("sig", "got-usr1");
}

#[test]
fn delete_refuses_a_running_container_unless_forced() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["run", "-d", "--name", "busy", "alpine", "sleep", "60"]);
    let refused = sandbox.run(&["delete", "busy"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains(
        "(cause: \"invalidState: \"container busy is running and can not be deleted\"\")"
    ));

    assert_eq!(sandbox.ok(&["rm", "-f", "busy", "busy"]), "busy\n");
    assert!(sandbox
        .run(&["inspect", "busy"])
        .stderr
        .contains("container not found: busy"));
}

#[test]
fn missing_containers_produce_not_found_texts() {
    let sandbox = Sandbox::new();
    let inspect = sandbox.run(&["inspect", "zz", "aa"]);
    assert_eq!(inspect.stderr, "Error: container not found: aa, zz\n");
    let stop = sandbox.run(&["stop", "ghost"]);
    assert!(stop
        .stderr
        .contains("(cause: \"notFound: \"container with ID ghost not found\"\")"));
    let start = sandbox.run(&["start", "ghost"]);
    assert_eq!(
        start.stderr,
        "Error: get failed: container ghost not found\n"
    );
}

#[test]
fn run_with_rm_removes_the_container_after_exit() {
    let sandbox = Sandbox::new();
    assert_eq!(
        sandbox
            .run(&["run", "--rm", "--name", "temp", "alpine", "true"])
            .code,
        0
    );
    assert_eq!(sandbox.run(&["inspect", "temp"]).code, 1);
}

#[test]
fn detached_start_prints_the_id_and_is_idempotent() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["create", "--name", "svc", "alpine", "sleep", "60"]);
    assert_eq!(sandbox.ok(&["start", "svc"]), "svc\n");
    assert_eq!(sandbox.ok(&["start", "svc"]), "svc\n");
    let attach = sandbox.run(&["start", "-a", "svc"]);
    assert_eq!(
        attach.stderr,
        "Error: attach is currently unsupported on already running containers\n"
    );
}

#[test]
fn name_conflicts_have_distinct_texts_for_run_and_create() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["create", "--name", "dup", "alpine", "true"]);
    let run = sandbox.run(&["run", "--name", "dup", "alpine", "true"]);
    assert_eq!(run.stderr, "Error: container with id dup already exists\n");
    let create = sandbox.run(&["create", "--name", "dup", "alpine", "true"]);
    assert_eq!(create.stderr, "Error: container already exists: dup\n");
}

#[test]
fn run_deletes_the_container_when_the_process_cannot_start() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.run(&["run", "--name", "broken", "alpine", "no-such-binary"]);
    assert_eq!(outcome.code, 1);
    assert!(
        outcome.stderr.contains("no-such-binary"),
        "{}",
        outcome.stderr
    );
    assert_eq!(sandbox.run(&["inspect", "broken"]).code, 1);
}

#[test]
fn stopped_containers_keep_their_started_date_and_lose_networks() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["run", "--name", "done", "alpine", "true"]);
    let value: serde_json::Value = serde_json::from_str(&sandbox.ok(&["inspect", "done"])).unwrap();
    let status = &value[0]["status"];
    assert_eq!(status["state"], "stopped");
    assert!(status["startedDate"].as_str().unwrap().ends_with('Z'));
    assert_eq!(status["networks"], serde_json::json!([]));
}

#[test]
fn all_flag_conflicts_with_ids_and_nothing_selected_is_an_error() {
    let sandbox = Sandbox::new();
    let conflict = sandbox.run(&["stop", "--all", "web"]);
    assert_eq!(
        (conflict.code, conflict.stderr.as_str()),
        (
            1,
            "Error: explicitly supplied container IDs conflict with the --all flag\n"
        )
    );
    let nothing = sandbox.run(&["delete"]);
    assert_eq!(
        nothing.stderr,
        "Error: no containers specified and --all not supplied\n"
    );
}
