//! StartTask: decode the task's config, get its image, create its container,
//! and hand it to a new supervisor that starts it attached.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::events::EventTarget;
use super::names::{container_name, is_owned_by};
use super::options::{create_options, OptionsInput, Publishing};
use super::pull::{ensure_image, PullRequest};
use super::resources::{vm_size, MIN_VM_MEMORY_MIB};
use super::state::{DriverState, TaskPaths, DRIVER_STATE_VERSION};
use super::task::TaskEntry;
use super::{envfile, supervision, Driver, DriverError, Settings};
use crate::config::task::{NetworkMode, RegistryAuth};
use crate::config::TaskConfig;
use crate::proto::drivers::{
    start_task_response, NetworkOverride, StartTaskResponse, TaskConfig as NomadTask, TaskHandle,
    TaskState,
};
use crate::runtime::{credential_host, registry_host, ContainerCli, ContainerState, CreateOptions};
use crate::supervisor::{write_json_atomically, SupervisorSpec, SPEC_VERSION};

/// Margin for `create` itself once the image is local.
const CREATE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a started container may take to report its address.
const ADDRESS_WAIT: Duration = Duration::from_secs(10);

/// What network_mode resolved to.
struct NetworkChoice {
    /// `--network` value; `None` is Apple's default network.
    network: Option<String>,
    /// Extra environment: the address of the task whose network we share.
    env: Vec<(String, String)>,
}

impl Driver {
    pub(super) async fn start_task(
        &self,
        task: NomadTask,
    ) -> Result<StartTaskResponse, DriverError> {
        check_identity(&task)?;
        if self.task(&task.id).is_some() {
            return Err(DriverError::AlreadyStarted(task.id.clone()));
        }
        let paths = TaskPaths::new(Path::new(&task.alloc_dir), &task.name, attempt_of(&task.id));
        let started = self.start_prepared(task, &paths).await;
        if started.is_err() {
            // A start that failed leaves nothing behind for this attempt.
            let _ = std::fs::remove_dir_all(&paths.state_dir);
        }
        started
    }

    async fn start_prepared(
        &self,
        task: NomadTask,
        paths: &TaskPaths,
    ) -> Result<StartTaskResponse, DriverError> {
        let settings = self.settings()?;
        let config =
            TaskConfig::decode(&task.msgpack_driver_config).map_err(DriverError::TaskConfig)?;
        let cli = self.task_cli(&config, &settings)?;

        let target = EventTarget::of(&task);
        let name = container_name(&task.alloc_id, &task.name);
        let _claim = self.claim_in_flight(&name).await;
        self.note_node(&task.node_id);
        remove_earlier_env_files(paths);
        let alloc_dir = Path::new(&task.alloc_dir);
        let log_fifos = if settings.plugin.disable_log_collection {
            vec![]
        } else {
            vec![Path::new(&task.stdout_path), Path::new(&task.stderr_path)]
        };
        let _bridge =
            supervision::end_earlier_attempts(alloc_dir, &task.name, paths, &log_fifos).await;
        create_private_dir(&paths.state_dir)?;

        let peer_starting = match &config.network_mode {
            NetworkMode::Task(peer) => self.runs_task(&task.alloc_id, peer),
            _ => false,
        };
        let network = resolve_network(&cli, &config, &task, peer_starting).await?;
        let size = vm_size(task.resources.as_ref(), settings.topology.as_ref());
        let input = OptionsInput {
            task: &task,
            config: &config,
            plugin: &settings.plugin,
            name: &name,
            size: &size,
            network: network.network.clone(),
        };
        let (mut options, publishing) = create_options(&input)?;
        if let Some(asked) = size.memory_raised_from {
            let message = format!(
                "Memory raised from {asked} MiB to {MIN_VM_MEMORY_MIB} MiB, the smallest VM \
                 Apple's container service creates"
            );
            self.inner
                .events
                .emit(&target, message, &[("asked_mib", asked.to_string())]);
        }

        let pull = PullRequest {
            image: &config.image,
            platform: config.platform.as_deref(),
            force: config.force_pull,
            auth: config
                .auth
                .as_ref()
                .or_else(|| plugin_auth_for(&settings, &config.image)),
            timeout: config
                .image_pull_timeout
                .unwrap_or(settings.plugin.image_pull_timeout),
        };
        ensure_image(
            &cli,
            &self.inner.registry_locks,
            &self.inner.events,
            &target,
            pull,
        )
        .await?;

        let mut env = envfile::merge_env(&task.env, &config.env);
        env.extend(network.env);
        let env_contents = envfile::render(&env).map_err(DriverError::BadRequest)?;
        envfile::write(&paths.env_file, &env_contents).map_err(DriverError::io(format!(
            "writing {}",
            paths.env_file.display()
        )))?;
        options.env_file = Some(paths.env_file.clone());

        let created = self.create(&cli, &options, &task, &settings).await;
        // The values now live in the container's own config; the file has
        // done its job and should not linger on disk.
        let _ = std::fs::remove_file(&paths.env_file);
        created?;
        let annotations = [("container", name.clone())];
        self.inner
            .events
            .emit(&target, format!("Created container {name}"), &annotations);

        let started = self
            .supervise(
                &task,
                &cli,
                &name,
                &config.image,
                &publishing.port_map,
                paths,
                &settings,
                target,
            )
            .await;
        let handle = match started {
            Ok(handle) => handle,
            Err(error) => {
                // Nothing will destroy a task that never started: clean up.
                if let Err(cleanup) = cli.delete_force(&name).await {
                    tracing::warn!(
                        container = %name,
                        error = %cleanup,
                        "cleanup after a failed start failed",
                    );
                }
                return Err(error);
            }
        };

        Ok(StartTaskResponse {
            result: start_task_response::Result::Success as i32,
            driver_error_msg: String::new(),
            handle: Some(handle),
            network_override: network_override(&cli, &name, publishing).await,
        })
    }

