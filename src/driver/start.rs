//! StartTask: decode the task's config, create its container, and hand it to
//! a new supervisor that starts it attached.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::events::EventTarget;
use super::names::{container_name, extra_labels, is_owned_by, ownership_labels, TaskMetadata};
use super::resources::{vm_size, MIN_VM_MEMORY_MIB};
use super::state::{DriverState, TaskPaths, DRIVER_STATE_VERSION};
use super::task::TaskEntry;
use super::{envfile, supervision, Driver, DriverError};
use crate::config::TaskConfig;
use crate::proto::drivers::{
    start_task_response, StartTaskResponse, TaskConfig as NomadTask, TaskHandle, TaskState,
};
use crate::runtime::{ContainerCli, CreateOptions, Mount};
use crate::supervisor::{write_json_atomically, SupervisorSpec, SPEC_VERSION};

/// Margin on top of the image pull timeout for the rest of `create`.
const CREATE_MARGIN: Duration = Duration::from_secs(30);

impl Driver {
    pub(super) async fn start_task(
        &self,
        task: NomadTask,
    ) -> Result<StartTaskResponse, DriverError> {
        check_identity(&task)?;
        if self.task(&task.id).is_some() {
            return Err(DriverError::AlreadyStarted(task.id.clone()));
        }
        let settings = self.settings()?;
        let config =
            TaskConfig::decode(&task.msgpack_driver_config).map_err(DriverError::TaskConfig)?;
        let cli = self.cli()?;

        let target = EventTarget {
            task_id: task.id.clone(),
            alloc_id: task.alloc_id.clone(),
            task_name: task.name.clone(),
        };
        let name = container_name(&task.alloc_id, &task.name);
        let paths = TaskPaths::new(Path::new(&task.alloc_dir), &task.name, attempt_of(&task.id));
        create_private_dir(&paths.state_dir)?;

        let mut options = self.create_options(&task, &config, &name, &paths, &target, &settings)?;
        let env = envfile::merge_env(&task.env, &config.env);
        let env_contents = envfile::render(&env).map_err(DriverError::BadRequest)?;
        envfile::write(&paths.env_file, &env_contents).map_err(DriverError::io(format!(
            "writing {}",
            paths.env_file.display()
        )))?;
        options.env_file = Some(paths.env_file.clone());

        let pull_bound = settings.plugin.image_pull_timeout + CREATE_MARGIN;
        let created = self
            .create_replacing_leftover(&cli, &options, &task, pull_bound)
            .await;
        // The values now live in the container's own config; the file has
        // done its job and should not linger on disk.
        let _ = std::fs::remove_file(&paths.env_file);
        created?;
        self.inner.events.emit(
            &target,
            format!("Created container {name}"),
            &[("container", name.clone())],
        );

        match self
            .supervise(&task, &cli, &name, &config.image, &paths, &settings, target)
            .await
        {
            Ok(handle) => Ok(StartTaskResponse {
                result: start_task_response::Result::Success as i32,
                driver_error_msg: String::new(),
                handle: Some(handle),
                network_override: None,
            }),
            Err(error) => {
                // Nothing will destroy a task that never started: clean up.
                if let Err(cleanup) = cli.delete_force(&name).await {
                    tracing::warn!(
                        container = %name,
                        error = %cleanup,
                        "cleanup after a failed start failed",
                    );
                }
                Err(error)
            }
        }
    }

    fn create_options(
        &self,
        task: &NomadTask,
        config: &TaskConfig,
        name: &str,
        paths: &TaskPaths,
        target: &EventTarget,
        settings: &super::Settings,
    ) -> Result<CreateOptions, DriverError> {
        let size = vm_size(task.resources.as_ref(), settings.topology.as_ref());
        if let Some(asked) = size.memory_raised_from {
            self.inner.events.emit(
                target,
                format!(
                    "Memory raised from {asked} MiB to {MIN_VM_MEMORY_MIB} MiB, the smallest VM \
                     Apple's container service creates"
                ),
                &[("asked_mib", asked.to_string())],
            );
        }

        let mut labels = ownership_labels(&task.alloc_id, &task.name);
        let metadata = TaskMetadata {
            job_name: &task.job_name,
            job_id: &task.job_id,
            task_group_name: &task.task_group_name,
            task_name: &task.name,
            namespace: &task.namespace,
            node_name: &task.node_name,
            node_id: &task.node_id,
        };
        let operator_labels = extra_labels(&settings.plugin.extra_labels, &metadata)
            .map_err(DriverError::BadRequest)?;
        labels.extend(operator_labels);
        labels.extend(
            config
                .labels
                .iter()
                .map(|(key, value)| (key.clone(), value.clone())),
        );

        let (entrypoint, command) = compose_command(config);
        Ok(CreateOptions {
            name: name.to_string(),
            image: config.image.clone(),
            env_file: None,
            labels,
            working_dir: config.working_dir.clone(),
            entrypoint,
            command,
            memory_mib: size.memory_mib,
            cpus: size.cpus,
            user: Some(task.user.clone()).filter(|user| !user.is_empty()),
            mounts: task_mounts(task, paths),
        })
    }

