//! Configuration: what is refused, and how each setting reaches the CLI.

use nomad_driver_container::driver::recoverable_detail;
use nomad_driver_container::proto::drivers::*;
use rmpv::Value;

use crate::support::*;
use crate::{configured_plugin, start, start_error, EXIT_LIMIT};

#[tokio::test]
async fn garbage_msgpack_config_is_a_final_start_error_naming_the_problem() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("garbage");
    let mut task = dir.task_config(&shell_task("true"));
    task.msgpack_driver_config = vec![0xc1, 0x00, 0xff];

    let status = start_error(&plugin, task).await;
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().contains("not valid cty-msgpack"),
        "{}",
        status.message()
    );
    assert_eq!(recoverable_detail(&status), Some(false));
}

#[tokio::test]
async fn missing_image_is_a_final_start_error_naming_the_key() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("noimage");
    let mut config = shell_task("true");
    config[0].1 = Value::Nil;
    let status = start_error(&plugin, dir.task_config(&config)).await;
    assert_eq!(status.message(), "invalid task config: image is required");
    assert_eq!(recoverable_detail(&status), Some(false));
}

#[tokio::test]
async fn invalid_plugin_config_is_refused_naming_key_and_value() {
    let standin = Standin::new();
    let plugin = Plugin::launch(&standin).await;
    let request = nomad_driver_container::proto::base::SetConfigRequest {
        msgpack_config: msgpack(&[("image_pull_timeout", Value::from("soon"))]),
        nomad_config: None,
        plugin_api_version: "v0.1.0".into(),
    };
    let status = plugin.base().set_config(request).await.unwrap_err();
    assert!(
        status.message().contains("image_pull_timeout = \"soon\""),
        "{}",
        status.message()
    );
}

const PRIVATE_IMAGE: &str = "registry.local.test/private/app:1";
const REGISTRY_PASSWORD: &str = "s3cret-pw";

fn auth_block(username: &str, password: &str) -> Value {
    Value::Map(vec![
        (Value::from("username"), Value::from(username)),
        (Value::from("password"), Value::from(password)),
        (Value::from("server_address"), Value::Nil),
    ])
}

fn container_of(handle: &TaskHandle) -> String {
    let state: serde_json::Value = serde_json::from_slice(&handle.driver_state).unwrap();
    state["container"].as_str().unwrap().to_string()
}

fn inspect(standin: &Standin, container: &str) -> serde_json::Value {
    let output = standin.cli(&["inspect", container]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()[0].clone()
}

#[tokio::test]
async fn private_image_pulls_with_task_auth_and_no_secret_reaches_argv_or_logs() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("private");
    let env = Value::Map(vec![(
        Value::from("API_TOKEN"),
        Value::from("tok-98765-distinct"),
    )]);
    let config = with(
        shell_task("echo pulled"),
        "image",
        Value::from(PRIVATE_IMAGE),
    );
    let config = with(config, "auth", auth_block("ci-bot", REGISTRY_PASSWORD));
    let config = with(config, "env", env);
    let task = dir.task_config(&config);

    let watch = ArgvWatch::start(&[REGISTRY_PASSWORD, "tok-98765-distinct"]);
    start(&plugin, task.clone()).await;
    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;
    let leaks = watch.finish();

    assert_eq!(exit.result.unwrap().exit_code, 0);
    assert!(leaks.is_empty(), "secrets seen in argv: {leaks:?}");
    for argv in standin.calls() {
        let line = argv.join(" ");
        assert!(
            !line.contains(REGISTRY_PASSWORD) && !line.contains("tok-98765"),
            "{line}"
        );
    }
    assert!(!plugin.log().contains(REGISTRY_PASSWORD) && !plugin.log().contains("tok-98765"));
    let logins = standin.cli(&["registry", "list", "--format", "json"]);
    assert_eq!(
        String::from_utf8_lossy(&logins.stdout).trim(),
        "[]",
        "the task's login was left behind"
    );
}

#[tokio::test]
async fn private_image_without_credentials_is_a_final_error_naming_the_registry_answer() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("denied");
    let config = with(shell_task("true"), "image", Value::from(PRIVATE_IMAGE));
    let status = start_error(&plugin, dir.task_config(&config)).await;
    assert!(
        status.message().contains(PRIVATE_IMAGE),
        "{}",
        status.message()
    );
    assert!(status.message().contains("401"), "{}", status.message());
    assert_eq!(recoverable_detail(&status), Some(false));
}

