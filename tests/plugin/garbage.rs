//! Garbage in: the stand-in's `garble` knob spoils what the commands the
//! driver parses print. Additions and missing optional fields must be
//! tolerated; output that cannot be read must surface as an error naming
//! the command and the problem, never as a panic, a hang or a guess.

use std::time::Duration;

use nomad_driver_container::proto::drivers::fingerprint_response::HealthState;
use nomad_driver_container::proto::drivers::*;
use rmpv::Value;
use tokio_stream::StreamExt;

use crate::support::*;
use crate::{configured_plugin, first_fingerprint, start, start_error, EXIT_LIMIT};

const FINGERPRINT_LIMIT: Duration = Duration::from_secs(15);

/// Knobs spoiling `commands` in `mode`; stats sample fast to keep tests short.
fn garble_knobs(commands: &[&str], mode: &str) -> String {
    let entries: Vec<String> = commands
        .iter()
        .map(|command| format!("{command:?}: {mode:?}"))
        .collect();
    format!(
        r#"{{"stats_interval_ms": 100, "garble": {{{}}}}}"#,
        entries.join(", ")
    )
}

/// A configured plugin whose stand-in spoils `commands` in `mode`.
async fn garbled_plugin(commands: &[&str], mode: &str) -> (Standin, Plugin) {
    let standin = Standin::new();
    standin.set_knobs(&garble_knobs(commands, mode));
    let plugin = configured_plugin(&standin).await;
    (standin, plugin)
}

/// The first fingerprint of a plugin whose stand-in spoils `commands`.
async fn fingerprint_with(commands: &[&str], mode: &str) -> (Standin, Plugin, FingerprintResponse) {
    let (standin, plugin) = garbled_plugin(commands, mode).await;
    let fingerprint = first_fingerprint(&plugin).await;
    (standin, plugin, fingerprint)
}

fn version_attribute(fingerprint: &FingerprintResponse) -> Option<String> {
    use nomad_driver_container::proto::structs::attribute;
    match fingerprint
        .attributes
        .get("driver.container.version")?
        .value
    {
        Some(attribute::Value::StringVal(ref version)) => Some(version.clone()),
        _ => None,
    }
}

#[tokio::test]
async fn fingerprint_tolerates_extra_and_missing_optional_status_and_version_fields() {
    for mode in ["extra_fields", "missing_optional"] {
        let commands = ["system status", "--version"];
        let (_standin, _plugin, fingerprint) = fingerprint_with(&commands, mode).await;
        assert_eq!(
            fingerprint.health,
            HealthState::Healthy as i32,
            "{mode}: {}",
            fingerprint.health_description
        );
        assert_eq!(
            version_attribute(&fingerprint).as_deref(),
            Some("1.2.2"),
            "{mode}"
        );
    }
}

#[tokio::test]
async fn fingerprint_is_unhealthy_naming_unreadable_or_unknown_system_status() {
    let cases: [(&str, &[&str]); 2] = [
        (
            "truncate",
            &[
                "container system status printed output",
                "EOF while parsing",
            ],
        ),
        (
            "unknown_status",
            &["the container system service is suspended"],
        ),
    ];
    for (mode, expected) in cases {
        let (_standin, _plugin, fingerprint) = fingerprint_with(&["system status"], mode).await;
        let description = &fingerprint.health_description;
        assert_eq!(
            fingerprint.health,
            HealthState::Unhealthy as i32,
            "{mode}: {description}"
        );
        for needle in expected {
            assert!(description.contains(needle), "{mode}: {description}");
        }
    }
}

#[tokio::test]
async fn an_unreadable_version_line_keeps_the_node_healthy_and_is_logged() {
    let (_standin, plugin, fingerprint) = fingerprint_with(&["--version"], "truncate").await;
    assert_eq!(fingerprint.health, HealthState::Healthy as i32);
    assert_eq!(version_attribute(&fingerprint), None);
    // The plugin's stderr is read by another thread: allow it to catch up.
    wait_until(FINGERPRINT_LIMIT, "the version warning", || {
        plugin
            .log()
            .contains("container --version printed output this driver cannot read: no version in")
    })
    .await;
}

