//! The `garble` knob: spoiled output from the commands a client parses.

use crate::support::Sandbox;
use serde_json::Value;

fn set_garble(sandbox: &Sandbox, garble: &str) {
    let knobs = format!(r#"{{"stats_interval_ms": 100, "garble": {garble}}}"#);
    std::fs::write(sandbox.path("knobs.json"), knobs).unwrap();
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|error| panic!("{error} in {text:?}"))
}

/// A running container and a pulled image, for every parsed command.
fn sandbox_with_a_container() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.ok(&["run", "-d", "--name", "web", "alpine", "sleep", "60"]);
    sandbox
}

const PARSED_COMMANDS: &[&[&str]] = &[
    &["list", "--format", "json"],
    &["inspect", "web"],
    &["image", "inspect", "alpine"],
    &["stats", "--no-stream", "--format", "json"],
    &["system", "status", "--format", "json"],
    &["system", "version", "--format", "json"],
    &["registry", "list", "--format", "json"],
];

#[test]
fn truncate_cuts_only_the_named_command_and_still_exits_0() {
    let sandbox = sandbox_with_a_container();
    set_garble(&sandbox, r#"{"inspect": "truncate"}"#);

    let inspect = sandbox.run(&["inspect", "web"]);
    assert_eq!(inspect.code, 0, "{}", inspect.stderr);
    assert!(inspect.stdout.starts_with("[\n  {"), "{}", inspect.stdout);
    assert!(serde_json::from_str::<Value>(&inspect.stdout).is_err());
    json(&sandbox.ok(&["list", "--format", "json"]));
}

#[test]
fn truncate_applies_to_every_parsed_command_and_the_version_line() {
    let sandbox = sandbox_with_a_container();
    set_garble(&sandbox, r#"{"*": "truncate", "--version": "truncate"}"#);
    for argv in PARSED_COMMANDS {
        let text = sandbox.ok(argv);
        assert!(
            serde_json::from_str::<Value>(&text).is_err(),
            "{argv:?}: {text}"
        );
    }
    let version = sandbox.ok(&["--version"]);
    assert!(!version.contains("1.2.2"), "{version}");
}

#[test]
fn extra_fields_appear_in_every_object_of_every_parsed_command() {
    let sandbox = sandbox_with_a_container();
    let login = crate::registry::login(&sandbox, "ci-bot", "s3cret-pw");
    assert_eq!(login.code, 0, "{}", login.stderr);
    set_garble(&sandbox, r#"{"*": "extra_fields"}"#);
    for argv in PARSED_COMMANDS {
        let value = json(&sandbox.ok(argv));
        let first = if value.is_array() { &value[0] } else { &value };
        assert!(first["standinExtra"].is_object(), "{argv:?}: {value}");
    }
    let inspect = json(&sandbox.ok(&["inspect", "web"]));
    assert!(inspect[0]["status"]["standinExtra"].is_object());
    assert_eq!(inspect[0]["status"]["state"], "running");
}

#[test]
fn missing_optional_drops_omittable_fields_and_keeps_required_ones() {
    let sandbox = sandbox_with_a_container();
    set_garble(
        &sandbox,
        r#"{"*": "missing_optional", "--version": "missing_optional"}"#,
    );

    let inspect = json(&sandbox.ok(&["inspect", "web"]));
    assert!(
        inspect[0]["status"].get("startedDate").is_none(),
        "{inspect}"
    );
    assert_eq!(inspect[0]["status"]["state"], "running");
    let stats = json(&sandbox.ok(&["stats", "--no-stream", "--format", "json"]));
    assert_eq!(stats, serde_json::json!([{"id": "web"}]));
    let status = json(&sandbox.ok(&["system", "status", "--format", "json"]));
    assert_eq!(status, serde_json::json!({"status": "running"}));
    let version = json(&sandbox.ok(&["system", "version", "--format", "json"]));
    assert_eq!(version.as_array().map(Vec::len), Some(1), "{version}");
    assert_eq!(sandbox.ok(&["--version"]), "container CLI version 1.2.2\n");
}

#[test]
fn unknown_status_replaces_container_state_and_service_status() {
    let sandbox = sandbox_with_a_container();
    set_garble(&sandbox, r#"{"*": "unknown_status"}"#);
    let list = json(&sandbox.ok(&["list", "--format", "json"]));
    assert_eq!(list[0]["status"]["state"], "suspended");
    let status = json(&sandbox.ok(&["system", "status", "--format", "json"]));
    assert_eq!(status["status"], "suspended");
}
