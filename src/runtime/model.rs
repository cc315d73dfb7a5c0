//! The JSON Apple's CLI prints, parsed into one model per shape. Apple's
//! container JSON changed at 1.0 (`status` went from a string to an object
//! holding `state`); both forms parse. Unknown fields are ignored; a missing
//! required field is a clear error naming the command.

use std::collections::HashMap;

use serde::Deserialize;

use super::CliError;

#[derive(Debug, Clone, Deserialize)]
pub struct SystemStatus {
    pub status: String,
    #[serde(rename = "apiServerVersion", default)]
    pub api_server_version: String,
    /// Where the service keeps its data (kernels, images, containers).
    #[serde(rename = "appRoot", default)]
    pub app_root: String,
}

impl SystemStatus {
    pub fn not_running() -> Self {
        Self {
            status: "not running".into(),
            api_server_version: String::new(),
            app_root: String::new(),
        }
    }

    pub fn is_running(&self) -> bool {
        self.status == "running"
    }
}

/// What the driver reads of `inspect` / `list --format json`.
#[derive(Debug, Clone, Deserialize)]
pub struct ManagedContainer {
    pub id: String,
    pub status: ContainerStatusField,
    #[serde(default)]
    pub configuration: Configuration,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Configuration {
    #[serde(default)]
    pub labels: HashMap<String, String>,
    #[serde(default)]
    pub image: Option<ImageRef>,
    #[serde(rename = "publishedPorts", default)]
    pub published_ports: Vec<PublishedPort>,
    /// ISO 8601, when the container was created.
    #[serde(rename = "creationDate", default)]
    pub creation_date: Option<String>,
}

/// The image a container was created from, as resolved at create time.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImageRef {
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub descriptor: Option<ImageDescriptor>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImageDescriptor {
    #[serde(default)]
    pub digest: String,
}

/// One `--publish` as the container holds it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedPort {
    #[serde(default)]
    pub host_address: String,
    pub host_port: u16,
    pub container_port: u16,
    #[serde(default)]
    pub proto: String,
    #[serde(default = "one")]
    pub count: u16,
}

fn one() -> u16 {
    1
}

impl PublishedPort {
    /// `127.0.0.1:18000->8000/tcp`, the way `docker ps` shows a port (with
    /// a range when `count` covers several).
    pub fn describe(&self) -> String {
        let proto = if self.proto.is_empty() {
            "tcp"
        } else {
            &self.proto
        };
        let host = if self.host_address.is_empty() {
            "0.0.0.0"
        } else {
            &self.host_address
        };
        if self.count > 1 {
            let last = |port: u16| port.saturating_add(self.count - 1);
            format!(
                "{host}:{}-{}->{}-{}/{proto}",
                self.host_port,
                last(self.host_port),
                self.container_port,
                last(self.container_port)
            )
        } else {
            format!("{host}:{}->{}/{proto}", self.host_port, self.container_port)
        }
    }
}

/// `status` as printed before 1.0 (a string) and since (an object).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ContainerStatusField {
    Object {
        state: String,
        #[serde(default)]
        networks: Vec<NetworkAttachment>,
        #[serde(rename = "startedDate", default)]
        started_date: Option<String>,
    },
    Legacy(String),
}

#[derive(Debug, Clone, Deserialize)]
pub struct NetworkAttachment {
    #[serde(default)]
    pub network: String,
    #[serde(rename = "ipv4Address", default)]
    pub ipv4_address: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    Running,
    Stopping,
    Stopped,
    Unknown,
}

impl ManagedContainer {
    /// The state exactly as Apple's service printed it.
    pub fn state_name(&self) -> &str {
        match &self.status {
            ContainerStatusField::Object { state, .. } => state,
            ContainerStatusField::Legacy(state) => state,
        }
    }

    pub fn state(&self) -> ContainerState {
        match self.state_name() {
            "running" => ContainerState::Running,
            "stopping" => ContainerState::Stopping,
            "stopped" => ContainerState::Stopped,
            _ => ContainerState::Unknown,
        }
    }

    /// When the container last started; absent if it never has (or after
    /// Apple's service restarted).
    pub fn started_date(&self) -> Option<&str> {
        match &self.status {
            ContainerStatusField::Object { started_date, .. } => started_date.as_deref(),
            ContainerStatusField::Legacy(_) => None,
        }
    }

    /// The network of the first attachment, while running.
    pub fn network_name(&self) -> Option<String> {
        let ContainerStatusField::Object { networks, .. } = &self.status else {
            return None;
        };
        networks
            .first()
            .map(|net| net.network.clone())
            .filter(|name| !name.is_empty())
    }

    /// The first IPv4 address, without its prefix length.
    pub fn ipv4_address(&self) -> Option<String> {
        let ContainerStatusField::Object { networks, .. } = &self.status else {
            return None;
        };
        networks
            .iter()
            .find_map(|net| {
                net.ipv4_address
                    .split('/')
                    .next()
                    .filter(|ip| !ip.is_empty())
            })
            .map(str::to_string)
    }
}

