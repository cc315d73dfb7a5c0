//! Parser behaviour and value grammars as the user sees them.

use crate::support::Sandbox;

#[test]
fn unknown_flag_exits_64_with_usage_lines() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.run(&["run", "--bogus", "alpine"]);
    assert_eq!(outcome.code, 64);
    assert_eq!(
        outcome.stderr,
        "Error: Unknown option '--bogus'\n\
         Usage: container run [<options>] <image> [<arguments> ...]\n  \
         See 'container run --help' for more information.\n"
    );
}

#[test]
fn flags_after_the_image_belong_to_the_command() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.run(&[
        "run", "--rm", "alpine", "echo", "--name", "web", "-it", "--bogus",
    ]);
    assert_eq!(
        (outcome.code, outcome.stdout.as_str()),
        (0, "--name web -it --bogus\n")
    );
}

#[test]
fn non_integer_cpus_is_a_parser_error() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.run(&["create", "--cpus", "1.5", "alpine"]);
    assert_eq!(outcome.code, 64);
    assert!(outcome
        .stderr
        .starts_with("Error: The value '1.5' is invalid for '--cpus <cpus>'\n"));
}

#[test]
fn missing_image_is_a_parser_error() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.run(&["create", "--name", "x1"]);
    assert_eq!(outcome.code, 64);
    assert!(outcome
        .stderr
        .starts_with("Error: Missing expected argument '<image>'\n"));
}

#[test]
fn invalid_names_and_small_memory_exit_1_with_apple_texts() {
    let sandbox = Sandbox::new();
    let name = sandbox.run(&["create", "--name", "x", "alpine"]);
    assert_eq!(
        (name.code, name.stderr.as_str()),
        (1, "Error: container ID x is not a valid container ID\n")
    );
    let memory = sandbox.run(&["create", "-m", "128m", "alpine"]);
    assert_eq!(
        memory.stderr,
        "Error: minimum memory amount allowed is 200 MiB (got 134217728 bytes)\n"
    );
    let symbol = sandbox.run(&["create", "-m", "128Mi", "alpine"]);
    assert_eq!(symbol.stderr, "Error: invalid symbol: mi\n");
}

#[test]
fn publish_and_label_errors_are_reported_after_the_pull() {
    let sandbox = Sandbox::new();
    let publish = sandbox.run(&["create", "-p", "localhost:80:80", "alpine"]);
    assert_eq!(
        publish.stderr,
        "Error: invalid publish IPv4 address: localhost\n"
    );
    let label = sandbox.run(&["create", "-l", "a=b=c", "alpine"]);
    assert_eq!(label.stderr, "Error: invalid label format a=b=c\n");
    let images = sandbox.ok(&["image", "list", "-q"]);
    assert_eq!(images, "alpine:latest\n");
}

#[test]
fn no_dns_with_dns_flags_is_a_validation_error() {
    let sandbox = Sandbox::new();
    assert_eq!(
        sandbox
            .run(&["create", "--no-dns", "--dns", "1.1.1.1", "alpine"])
            .code,
        64
    );
}

#[test]
fn entrypoint_flag_drops_the_image_cmd_and_empty_commands_fail() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "create",
        "--name",
        "ep",
        "--entrypoint",
        "/bin/true",
        "redis",
    ]);
    let value: serde_json::Value = serde_json::from_str(&sandbox.ok(&["inspect", "ep"])).unwrap();
    let process = &value[0]["configuration"]["initProcess"];
    assert_eq!(
        (
            process["executable"].as_str(),
            process["arguments"].as_array().map(Vec::len)
        ),
        (Some("/bin/true"), Some(0))
    );
    assert_eq!(process["workingDirectory"], "/data");

    std::fs::create_dir_all(sandbox.path("registry")).unwrap();
    let file = sandbox.path("registry/empty.json");
    std::fs::write(file, r#"{"reference": "example.test/empty:1"}"#).unwrap();
    let outcome = sandbox.run(&["create", "example.test/empty:1"]);
    assert_eq!(
        outcome.stderr,
        "Error: command/entrypoint not specified for container process\n"
    );
}

#[test]
fn env_file_and_env_flags_compose_over_the_image_env() {
    let sandbox = Sandbox::new();
    let file = sandbox.path("app.env");
    std::fs::write(&file, "# comment\nLANG=en\n  SPACED=\"kept quotes\"\n").unwrap();
    let out = sandbox.ok(&[
        "run",
        "--rm",
        "--progress",
        "none",
        "--env-file",
        file.to_str().unwrap(),
        "-e",
        "LANG=fr",
        "python:3.12-alpine",
        "sh",
        "-c",
        "echo $LANG $SPACED $PYTHON_VERSION",
    ]);
    assert_eq!(out, "fr \"kept quotes\" 3.12.8\n");
}
