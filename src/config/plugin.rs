//! The plugin config block an operator writes in the Nomad client's agent
//! config: `plugin "nomad-driver-container" { config { ... } }`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::schema::{object_spec, SchemaEntry};
use super::task::{auth as task_auth, auth_entries, RegistryAuth};
use super::{parse_duration, ConfigError, ConfigObject};
use crate::proto::hclspec::Spec;

const DEFAULT_IMAGE_PULL_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The operator's settings, with defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginConfig {
    /// Where Apple's `container` CLI is; `None` searches the usual places.
    pub container_path: Option<PathBuf>,
    /// Remove a task's container when Nomad destroys the task.
    pub gc_container: bool,
    /// What to do with containers labelled as ours that no task claims.
    pub dangling: DanglingConfig,
    /// Allow `volumes` in task configs to mount host paths outside the task
    /// directory.
    pub volumes_enabled: bool,
    /// Allow `network_mode` to name a user network that does not exist yet,
    /// creating it.
    pub networks_create: bool,
    /// Credentials used when a task gives none.
    pub auth: Option<RegistryAuth>,
    /// The SSH agent socket `ssh_agent = true` forwards; `None` uses the
    /// plugin's own `SSH_AUTH_SOCK`.
    pub ssh_auth_sock: Option<PathBuf>,
    /// Extra Nomad metadata to copy onto containers as labels (globs).
    pub extra_labels: Vec<String>,
    /// Upper bound for pulling an image when a task starts.
    pub image_pull_timeout: Duration,
    /// Leave log collection to the operator: never open Nomad's log FIFOs.
    pub disable_log_collection: bool,
    /// The opt-in Prometheus endpoint; `None` when off.
    pub metrics: Option<MetricsConfig>,
}

/// The reconciler for dangling containers: containers with our labels
/// whose task Nomad no longer knows (its plugin was down when the
/// allocation was collected, say).
#[derive(Debug, Clone, PartialEq)]
pub struct DanglingConfig {
    /// Remove them; otherwise they are only reported.
    pub enabled: bool,
    /// How often to look, and how long after the plugin starts the first
    /// look is (Nomad recovers its tasks within that time).
    pub period: Duration,
    /// Containers younger than this are left alone: they may be starting.
    pub creation_grace: Duration,
    /// Report what would be removed, remove nothing.
    pub dry_run: bool,
}

impl Default for DanglingConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            period: Duration::from_secs(5 * 60),
            creation_grace: Duration::from_secs(5 * 60),
            dry_run: false,
        }
    }
}

/// Where and how often the Prometheus endpoint serves task usage.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsConfig {
    /// Always a loopback address: the endpoint has no authentication.
    pub address: SocketAddr,
    /// How often the shared sampler refreshes figures for the endpoint.
    pub interval: Duration,
}

const DEFAULT_METRICS_INTERVAL: Duration = Duration::from_secs(10);
/// Apple's one-shot `stats` itself takes about 2 s.
const MIN_METRICS_INTERVAL: Duration = Duration::from_secs(1);

impl Default for PluginConfig {
    fn default() -> Self {
        Self {
            container_path: None,
            gc_container: true,
            dangling: DanglingConfig::default(),
            volumes_enabled: false,
            networks_create: false,
            auth: None,
            ssh_auth_sock: None,
            extra_labels: Vec::new(),
            image_pull_timeout: DEFAULT_IMAGE_PULL_TIMEOUT,
            disable_log_collection: false,
            metrics: None,
        }
    }
}

