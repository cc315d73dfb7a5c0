//! The `config { ... }` block of a job's task that uses `driver = "container"`.
//! Every key is typed and validated here; how each maps onto Apple's CLI is
//! the driver's business (`driver::options`).

pub mod grammar;

use std::collections::BTreeMap;
use std::time::Duration;

use super::schema::{object_spec, SchemaEntry};
use super::{parse_duration, ConfigError, ConfigObject};
use crate::proto::hclspec::Spec;
pub use grammar::{env_name_problem, env_value_problem, is_env_file_newline};

/// A task's container settings, validated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskConfig {
    pub image: String,
    pub command: Option<String>,
    pub args: Vec<String>,
    pub entrypoint: Vec<String>,
    pub working_dir: Option<String>,
    pub env: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub volumes: Vec<VolumeSpec>,
    pub tmpfs: Vec<String>,
    pub ports: Vec<String>,
    pub network_mode: NetworkMode,
    pub user: Option<String>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub readonly_rootfs: bool,
    pub init: bool,
    pub tty: bool,
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_options: Vec<String>,
    pub rosetta: bool,
    pub platform: Option<String>,
    pub force_pull: bool,
    pub image_pull_timeout: Option<Duration>,
    pub auth: Option<RegistryAuth>,
    pub ssh_agent: bool,
    pub virtualization: bool,
}

/// `host:container[:ro|rw]` from the `volumes` list.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeSpec {
    pub source: String,
    pub target: String,
    pub readonly: bool,
}

/// Which network the container's VM joins.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum NetworkMode {
    /// Apple's built-in `default` network.
    #[default]
    Default,
    /// No network interfaces at all.
    None,
    /// The default network with every port of the group published.
    Host,
    /// The network of another task's container in the same allocation.
    Task(String),
    /// A user-defined network (macOS 26 and newer).
    Named(String),
}

/// Registry credentials. The password is never printed, logged or passed
/// on a command line.
#[derive(Clone, PartialEq, Default)]
pub struct RegistryAuth {
    pub username: String,
    pub password: String,
    pub server_address: Option<String>,
}

impl std::fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryAuth")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("server_address", &self.server_address)
            .finish()
    }
}

pub const AUTH_KEYS: &[&str] = &["username", "password", "server_address"];

pub fn auth_entries() -> Vec<SchemaEntry> {
    vec![
        SchemaEntry::attr("username", "string", "Registry user name."),
        SchemaEntry::attr(
            "password",
            "string",
            "Registry password or token; sent on stdin only.",
        ),
        SchemaEntry::attr(
            "server_address",
            "string",
            "Registry host; defaults to the host in the image reference.",
        ),
    ]
}

