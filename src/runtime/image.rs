//! Images and registry credentials through Apple's CLI.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use super::{args, timeouts, CliError, ContainerCli};

#[derive(Debug, Deserialize)]
struct RegistryEntry {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
}

impl ContainerCli {
    /// Whether the image is in the local store.
    pub async fn image_exists(&self, reference: &str) -> Result<bool, CliError> {
        let call = self.call(
            args::words(&["image", "inspect", reference]),
            timeouts::QUICK,
        );
        match call.await {
            Ok(_) => Ok(true),
            Err(error) if error.says("not found") => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Pulls an image, handing each progress line to `progress` as it comes.
    pub async fn image_pull(
        &self,
        reference: &str,
        platform: Option<&str>,
        timeout: Duration,
        mut progress: impl FnMut(&str),
    ) -> Result<(), CliError> {
        let argv = args::image_pull(reference, platform);
        let command = "container image pull".to_string();
        let started = Instant::now();
        let mut child = Command::new(self.path())
            .args(&argv)
            .envs(self.extra_env())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| CliError::spawn(self.path(), source))?;

        let stderr = child.stderr.take().expect("stderr was piped");
        let mut lines = BufReader::new(stderr).lines();
        let mut last_lines: Vec<String> = Vec::new();
        let outcome = tokio::time::timeout(timeout, async {
            while let Ok(Some(line)) = lines.next_line().await {
                progress(line.trim());
                last_lines.push(line);
                if last_lines.len() > 5 {
                    last_lines.remove(0);
                }
            }
            child.wait().await
        })
        .await;

        tracing::debug!(
            argv = super::redacted_argv(&argv),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "container CLI call"
        );
        match outcome {
            Err(_) => Err(CliError::TimedOut {
                command,
                after: timeout,
            }),
            Ok(Err(source)) => Err(CliError::spawn(self.path(), source)),
            Ok(Ok(status)) if status.success() => Ok(()),
            Ok(Ok(status)) => Err(CliError::Failed {
                command,
                exit_code: status.code(),
                stderr: last_lines
                    .iter()
                    .filter(|line| line.starts_with("Error"))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n"),
            }),
        }
    }

    /// Registry hosts that have stored credentials for this user.
    pub async fn registry_hosts(&self) -> Result<Vec<String>, CliError> {
        let call = self.call(
            args::words(&["registry", "list", "--format", "json"]),
            timeouts::QUICK,
        );
        parse_registry_hosts(&call.await?.stdout)
    }

    /// Logs in with the password on stdin, never on the command line.
    pub async fn registry_login(
        &self,
        host: &str,
        username: &str,
        password: &str,
    ) -> Result<(), CliError> {
        let argv = args::words(&[
            "registry",
            "login",
            "--password-stdin",
            "--username",
            username,
            host,
        ]);
        self.call_with_stdin(argv, Some(password.as_bytes()), timeouts::QUICK)
            .await
            .map(drop)
    }

    pub async fn registry_logout(&self, host: &str) -> Result<(), CliError> {
        self.call(args::words(&["registry", "logout", host]), timeouts::QUICK)
            .await
            .map(drop)
    }
}

/// The hosts in `registry list --format json` output.
pub fn parse_registry_hosts(stdout: &[u8]) -> Result<Vec<String>, CliError> {
    let entries: Vec<RegistryEntry> =
        serde_json::from_slice(stdout).map_err(|error| CliError::BadOutput {
            command: "container registry list".into(),
            reason: error.to_string(),
        })?;
    Ok(entries
        .into_iter()
        .flat_map(|entry| [entry.id, entry.name])
        .filter(|host| !host.is_empty())
        .collect())
}

/// The registry host of an image reference: its first component when that
/// looks like a host (has a `.` or `:`, or is `localhost`), else Docker Hub.
pub fn registry_host(reference: &str) -> String {
    let first = reference.split('/').next().unwrap_or_default();
    let has_path = reference.contains('/');
    if has_path && (first.contains('.') || first.contains(':') || first == "localhost") {
        first.to_string()
    } else {
        "docker.io".to_string()
    }
}

/// Apple stores Docker Hub credentials under this host.
pub fn credential_host(host: &str) -> &str {
    match host {
        "docker.io" | "index.docker.io" => "registry-1.docker.io",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_host_is_read_from_the_reference() {
        assert_eq!(registry_host("alpine:3.20"), "docker.io");
        assert_eq!(registry_host("library/alpine"), "docker.io");
        assert_eq!(registry_host("ghcr.io/org/app:1"), "ghcr.io");
        assert_eq!(registry_host("localhost:5000/app"), "localhost:5000");
        assert_eq!(
            registry_host("registry.local.test/private/app@sha256:abc"),
            "registry.local.test"
        );
    }

    #[test]
    fn registry_list_tolerates_new_fields_and_names_itself_when_unreadable() {
        let listed = br#"[{"id":"ghcr.io","name":"ghcr.io","addedIn":{"v":2}},{"id":""}]"#;
        assert_eq!(
            parse_registry_hosts(listed).unwrap(),
            ["ghcr.io", "ghcr.io"]
        );
        let error = parse_registry_hosts(br#"[{"id":"ghc"#)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("container registry list printed output"),
            "{error}"
        );
    }

    #[test]
    fn docker_hub_credentials_live_under_registry_1() {
        assert_eq!(credential_host("docker.io"), "registry-1.docker.io");
        assert_eq!(credential_host("ghcr.io"), "ghcr.io");
    }
}