#[tokio::test]
async fn an_existing_registry_login_is_used_and_left_in_place() {
    let standin = Standin::new();
    login_as_ci_bot(&standin);

    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("shared");
    let config = with(shell_task("true"), "image", Value::from(PRIVATE_IMAGE));
    let config = with(config, "auth", auth_block("someone-else", "other"));
    start(&plugin, dir.task_config(&config)).await;

    let logins = standin.cli(&["registry", "list", "--format", "json"]);
    assert!(String::from_utf8_lossy(&logins.stdout).contains("registry.local.test"));
    assert!(!standin
        .calls()
        .iter()
        .any(|argv| argv[..2] == ["registry", "logout"]));
}

#[tokio::test]
async fn unreachable_registry_is_a_retryable_start_error() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("offline");
    let config = with(
        shell_task("true"),
        "image",
        Value::from("registry.nowhere.test/app:1"),
    );
    let status = start_error(&plugin, dir.task_config(&config)).await;
    assert!(
        status.message().contains("registry.nowhere.test/app:1"),
        "{}",
        status.message()
    );
    assert_eq!(
        recoverable_detail(&status),
        Some(true),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn listed_ports_are_published_and_returned_as_a_network_override() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("web");
    let mut task = dir.task_config(&with(
        shell_task("echo ready; while true; do sleep 0.1; done"),
        "ports",
        strings(&["http"]),
    ));
    task.resources.as_mut().unwrap().ports = vec![
        PortMapping {
            label: "http".into(),
            value: 23456,
            to: 8080,
            host_ip: "127.0.0.1".into(),
        },
        PortMapping {
            label: "other".into(),
            value: 23457,
            to: 0,
            host_ip: "127.0.0.1".into(),
        },
    ];

    let response = plugin
        .driver()
        .start_task(StartTaskRequest {
            task: Some(task.clone()),
        })
        .await
        .unwrap()
        .into_inner();
    let network = response
        .network_override
        .expect("a network override with published ports");
    assert_eq!(network.port_map.get("http"), Some(&8080));
    assert!(
        !network.port_map.contains_key("other"),
        "only listed ports are published"
    );
    assert!(
        network.addr.parse::<std::net::Ipv4Addr>().is_ok(),
        "{:?}",
        network.addr
    );

    let published = &inspect(&standin, &container_of(&response.handle.unwrap()))["configuration"]
        ["publishedPorts"];
    let ports: Vec<(u64, u64, String)> = published
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["hostPort"].as_u64().unwrap(),
                p["containerPort"].as_u64().unwrap(),
                p["proto"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        ports,
        [
            (23456, 8080, "tcp".to_string()),
            (23456, 8080, "udp".to_string())
        ]
    );
}