fn entries() -> Vec<SchemaEntry> {
    vec![
        SchemaEntry::attr("image", "string", "Image reference, e.g. \"alpine:3.20\".").required(),
        SchemaEntry::attr(
            "command",
            "string",
            "Command to run instead of the image's CMD; `args` follow it.",
        ),
        SchemaEntry::attr("args", "list(string)", "Arguments for the command."),
        SchemaEntry::attr(
            "entrypoint",
            "list(string)",
            "Replaces the image's ENTRYPOINT. As with Apple's CLI, the image's CMD is then \
             not used: give the command explicitly.",
        ),
        SchemaEntry::attr(
            "working_dir",
            "string",
            "Absolute working directory in the container.",
        ),
        SchemaEntry::map_block(
            "env",
            "string",
            "Environment variables, on top of Nomad's task environment. Values travel in a \
             private file, never on a command line.",
        ),
        SchemaEntry::map_block("labels", "string", "Labels set on the container."),
        SchemaEntry::attr(
            "volumes",
            "list(string)",
            "Host paths as \"source:target[:ro|rw]\". Relative sources are inside the task \
             directory; others need the plugin's `volumes { enabled = true }`.",
        ),
        SchemaEntry::attr(
            "tmpfs",
            "list(string)",
            "Container paths to mount as tmpfs.",
        ),
        SchemaEntry::attr(
            "ports",
            "list(string)",
            "Labels of the group network's ports to publish from the host into the container.",
        ),
        SchemaEntry::attr(
            "network_mode",
            "string",
            "\"\" (Apple's default network), \"none\", \"host\" (default network, every group \
             port published), \"task:<name>\" (the network of that task's container), or the \
             name of a user network (macOS 26+).",
        ),
        SchemaEntry::attr(
            "hostname",
            "string",
            "Not supported: Apple's CLI names the guest after its container and has no \
             hostname option; a value is refused with that explanation.",
        ),
        SchemaEntry::attr(
            "user",
            "string",
            "User as name, uid, name:group or uid:gid; wins over the task's `user`.",
        ),
        SchemaEntry::attr(
            "cap_add",
            "list(string)",
            "Linux capabilities to add, or \"ALL\".",
        ),
        SchemaEntry::attr(
            "cap_drop",
            "list(string)",
            "Linux capabilities to drop, or \"ALL\".",
        ),
        SchemaEntry::attr(
            "readonly_rootfs",
            "bool",
            "Mount the image's root file system read-only.",
        )
        .with_default("false"),
        SchemaEntry::attr(
            "init",
            "bool",
            "Run a small init as PID 1 that reaps zombies.",
        )
        .with_default("false"),
        SchemaEntry::attr(
            "tty",
            "bool",
            "Give the process a terminal; stderr is then merged into stdout.",
        )
        .with_default("false"),
        SchemaEntry::attr("dns", "list(string)", "DNS server IP addresses."),
        SchemaEntry::attr("dns_search", "list(string)", "DNS search domains."),
        SchemaEntry::attr("dns_options", "list(string)", "resolv.conf options."),
        SchemaEntry::attr(
            "rosetta",
            "bool",
            "Make Rosetta available in the VM. The image is still chosen for the host's \
             architecture (arm64) unless `platform` says otherwise: set platform = \
             \"linux/amd64\" to run an amd64-only image.",
        )
        .with_default("false"),
        SchemaEntry::attr(
            "platform",
            "string",
            "Image platform as os/arch[/variant], e.g. \"linux/amd64\" (runs under Rosetta).",
        ),
        SchemaEntry::attr(
            "force_pull",
            "bool",
            "Pull the image even when it is present.",
        )
        .with_default("false"),
        SchemaEntry::attr(
            "image_pull_timeout",
            "string",
            "Overrides the plugin's image_pull_timeout for this task.",
        ),
        SchemaEntry::block(
            "auth",
            auth_entries(),
            "Credentials for a private registry.",
        ),
        SchemaEntry::attr(
            "ssh_agent",
            "bool",
            "Forward the SSH agent socket the plugin is configured with into the container.",
        )
        .with_default("false"),
        SchemaEntry::attr(
            "virtualization",
            "bool",
            "Expose nested virtualization to the VM (M3 or newer).",
        )
        .with_default("false"),
    ]
}

/// The schema Nomad decodes a task's config block against.
pub fn task_config_schema() -> Spec {
    object_spec(&entries())
}

/// The documented entries, for generated reference tables.
pub fn task_config_entries() -> Vec<SchemaEntry> {
    entries()
}

impl TaskConfig {
    /// Decodes and validates a task's msgpack driver config.
    pub fn decode(bytes: &[u8]) -> Result<Self, ConfigError> {
        let keys: Vec<&str> = entries().iter().map(|entry| entry.key).collect();
        let object = ConfigObject::decode(bytes, &keys)?;

        let image = object.required_string("image")?;
        if let Some(reason) = grammar::image_reference_problem(&image) {
            return Err(object.invalid("image", format!("{image:?}"), reason));
        }
        if let Some(hostname) = object.string("hostname")?.filter(|name| !name.is_empty()) {
            return Err(object.invalid(
                "hostname",
                format!("{hostname:?}"),
                "Apple's container CLI names the guest after its container and has no \
                 hostname option",
            ));
        }

        let config = Self {
            image,
            command: object
                .string("command")?
                .filter(|command| !command.is_empty()),
            args: list(&object, "args")?,
            entrypoint: entrypoint(&object)?,
            working_dir: absolute_path(&object, "working_dir")?,
            env: env(&object)?,
            labels: labels(&object)?,
            volumes: volumes(&object)?,
            tmpfs: tmpfs(&object)?,
            ports: ports(&object)?,
            network_mode: network_mode(&object)?,
            user: user(&object)?,
            cap_add: capabilities(&object, "cap_add")?,
            cap_drop: capabilities(&object, "cap_drop")?,
            readonly_rootfs: flag(&object, "readonly_rootfs")?,
            init: flag(&object, "init")?,
            tty: flag(&object, "tty")?,
            dns: dns_servers(&object)?,
            dns_search: plain_words(&object, "dns_search")?,
            dns_options: plain_words(&object, "dns_options")?,
            rosetta: flag(&object, "rosetta")?,
            platform: platform(&object)?,
            force_pull: flag(&object, "force_pull")?,
            image_pull_timeout: pull_timeout(&object)?,
            auth: auth(&object)?,
            ssh_agent: flag(&object, "ssh_agent")?,
            virtualization: flag(&object, "virtualization")?,
        };
        if config.network_mode == NetworkMode::None && !config.ports.is_empty() {
            return Err(object.invalid(
                "ports",
                format!("{:?}", config.ports),
                "a task with network_mode = \"none\" has no network to publish ports into",
            ));
        }
        Ok(config)
    }
}

