//! Turning a stored container configuration (plus an exec request) into
//! what the runtime helper actually does: process specs and mounts.

use super::exec_server::ExecRequest;
use super::namespace::PlannedMount;
use super::process::ProcessSpec;
use super::user;
use crate::grammar::envfile;
use crate::model::container::{ContainerConfiguration, MountKind};
use crate::store::Store;
use std::path::PathBuf;

/// Where `--ssh` puts the agent socket inside the container.
pub const SSH_GUEST_SOCKET: &str = "/var/host-services/ssh-auth.sock";

/// Every virtiofs source must still exist when the container starts.
pub fn check_mount_sources(config: &ContainerConfiguration) -> Result<(), String> {
    for mount in &config.mounts {
        let shared = matches!(mount.kind, MountKind::Virtiofs {});
        if shared && !std::path::Path::new(&mount.source).exists() {
            return Err(format!(
                "mount source path '{}' does not exist",
                mount.source
            ));
        }
    }
    Ok(())
}

pub fn planned_mounts(
    store: &Store,
    config: &ContainerConfiguration,
    ssh_socket: Option<&str>,
) -> Vec<PlannedMount> {
    let mut planned: Vec<PlannedMount> = config
        .mounts
        .iter()
        .map(|mount| {
            let destination = PathBuf::from(&mount.destination);
            let read_only = mount.is_read_only();
            match &mount.kind {
                MountKind::Virtiofs {} => PlannedMount::Bind {
                    source: PathBuf::from(&mount.source),
                    destination,
                    read_only,
                },
                MountKind::Volume { name, .. } => PlannedMount::Bind {
                    source: store.volume_data_dir(name),
                    destination,
                    read_only,
                },
                MountKind::Tmpfs {} => {
                    let data: Vec<&str> = mount
                        .options
                        .iter()
                        .map(String::as_str)
                        .filter(|option| option.starts_with("size=") || option.starts_with("mode="))
                        .collect();
                    PlannedMount::Tmpfs {
                        destination,
                        data: data.join(","),
                    }
                }
            }
        })
        .collect();

    if let (true, Some(socket)) = (config.ssh, ssh_socket) {
        planned.push(PlannedMount::Bind {
            source: PathBuf::from(socket),
            destination: PathBuf::from(SSH_GUEST_SOCKET),
            read_only: false,
        });
    }
    planned
}

/// The init process: configuration as stored, plus the SSH agent variable.
pub fn init_process_spec(
    config: &ContainerConfiguration,
    ssh_socket: Option<&str>,
    interactive: bool,
    window: Option<(u16, u16)>,
) -> Result<ProcessSpec, String> {
    let process = &config.init_process;
    let mut environment = process.environment.clone();
    let has_agent = environment
        .iter()
        .any(|entry| entry.starts_with("SSH_AUTH_SOCK="));
    if config.ssh && ssh_socket.is_some() && !has_agent {
        environment.push(format!("SSH_AUTH_SOCK={SSH_GUEST_SOCKET}"));
    }

    Ok(ProcessSpec {
        executable: process.executable.clone(),
        arguments: process.arguments.clone(),
        environment,
        working_directory: process.working_directory.clone(),
        credentials: user::resolve(&process.user, &process.supplemental_groups)?,
        rlimits: process.rlimits.clone(),
        terminal: process.terminal,
        interactive,
        discard_io: false,
        window,
    })
}

/// An exec'd process starts from the init process's configuration; its
/// environment entries are appended (later wins here), `-w` and the user
/// flags override.
pub fn exec_process_spec(
    config: &ContainerConfiguration,
    request: &ExecRequest,
    ssh_socket: Option<&str>,
) -> Result<ProcessSpec, String> {
    let base = init_process_spec(config, ssh_socket, request.interactive, request.window)?;
    let (executable, arguments) = request
        .command
        .split_first()
        .ok_or_else(|| "no command specified for exec".to_string())?;

    let environment = envfile::merge(
        base.environment
            .into_iter()
            .chain(request.environment.clone()),
    );
    let credentials = match &request.user {
        Some(user) => user::resolve(user, &config.init_process.supplemental_groups)?,
        None => base.credentials,
    };
    Ok(ProcessSpec {
        executable: executable.clone(),
        arguments: arguments.to_vec(),
        environment,
        working_directory: request
            .working_directory
            .clone()
            .unwrap_or(base.working_directory),
        credentials,
        terminal: request.terminal,
        discard_io: request.detach,
        ..base
    })
}