/// InspectTask is never called by Nomad's client, but tools that call it get
/// the container's name and ID, image and digest, address and ports.
#[tokio::test]
async fn inspect_task_describes_the_container_its_image_address_and_ports() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("web");
    let mut task = dir.task_config(&with(
        shell_task("echo ready; exec sleep 300"),
        "ports",
        strings(&["http"]),
    ));
    task.resources.as_mut().unwrap().ports = vec![PortMapping {
        label: "http".into(),
        value: 23466,
        to: 8080,
        host_ip: "127.0.0.1".into(),
    }];
    let handle = start(&plugin, task.clone()).await;
    dir.stdout.wait_for("ready", EXIT_LIMIT).await;
    let name = container_of(&handle);
    let truth = inspect(&standin, &name);

    let response = plugin
        .driver()
        .inspect_task(InspectTaskRequest {
            task_id: task.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let status = response.task.unwrap();
    assert_eq!(
        (status.id.as_str(), status.state),
        (task.id.as_str(), TaskState::Running as i32)
    );
    let attributes = response.driver.unwrap().attributes;
    let address = truth["status"]["networks"][0]["ipv4Address"]
        .as_str()
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    let expected = [
        ("container", name.as_str()),
        ("container_id", truth["id"].as_str().unwrap()),
        ("container_state", "running"),
        (
            "image",
            truth["configuration"]["image"]["reference"]
                .as_str()
                .unwrap(),
        ),
        (
            "image_digest",
            truth["configuration"]["image"]["descriptor"]["digest"]
                .as_str()
                .unwrap(),
        ),
        ("ip_address", address),
        (
            "ports",
            "127.0.0.1:23466->8080/tcp, 127.0.0.1:23466->8080/udp",
        ),
    ];
    for (key, value) in expected {
        assert_eq!(
            attributes.get(key).map(String::as_str),
            Some(value),
            "attribute {key}; all: {attributes:?}"
        );
    }
    assert!(attributes["image_digest"].starts_with("sha256:"));
    let network = response
        .network_override
        .expect("ports give a network override");
    assert_eq!(network.port_map.get("http"), Some(&8080));
    assert_eq!(network.addr, address);
}

#[tokio::test]
async fn relative_volume_is_shared_from_the_task_directory() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("writer");
    let config = with(
        shell_task("echo written > /data/out.txt"),
        "volumes",
        strings(&["data:/data"]),
    );
    let task = dir.task_config(&config);
    let handle = start(&plugin, task.clone()).await;
    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 0);

    let host_dir = dir.alloc.path().join("writer/data");
    let mounts = &inspect(&standin, &container_of(&handle))["configuration"]["mounts"];
    let shared = mounts.as_array().unwrap().iter().any(|mount| {
        mount["source"].as_str() == host_dir.to_str() && mount["destination"] == "/data"
    });
    assert!(shared, "mounts: {mounts}");
    // The stand-in mounts for real only when it runs as root.
    if unsafe { libc::geteuid() } == 0 {
        assert_eq!(
            std::fs::read_to_string(host_dir.join("out.txt")).unwrap(),
            "written\n"
        );
    }
}

#[tokio::test]
async fn host_path_outside_the_task_directory_needs_volumes_enabled() {
    let standin = Standin::new();
    let outside = tempfile::tempdir().unwrap();
    let volume = format!("{}:/host:ro", outside.path().display());
    let config = with(shell_task("true"), "volumes", strings(&[&volume]));

    let refused = configured_plugin(&standin).await;
    let dir = TaskDir::new("strict");
    let status = start_error(&refused, dir.task_config(&config)).await;
    assert!(
        status.message().contains("volumes[0]"),
        "{}",
        status.message()
    );
    assert!(
        status.message().contains("volumes { enabled = true }"),
        "{}",
        status.message()
    );
    assert_eq!(recoverable_detail(&status), Some(false));

    let allowed = Plugin::launch(&standin).await;
    let enabled = Value::Map(vec![(Value::from("enabled"), Value::from(true))]);
    allowed
        .configure(&standin_binary(), &[("volumes", enabled)])
        .await;
    let dir = TaskDir::new("relaxed");
    start(&allowed, dir.task_config(&config)).await;
}

#[tokio::test]
async fn network_none_starts_without_interfaces_and_flags_reach_the_cli() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("isolated");
    let config = with(shell_task("true"), "network_mode", Value::from("none"));
    let config = with(config, "readonly_rootfs", Value::from(true));
    let config = with(config, "cap_drop", strings(&["net_raw"]));
    let config = with(config, "user", Value::from("1000:1000"));
    let handle = start(&plugin, dir.task_config(&config)).await;

    let configuration = &inspect(&standin, &container_of(&handle))["configuration"];
    let networks = configuration["networks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        networks.iter().all(|net| net["network"] == "none"),
        "{networks:?}"
    );
    assert_eq!(configuration["readOnly"], true);
    assert_eq!(configuration["capDrop"], serde_json::json!(["CAP_NET_RAW"]));
}