    /// The CLI for this task; with `ssh_agent` it carries SSH_AUTH_SOCK,
    /// which Apple's CLI forwards into the VM at every start.
    fn task_cli(
        &self,
        config: &TaskConfig,
        settings: &Settings,
    ) -> Result<ContainerCli, DriverError> {
        let cli = self.cli()?;
        if !config.ssh_agent {
            return Ok(cli);
        }
        let socket = settings
            .plugin
            .ssh_auth_sock
            .clone()
            .or_else(|| std::env::var_os("SSH_AUTH_SOCK").map(PathBuf::from))
            .ok_or_else(|| {
                DriverError::BadRequest(
                    "ssh_agent = true, but the plugin has no SSH agent socket: set ssh_auth_sock \
                     in the plugin config or SSH_AUTH_SOCK in Nomad's environment"
                        .into(),
                )
            })?;
        let is_socket = std::fs::metadata(&socket).is_ok_and(|meta| {
            use std::os::unix::fs::FileTypeExt;
            meta.file_type().is_socket()
        });
        if !is_socket {
            return Err(DriverError::BadRequest(format!(
                "ssh_agent = true, but the SSH agent socket {} does not exist",
                socket.display()
            )));
        }
        Ok(cli.with_env("SSH_AUTH_SOCK", &socket.to_string_lossy()))
    }

    /// `create`. A leftover container with our name from an interrupted
    /// earlier start is removed (only if it carries this task's labels), and
    /// a missing user network is created when the operator allows it.
    async fn create(
        &self,
        cli: &ContainerCli,
        options: &CreateOptions,
        task: &NomadTask,
        settings: &Settings,
    ) -> Result<(), DriverError> {
        let describe =
            |error| DriverError::from_cli(format!("creating container {}", options.name), error);
        match cli.create(options, CREATE_TIMEOUT).await {
            Ok(()) => return Ok(()),
            Err(error) if error.says("already exists") => {
                self.remove_leftover(cli, options, task).await?
            }
            Err(error) if error.says("network") && error.says("not found") => {
                let network = options.network.clone().unwrap_or_default();
                if !settings.plugin.networks_create {
                    return Err(DriverError::BadRequest(format!(
                        "network_mode = {network:?}: the network does not exist; create it with \
                         `container network create {network}` or allow the driver to with \
                         networks {{ create = true }}"
                    )));
                }
                tracing::info!(network = %network, "creating a user network");
                cli.network_create(&network).await.map_err(|error| {
                    DriverError::from_cli(format!("creating network {network}"), error)
                })?;
            }
            Err(error) => return Err(describe(error)),
        }
        cli.create(options, CREATE_TIMEOUT).await.map_err(describe)
    }