fn list(object: &ConfigObject, key: &str) -> Result<Vec<String>, ConfigError> {
    Ok(object.string_list(key)?.unwrap_or_default())
}

fn flag(object: &ConfigObject, key: &str) -> Result<bool, ConfigError> {
    Ok(object.bool(key)?.unwrap_or(false))
}

/// Values that must read as words, not flags, on the CLI's command line.
fn plain_words(object: &ConfigObject, key: &str) -> Result<Vec<String>, ConfigError> {
    let words = list(object, key)?;
    for (index, word) in words.iter().enumerate() {
        if word.is_empty() || word.starts_with('-') || word.chars().any(char::is_whitespace) {
            let reason = "must be a non-empty word without whitespace, not starting with '-'";
            return Err(object.invalid(&format!("{key}[{index}]"), format!("{word:?}"), reason));
        }
    }
    Ok(words)
}

fn entrypoint(object: &ConfigObject) -> Result<Vec<String>, ConfigError> {
    let entrypoint = list(object, "entrypoint")?;
    if let Some(first) = entrypoint.first() {
        if first.is_empty() || first.starts_with('-') {
            let reason = "the first element must be a program, not empty or starting with '-'";
            return Err(object.invalid("entrypoint[0]", format!("{first:?}"), reason));
        }
    }
    Ok(entrypoint)
}

fn absolute_path(object: &ConfigObject, key: &str) -> Result<Option<String>, ConfigError> {
    let path = object.string(key)?.filter(|dir| !dir.is_empty());
    if let Some(dir) = &path {
        if !dir.starts_with('/') {
            return Err(object.invalid(key, format!("{dir:?}"), "must be absolute"));
        }
    }
    Ok(path)
}

fn env(object: &ConfigObject) -> Result<BTreeMap<String, String>, ConfigError> {
    let env = object.string_map("env")?.unwrap_or_default();
    for (name, value) in &env {
        validate_env_entry(object, name, value)?;
    }
    Ok(env)
}

/// Checks an environment variable against what Apple's `--env-file` grammar
/// can carry. The value is never echoed: it may be a secret.
pub fn validate_env_entry(
    object: &ConfigObject,
    name: &str,
    value: &str,
) -> Result<(), ConfigError> {
    if let Some(reason) = env_name_problem(name) {
        return Err(object.invalid(&format!("env.{name}"), format!("{name:?}"), reason));
    }
    if let Some(reason) = grammar::env_value_problem(value) {
        return Err(object.invalid(&format!("env.{name}"), "(value not shown)", reason));
    }
    Ok(())
}

/// Labels the driver sets on every container it owns.
const RESERVED_LABELS: &[&str] = &["nomad.driver", "nomad.alloc_id", "nomad.task_name"];

fn labels(object: &ConfigObject) -> Result<BTreeMap<String, String>, ConfigError> {
    let labels = object.string_map("labels")?.unwrap_or_default();
    for (key, value) in &labels {
        if key.is_empty()
            || key.starts_with('-')
            || key.contains('=')
            || key.chars().any(char::is_whitespace)
        {
            return Err(object.invalid(
                &format!("labels.{key}"),
                format!("{key:?}"),
                "a label key must be non-empty, not start with '-', and have no '=' or whitespace",
            ));
        }
        if RESERVED_LABELS.contains(&key.as_str()) {
            return Err(object.invalid(
                &format!("labels.{key}"),
                format!("{key:?}"),
                "this label is set by the driver to recognise its own containers",
            ));
        }
        if value.contains('=') {
            return Err(object.invalid(
                &format!("labels.{key}"),
                format!("{value:?}"),
                "Apple's CLI refuses label values containing '='",
            ));
        }
    }
    Ok(labels)
}

fn volumes(object: &ConfigObject) -> Result<Vec<VolumeSpec>, ConfigError> {
    let mut parsed = Vec::new();
    for (index, text) in list(object, "volumes")?.iter().enumerate() {
        let key = format!("volumes[{index}]");
        let parts: Vec<&str> = text.split(':').collect();
        let (source, target, readonly) = match parts.as_slice() {
            [source, target] => (*source, *target, false),
            [source, target, "ro"] => (*source, *target, true),
            [source, target, "rw"] => (*source, *target, false),
            [_, _, option] => {
                let reason = format!("unknown option {option:?}; use ro or rw");
                return Err(object.invalid(&key, format!("{text:?}"), reason));
            }
            _ => {
                let reason = "expected source:target or source:target:ro|rw";
                return Err(object.invalid(&key, format!("{text:?}"), reason));
            }
        };
        if source.is_empty() {
            return Err(object.invalid(&key, format!("{text:?}"), "the source is empty"));
        }
        if let Some(reason) = grammar::container_path_problem(target) {
            return Err(object.invalid(&key, format!("{text:?}"), reason));
        }
        parsed.push(VolumeSpec {
            source: source.into(),
            target: target.into(),
            readonly,
        });
    }
    Ok(parsed)
}