fn entries() -> Vec<SchemaEntry> {
    vec![
        SchemaEntry::attr(
            "container_path",
            "string",
            "Path of Apple's `container` CLI. Empty searches PATH, then \
             /usr/local/bin/container, then /opt/homebrew/bin/container.",
        )
        .with_default("\"\""),
        SchemaEntry::block(
            "gc",
            vec![
                SchemaEntry::attr(
                    "container",
                    "bool",
                    "Delete a task's container when Nomad destroys the task.",
                )
                .with_default("true"),
                SchemaEntry::block(
                    "dangling_containers",
                    dangling_entries(),
                    "Containers with this driver's labels whose task Nomad no longer knows \
                     (e.g. collected while the plugin was down). Removed when `enabled` and \
                     `gc.container` are true, otherwise reported in the plugin's log. \
                     Containers without this driver's labels are never touched.",
                ),
            ],
            "Garbage collection of what tasks leave behind.",
        )
        .with_default("{ container = true }"),
        SchemaEntry::block(
            "volumes",
            vec![SchemaEntry::attr(
                "enabled",
                "bool",
                "Allow task `volumes` to mount host paths outside the task directory.",
            )
            .with_default("false")],
            "Host path mounts.",
        )
        .with_default("{ enabled = false }"),
        SchemaEntry::block(
            "networks",
            vec![SchemaEntry::attr(
                "create",
                "bool",
                "Create a user network named by a task's `network_mode` when it does not \
                 exist (macOS 26+).",
            )
            .with_default("false")],
            "User networks.",
        )
        .with_default("{ create = false }"),
        SchemaEntry::block(
            "auth",
            plugin_auth_entries(),
            "Registry credentials for images on `server_address` (required here) when a \
             task gives none. The password is sent on stdin only.",
        ),
        SchemaEntry::attr(
            "ssh_auth_sock",
            "string",
            "SSH agent socket forwarded to tasks with `ssh_agent = true`; empty uses the \
             plugin's SSH_AUTH_SOCK.",
        )
        .with_default("\"\""),
        SchemaEntry::attr(
            "extra_labels",
            "list(string)",
            "Nomad metadata copied onto each container as labels; glob patterns over \
             job_name, job_id, task_group_name, task_name, namespace, node_name, node_id.",
        ),
        SchemaEntry::attr(
            "image_pull_timeout",
            "string",
            "How long pulling an image may take, as a duration such as \"90s\" or \"5m\".",
        )
        .with_default("\"5m\""),
        SchemaEntry::attr(
            "disable_log_collection",
            "bool",
            "Do not copy task output to Nomad's log collector.",
        )
        .with_default("false"),
        SchemaEntry::block(
            "metrics",
            vec![
                SchemaEntry::attr(
                    "address",
                    "string",
                    "Loopback address and port to serve Prometheus metrics on, such as \
                     \"127.0.0.1:9101\"; empty turns the endpoint off.",
                )
                .with_default("\"\""),
                SchemaEntry::attr(
                    "interval",
                    "string",
                    "How often task usage is sampled for the endpoint, at least 1s.",
                )
                .with_default("\"10s\""),
            ],
            "Opt-in Prometheus endpoint with CPU, memory, network and block I/O per task, \
             labelled by namespace, job, group, task and allocation.",
        )
        .with_default("{ address = \"\" }"),
    ]
}

/// The schema Nomad decodes the plugin config block against.
pub fn plugin_config_schema() -> Spec {
    object_spec(&entries())
}

/// The documented entries, for generated reference tables.
pub fn plugin_config_entries() -> Vec<SchemaEntry> {
    entries()
}

fn dangling_entries() -> Vec<SchemaEntry> {
    vec![
        SchemaEntry::attr("enabled", "bool", "Remove dangling containers.").with_default("true"),
        SchemaEntry::attr(
            "period",
            "string",
            "How often to look for them; the first look is this long after the plugin starts.",
        )
        .with_default("\"5m\""),
        SchemaEntry::attr(
            "creation_grace",
            "string",
            "Leave containers younger than this alone.",
        )
        .with_default("\"5m\""),
        SchemaEntry::attr("dry_run", "bool", "Only report what would be removed.")
            .with_default("false"),
    ]
}

fn dangling_config(gc: &ConfigObject) -> Result<DanglingConfig, ConfigError> {
    let defaults = DanglingConfig::default();
    let keys = ["enabled", "period", "creation_grace", "dry_run"];
    let Some(block) = gc.block("dangling_containers", &keys)? else {
        return Ok(defaults);
    };
    let duration = |key: &str, default: Duration| -> Result<Duration, ConfigError> {
        match block.string(key)? {
            Some(text) if !text.is_empty() => parse_duration(&text)
                .map_err(|reason| block.invalid(key, format!("{text:?}"), reason)),
            _ => Ok(default),
        }
    };
    let period = duration("period", defaults.period)?;
    if period.is_zero() {
        return Err(block.invalid("period", "\"0\"", "must be longer than zero"));
    }
    Ok(DanglingConfig {
        enabled: block.bool("enabled")?.unwrap_or(defaults.enabled),
        period,
        creation_grace: duration("creation_grace", defaults.creation_grace)?,
        dry_run: block.bool("dry_run")?.unwrap_or(defaults.dry_run),
    })
}

