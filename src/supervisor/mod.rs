//! The per-task supervisor: the same binary, started by the plugin in its own
//! session. It runs `container start --attach <name>`, copies the container's
//! stdout and stderr into Nomad's two FIFOs as separate streams, and records
//! the exact exit status. It outlives the plugin: Nomad may restart or kill
//! the plugin at any moment and the task, its output and its exit status are
//! unaffected.
//!
//! The plugin learns of the exit without polling: it holds a connection to
//! our socket, and the kernel closes it when we exit, after the exit record
//! is on disk.

mod notify;
mod output;
mod record;

use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Duration;

use anyhow::Context;

pub use output::QUEUE_LIMIT_BYTES;
pub use record::{
    read_json, write_json_atomically, ExitRecord, Hello, SupervisorSpec, ABANDONED_MARKER,
    SPEC_VERSION,
};

/// How long output may take to reach Nomad after the container exited. Past
/// it, the exit is recorded anyway; Nomad must not wait on a gone reader.
const OUTPUT_FLUSH_LIMIT: Duration = Duration::from_secs(10);
/// Bound on the one `inspect` a supervisor may make.
const INSPECT_LIMIT: Duration = Duration::from_secs(20);

/// Entry point of `nomad-driver-container supervise <spec>`.
pub fn run(spec_path: &Path) -> ExitCode {
    ignore_session_signals();

    let spec: SupervisorSpec = match read_json(spec_path) {
        Ok(Some(spec)) => spec,
        Ok(None) => {
            return fail_early(format!(
                "supervisor spec {} does not exist",
                spec_path.display()
            ))
        }
        Err(error) => {
            return fail_early(format!(
                "reading supervisor spec {}: {error}",
                spec_path.display()
            ))
        }
    };
    if spec.version != SPEC_VERSION {
        return fail_early(format!(
            "supervisor spec version {} is not {SPEC_VERSION}",
            spec.version
        ));
    }
    init_log(&spec.log_path);

    let span =
        tracing::info_span!("supervisor", task_id = %spec.task_id, container = %spec.container);
    let _entered = span.enter();
    match supervise(&spec) {
        Ok(record) => {
            tracing::info!(
                exit_code = record.exit_code,
                signal = record.signal,
                "container ended"
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "supervision failed");
            record_failure(&spec, &format!("{error:#}"));
            ExitCode::FAILURE
        }
    }
}

fn supervise(spec: &SupervisorSpec) -> anyhow::Result<ExitRecord> {
    let stdout_sink = output::Sink::open(spec.stdout_path.as_deref())
        .with_context(|| format!("opening the stdout FIFO {:?}", spec.stdout_path))?;
    let stderr_sink = output::Sink::open(spec.stderr_path.as_deref())
        .with_context(|| format!("opening the stderr FIFO {:?}", spec.stderr_path))?;

    let listener = notify::bind(&spec.socket_path)
        .with_context(|| format!("binding {}", spec.socket_path.display()))?;
    // A later start attempt reuses the container's name; starting it now
    // would start that attempt's container.
    if spec.exit_path.with_file_name(ABANDONED_MARKER).exists() {
        anyhow::bail!("a later start attempt of this task replaced this one");
    }

    let mut child = spawn_attached_cli(spec)?;
    let cli_pid = child.id();
    tracing::info!(cli_pid, "attached to container");
    notify::serve(
        listener,
        Hello {
            supervisor_pid: std::process::id(),
            cli_pid,
        },
    );

    let stdout = child.stdout.take().context("CLI stdout pipe missing")?;
    let stderr = child.stderr.take().context("CLI stderr pipe missing")?;
    let stdout_copy = output::Copy::start("stdout", stdout, stdout_sink);
    let stderr_copy = output::Copy::start("stderr", stderr, stderr_sink);

    let status = wait_for(&mut child).context("waiting for the attached CLI")?;
    let finished_at = now_rfc3339();

    let mut stderr_tail = String::new();
    for (name, copy) in [("stdout", stdout_copy), ("stderr", stderr_copy)] {
        let finished = copy.finish(OUTPUT_FLUSH_LIMIT);
        if finished.dropped_bytes > 0 || !finished.delivered {
            tracing::warn!(
                stream = name,
                dropped_bytes = finished.dropped_bytes,
                delivered = finished.delivered,
                "output was not fully delivered"
            );
        }
        if name == "stderr" {
            stderr_tail = finished.tail;
        }
    }

    let mut record = exit_record(status, finished_at);
    if let Some(error) = start_failure(spec, &record, &stderr_tail) {
        record.exit_code = -1;
        record.error = Some(format!("the container did not start: {error}"));
        record.never_started = true;
    }
    record.stderr_tail = Some(stderr_tail).filter(|tail| !tail.is_empty());
    write_json_atomically(&spec.exit_path, &record)
        .with_context(|| format!("writing the exit record {}", spec.exit_path.display()))?;
    Ok(record)
}

