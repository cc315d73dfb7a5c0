//! A task's validated config plus what Nomad allocated, turned into one
//! `container create`: mounts, published ports, network, user, and the
//! flags that map one to one.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use super::names::{extra_labels, ownership_labels, TaskMetadata};
use super::resources::VmSize;
use super::DriverError;
use crate::config::task::{NetworkMode, VolumeSpec};
use crate::config::{PluginConfig, TaskConfig};
use crate::proto::drivers::{PortMapping, TaskConfig as NomadTask};
use crate::runtime::{CreateOptions, Mount};

/// Apple's CLI takes at most 64 `--publish` specs; each port needs two.
const MAX_PUBLISHED_PORTS: usize = 32;

/// Where the container's network comes from, before it is resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Publishing {
    pub specs: Vec<String>,
    /// Label → port inside the container, for Nomad's NetworkOverride.
    pub port_map: HashMap<String, i32>,
}

pub struct OptionsInput<'a> {
    pub task: &'a NomadTask,
    pub config: &'a TaskConfig,
    pub plugin: &'a PluginConfig,
    pub name: &'a str,
    pub size: &'a VmSize,
    /// The network resolved from `network_mode` (`None` = Apple's default).
    pub network: Option<String>,
}

pub fn create_options(
    input: &OptionsInput<'_>,
) -> Result<(CreateOptions, Publishing), DriverError> {
    let OptionsInput {
        task,
        config,
        plugin,
        ..
    } = input;
    let bad = DriverError::BadRequest;

    let mut labels = ownership_labels(&task.alloc_id, &task.name, &task.node_id);
    let metadata = TaskMetadata {
        job_name: &task.job_name,
        job_id: &task.job_id,
        task_group_name: &task.task_group_name,
        task_name: &task.name,
        namespace: &task.namespace,
        node_name: &task.node_name,
        node_id: &task.node_id,
    };
    labels.extend(extra_labels(&plugin.extra_labels, &metadata).map_err(bad)?);
    labels.extend(
        config
            .labels
            .iter()
            .map(|(key, value)| (key.clone(), value.clone())),
    );

    let mut mounts = nomad_mounts(task);
    let task_dir = Path::new(&task.alloc_dir).join(&task.name);
    for (index, volume) in config.volumes.iter().enumerate() {
        let mount =
            resolve_volume(volume, &task_dir, plugin.volumes_enabled).map_err(|reason| {
                bad(format!(
                    "volumes[{index}] = {:?}: {reason}",
                    volume_text(volume)
                ))
            })?;
        mounts.push(mount);
    }

    let publishing = publishing(config, task).map_err(bad)?;
    let (entrypoint, command) = compose_command(config);
    let user = config
        .user
        .clone()
        .or_else(|| Some(task.user.clone()).filter(|u| !u.is_empty()));
    let network = match config.network_mode {
        NetworkMode::None => Some("none".to_string()),
        _ => input.network.clone(),
    };

    let options = CreateOptions {
        name: input.name.to_string(),
        image: config.image.clone(),
        env_file: None,
        labels,
        working_dir: config.working_dir.clone(),
        entrypoint,
        command,
        memory_mib: input.size.memory_mib,
        cpus: input.size.cpus,
        user,
        mounts,
        tmpfs: config.tmpfs.clone(),
        publish: publishing.specs.clone(),
        network,
        cap_add: config.cap_add.clone(),
        cap_drop: config.cap_drop.clone(),
        read_only: config.readonly_rootfs,
        init: config.init,
        tty: config.tty,
        dns: config.dns.clone(),
        dns_search: config.dns_search.clone(),
        dns_options: config.dns_options.clone(),
        rosetta: config.rosetta,
        platform: config.platform.clone(),
        ssh: config.ssh_agent,
        virtualization: config.virtualization,
    };
    Ok((options, publishing))
}

fn volume_text(volume: &VolumeSpec) -> String {
    let mode = if volume.readonly { ":ro" } else { "" };
    format!("{}:{}{mode}", volume.source, volume.target)
}

/// Apple's CLI takes one `--entrypoint` word; the rest of a Docker-style
/// entrypoint list and then `command` and `args` become the arguments.
pub fn compose_command(config: &TaskConfig) -> (Option<String>, Vec<String>) {
    let mut words = Vec::new();
    let entrypoint = config.entrypoint.first().cloned();
    words.extend(config.entrypoint.iter().skip(1).cloned());
    words.extend(config.command.iter().cloned());
    words.extend(config.args.iter().cloned());
    (entrypoint, words)
}

/// Nomad's alloc/, local/ and secrets/ at /alloc, /local and /secrets, then
/// the volume mounts Nomad lists for the task (`volume_mount`).
fn nomad_mounts(task: &NomadTask) -> Vec<Mount> {
    let alloc_dir = Path::new(&task.alloc_dir);
    let task_dir = alloc_dir.join(&task.name);
    let mut mounts = vec![
        Mount {
            host_path: alloc_dir.join("alloc"),
            container_path: "/alloc".into(),
            readonly: false,
        },
        Mount {
            host_path: task_dir.join("local"),
            container_path: "/local".into(),
            readonly: false,
        },
        Mount {
            host_path: task_dir.join("secrets"),
            container_path: "/secrets".into(),
            readonly: false,
        },
    ];
    mounts.retain(|mount| mount.host_path.is_dir());
    mounts.extend(task.mounts.iter().map(|mount| Mount {
        host_path: PathBuf::from(&mount.host_path),
        container_path: mount.task_path.clone(),
        readonly: mount.readonly,
    }));
    mounts
}