#[tokio::test]
async fn task_network_mode_shares_the_peer_network_and_exposes_its_address() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("main");
    let sidecar_config = with(
        shell_task("echo $TASK_MAIN_IP"),
        "network_mode",
        Value::from("task:main"),
    );

    // Before its peer runs, the sidecar's start is retryable.
    let early = TaskDir::new("sidecar");
    let mut early_task = early.task_config(&sidecar_config);
    early_task.alloc_id = dir.alloc_id.clone();
    let status = start_error(&plugin, early_task).await;
    assert!(
        status.message().contains("task main"),
        "{}",
        status.message()
    );
    assert_eq!(recoverable_detail(&status), Some(true));

    let main = dir.task_config(&shell_task("echo up; while true; do sleep 0.1; done"));
    start(&plugin, main).await;
    dir.stdout.wait_for("up", EXIT_LIMIT).await;

    let mut sidecar = early.task_config(&sidecar_config);
    sidecar.alloc_id = dir.alloc_id.clone();
    start(&plugin, sidecar.clone()).await;
    wait_exit(&mut plugin.driver(), &sidecar.id, EXIT_LIMIT).await;
    let printed = early.stdout.wait_closed(EXIT_LIMIT).await;
    assert!(
        printed.trim().parse::<std::net::Ipv4Addr>().is_ok(),
        "TASK_MAIN_IP was {printed:?}"
    );
}

#[tokio::test]
async fn ssh_agent_without_a_socket_is_refused_clearly() {
    let standin = Standin::new();
    let plugin = Plugin::launch(&standin).await;
    let missing = Value::from("/nonexistent/agent.sock");
    plugin
        .configure(&standin_binary(), &[("ssh_auth_sock", missing)])
        .await;
    let dir = TaskDir::new("agentless");
    let config = with(shell_task("true"), "ssh_agent", Value::from(true));
    let status = start_error(&plugin, dir.task_config(&config)).await;
    assert!(
        status.message().contains("/nonexistent/agent.sock"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn force_pull_pulls_a_present_image_and_a_present_image_is_otherwise_not_pulled() {
    let standin = Standin::new();
    assert!(standin
        .cli(&["image", "pull", "alpine:3.20"])
        .status
        .success());
    let plugin = configured_plugin(&standin).await;
    let pulls = || {
        standin
            .calls()
            .iter()
            .filter(|argv| argv[..2] == ["image", "pull"])
            .count()
    };

    let before = pulls();
    start(
        &plugin,
        TaskDir::new("cached").task_config(&shell_task("true")),
    )
    .await;
    assert_eq!(pulls(), before, "a present image was pulled again");

    let forced = with(shell_task("true"), "force_pull", Value::from(true));
    start(&plugin, TaskDir::new("forced").task_config(&forced)).await;
    assert_eq!(pulls(), before + 1);
}

#[tokio::test]
async fn an_image_that_reads_as_a_cli_flag_is_refused_before_any_cli_call() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("sneaky");
    let config = with(
        shell_task("true"),
        "image",
        Value::from("--volume=/:/hostroot"),
    );
    let status = start_error(&plugin, dir.task_config(&config)).await;
    assert!(
        status
            .message()
            .starts_with("invalid task config: image = "),
        "{}",
        status.message()
    );
    assert!(!standin
        .calls()
        .iter()
        .any(|argv| argv.join(" ").contains("hostroot")));
}

fn login_as_ci_bot(standin: &Standin) {
    use std::io::Write;
    let mut login = std::process::Command::new(standin_binary())
        .args([
            "registry",
            "login",
            "--password-stdin",
            "--username",
            "ci-bot",
            "registry.local.test",
        ])
        .env("CONTAINER_STANDIN_ROOT", standin.root.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    login
        .stdin
        .take()
        .unwrap()
        .write_all(REGISTRY_PASSWORD.as_bytes())
        .unwrap();
    assert!(login.wait().unwrap().success());
}

#[tokio::test]
async fn the_private_state_directory_cannot_be_mounted_into_the_task() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    for (index, source) in ["private:/p", ".:/task", "local/..:/task"]
        .iter()
        .enumerate()
    {
        let dir = TaskDir::new(&format!("peeker{index}"));
        let config = with(shell_task("true"), "volumes", strings(&[source]));
        let status = start_error(&plugin, dir.task_config(&config)).await;
        assert!(
            status.message().contains("cannot be mounted"),
            "{source}: {}",
            status.message()
        );
    }
}

#[tokio::test]
async fn a_stored_login_the_registry_refuses_gives_way_to_the_tasks_credentials() {
    let standin = Standin::new();
    login_as_ci_bot(&standin);
    // The stored password went stale.
    let keychain_path = standin.root.path().join("keychain.json");
    let mut keychain: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&keychain_path).unwrap()).unwrap();
    for (_, entry) in keychain.as_object_mut().unwrap() {
        entry["password"] = serde_json::Value::from("stale");
    }
    std::fs::write(&keychain_path, keychain.to_string()).unwrap();

    let plugin = configured_plugin(&standin).await;
    let dir = TaskDir::new("fresh-creds");
    let config = with(shell_task("true"), "image", Value::from(PRIVATE_IMAGE));
    let config = with(config, "auth", auth_block("ci-bot", REGISTRY_PASSWORD));
    start(&plugin, dir.task_config(&config)).await;
}