/// One entry of `stats --format json`; every counter is cumulative and may
/// be missing when the guest did not report it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStats {
    pub id: String,
    pub cpu_usage_usec: Option<u64>,
    pub memory_usage_bytes: Option<u64>,
    pub memory_limit_bytes: Option<u64>,
    pub network_rx_bytes: Option<u64>,
    pub network_tx_bytes: Option<u64>,
    pub block_read_bytes: Option<u64>,
    pub block_write_bytes: Option<u64>,
    pub num_processes: Option<u64>,
}

pub fn parse_system_status(stdout: &[u8]) -> Result<SystemStatus, CliError> {
    parse_json("container system status", stdout)
}

pub fn parse_inspect(stdout: &[u8]) -> Result<Vec<ManagedContainer>, CliError> {
    parse_json("container inspect", stdout)
}

pub fn parse_list(stdout: &[u8]) -> Result<Vec<ManagedContainer>, CliError> {
    parse_json("container list", stdout)
}

pub fn parse_stats(stdout: &[u8]) -> Result<Vec<ContainerStats>, CliError> {
    parse_json("container stats", stdout)
}

fn parse_json<T: for<'de> Deserialize<'de>>(command: &str, stdout: &[u8]) -> Result<T, CliError> {
    serde_json::from_slice(stdout).map_err(|error| CliError::BadOutput {
        command: command.into(),
        reason: format!(
            "{error} in {:?}",
            String::from_utf8_lossy(&stdout[..stdout.len().min(200)])
        ),
    })
}

/// "container CLI version 1.2.2 (build: release, commit: 0190097)" → "1.2.2".
pub fn parse_cli_version(text: &str) -> Option<String> {
    let after = text.split("version").nth(1)?.trim_start();
    let version: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
        .collect();
    (!version.is_empty()).then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspect_parses_the_current_shape_with_unknown_fields() {
        let json = br#"[{"configuration":{"labels":{"nomad.alloc_id":"a1"},"newField":1},
            "id":"web-a1","status":{"networks":[{"ipv4Address":"192.168.64.7\/24"}],
            "startedDate":"2026-08-10T09:14:07Z","state":"running"}}]"#;
        let containers = parse_inspect(json).unwrap();
        assert_eq!(containers[0].state(), ContainerState::Running);
        assert_eq!(
            containers[0].ipv4_address().as_deref(),
            Some("192.168.64.7")
        );
        assert_eq!(containers[0].configuration.labels["nomad.alloc_id"], "a1");
    }

    #[test]
    fn inspect_reads_the_image_digest_and_published_ports() {
        let json = br#"[{"id":"web-a1","status":{"state":"running"},"configuration":{
            "image":{"reference":"docker.io/library/nginx:1.27",
                     "descriptor":{"digest":"sha256:9c2f","size":9218}},
            "publishedPorts":[
              {"containerPort":80,"count":1,"hostAddress":"127.0.0.1","hostPort":18000,
               "proto":"tcp"},
              {"containerPort":5000,"count":3,"hostAddress":"0.0.0.0","hostPort":25000,
               "proto":"udp"}]}}]"#;
        let container = parse_inspect(json).unwrap().pop().unwrap();
        let image = container.configuration.image.unwrap();
        assert_eq!(image.reference, "docker.io/library/nginx:1.27");
        assert_eq!(image.descriptor.unwrap().digest, "sha256:9c2f");
        let ports: Vec<String> = container
            .configuration
            .published_ports
            .iter()
            .map(PublishedPort::describe)
            .collect();
        assert_eq!(
            ports,
            [
                "127.0.0.1:18000->80/tcp",
                "0.0.0.0:25000-25002->5000-5002/udp"
            ]
        );
    }

    #[test]
    fn inspect_parses_the_pre_1_0_string_status() {
        let json = br#"[{"configuration":{},"id":"x","status":"stopped","networks":[]}]"#;
        assert_eq!(
            parse_inspect(json).unwrap()[0].state(),
            ContainerState::Stopped
        );
    }

    #[test]
    fn unknown_state_is_reported_as_unknown_not_guessed() {
        let json = br#"[{"id":"x","status":{"state":"paused"}}]"#;
        assert_eq!(
            parse_inspect(json).unwrap()[0].state(),
            ContainerState::Unknown
        );
    }

    #[test]
    fn truncated_json_is_a_clear_error_naming_the_command() {
        let error = parse_inspect(br#"[{"id":"x","sta"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("container inspect"), "{error}");
    }

    #[test]
    fn stats_tolerate_missing_optional_counters() {
        let json = br#"[{"cpuUsageUsec":8123456,"id":"a","memoryUsageBytes":41943040},{"id":"b"}]"#;
        let stats = parse_stats(json).unwrap();
        assert_eq!(stats[0].cpu_usage_usec, Some(8_123_456));
        assert_eq!(stats[1].memory_usage_bytes, None);
    }

    #[test]
    fn cli_version_is_read_from_the_version_line() {
        let line = "container CLI version 1.2.2 (build: release, commit: 0190097)\n";
        assert_eq!(parse_cli_version(line).as_deref(), Some("1.2.2"));
        assert_eq!(parse_cli_version("garbage"), None);
    }
}