/// A `volumes` entry as a host mount. Relative sources live inside the task
/// directory and are created if missing; `..` can never climb out of it, not
/// even through a symlink. Absolute sources outside the task directory need
/// the operator's `volumes { enabled = true }` and must exist.
pub fn resolve_volume(
    volume: &VolumeSpec,
    task_dir: &Path,
    volumes_enabled: bool,
) -> Result<Mount, String> {
    let relative = !volume.source.starts_with('/');
    let joined = if relative {
        task_dir.join(&volume.source)
    } else {
        PathBuf::from(&volume.source)
    };
    let lexical = normalize(&joined).ok_or("the path climbs above the file system root")?;
    let inside_task_dir = lexical.starts_with(task_dir);

    if relative && !inside_task_dir {
        return Err("a relative source may not leave the task directory".into());
    }
    if !inside_task_dir && !volumes_enabled {
        return Err(
            "host paths outside the task directory need `volumes { enabled = true }` \
                    in the plugin config"
                .into(),
        );
    }
    if lexical.to_string_lossy().contains([':', ',']) {
        return Err("Apple's CLI cannot mount a host path containing ':' or ','".into());
    }

    if inside_task_dir {
        // The driver's own state (env files, the supervisor's records) lives
        // in private/: a task may never see it, nor the task dir around it.
        let private = task_dir.join("private");
        if private.starts_with(&lexical) || lexical.starts_with(&private) {
            return Err(
                "the task directory itself and its private/ directory cannot be mounted".into(),
            );
        }
        // Check where the path really leads before creating anything: a
        // symlink inside the task directory must not lead out of it.
        let existing = deepest_existing(&lexical);
        let real = existing.canonicalize().map_err(|error| error.to_string())?;
        let real_task_dir = task_dir.canonicalize().map_err(|error| error.to_string())?;
        let real_private = real_task_dir.join("private");
        if !real.starts_with(&real_task_dir) || real.starts_with(&real_private) {
            return Err(format!(
                "it resolves to {} outside the task directory",
                real.display()
            ));
        }
        if !lexical.exists() {
            std::fs::create_dir_all(&lexical)
                .map_err(|error| format!("cannot create {}: {error}", lexical.display()))?;
        }
        let real = lexical.canonicalize().map_err(|error| error.to_string())?;
        if !real.starts_with(&real_task_dir)
            || real.starts_with(&real_private)
            || real == real_task_dir
        {
            return Err(format!(
                "it resolves to {} outside the task directory",
                real.display()
            ));
        }
    }
    if !lexical.exists() {
        return Err(format!("{} does not exist on the host", lexical.display()));
    }
    Ok(Mount {
        host_path: lexical,
        container_path: volume.target.clone(),
        readonly: volume.readonly,
    })
}

/// The path itself if it exists, else its deepest existing ancestor.
fn deepest_existing(path: &Path) -> &Path {
    let mut current = path;
    while !current.exists() {
        match current.parent() {
            Some(parent) => current = parent,
            None => break,
        }
    }
    current
}

/// Resolves `.` and `..` without touching the file system.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut result = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                if !result.pop() || result.as_os_str().is_empty() {
                    return None;
                }
            }
            Component::CurDir => {}
            other => result.push(other),
        }
    }
    Some(result)
}

/// The ports to publish: the labels in `ports`, or with `network_mode =
/// "host"` every port of the group. Each is published for TCP and UDP from
/// `host_ip:value` to `to` (the host port when `to` is unset).
pub fn publishing(config: &TaskConfig, task: &NomadTask) -> Result<Publishing, String> {
    let allocated: &[PortMapping] = task
        .resources
        .as_ref()
        .map(|r| r.ports.as_slice())
        .unwrap_or_default();
    let mut wanted: Vec<&PortMapping> = Vec::new();
    for label in &config.ports {
        let mapping = allocated
            .iter()
            .find(|port| &port.label == label)
            .ok_or_else(|| {
                let known: Vec<&str> = allocated.iter().map(|port| port.label.as_str()).collect();
                format!(
                    "ports: {label:?} is not a port of the group network (its ports: {known:?})"
                )
            })?;
        wanted.push(mapping);
    }
    if config.network_mode == NetworkMode::Host {
        for port in allocated {
            if !wanted.iter().any(|chosen| chosen.label == port.label) {
                wanted.push(port);
            }
        }
    }
    if wanted.len() > MAX_PUBLISHED_PORTS {
        return Err(format!(
            "ports: {} ports asked for; Apple's CLI publishes at most {MAX_PUBLISHED_PORTS}",
            wanted.len()
        ));
    }

    let mut specs = Vec::new();
    let mut port_map = HashMap::new();
    for port in wanted {
        let inside = if port.to > 0 { port.to } else { port.value };
        if port.value <= 1 || inside <= 1 || port.value > 65535 || inside > 65535 {
            return Err(format!(
                "ports: {:?} maps {} to {}; Apple's CLI publishes ports 2 to 65535 only",
                port.label, port.value, inside
            ));
        }
        let address = match port.host_ip.as_str() {
            "" => String::new(),
            ip if ip.contains(':') => format!("[{ip}]:"),
            ip => format!("{ip}:"),
        };
        for protocol in ["tcp", "udp"] {
            specs.push(format!("{address}{}:{inside}/{protocol}", port.value));
        }
        port_map.insert(port.label.clone(), inside);
    }
    Ok(Publishing { specs, port_map })
}

#[cfg(test)]
mod tests;