#[tokio::test]
async fn a_login_left_by_a_killed_plugin_serves_no_later_job() {
    let standin = Standin::new();
    standin.set_knobs(r#"{"latency_ms": {"image pull": 3000}}"#);
    let mut first = configured_plugin(&standin).await;
    let dir = TaskDir::new("interrupted");
    let config = with(shell_task("true"), "image", Value::from(PRIVATE_IMAGE));
    let config = with(config, "auth", auth_block("ci-bot", REGISTRY_PASSWORD));
    let task = dir.task_config(&config);
    let channel = first.channel.clone();
    let pending = tokio::spawn(async move {
        let mut driver =
            nomad_driver_container::proto::drivers::driver_client::DriverClient::new(channel);
        driver
            .start_task(StartTaskRequest { task: Some(task) })
            .await
    });
    let logged_in = || {
        standin
            .calls()
            .iter()
            .any(|argv| argv[..2] == ["registry", "login"])
    };
    wait_until(EXIT_LIMIT, "the login", logged_in).await;
    first.kill_hard();
    let _ = pending.await;
    standin.set_knobs("{}");

    // A job with no credentials at all must not pull the private image.
    let second = configured_plugin(&standin).await;
    let thief = TaskDir::new("thief");
    let config = with(
        shell_task("true"),
        "image",
        Value::from("registry.local.test/private/app:latest"),
    );
    let status = start_error(&second, thief.task_config(&config)).await;
    assert!(status.message().contains("401"), "{}", status.message());
}

#[tokio::test]
async fn ssh_agent_forwards_the_configured_socket() {
    let standin = Standin::new();
    let agent_dir = tempfile::tempdir().unwrap();
    let socket = agent_dir.path().join("agent.sock");
    let _agent = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let plugin = Plugin::launch(&standin).await;
    let path = Value::from(socket.to_str().unwrap());
    plugin
        .configure(&standin_binary(), &[("ssh_auth_sock", path)])
        .await;

    let dir = TaskDir::new("agent-user");
    let config = with(shell_task("true"), "ssh_agent", Value::from(true));
    let handle = start(&plugin, dir.task_config(&config)).await;
    let container = driver_state(&handle, "container");
    assert_eq!(
        inspect(&standin, container.as_str().unwrap())["configuration"]["ssh"],
        true
    );
}

#[tokio::test]
async fn disabled_log_collection_is_a_capability_and_leaves_the_fifos_unopened() {
    let standin = Standin::new();
    let plugin = Plugin::launch(&standin).await;
    plugin
        .configure(
            &standin_binary(),
            &[("disable_log_collection", Value::from(true))],
        )
        .await;
    let capabilities = plugin
        .driver()
        .capabilities(CapabilitiesRequest {})
        .await
        .unwrap();
    assert!(
        capabilities
            .into_inner()
            .capabilities
            .unwrap()
            .disable_log_collection
    );

    // Nobody creates or reads the FIFOs then: opening them would hang.
    let dir = TaskDir::new("quiet");
    let mut task = dir.task_config(&shell_task("echo unheard; exit 4"));
    task.stdout_path = dir
        .alloc
        .path()
        .join("alloc/logs/.nobody.stdout.fifo")
        .display()
        .to_string();
    task.stderr_path = dir
        .alloc
        .path()
        .join("alloc/logs/.nobody.stderr.fifo")
        .display()
        .to_string();
    for path in [&task.stdout_path, &task.stderr_path] {
        nix::unistd::mkfifo(
            path.as_str(),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
    }
    start(&plugin, task.clone()).await;
    let exit = wait_exit(&mut plugin.driver(), &task.id, EXIT_LIMIT).await;
    assert_eq!(exit.result.unwrap().exit_code, 4);
}