    /// `create`; if an interrupted earlier start left a container with our
    /// name, and it carries our labels for this alloc's task, it is removed
    /// and creation retried once.
    async fn create_replacing_leftover(
        &self,
        cli: &ContainerCli,
        options: &CreateOptions,
        task: &NomadTask,
        timeout: Duration,
    ) -> Result<(), DriverError> {
        match cli.create(options, timeout).await {
            Err(error) if error.says("already exists") => {}
            other => return other.map_err(DriverError::cli("creating the container")),
        }

        let leftover = cli
            .inspect(&options.name)
            .await
            .map_err(DriverError::cli("inspecting a leftover container"))?;
        if let Some(leftover) = leftover {
            if !is_owned_by(&leftover.configuration.labels, &task.alloc_id, &task.name) {
                return Err(DriverError::BadRequest(format!(
                    "a container named {} exists and does not carry this task's labels; \
                     it was left alone",
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
            .map_err(DriverError::cli("removing a leftover container"))?;
        cli.create(options, timeout)
            .await
            .map_err(DriverError::cli("creating the container"))
    }

    #[allow(clippy::too_many_arguments)]
    async fn supervise(
        &self,
        task: &NomadTask,
        cli: &ContainerCli,
        name: &str,
        image: &str,
        paths: &TaskPaths,
        settings: &super::Settings,
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
        };
        let entry = Arc::new(TaskEntry::new(target, state.clone()));
        self.register(entry.clone());
        tokio::spawn(supervision::watch_exit(entry, cli.clone(), connection));
        tracing::info!(task_id = %task.id, container = %name, supervisor_pid, "task started");

        Ok(TaskHandle {
            version: DRIVER_STATE_VERSION,
            config: Some(echo_config(task)),
            state: TaskState::Running as i32,
            driver_state: state.encode(),
        })
    }
}

fn check_identity(task: &NomadTask) -> Result<(), DriverError> {
    for (field, value) in [
        ("id", &task.id),
        ("name", &task.name),
        ("alloc_id", &task.alloc_id),
        ("alloc_dir", &task.alloc_dir),
    ] {
        if value.is_empty() {
            return Err(DriverError::BadRequest(format!(
                "the task config from Nomad has no {field}"
            )));
        }
    }
    Ok(())
}

/// The last segment of Nomad's task ID, unique per start attempt.
fn attempt_of(task_id: &str) -> &str {
    task_id
        .rsplit('/')
        .next()
        .filter(|segment| !segment.is_empty())
        .unwrap_or("attempt")
}

/// The handle echoes the task config: Nomad recovers the task by
/// `handle.config.id`, and a handle without a config duplicates the task.
fn echo_config(task: &NomadTask) -> NomadTask {
    task.clone()
}

/// Apple's CLI takes one `--entrypoint` word; the rest of a Docker-style
/// entrypoint list and then `command` and `args` become the arguments.
fn compose_command(config: &TaskConfig) -> (Option<String>, Vec<String>) {
    let mut words = Vec::new();
    let entrypoint = config.entrypoint.first().cloned();
    words.extend(config.entrypoint.iter().skip(1).cloned());
    words.extend(config.command.iter().cloned());
    words.extend(config.args.iter().cloned());
    (entrypoint, words)
}

/// Nomad's alloc/, local/ and secrets/ at /alloc, /local and /secrets, then
/// the volume mounts Nomad lists for the task.
fn task_mounts(task: &NomadTask, _paths: &TaskPaths) -> Vec<Mount> {
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
    fn docker_style_entrypoint_list_splits_into_flag_and_leading_args() {
        let config = TaskConfig {
            image: "alpine".into(),
            entrypoint: vec!["/bin/sh".into(), "-c".into()],
            command: Some("echo hi".into()),
            args: vec!["ignored-by-sh".into()],
            ..Default::default()
        };
        let (entrypoint, words) = compose_command(&config);
        assert_eq!(entrypoint.as_deref(), Some("/bin/sh"));
        assert_eq!(words, ["-c", "echo hi", "ignored-by-sh"]);
    }

    #[test]
    fn args_alone_replace_the_image_cmd() {
        let config = TaskConfig {
            image: "alpine".into(),
            args: vec!["a".into()],
            ..Default::default()
        };
        assert_eq!(compose_command(&config), (None, vec!["a".to_string()]));
    }

    #[test]
    fn attempt_is_the_random_suffix_of_the_task_id() {
        assert_eq!(attempt_of("3b1d/web/a1b2c3d4"), "a1b2c3d4");
        assert_eq!(attempt_of("odd"), "odd");
    }
}