    async fn remove_leftover(
        &self,
        cli: &ContainerCli,
        options: &CreateOptions,
        task: &NomadTask,
    ) -> Result<(), DriverError> {
        let leftover = cli
            .inspect(&options.name)
            .await
            .map_err(DriverError::cli("inspecting a leftover container"))?;
        if let Some(leftover) = leftover {
            if !is_owned_by(&leftover.configuration.labels, &task.alloc_id, &task.name) {
                return Err(DriverError::BadRequest(format!(
                    "a container named {} exists and does not carry this task's labels; it was \
                     left alone",
                    options.name
                )));
            }
        }
        tracing::info!(
            container = %options.name,
            "removing a leftover container from an earlier start",
        );
        cli.delete_force(&options.name)
            .await
            .map_err(DriverError::cli("removing a leftover container"))
    }

    #[allow(clippy::too_many_arguments)]
    async fn supervise(
        &self,
        task: &NomadTask,
        cli: &ContainerCli,
        name: &str,
        image: &str,
        port_map: &HashMap<String, i32>,
        paths: &TaskPaths,
        settings: &Settings,
        target: EventTarget,
    ) -> Result<TaskHandle, DriverError> {
        let log_paths = if settings.plugin.disable_log_collection {
            (None, None)
        } else {
            (
                Some(PathBuf::from(&task.stdout_path)),
                Some(PathBuf::from(&task.stderr_path)),
            )
        };
        let spec = SupervisorSpec {
            version: SPEC_VERSION,
            task_id: task.id.clone(),
            container: name.to_string(),
            cli_path: cli.path().to_path_buf(),
            cli_env: cli
                .extra_env()
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect(),
            stdout_path: log_paths.0,
            stderr_path: log_paths.1,
            socket_path: paths.socket.clone(),
            exit_path: paths.exit.clone(),
            log_path: paths.log.clone(),
        };
        if let Some(dir) = paths.socket.parent() {
            create_private_dir(dir)?;
        }
        write_json_atomically(&paths.spec, &spec)
            .map_err(DriverError::io(format!("writing {}", paths.spec.display())))?;

        let (supervisor_pid, connection) =
            supervision::spawn(&paths.spec, &paths.socket, &paths.exit).await?;
        let state = DriverState {
            container: name.to_string(),
            image: image.to_string(),
            state_dir: paths.state_dir.clone(),
            socket_path: paths.socket.clone(),
            exit_path: paths.exit.clone(),
            supervisor_pid,
            started_at: crate::supervisor::now_rfc3339(),
            port_map: port_map.clone(),
        };
        let entry = Arc::new(TaskEntry::new(target, state.clone()));
        let connection = connection.map(|(stream, hello)| {
            entry.set_cli_pid(hello.cli_pid);
            stream
        });
        self.register(entry.clone());
        tokio::spawn(supervision::watch_exit(
            entry,
            cli.clone(),
            self.inner.events.clone(),
            connection,
        ));
        tracing::info!(task_id = %task.id, container = %name, supervisor_pid, "task started");

        Ok(TaskHandle {
            version: DRIVER_STATE_VERSION,
            // Nomad recovers the task by handle.config.id; a handle without
            // its config makes Nomad start the task a second time.
            config: Some(task.clone()),
            state: TaskState::Running as i32,
            driver_state: state.encode(),
        })
    }
}

/// `network_mode` → the network to join. `task:<name>` joins the network of
/// that task's running container in this allocation and exposes its address
/// to this task as `TASK_<NAME>_IP`; VMs cannot share a network namespace, so
/// this is the nearest honest equivalent of Docker's `container:<name>`.
/// How long a `task:<name>` network waits for that task's container to be
/// running, when this driver started the task and it has not exited: its
/// StartTask returns once the container is starting, not yet running.
const PEER_START_WAIT: Duration = Duration::from_secs(15);