/// A task publishing one port; its start inspects the container for the
/// address Nomad advertises.
fn publishing_task(dir: &TaskDir) -> TaskConfig {
    let mut task = dir.task_config(&with(
        shell_task("echo ready; while true; do sleep 0.1; done"),
        "ports",
        strings(&["http"]),
    ));
    task.resources.as_mut().unwrap().ports = vec![PortMapping {
        label: "http".into(),
        value: 23456,
        to: 8080,
        host_ip: "127.0.0.1".into(),
    }];
    task
}

async fn start_response(plugin: &Plugin, task: TaskConfig) -> StartTaskResponse {
    let request = StartTaskRequest { task: Some(task) };
    match plugin.driver().start_task(request).await {
        Ok(response) => response.into_inner(),
        Err(status) => panic!("StartTask failed: {status:?}\n{}", plugin.log()),
    }
}

#[tokio::test]
async fn inspect_with_extra_or_missing_optional_fields_still_yields_the_address() {
    for mode in ["extra_fields", "missing_optional"] {
        let (_standin, plugin) = garbled_plugin(&["inspect"], mode).await;
        let dir = TaskDir::new("web");

        let response = start_response(&plugin, publishing_task(&dir)).await;
        let address = response
            .network_override
            .expect("ports give an override")
            .addr;
        assert!(
            address.parse::<std::net::Ipv4Addr>().is_ok(),
            "{mode}: address {address:?}"
        );
    }
}

#[tokio::test]
async fn cut_short_inspect_output_leaves_no_address_and_the_warning_names_the_command() {
    let (_standin, plugin) = garbled_plugin(&["inspect"], "truncate").await;
    let dir = TaskDir::new("web");

    // The task runs; only the address Nomad would advertise is missing.
    let response = start_response(&plugin, publishing_task(&dir)).await;
    assert_eq!(response.network_override.unwrap().addr, "");
    dir.stdout.wait_for("ready", EXIT_LIMIT).await;
    wait_until(EXIT_LIMIT, "the address warning", || {
        plugin.log().contains("container reported no address")
    })
    .await;
    let log = plugin.log();
    let warning = log
        .lines()
        .find(|line| line.contains("container reported no address"))
        .unwrap_or_else(|| panic!("no warning in {log}"));
    assert!(
        warning.contains("container inspect printed output this driver cannot read"),
        "{warning}"
    );
}

/// A peer task `main` running in `dir`'s allocation and a sidecar config
/// joining its network, which makes the sidecar's start inspect `main`.
async fn sidecar_of_running_main(plugin: &Plugin, dir: &TaskDir) -> (TaskDir, TaskConfig) {
    let main = dir.task_config(&shell_task("echo ready; while true; do sleep 0.1; done"));
    start(plugin, main).await;
    dir.stdout.wait_for("ready", EXIT_LIMIT).await;
    crate::sidecar_of_main(dir)
}

#[tokio::test]
async fn cut_short_inspect_of_a_peer_fails_the_start_naming_the_command() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("main");
    let (_sidecar_dir, sidecar) = sidecar_of_running_main(&plugin, &dir).await;

    standin.set_knobs(&garble_knobs(&["inspect"], "truncate"));
    let status = start_error(&plugin, sidecar).await;
    let message = status.message();
    assert!(
        message.contains("looking up task main")
            && message.contains("container inspect printed output this driver cannot read")
            && message.contains("EOF while parsing"),
        "{message}"
    );
}

#[tokio::test]
async fn a_peer_in_an_unknown_state_is_not_taken_for_running() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("main");
    let (_sidecar_dir, sidecar) = sidecar_of_running_main(&plugin, &dir).await;

    standin.set_knobs(&garble_knobs(&["inspect"], "unknown_status"));
    let status = start_error(&plugin, sidecar).await;
    assert!(
        status
            .message()
            .contains("task main of this allocation has no running container"),
        "{}",
        status.message()
    );
}

