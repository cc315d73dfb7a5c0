//! Images and registry credentials against the fixture registry.

use crate::support::Sandbox;
use std::io::Write;
use std::process::Stdio;

const PRIVATE: &str = "registry.local.test/private/app:1";

pub fn login(sandbox: &Sandbox, user: &str, password: &str) -> crate::support::Outcome {
    let mut child = sandbox
        .command(&[
            "registry",
            "login",
            "--password-stdin",
            "-u",
            user,
            "registry.local.test",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    crate::support::finish(child, crate::support::TIMEOUT)
}

#[test]
fn private_pull_fails_with_401_until_login() {
    let sandbox = Sandbox::new();
    let denied = sandbox.run(&["image", "pull", PRIVATE]);
    assert_eq!(denied.code, 1);
    assert_eq!(
        denied.stderr,
        "Error: HTTP request to https://registry.local.test/v2/private/app/manifests/1 failed with \
         response: 401 Unauthorized. Reason: Unknown, no credentials found for host \
         registry.local.test\n"
    );

    let logged_in = login(&sandbox, "ci-bot", "s3cret-pw");
    assert_eq!(
        (logged_in.code, logged_in.stderr.as_str()),
        (0, "Login succeeded\n")
    );
    let pulled = sandbox.run(&["image", "pull", "--progress", "none", PRIVATE]);
    assert_eq!(
        (pulled.code, pulled.stdout.as_str(), pulled.stderr.as_str()),
        (0, "", "")
    );
    sandbox.ok(&["run", "-d", "--name", "app", PRIVATE]);
    sandbox.wait_for_log("app", "private app 1: serving");
}

#[test]
fn login_rejects_wrong_passwords_and_requires_username_with_stdin() {
    let sandbox = Sandbox::new();
    let wrong = login(&sandbox, "ci-bot", "nope");
    assert_eq!(wrong.code, 1);
    assert!(wrong.stderr.contains("401 Unauthorized"));
    let no_user = sandbox.run(&[
        "registry",
        "login",
        "--password-stdin",
        "registry.local.test",
    ]);
    assert_eq!(
        no_user.stderr,
        "Error: must provide --username with --password-stdin\n"
    );
}

#[test]
fn logout_is_idempotent_and_forgets_the_credentials() {
    let sandbox = Sandbox::new();
    assert_eq!(login(&sandbox, "ci-bot", "s3cret-pw").code, 0);
    assert_eq!(
        sandbox.ok(&["registry", "logout", "registry.local.test"]),
        ""
    );
    assert_eq!(
        sandbox.ok(&["registry", "logout", "registry.local.test"]),
        ""
    );
    assert_eq!(sandbox.run(&["image", "pull", PRIVATE]).code, 1);
}

#[test]
fn unknown_repositories_and_hosts_fail_like_real_registries() {
    let sandbox = Sandbox::new();
    let hub = sandbox.run(&["image", "pull", "no-such-repo"]);
    assert!(hub.stderr.contains(
        "401 Unauthorized. Reason: Unknown, no credentials found for host registry-1.docker.io"
    ));
    let host = sandbox.run(&["image", "pull", "ghcr.example/a/b:1"]);
    assert_eq!(
        host.stderr,
        "Error: failed to resolve either repository hostname ghcr.example\n"
    );
}

#[test]
fn image_inspect_and_list_use_normalised_references() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["image", "pull", "--progress", "none", "alpine:3.20"]);
    let inspected: serde_json::Value =
        serde_json::from_str(&sandbox.ok(&["image", "inspect", "alpine:3.20"])).unwrap();
    assert_eq!(
        inspected[0]["configuration"]["name"],
        "docker.io/library/alpine:3.20"
    );
    assert_eq!(sandbox.ok(&["image", "ls", "-q"]), "alpine:3.20\n");
    assert_eq!(
        sandbox.run(&["image", "inspect", "nginx"]).stderr,
        "Error: image not found: nginx\n"
    );
}

#[test]
fn registry_files_add_images_that_run_their_config() {
    let sandbox = Sandbox::new();
    let image = r#"{"reference": "example.test/team/tool:2",
                    "config": {"Cmd": ["sh", "-c", "echo $GREETING from tool"],
                               "Env": ["PATH=/usr/bin:/bin", "GREETING=hello"]}}"#;
    std::fs::create_dir_all(sandbox.path("registry")).unwrap();
    std::fs::write(sandbox.path("registry/tool.json"), image).unwrap();
    let out = sandbox.ok(&[
        "run",
        "--rm",
        "--progress",
        "none",
        "example.test/team/tool:2",
    ]);
    assert_eq!(out, "hello from tool\n");
}