fn plugin_auth_entries() -> Vec<SchemaEntry> {
    let mut entries = auth_entries();
    for entry in &mut entries {
        if entry.key == "server_address" {
            entry.doc = "Registry host these credentials are for (required).";
        }
    }
    entries
}

/// Plugin-level credentials must name their registry: they are offered to
/// that registry only, never to whichever registry an image names.
fn plugin_auth(object: &ConfigObject) -> Result<Option<RegistryAuth>, ConfigError> {
    let auth = task_auth(object)?;
    if auth
        .as_ref()
        .is_some_and(|auth| auth.server_address.is_none())
    {
        return Err(ConfigError::Missing {
            key: "auth.server_address".into(),
        });
    }
    Ok(auth)
}

fn metrics_config(object: &ConfigObject) -> Result<Option<MetricsConfig>, ConfigError> {
    let Some(metrics) = object.block("metrics", &["address", "interval"])? else {
        return Ok(None);
    };
    let address = match metrics.string("address")? {
        Some(text) if !text.is_empty() => loopback_address(&text)
            .map_err(|reason| metrics.invalid("address", format!("{text:?}"), reason))?,
        _ => return Ok(None),
    };
    let interval = match metrics.string("interval")? {
        Some(text) if !text.is_empty() => {
            let interval = parse_duration(&text)
                .map_err(|reason| metrics.invalid("interval", format!("{text:?}"), reason))?;
            if interval < MIN_METRICS_INTERVAL {
                let reason = "must be at least 1s (one stats call takes about 2s)";
                return Err(metrics.invalid("interval", format!("{text:?}"), reason));
            }
            interval
        }
        _ => DEFAULT_METRICS_INTERVAL,
    };
    Ok(Some(MetricsConfig { address, interval }))
}

/// `127.0.0.1:9101`, `[::1]:9101` or `localhost:9101`; anything reachable
/// from another host is refused, as the endpoint has no authentication.
fn loopback_address(text: &str) -> Result<SocketAddr, String> {
    let address = match text.strip_prefix("localhost:") {
        Some(port) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => port
            .parse::<u16>()
            .map(|port| SocketAddr::from(([127, 0, 0, 1], port)))
            .map_err(|_| "the port must be a number from 1 to 65535".to_string())?,
        Some(_) => return Err("the port must be a number from 1 to 65535".to_string()),
        None => text
            .parse::<SocketAddr>()
            .map_err(|_| "must be an address and port, such as \"127.0.0.1:9101\"".to_string())?,
    };
    if address.port() == 0 {
        return Err("needs a fixed port for Prometheus to scrape, not 0".to_string());
    }
    if !address.ip().is_loopback() {
        return Err(format!(
            "must be a loopback address (127.0.0.1 or [::1]): the endpoint has no \
             authentication, so {} would expose task details to the network",
            address.ip()
        ));
    }
    Ok(address)
}

fn extra_label_globs(object: &ConfigObject) -> Result<Vec<String>, ConfigError> {
    let patterns = object.string_list("extra_labels")?.unwrap_or_default();
    for (index, pattern) in patterns.iter().enumerate() {
        if let Err(error) = glob::Pattern::new(pattern) {
            let key = format!("extra_labels[{index}]");
            return Err(object.invalid(
                &key,
                format!("{pattern:?}"),
                format!("not a valid glob: {error}"),
            ));
        }
    }
    Ok(patterns)
}