fn tmpfs(object: &ConfigObject) -> Result<Vec<String>, ConfigError> {
    let paths = list(object, "tmpfs")?;
    for (index, path) in paths.iter().enumerate() {
        if let Some(reason) = grammar::container_path_problem(path) {
            return Err(object.invalid(&format!("tmpfs[{index}]"), format!("{path:?}"), reason));
        }
    }
    Ok(paths)
}

fn ports(object: &ConfigObject) -> Result<Vec<String>, ConfigError> {
    let labels = list(object, "ports")?;
    for (index, label) in labels.iter().enumerate() {
        if label.is_empty() {
            return Err(object.invalid(&format!("ports[{index}]"), "\"\"", "empty port label"));
        }
    }
    Ok(labels)
}

fn network_mode(object: &ConfigObject) -> Result<NetworkMode, ConfigError> {
    let Some(mode) = object.string("network_mode")? else {
        return Ok(NetworkMode::Default);
    };
    let invalid = |reason: &str| object.invalid("network_mode", format!("{mode:?}"), reason);
    Ok(match mode.as_str() {
        "" | "default" | "bridge" => NetworkMode::Default,
        "none" => NetworkMode::None,
        "host" => NetworkMode::Host,
        other => match other.strip_prefix("task:") {
            Some("") => return Err(invalid("task: needs the name of a task in this group")),
            Some(task) => NetworkMode::Task(task.to_string()),
            None => match grammar::network_name_problem(other) {
                None => NetworkMode::Named(other.to_string()),
                Some(reason) => return Err(invalid(reason)),
            },
        },
    })
}

fn user(object: &ConfigObject) -> Result<Option<String>, ConfigError> {
    let user = object.string("user")?.filter(|user| !user.is_empty());
    if let Some(text) = &user {
        if let Some(reason) = grammar::user_problem(text) {
            return Err(object.invalid("user", format!("{text:?}"), reason));
        }
    }
    Ok(user)
}

fn capabilities(object: &ConfigObject, key: &str) -> Result<Vec<String>, ConfigError> {
    list(object, key)?
        .iter()
        .enumerate()
        .map(|(index, name)| {
            grammar::normalize_capability(name).ok_or_else(|| {
                object.invalid(
                    &format!("{key}[{index}]"),
                    format!("{name:?}"),
                    "unknown capability",
                )
            })
        })
        .collect()
}

fn dns_servers(object: &ConfigObject) -> Result<Vec<String>, ConfigError> {
    let servers = list(object, "dns")?;
    for (index, server) in servers.iter().enumerate() {
        if server.parse::<std::net::IpAddr>().is_err() {
            let key = format!("dns[{index}]");
            return Err(object.invalid(&key, format!("{server:?}"), "not an IP address"));
        }
    }
    Ok(servers)
}

fn platform(object: &ConfigObject) -> Result<Option<String>, ConfigError> {
    let platform = object.string("platform")?.filter(|text| !text.is_empty());
    if let Some(text) = &platform {
        if let Some(reason) = grammar::platform_problem(text) {
            return Err(object.invalid("platform", format!("{text:?}"), reason));
        }
    }
    Ok(platform)
}

fn pull_timeout(object: &ConfigObject) -> Result<Option<Duration>, ConfigError> {
    let Some(text) = object
        .string("image_pull_timeout")?
        .filter(|text| !text.is_empty())
    else {
        return Ok(None);
    };
    match parse_duration(&text) {
        Ok(duration) if duration.is_zero() => Err(object.invalid(
            "image_pull_timeout",
            format!("{text:?}"),
            "must be longer than zero",
        )),
        Ok(duration) => Ok(Some(duration)),
        Err(reason) => Err(object.invalid("image_pull_timeout", format!("{text:?}"), reason)),
    }
}

/// The `auth` block, shared with the plugin config's. The password is
/// required with a username and is never part of an error message.
pub fn auth(object: &ConfigObject) -> Result<Option<RegistryAuth>, ConfigError> {
    let Some(block) = object.block("auth", AUTH_KEYS)? else {
        return Ok(None);
    };
    let username = block.string("username")?.unwrap_or_default();
    let password = block.string("password")?.unwrap_or_default();
    let server_address = block
        .string("server_address")?
        .filter(|server| !server.is_empty());
    if username.is_empty() && password.is_empty() {
        return Ok(None);
    }
    if username.is_empty() {
        return Err(ConfigError::Missing {
            key: block.path("username"),
        });
    }
    if password.is_empty() {
        return Err(ConfigError::Missing {
            key: block.path("password"),
        });
    }
    Ok(Some(RegistryAuth {
        username,
        password,
        server_address,
    }))
}

#[cfg(test)]
mod tests;
