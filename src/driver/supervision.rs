//! The plugin's side of a task's supervisor: spawning it, connecting to its
//! socket, and turning its end into the task's exit.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::UnixStream;

use super::errors::DriverError;
use super::events::EventBus;
use super::state::TaskPaths;
use super::task::{TaskEntry, TaskExit};
use crate::runtime::{last_oom_kill, ContainerCli, ContainerState};
use crate::supervisor::{read_json, ExitRecord, Hello};

/// How long a new supervisor may take to attach and open its socket.
const READY_TIMEOUT: Duration = Duration::from_secs(15);
/// How often the degraded path asks the CLI whether a container still runs.
const OBSERVE_INTERVAL: Duration = Duration::from_secs(2);
/// How long after a container ended a supervisor may take to record it.
const RECORD_GRACE: Duration = Duration::from_secs(5);

/// Starts `nomad-driver-container supervise <spec>` in its own session with no
/// inherited stdio, so it survives us and nothing of ours keeps it alive.
///
/// Returns the supervisor's pid and a connection to it; no connection when
/// the task was so short that the supervisor had already recorded its exit
/// and ended before we connected.
pub async fn spawn(
    spec_path: &Path,
    socket_path: &Path,
    exit_path: &Path,
) -> Result<(u32, Option<(UnixStream, Hello)>), DriverError> {
    let exe = std::env::current_exe().map_err(DriverError::io("finding our own executable"))?;
    let mut command = tokio::process::Command::new(exe);
    command
        .arg("supervise")
        .arg(spec_path)
        .env_remove(crate::plugin::MAGIC_COOKIE_KEY)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = command
        .spawn()
        .map_err(DriverError::io("starting the task supervisor"))?;
    let pid = child.id().unwrap_or_default();

    let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
    loop {
        if let Ok(connection) = connect(socket_path).await {
            // Reap it when it ends; tokio also reaps if this task is dropped.
            tokio::spawn(async move {
                let _ = child.wait().await;
            });
            return Ok((pid, Some(connection)));
        }
        if let Ok(Some(status)) = child.try_wait() {
            if status.success() && exit_path.exists() {
                return Ok((pid, None));
            }
            return Err(DriverError::Supervisor(format!(
                "the task supervisor exited ({status}) before attaching to the container"
            )));
        }
        if tokio::time::Instant::now() >= deadline {
            let _ = child.start_kill();
            return Err(DriverError::Supervisor(format!(
                "the task supervisor did not attach within {READY_TIMEOUT:?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Ends what an interrupted earlier start of the same task left behind. A
/// plugin killed inside StartTask leaves a supervisor that may still be about
/// to start the container, and this attempt reuses the container's name: if
/// that late `container start` ran, it would start or attach to this
/// attempt's container. So every earlier attempt without an exit record is
/// marked abandoned (a supervisor not yet attached then never starts the
/// container) and an attached CLI of its is killed; its supervisor records
/// that and ends.
///
/// Ending that supervisor closes its end of Nomad's log FIFOs; were it the
/// last writer, the log collector would see end-of-file and stop reading
/// before this attempt's supervisor opens them (Nomad's logmon restarts only
/// at the next task start). So the FIFOs are held open for writing, by the
/// returned bridge, until this attempt's supervisor has attached.
pub async fn end_earlier_attempts(
    alloc_dir: &Path,
    task_name: &str,
    current: &TaskPaths,
    log_fifos: &[&Path],
) -> OutputBridge {
    let mut bridge = OutputBridge::default();
    let Some(attempts) = current.state_dir.parent() else {
        return bridge;
    };
    let Ok(entries) = std::fs::read_dir(attempts) else {
        return bridge;
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        let Some(attempt) = dir.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        if dir == current.state_dir || !dir.is_dir() {
            continue;
        }
        let earlier = TaskPaths::new(alloc_dir, task_name, attempt);
        if earlier.exit.exists() {
            continue;
        }
        if let Err(error) = std::fs::write(&earlier.abandoned, b"") {
            tracing::warn!(
                path = %earlier.abandoned.display(),
                error = %error,
                "cannot mark an interrupted start attempt abandoned",
            );
        }
        let Ok((_connection, hello)) = connect(&earlier.socket).await else {
            continue;
        };
        if bridge.0.is_empty() {
            bridge = OutputBridge::hold(log_fifos);
        }
        let cli = hello.cli_pid as libc::pid_t;
        // SAFETY: signal 0 checks existence; then a signal to the process
        // group the attached CLI leads (its supervisor made it the leader).
        unsafe {
            if cli > 0 && libc::kill(cli, 0) == 0 {
                libc::kill(-cli, libc::SIGKILL);
            }
        }
        tracing::info!(
            attempt,
            supervisor_pid = hello.supervisor_pid,
            cli_pid = hello.cli_pid,
            "ended the attached CLI of an interrupted start attempt",
        );
        let deadline = tokio::time::Instant::now() + RECORD_GRACE;
        while !earlier.exit.exists() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    bridge
}

/// Write ends of Nomad's log FIFOs, held while one supervisor hands over to
/// the next; nothing is ever written through them.
#[derive(Default)]
pub struct OutputBridge(Vec<std::fs::File>);

impl OutputBridge {
    fn hold(fifos: &[&Path]) -> Self {
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking: with no reader there is nothing to keep open.
        let files = fifos
            .iter()
            .filter_map(|path| {
                std::fs::OpenOptions::new()
                    .write(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(path)
                    .ok()
            })
            .collect();
        Self(files)
    }
}

/// Connects to a supervisor and reads its hello line.
pub async fn connect(socket_path: &Path) -> std::io::Result<(UnixStream, Hello)> {
    let stream = UnixStream::connect(socket_path).await?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(5), reader.read_line(&mut line))
        .await
        .map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::TimedOut, "no hello from supervisor")
        })??;
    let hello: Hello = serde_json::from_str(&line).map_err(std::io::Error::other)?;
    Ok((reader.into_inner(), hello))
}

/// Watches one task until its exit is known, then records it.
///
/// With a live connection the exit is known the moment the supervisor ends
/// (EOF), from the record it wrote just before. Without a record, or with one
/// that says the status was lost, the container is observed through the CLI
/// until it stops, and the exit is -1 with the reason: never an invented 0.
pub async fn watch_exit(
    task: Arc<TaskEntry>,
    cli: ContainerCli,
    events: EventBus,
    connection: Option<UnixStream>,
) {
    if let Some(mut stream) = connection {
        let mut sink = [0u8; 64];
        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
    }

    let mut exit = match read_record(&task) {
        Some(record) if !record.status_lost() => exit_from_record(record),
        Some(record) => observe_until_stopped(&task, &cli, record.error.unwrap_or_default()).await,
        None => {
            let reason = format!(
                "the task supervisor (pid {}) ended without recording the container's exit \
                 status, so it is unknown",
                task.state.supervisor_pid
            );
            observe_until_stopped(&task, &cli, reason).await
        }
    };

    if exit.killed_by_sigkill() {
        exit.oom_killed = look_for_oom_kill(&task, &cli, &events, &exit).await;
    }

    if exit.error.is_some() {
        tracing::warn!(
            task_id = %task.id(),
            container = %task.container(),
            error = exit.error.as_deref().unwrap_or_default(),
            "task exit status lost"
        );
    } else {
        tracing::info!(task_id = %task.id(), exit_code = exit.exit_code, "task exited");
    }
    task.set_exit(exit);
}

/// How close before the exit the OOM report must be to be the task's own:
/// the killer ends the task's process and the task exits at once; a report
/// older than this was about another process of the container.
const OOM_EXIT_WINDOW: Duration = Duration::from_secs(2);
/// Slack for comparing the guest's uptime with host clocks.
const CLOCK_SLACK: Duration = Duration::from_millis(500);

/// Whether the guest kernel's OOM killer ended this run, by its report in
/// the boot log. A SIGKILL alone is never taken as OOM: `kill -9`, a stop
/// past its timeout and the OOM killer all look the same from outside. The
/// report must also be recent: within [`OOM_EXIT_WINDOW`] of the exit (an
/// earlier report was about another process), and not older than a stop
/// the driver asked for (the stop's own SIGKILL ended the task then).
async fn look_for_oom_kill(
    task: &TaskEntry,
    cli: &ContainerCli,
    events: &EventBus,
    exit: &TaskExit,
) -> bool {
    let boot_log = match cli.boot_log(task.container()).await {
        Ok(text) => text,
        Err(error) => {
            tracing::warn!(
                task_id = %task.id(),
                container = %task.container(),
                error = %error,
                "task died by SIGKILL but its boot log is unreadable; not reporting OOM",
            );
            return false;
        }
    };
    let Some(report) = last_oom_kill(&boot_log) else {
        return false;
    };
    if let Some(uptime) = report.uptime_secs {
        // The guest booted as the container started: its start date plus
        // the kernel's uptime places the report on the host's clock.
        let started = match cli.inspect(task.container()).await {
            Ok(Some(container)) => container.started_date().and_then(parse_rfc3339),
            _ => None,
        };
        let booted = started.unwrap_or(task.started_at);
        let reported_at = booted + Duration::from_secs_f64(uptime.max(0.0));
        let too_old = reported_at + OOM_EXIT_WINDOW + CLOCK_SLACK < exit.completed_at;
        let before_stop = task
            .stop_requested_at()
            .is_some_and(|stop| reported_at + CLOCK_SLACK < stop);
        if too_old || before_stop {
            tracing::info!(
                task_id = %task.id(),
                report = %report.message,
                "an OOM report in the boot log is about another process; not reporting OOM",
            );
            return false;
        }
    }
    tracing::warn!(task_id = %task.id(), report = %report.message, "task killed by the OOM killer");
    events.emit(
        &task.target,
        format!(
            "OOM Killed: the guest kernel ran out of memory ({})",
            report.message
        ),
        &[("oom_report", report.message.clone())],
    );
    true
}

fn parse_rfc3339(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

fn read_record(task: &TaskEntry) -> Option<ExitRecord> {
    read_json(&task.state.exit_path).unwrap_or_else(|error| {
        tracing::warn!(task_id = %task.id(), error = %error, "exit record unreadable");
        None
    })
}

/// The recorded exit, as the supervisor saw it.
fn exit_from_record(record: ExitRecord) -> TaskExit {
    if record.never_started {
        return TaskExit::unknown(record.error.unwrap_or_default());
    }
    TaskExit {
        exit_code: record.exit_code,
        signal: record.signal,
        oom_killed: false,
        error: None,
        completed_at: parse_time(&record.finished_at),
    }
}

async fn observe_until_stopped(task: &TaskEntry, cli: &ContainerCli, reason: String) -> TaskExit {
    tracing::warn!(
        task_id = %task.id(),
        container = %task.container(),
        reason = %reason,
        "watching the container through the CLI"
    );
    loop {
        // Destroy may settle the exit while we watch.
        if let Some(exit) = task.exit() {
            return exit;
        }
        // A supervisor we could not reach (its socket file was removed, say)
        // may still be alive and record the real exit.
        if let Some(record) = read_record(task).filter(|record| !record.status_lost()) {
            return exit_from_record(record);
        }
        match cli.inspect(task.container()).await {
            Ok(Some(container)) if container.state() == ContainerState::Stopped => break,
            Ok(None) => break,
            // Running, stopping, or a state we do not know: still there.
            Ok(Some(_)) => {}
            Err(error) => {
                tracing::debug!(
                    task_id = %task.id(),
                    error = %error,
                    "inspect failed while watching",
                );
            }
        }
        tokio::time::sleep(OBSERVE_INTERVAL).await;
    }

    // The container ended; a live supervisor writes its record right after.
    let deadline = tokio::time::Instant::now() + RECORD_GRACE;
    while tokio::time::Instant::now() < deadline {
        if let Some(record) = read_record(task).filter(|record| !record.status_lost()) {
            return exit_from_record(record);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    TaskExit::unknown(reason)
}

fn parse_time(text: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
}