impl PluginConfig {
    /// Decodes and validates the msgpack value Nomad sends in SetConfig.
    pub fn decode(bytes: &[u8]) -> Result<Self, ConfigError> {
        let keys: Vec<&str> = entries().iter().map(|entry| entry.key).collect();
        let object = ConfigObject::decode(bytes, &keys)?;
        let defaults = Self::default();

        let container_path = object
            .string("container_path")?
            .filter(|path| !path.is_empty())
            .map(PathBuf::from);
        if let Some(path) = &container_path {
            if !path.is_absolute() {
                return Err(object.invalid(
                    "container_path",
                    format!("{:?}", path.display()),
                    "must be an absolute path",
                ));
            }
        }

        let (gc_container, dangling) =
            match object.block("gc", &["container", "dangling_containers"])? {
                Some(gc) => (
                    gc.bool("container")?.unwrap_or(defaults.gc_container),
                    dangling_config(&gc)?,
                ),
                None => (defaults.gc_container, defaults.dangling.clone()),
            };
        let volumes_enabled = match object.block("volumes", &["enabled"])? {
            Some(volumes) => volumes.bool("enabled")?.unwrap_or(defaults.volumes_enabled),
            None => defaults.volumes_enabled,
        };

        let networks_create = match object.block("networks", &["create"])? {
            Some(networks) => networks.bool("create")?.unwrap_or(false),
            None => false,
        };
        let ssh_auth_sock = object
            .string("ssh_auth_sock")?
            .filter(|path| !path.is_empty())
            .map(PathBuf::from);
        if let Some(path) = &ssh_auth_sock {
            if !path.is_absolute() {
                let shown = format!("{:?}", path.display());
                return Err(object.invalid("ssh_auth_sock", shown, "must be an absolute path"));
            }
        }

        let image_pull_timeout = match object.string("image_pull_timeout")? {
            Some(text) if !text.is_empty() => parse_duration(&text).map_err(|reason| {
                object.invalid("image_pull_timeout", format!("{text:?}"), reason)
            })?,
            _ => defaults.image_pull_timeout,
        };
        if image_pull_timeout.is_zero() {
            return Err(object.invalid("image_pull_timeout", "\"0\"", "must be longer than zero"));
        }

        Ok(Self {
            container_path,
            gc_container,
            dangling,
            volumes_enabled,
            networks_create,
            auth: plugin_auth(&object)?,
            ssh_auth_sock,
            extra_labels: extra_label_globs(&object)?,
            image_pull_timeout,
            disable_log_collection: object.bool("disable_log_collection")?.unwrap_or(false),
            metrics: metrics_config(&object)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use rmpv::Value;

    use super::*;
    use crate::config::msgpack::tests::{encode, object};

    fn full(overrides: &[(&str, Value)]) -> Vec<u8> {
        // Nomad sends every declared key; absent ones are nil.
        let mut pairs: Vec<(&str, Value)> = entries()
            .iter()
            .map(|entry| (entry.key, Value::Nil))
            .collect();
        for (key, value) in overrides {
            pairs.retain(|(existing, _)| existing != key);
            pairs.push((key, value.clone()));
        }
        encode(&object(&pairs))
    }

    #[test]
    fn absent_config_gets_the_documented_defaults() {
        assert_eq!(PluginConfig::decode(&[]).unwrap(), PluginConfig::default());
        assert_eq!(
            PluginConfig::decode(&full(&[])).unwrap(),
            PluginConfig::default()
        );
    }

    #[test]
    fn explicit_false_for_gc_really_keeps_containers() {
        let bytes = full(&[("gc", object(&[("container", Value::from(false))]))]);
        assert!(!PluginConfig::decode(&bytes).unwrap().gc_container);
    }

    #[test]
    fn dangling_containers_settings_decode_and_bad_durations_name_the_nested_key() {
        let dangling = object(&[
            ("enabled", Value::from(false)),
            ("period", Value::from("30s")),
            ("creation_grace", Value::from("1m")),
            ("dry_run", Value::from(true)),
        ]);
        let bytes = full(&[(
            "gc",
            object(&[("container", Value::Nil), ("dangling_containers", dangling)]),
        )]);
        let config = PluginConfig::decode(&bytes).unwrap();
        assert!(config.gc_container);
        assert_eq!(
            config.dangling,
            DanglingConfig {
                enabled: false,
                period: Duration::from_secs(30),
                creation_grace: Duration::from_secs(60),
                dry_run: true,
            }
        );

        let bad = object(&[("period", Value::from("soon"))]);
        let bytes = full(&[("gc", object(&[("dangling_containers", bad)]))]);
        let error = PluginConfig::decode(&bytes).unwrap_err().to_string();
        assert!(
            error.starts_with("gc.dangling_containers.period = \"soon\": "),
            "{error}"
        );
    }

    #[test]
    fn bad_pull_timeout_names_key_and_value() {
        let bytes = full(&[("image_pull_timeout", Value::from("5 minutes"))]);
        let error = PluginConfig::decode(&bytes).unwrap_err().to_string();
        assert!(
            error.starts_with("image_pull_timeout = \"5 minutes\": "),
            "{error}"
        );
    }

    #[test]
    fn invalid_extra_labels_glob_is_refused_at_load() {
        let bytes = full(&[("extra_labels", Value::Array(vec![Value::from("job_[")]))]);
        let error = PluginConfig::decode(&bytes).unwrap_err().to_string();
        assert!(error.starts_with("extra_labels[0] = \"job_[\""), "{error}");
    }

    #[test]
    fn plugin_auth_must_name_its_registry() {
        let auth = object(&[
            ("username", Value::from("ops")),
            ("password", Value::from("pw")),
            ("server_address", Value::Nil),
        ]);
        let error = PluginConfig::decode(&full(&[("auth", auth)]))
            .unwrap_err()
            .to_string();
        assert_eq!(error, "auth.server_address is required");
    }

    fn metrics(address: &str, interval: Option<&str>) -> Vec<u8> {
        let interval = interval.map_or(Value::Nil, Value::from);
        full(&[(
            "metrics",
            object(&[("address", Value::from(address)), ("interval", interval)]),
        )])
    }

    #[test]
    fn metrics_endpoint_is_off_unless_an_address_is_given() {
        assert_eq!(PluginConfig::decode(&full(&[])).unwrap().metrics, None);
        assert_eq!(
            PluginConfig::decode(&metrics("", None)).unwrap().metrics,
            None
        );
    }

    #[test]
    fn metrics_endpoint_takes_loopback_addresses_with_a_default_interval() {
        for (text, expected) in [
            ("127.0.0.1:9101", "127.0.0.1:9101"),
            ("localhost:9102", "127.0.0.1:9102"),
            ("[::1]:9103", "[::1]:9103"),
        ] {
            let config = PluginConfig::decode(&metrics(text, None)).unwrap();
            let metrics = config.metrics.expect("metrics on");
            assert_eq!(metrics.address.to_string(), expected);
            assert_eq!(metrics.interval, Duration::from_secs(10));
        }
        let config = PluginConfig::decode(&metrics("127.0.0.1:9101", Some("3s"))).unwrap();
        assert_eq!(config.metrics.unwrap().interval, Duration::from_secs(3));
    }

    #[test]
    fn metrics_endpoint_refuses_addresses_other_hosts_can_reach() {
        for text in ["0.0.0.0:9101", "192.168.1.5:9101", "[::]:9101"] {
            let error = PluginConfig::decode(&metrics(text, None))
                .unwrap_err()
                .to_string();
            assert!(
                error.starts_with(&format!("metrics.address = {text:?}: must be a loopback")),
                "{error}"
            );
        }
        for (text, reason) in [
            ("127.0.0.1:0", "needs a fixed port"),
            ("localhost:+80", "the port must be a number"),
            ("localhost:", "the port must be a number"),
        ] {
            let error = PluginConfig::decode(&metrics(text, None))
                .unwrap_err()
                .to_string();
            assert!(error.contains(reason), "{text}: {error}");
        }
        let error = PluginConfig::decode(&metrics("9101", None))
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("metrics.address = \"9101\": must be an address and port"));
    }

    #[test]
    fn metrics_interval_below_a_second_is_refused_naming_it() {
        let bytes = metrics("127.0.0.1:9101", Some("200ms"));
        let error = PluginConfig::decode(&bytes).unwrap_err().to_string();
        assert!(
            error.starts_with("metrics.interval = \"200ms\": must be at least 1s"),
            "{error}"
        );
    }

    #[test]
    fn relative_container_path_is_refused() {
        let bytes = full(&[("container_path", Value::from("bin/container"))]);
        let error = PluginConfig::decode(&bytes).unwrap_err().to_string();
        assert!(
            error.contains("container_path") && error.contains("absolute"),
            "{error}"
        );
    }
}