/// `peer_starting`: the task named by `network_mode = "task:<name>"` is one
/// this driver runs and has not exited, so a container that is not running
/// yet is waited for rather than refused.
async fn resolve_network(
    cli: &ContainerCli,
    config: &TaskConfig,
    task: &NomadTask,
    peer_starting: bool,
) -> Result<NetworkChoice, DriverError> {
    let none = NetworkChoice {
        network: None,
        env: Vec::new(),
    };
    match &config.network_mode {
        NetworkMode::Default | NetworkMode::Host | NetworkMode::None => Ok(none),
        NetworkMode::Named(name) => Ok(NetworkChoice {
            network: Some(name.clone()),
            env: Vec::new(),
        }),
        NetworkMode::Task(other) => {
            if other == &task.name {
                return Err(DriverError::BadRequest(format!(
                    "network_mode = \"task:{other}\" names this task itself"
                )));
            }
            let peer_name = container_name(&task.alloc_id, other);
            let deadline = tokio::time::Instant::now() + PEER_START_WAIT;
            let running = loop {
                let peer = cli.inspect(&peer_name).await.map_err(|error| {
                    DriverError::from_cli(format!("looking up task {other}"), error)
                })?;
                let running = peer.filter(|peer| peer.state() == ContainerState::Running);
                if running.is_some() || !peer_starting || tokio::time::Instant::now() >= deadline {
                    break running;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            };
            let Some(peer) = running else {
                // The other task may simply not have started yet.
                return Err(DriverError::Retryable(format!(
                    "network_mode = \"task:{other}\": task {other} of this allocation has no \
                     running container"
                )));
            };
            let variable = format!("TASK_{}_IP", env_suffix(other));
            let env = peer
                .ipv4_address()
                .map(|ip| vec![(variable, ip)])
                .unwrap_or_default();
            Ok(NetworkChoice {
                network: peer.network_name(),
                env,
            })
        }
    }
}

fn env_suffix(task_name: &str) -> String {
    task_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// With published ports, Nomad learns the container's address and the port
/// map for services with `address_mode = "driver"`.
async fn network_override(
    cli: &ContainerCli,
    name: &str,
    publishing: Publishing,
) -> Option<NetworkOverride> {
    if publishing.port_map.is_empty() {
        return None;
    }
    let deadline = tokio::time::Instant::now() + ADDRESS_WAIT;
    let mut address = None;
    // Kept for the warning: an inspect that keeps failing (unreadable
    // output, say) is the cause to name, not "no address".
    let mut last_error = None;
    while address.is_none() && tokio::time::Instant::now() < deadline {
        match cli.inspect(name).await {
            Ok(Some(container)) => address = container.ipv4_address(),
            Ok(None) => break,
            Err(error) => {
                tracing::debug!(container = %name, error = %error, "no address yet");
                last_error = Some(error);
            }
        }
        if address.is_none() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    if address.is_none() {
        let error = last_error.map(|error| error.to_string());
        tracing::warn!(
            container = %name,
            error = error.as_deref().unwrap_or("none"),
            "container reported no address; services with address_mode = \"driver\" get none",
        );
    }
    Some(NetworkOverride {
        port_map: publishing.port_map,
        addr: address.unwrap_or_default(),
        // Host ports are published on the host, so host addresses work too.
        auto_advertise: false,
    })
}

/// The plugin's registry credentials, only for images on their registry:
/// an operator's login is never offered to another registry.
fn plugin_auth_for<'a>(settings: &'a Settings, image: &str) -> Option<&'a RegistryAuth> {
    let auth = settings.plugin.auth.as_ref()?;
    let server = auth.server_address.as_deref()?;
    let image_host = registry_host(image);
    (credential_host(server) == credential_host(&image_host)).then_some(auth)
}

fn check_identity(task: &NomadTask) -> Result<(), DriverError> {
    let fields = [
        ("id", &task.id),
        ("name", &task.name),
        ("alloc_id", &task.alloc_id),
        ("alloc_dir", &task.alloc_dir),
    ];
    for (field, value) in fields {
        if value.is_empty() {
            return Err(DriverError::BadRequest(format!(
                "the task config from Nomad has no {field}"
            )));
        }
    }
    Ok(())
}

/// An env file lives only for its attempt's `create`; one that is still
/// around was left by a plugin killed mid-start, and holds env values.
fn remove_earlier_env_files(paths: &TaskPaths) {
    let Some(attempts) = paths.state_dir.parent() else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(attempts) else {
        return;
    };
    for attempt in entries.flatten() {
        let env_file = attempt.path().join("env");
        if env_file.exists() {
            tracing::info!(
                path = %env_file.display(),
                "removing an env file an interrupted start left",
            );
            let _ = std::fs::remove_file(env_file);
        }
    }
}

/// The last segment of Nomad's task ID, unique per start attempt.
fn attempt_of(task_id: &str) -> &str {
    task_id
        .rsplit('/')
        .next()
        .filter(|segment| !segment.is_empty())
        .unwrap_or("attempt")
}

fn create_private_dir(dir: &Path) -> Result<(), DriverError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(DriverError::io(format!("creating {}", dir.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempt_is_the_random_suffix_of_the_task_id() {
        assert_eq!(attempt_of("3b1d/web/a1b2c3d4"), "a1b2c3d4");
        assert_eq!(attempt_of("odd"), "odd");
    }

    #[test]
    fn peer_task_names_become_env_suffixes() {
        assert_eq!(env_suffix("redis-cache"), "REDIS_CACHE");
    }
}