/// Reads `count` messages of a task's stats stream.
async fn stats_messages(plugin: &Plugin, task_id: &str, count: usize) -> Vec<TaskStats> {
    let mut stream = crate::stats_stream(plugin, task_id, 200).await;
    let mut messages = Vec::new();
    for _ in 0..count {
        let message = tokio::time::timeout(EXIT_LIMIT, stream.next())
            .await
            .expect("no stats in time")
            .expect("the stats stream ended")
            .expect("the stats stream failed");
        messages.push(message.stats.expect("a stats message carries stats"));
    }
    messages
}

fn memory_measured(stats: &TaskStats) -> bool {
    let usage = stats.agg_resource_usage.as_ref().expect("usage is present");
    usage
        .memory
        .as_ref()
        .is_some_and(|memory| !memory.measured_fields.is_empty())
}

#[tokio::test]
async fn stats_with_extra_fields_are_measured_and_without_counters_are_not() {
    for (mode, measured) in [("extra_fields", true), ("missing_optional", false)] {
        let (_standin, plugin) = garbled_plugin(&["stats"], mode).await;
        let script = "echo ready; while true; do sleep 0.1; done";
        let (_dir, task, _handle) = crate::running_task(&plugin, "stats", script).await;

        let messages = stats_messages(&plugin, &task.id, 8).await;
        assert_eq!(
            messages.iter().any(memory_measured),
            measured,
            "{mode}: {messages:?}"
        );
    }
}

#[tokio::test]
async fn cut_short_stats_keep_the_stream_alive_and_the_warning_names_the_command() {
    let (_standin, plugin) = garbled_plugin(&["stats"], "truncate").await;
    let (_dir, task, _handle) = crate::running_task(
        &plugin,
        "stats",
        "echo ready; while true; do sleep 0.1; done",
    )
    .await;

    let messages = stats_messages(&plugin, &task.id, 4).await;
    assert!(!messages.iter().any(memory_measured), "{messages:?}");
    wait_until(EXIT_LIMIT, "the stats warning", || {
        plugin.log().lines().any(|line| {
            line.contains("stats sample failed")
                && line.contains("container stats printed output this driver cannot read")
        })
    })
    .await;
}

#[tokio::test]
async fn garbled_image_inspect_output_cannot_break_a_start_because_only_its_exit_is_read() {
    let standin = Standin::new();
    let pulled = standin.cli(&["image", "pull", "alpine:3.20"]);
    assert!(pulled.status.success());
    standin.set_knobs(&garble_knobs(&["image inspect"], "truncate"));
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("image");
    let task = dir.task_config(&shell_task("echo started"));

    start(&plugin, task.clone()).await;
    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 0);
    let pulls = standin
        .calls()
        .into_iter()
        .filter(|argv| argv.starts_with(&["image".into(), "pull".into()]))
        .count();
    assert_eq!(pulls, 1, "only the test's own pull: the image was found");
}

#[tokio::test]
async fn cut_short_registry_list_fails_an_authenticated_start_naming_the_command() {
    let (_standin, plugin) = garbled_plugin(&["registry list"], "truncate").await;
    let dir = TaskDir::new("private");
    let config = with(
        shell_task("true"),
        "image",
        Value::from(crate::PRIVATE_IMAGE),
    );
    let config = with(
        config,
        "auth",
        crate::auth_block("ci-bot", crate::REGISTRY_PASSWORD),
    );

    let status = start_error(&plugin, dir.task_config(&config)).await;
    assert!(
        status
            .message()
            .contains("container registry list printed output this driver cannot read"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn registry_list_with_extra_fields_still_finds_the_stored_login() {
    let standin = Standin::new();
    crate::login_as_ci_bot(&standin);
    standin.set_knobs(&garble_knobs(&["registry list"], "extra_fields"));
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("private");
    let config = with(
        shell_task("true"),
        "image",
        Value::from(crate::PRIVATE_IMAGE),
    );
    let config = with(config, "auth", crate::auth_block("someone-else", "wrong"));

    // Only the stored login can pull: the task's own credentials are wrong.
    let calls_before = standin.calls().len();
    start(&plugin, dir.task_config(&config)).await;
    let logins = standin.calls()[calls_before..]
        .iter()
        .filter(|argv| argv.starts_with(&["registry".into(), "login".into()]))
        .count();
    assert_eq!(logins, 0, "the stored login was not recognised");
}
