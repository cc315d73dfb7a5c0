//! The installer commands run as a person runs them: the built binary,
//! no Nomad cookie, temp files for the client config and plugin_dir.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::*;

fn person(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(plugin_binary());
    command
        .args(args)
        .env_remove("NOMAD_PLUGIN_MAGIC_COOKIE")
        .env("HOME", std::env::temp_dir());
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn json_checks(output: &Output) -> Vec<serde_json::Value> {
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("doctor --json printed no JSON ({error}): {output:?}"));
    report["checks"].as_array().unwrap().clone()
}

fn check<'a>(checks: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    checks
        .iter()
        .find(|check| check["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {checks:?}"))
}

#[test]
fn doctor_json_off_macos_says_so_and_exits_non_zero() {
    if cfg!(target_os = "macos") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("absent.hcl");
    let output = person(
        &[
            "doctor",
            "--json",
            "--client-config",
            absent.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let checks = json_checks(&output);
    let macos = check(&checks, "macos_version");
    assert_eq!(macos["status"], "fail");
    assert!(macos["found"].as_str().unwrap().contains("not macOS"));
    assert!(macos["fix"].is_string());
}

#[test]
fn doctor_deep_takes_a_container_through_every_cli_call_the_driver_makes() {
    let standin = Standin::new();
    let root = standin.root.path().to_path_buf();
    let output = person(
        &[
            "doctor",
            "--json",
            "--deep",
            "--container-path",
            standin_binary().to_str().unwrap(),
        ],
        &[("CONTAINER_STANDIN_ROOT", &root)],
    );
    let checks = json_checks(&output);
    let deep: Vec<&serde_json::Value> = checks
        .iter()
        .filter(|check| check["id"].as_str().unwrap().starts_with("deep_"))
        .collect();
    let ids: Vec<&str> = deep
        .iter()
        .map(|check| check["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "deep_pull",
            "deep_create",
            "deep_start",
            "deep_logs",
            "deep_stats",
            "deep_exec",
            "deep_kill",
            "deep_stop",
            "deep_delete"
        ]
    );
    for step in deep {
        assert_eq!(step["status"], "ok", "{step}");
    }
    assert_eq!(check(&checks, "container_service")["status"], "ok");
    let left = standin.cli(&["list", "--all", "--quiet"]);
    assert_eq!(
        stdout_of(&left).trim(),
        "",
        "the deep run left a container behind"
    );
}

#[test]
fn setup_installs_idempotently_and_uninstall_takes_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let plugin_dir = dir.path().join("plugins");
    let config = dir.path().join("client.hcl");
    let original = format!(
        "# my client\ndata_dir   = \"{0}/data\"\nplugin_dir = \"{1}\"\n\n\
         client {{\n  enabled = true\n}}\n",
        dir.path().display(),
        plugin_dir.display()
    );
    std::fs::write(&config, &original).unwrap();
    let config_arg = config.to_str().unwrap();
    let setup = [
        "setup",
        "--non-interactive",
        "--client-config",
        config_arg,
        "--container-path",
        "/usr/local/bin/container",
        "--extra-labels",
        "job_name,task_name",
        "--launch-agent",
        "false",
    ];

    let first = person(&setup, &[]);
    assert!(first.status.success(), "{first:?}");
    let installed = plugin_dir.join("nomad-driver-container");
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        std::fs::read(plugin_binary()).unwrap()
    );
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(written.starts_with(&original), "{written}");
    assert!(written.contains("extra_labels = [\"job_name\", \"task_name\"]"));

    let second = person(&setup, &[]);
    assert!(second.status.success(), "{second:?}");
    assert!(
        stdout_of(&second).contains("Nothing changed"),
        "{}",
        stdout_of(&second)
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), written);

    let doctor = person(&["doctor", "--json", "--client-config", config_arg], &[]);
    let checks = json_checks(&doctor);
    assert_eq!(check(&checks, "client_config")["status"], "ok");
    assert_eq!(
        check(&checks, "plugin_binary")["status"],
        "ok",
        "{checks:?}"
    );

    let uninstall = person(
        &[
            "uninstall",
            "--client-config",
            config_arg,
            "--remove-plugin-block",
        ],
        &[],
    );
    assert!(uninstall.status.success(), "{uninstall:?}");
    assert!(!installed.exists());
    assert_eq!(std::fs::read_to_string(&config).unwrap(), original);
}

#[test]
fn version_shows_the_commit_and_the_plugin_api() {
    let output = person(&["version"], &[]);
    let text = stdout_of(&output);
    assert!(text.starts_with(&format!(
        "nomad-driver-container {}",
        env!("CARGO_PKG_VERSION")
    )));
    let commit = text
        .lines()
        .find_map(|line| line.strip_prefix("git commit: "))
        .expect("a git commit line");
    assert!(!commit.is_empty());
    assert!(text.contains("nomad plugin API: v0.1.0"), "{text}");
}

#[test]
fn completions_and_the_man_page_come_from_the_clap_definition() {
    let zsh = stdout_of(&person(&["completions", "zsh"], &[]));
    assert!(zsh.contains("#compdef nomad-driver-container"), "{zsh}");
    assert!(zsh.contains("self-update"));

    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("nomad-driver-container.1");
    let output = person(&["man", "--output", page.to_str().unwrap()], &[]);
    assert!(output.status.success(), "{output:?}");
    let roff = std::fs::read_to_string(page).unwrap();
    assert!(roff.contains(".TH nomad-driver-container"), "{roff}");
}
