//! Attached runs: exit codes, separate streams, TTY, stdin, and the
//! signal behaviour of an attached CLI.

use crate::support::{finish, signal, wait_with_deadline, Sandbox, TIMEOUT};
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

#[test]
fn attached_run_exits_with_the_process_exit_code() {
    let sandbox = Sandbox::new();
    assert_eq!(sandbox.run(&["run", "--rm", "alpine", "true"]).code, 0);
    assert_eq!(
        sandbox
            .run(&["run", "--rm", "alpine", "sh", "-c", "exit 3"])
            .code,
        3
    );
}

#[test]
fn attached_run_reports_128_plus_signal_for_a_killed_process() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.run(&["run", "--rm", "alpine", "sh", "-c", "kill -9 $$"]);
    assert_eq!(outcome.code, 137);
}

#[test]
fn attached_run_keeps_stdout_and_stderr_separate() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.run(&[
        "run",
        "--rm",
        "--progress",
        "none",
        "alpine",
        "sh",
        "-c",
        "echo to-out; echo to-err >&2",
    ]);
    assert_eq!(outcome.stdout, "to-out\n");
    assert_eq!(outcome.stderr, "to-err\n");
}

#[test]
fn start_attach_exits_with_the_process_exit_code() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "create",
        "--name",
        "job",
        "alpine",
        "sh",
        "-c",
        "echo ran; exit 5",
    ]);
    let outcome = sandbox.run(&["start", "-a", "job"]);
    assert_eq!((outcome.code, outcome.stdout.as_str()), (5, "ran\n"));
    assert_eq!(sandbox.state_of("job"), "stopped");
}

#[test]
fn tty_run_merges_stderr_into_stdout() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.run(&[
        "run",
        "--rm",
        "-t",
        "--progress",
        "none",
        "alpine",
        "sh",
        "-c",
        "echo err >&2; tty",
    ]);
    assert_eq!(outcome.code, 0);
    assert!(outcome.stdout.contains("err"), "{}", outcome.stdout);
    assert!(outcome.stdout.contains("/dev/pts/"), "{}", outcome.stdout);
    assert_eq!(outcome.stderr, "");
}

#[test]
fn interactive_run_passes_stdin_and_closes_it_at_eof() {
    let sandbox = Sandbox::new();
    let mut child = sandbox
        .command(&["run", "--rm", "-i", "--progress", "none", "alpine", "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"hello through stdin\n")
        .unwrap();
    let outcome = finish(child, TIMEOUT);
    assert_eq!(
        (outcome.code, outcome.stdout.as_str()),
        (0, "hello through stdin\n")
    );
}

#[test]
fn non_interactive_run_gives_the_process_no_stdin() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.run(&["run", "--rm", "alpine", "sh", "-c", "cat; echo done"]);
    assert_eq!(outcome.stdout, "done\n");
}

#[test]
fn signals_to_an_attached_cli_are_not_forwarded_and_the_third_exits_1() {
    let sandbox = Sandbox::new();
    let cmd = "trap 'echo got-term' TERM; echo up; while :; do sleep 1; done";
    let mut cli = sandbox.spawn(&["run", "--name", "svc", "alpine", "sh", "-c", cmd]);
    sandbox.wait_for_log("svc", "up");

    for _ in 0..3 {
        signal(&cli, libc::SIGTERM);
        std::thread::sleep(Duration::from_millis(150));
    }
    let status = wait_with_deadline(&mut cli, TIMEOUT);
    let outcome = finish(cli, TIMEOUT);
    assert_eq!(status.code(), Some(1));
    assert!(outcome.stderr.contains(
        "failed to send signal: [\"error\": invalidArgument: \"missing signal in xpc message\", \
         \"signal\": 15]"
    ));
    assert_eq!(sandbox.state_of("svc"), "running");
    assert!(!sandbox.ok(&["logs", "svc"]).contains("got-term"));
}

#[test]
fn container_survives_its_attached_cli_being_killed_until_stopped() {
    let sandbox = Sandbox::new();
    let mut cli = sandbox.spawn(&[
        "run",
        "--name",
        "orphan",
        "alpine",
        "sh",
        "-c",
        "echo up; sleep 60",
    ]);
    sandbox.wait_for_log("orphan", "up");

    cli.kill().unwrap();
    cli.wait().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(sandbox.state_of("orphan"), "running");

    assert_eq!(sandbox.ok(&["stop", "orphan"]), "orphan\n");
    assert_eq!(sandbox.state_of("orphan"), "stopped");
}

#[test]
fn container_processes_start_with_no_blocked_or_ignored_signals() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.run(&[
        "run",
        "--rm",
        "alpine",
        "grep",
        "-E",
        "SigBlk|SigIgn",
        "/proc/self/status",
    ]);
    let masks: Vec<u64> = outcome
        .stdout
        .lines()
        .map(|line| u64::from_str_radix(line.split('\t').nth(1).unwrap(), 16).unwrap())
        .collect();
    assert_eq!(masks.len(), 2, "{}", outcome.stdout);
    // Signals 32 and 33 belong to the C library and cannot be reset through it.
    let standard_signals = 0x7fff_ffff;
    assert_eq!((masks[0], masks[1] & standard_signals), (0, 0));
}