/// Apple's CLI exits 1 with `Error: ...` when it cannot start the container
/// at all, which would otherwise read as the task's own exit code 1. Asked
/// right away, a container that never ran has no start date (later, an API
/// service restart would clear it for every container).
fn start_failure(spec: &SupervisorSpec, record: &ExitRecord, stderr_tail: &str) -> Option<String> {
    if record.exit_code != 1 {
        return None;
    }
    let error = stderr_tail
        .lines()
        .rev()
        .find(|line| line.starts_with("Error: "))?;
    let output = run_bounded(
        Command::new(&spec.cli_path)
            .args(["inspect", spec.container.as_str()])
            .envs(spec.cli_env.iter().map(|(k, v)| (k, v))),
        INSPECT_LIMIT,
    )?;
    let containers = crate::runtime::parse_inspect_output(&output).ok()?;
    let never_ran = containers
        .first()
        .is_some_and(|container| container.started_date().is_none());
    never_ran.then(|| error.to_string())
}

/// Runs a short command, giving up (and killing it) after `limit`.
fn run_bounded(command: &mut Command, limit: Duration) -> Option<Vec<u8>> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = std::time::Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(_)) | Err(_) => return None,
            Ok(None) if std::time::Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    let mut stdout = Vec::new();
    use std::io::Read;
    child.stdout.take()?.read_to_end(&mut stdout).ok()?;
    Some(stdout)
}

/// Starts `container start --attach` with its own process group and default
/// signal handling: nothing sent to our session reaches it, and every stop or
/// signal goes through `container stop`/`container kill` instead (Apple's CLI
/// does not forward signals to the container, and exits on the third one).
fn spawn_attached_cli(spec: &SupervisorSpec) -> anyhow::Result<Child> {
    use std::os::unix::process::CommandExt;

    let mut command = Command::new(&spec.cli_path);
    command
        .args(["start", "--attach", spec.container.as_str()])
        .envs(spec.cli_env.iter().map(|(key, value)| (key, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: only async-signal-safe calls (setpgid, signal) between fork
    // and exec.
    unsafe {
        command.pre_exec(|| {
            libc::setpgid(0, 0);
            for signal in SHIELDED_SIGNALS {
                libc::signal(*signal, libc::SIG_DFL);
            }
            Ok(())
        });
    }
    command.spawn().with_context(|| {
        format!(
            "starting {} start --attach {}",
            spec.cli_path.display(),
            spec.container
        )
    })
}

fn wait_for(child: &mut Child) -> std::io::Result<std::process::ExitStatus> {
    loop {
        match child.wait() {
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// The attached CLI exits with the container process's own code (128 + n
/// for a death by signal n, computed in the guest). If the CLI itself was
/// killed by a signal, we no longer know what the container did.
fn exit_record(status: std::process::ExitStatus, finished_at: String) -> ExitRecord {
    use std::os::unix::process::ExitStatusExt;

    match (status.code(), status.signal()) {
        (Some(code), _) => ExitRecord {
            exit_code: code,
            signal: 0,
            finished_at,
            error: None,
            stderr_tail: None,
            never_started: false,
        },
        (None, Some(signal)) => ExitRecord {
            exit_code: -1,
            signal,
            finished_at,
            error: Some(format!(
                "the attached container CLI was killed by signal {signal}; the container's \
                 exit status is unknown"
            )),
            stderr_tail: None,
            never_started: false,
        },
        (None, None) => ExitRecord {
            exit_code: -1,
            signal: 0,
            finished_at,
            error: Some("the attached container CLI ended without an exit status".into()),
            stderr_tail: None,
            never_started: false,
        },
    }
}

/// Signals a terminal or a process manager sends a session, which must not
/// end us or the CLI: the container's fate is decided through the CLI only.
const SHIELDED_SIGNALS: &[libc::c_int] = &[
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGPIPE,
    libc::SIGTSTP,
    libc::SIGTTIN,
    libc::SIGTTOU,
];

fn ignore_session_signals() {
    for signal in SHIELDED_SIGNALS {
        // SAFETY: SIG_IGN installs no handler code.
        unsafe {
            libc::signal(*signal, libc::SIG_IGN);
        }
    }
}

fn init_log(path: &Path) {
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        Ok(file) => crate::logging::init("container.supervisor", std::sync::Mutex::new(file)),
        Err(_) => crate::logging::init("container.supervisor", std::io::sink),
    }
}

/// Before the spec is read there is nowhere to record anything; stderr is
/// /dev/null in normal use, so this only helps a person running it by hand.
fn fail_early(message: String) -> ExitCode {
    eprintln!("nomad-driver-container supervise: {message}");
    ExitCode::FAILURE
}

/// Leaves an exit record saying why supervision failed, unless one exists.
fn record_failure(spec: &SupervisorSpec, reason: &str) {
    if spec.exit_path.exists() {
        return;
    }
    let record = ExitRecord {
        exit_code: -1,
        signal: 0,
        finished_at: now_rfc3339(),
        error: Some(format!("the task supervisor failed: {reason}")),
        stderr_tail: None,
        never_started: false,
    };
    if let Err(error) = write_json_atomically(&spec.exit_path, &record) {
        tracing::error!(
            error = %error,
            path = %spec.exit_path.display(),
            "cannot write the exit record",
        );
    }
}

pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
