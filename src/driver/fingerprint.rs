//! Fingerprint: whether this node can run container tasks.
//!
//! UNDETECTED when Apple's CLI is missing, UNHEALTHY (with the fix) when its
//! system service is not running, HEALTHY otherwise. Each check costs one
//! CLI call (`system status`); the CLI's version is read once per binary,
//! and the host's facts come from files and the kernel, not processes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use super::Driver;
use crate::platform::Host;
use crate::proto::drivers::{fingerprint_response::HealthState, FingerprintResponse};
use crate::proto::structs::{attribute, Attribute};
use crate::runtime::{locate_cli, ContainerCli};

/// How often the stream re-checks and re-sends, like Nomad's own drivers.
pub const FINGERPRINT_PERIOD: Duration = Duration::from_secs(30);

/// The CLI version, keyed by the binary it came from.
#[derive(Default)]
pub struct VersionCache(Mutex<Option<(PathBuf, String)>>);

impl Driver {
    pub(super) async fn fingerprint_once(&self) -> FingerprintResponse {
        let config = self.plugin_config();
        let Some(path) = locate_cli(config.container_path.as_deref()) else {
            return health(
                HealthState::Undetected,
                super::cli_missing_message(&config),
                HashMap::new(),
            );
        };
        let cli = ContainerCli::new(path.clone());

        let status = match cli.system_status().await {
            Ok(status) => status,
            Err(error) => {
                return health(
                    HealthState::Unhealthy,
                    format!("cannot ask the container system service for its status: {error}"),
                    HashMap::new(),
                )
            }
        };
        if !status.is_running() {
            return health(
                HealthState::Unhealthy,
                format!(
                    "the container system service is {}: run `container system start` as the \
                     user Nomad runs as",
                    status.status
                ),
                HashMap::new(),
            );
        }

        let mut attributes = host_attributes(self.inner.host.as_ref());
        if !status.api_server_version.is_empty() {
            attributes.insert(
                "driver.container.api_server_version".to_string(),
                string_attribute(status.api_server_version.clone()),
            );
        }
        if let Some(version) = self.cli_version(&cli, &path).await {
            attributes.insert(
                "driver.container.version".to_string(),
                string_attribute(version),
            );
        }
        health(HealthState::Healthy, "Healthy".into(), attributes)
    }

    async fn cli_version(&self, cli: &ContainerCli, path: &PathBuf) -> Option<String> {
        let cache = &self.inner.fingerprints.0;
        if let Some((cached_path, version)) = super::lock(cache).as_ref() {
            if cached_path == path {
                return Some(version.clone());
            }
        }
        match cli.version().await {
            Ok(version) => {
                *super::lock(cache) = Some((path.clone(), version.clone()));
                Some(version)
            }
            Err(error) => {
                tracing::warn!(error = %error, "cannot read the container CLI's version");
                None
            }
        }
    }
}

/// What the host offers containers. Read from files and the kernel, never
/// from a process, so a fingerprint still costs one CLI call.
fn host_attributes(host: &dyn Host) -> HashMap<String, Attribute> {
    let mut attributes = HashMap::from([
        ("driver.container".to_string(), bool_attribute(true)),
        (
            "driver.container.os".to_string(),
            string_attribute(host.os_name()),
        ),
        (
            "driver.container.rosetta".to_string(),
            bool_attribute(host.rosetta_installed()),
        ),
    ]);
    if let Some(version) = host.os_version() {
        attributes.insert(
            "driver.container.os_version".into(),
            string_attribute(version),
        );
    }
    if let Some(machine) = host.machine() {
        attributes.insert("driver.container.arch".into(), string_attribute(machine));
    }
    attributes
}

fn health(
    state: HealthState,
    description: String,
    attributes: HashMap<String, Attribute>,
) -> FingerprintResponse {
    FingerprintResponse {
        attributes,
        health: state as i32,
        health_description: description,
        err: String::new(),
    }
}

fn bool_attribute(value: bool) -> Attribute {
    Attribute {
        value: Some(attribute::Value::BoolVal(value)),
        unit: String::new(),
    }
}

fn string_attribute(value: String) -> Attribute {
    Attribute {
        value: Some(attribute::Value::StringVal(value)),
        unit: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct FakeHost {
        os: &'static str,
        version: Option<&'static str>,
        machine: Option<&'static str>,
        rosetta: bool,
    }

    impl Host for FakeHost {
        fn os_name(&self) -> String {
            self.os.into()
        }
        fn os_version(&self) -> Option<String> {
            self.version.map(String::from)
        }
        fn machine(&self) -> Option<String> {
            self.machine.map(String::from)
        }
        fn rosetta_installed(&self) -> bool {
            self.rosetta
        }
    }

    fn value(attributes: &HashMap<String, Attribute>, key: &str) -> Option<attribute::Value> {
        attributes
            .get(key)
            .and_then(|attribute| attribute.value.clone())
    }

    #[test]
    fn a_mac_with_rosetta_reports_its_version_chip_and_rosetta() {
        let mac = FakeHost {
            os: "macOS",
            version: Some("26.1"),
            machine: Some("arm64"),
            rosetta: true,
        };
        let attributes = host_attributes(&mac);
        assert_eq!(
            value(&attributes, "driver.container"),
            Some(attribute::Value::BoolVal(true))
        );
        assert_eq!(
            value(&attributes, "driver.container.os_version"),
            Some(attribute::Value::StringVal("26.1".into()))
        );
        assert_eq!(
            value(&attributes, "driver.container.arch"),
            Some(attribute::Value::StringVal("arm64".into()))
        );
        assert_eq!(
            value(&attributes, "driver.container.rosetta"),
            Some(attribute::Value::BoolVal(true))
        );
    }

    #[test]
    fn facts_the_host_cannot_tell_are_left_out_not_invented() {
        let unknown = FakeHost {
            os: "macOS",
            version: None,
            machine: None,
            rosetta: false,
        };
        let attributes = host_attributes(&unknown);
        assert!(!attributes.contains_key("driver.container.os_version"));
        assert!(!attributes.contains_key("driver.container.arch"));
        assert_eq!(
            value(&attributes, "driver.container.rosetta"),
            Some(attribute::Value::BoolVal(false))
        );
    }
}
