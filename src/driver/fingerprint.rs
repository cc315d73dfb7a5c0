//! Fingerprint: whether this node can run container tasks.
//!
//! UNDETECTED when Apple's CLI is missing, UNHEALTHY (with the fix) when its
//! system service is not running, HEALTHY otherwise. Each check costs one
//! CLI call (`system status`); the CLI's version is read once per binary.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use super::Driver;
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

        let mut attributes = HashMap::new();
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

fn string_attribute(value: String) -> Attribute {
    Attribute {
        value: Some(attribute::Value::StringVal(value)),
        unit: String::new(),
    }
}
