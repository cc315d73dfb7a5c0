//! `doctor --deep`: one small container taken through every `container`
//! call the driver makes (pull, create, start attached, logs, stats, exec,
//! kill, stop, delete), each output read by the crate's own runtime
//! parsers. When Apple changes a shape the driver reads, the failing step
//! says which one and what it printed.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::container::block_on;
use super::Check;
use crate::runtime::{exit_code_of, ContainerCli, ContainerState, CreateOptions};

const MARK_STDOUT: &str = "ndc-deep-stdout";
const MARK_STDERR: &str = "ndc-deep-stderr";
const MARK_USR1: &str = "ndc-deep-usr1";
const MARK_EXEC: &str = "ndc-deep-exec";

/// The container's command: one line on each stream, a visible answer to
/// SIGUSR1, and a clean exit on SIGTERM (as PID 1 it has no default).
const SCRIPT: &str = "trap 'echo ndc-deep-usr1' USR1; trap 'exit 0' TERM; \
                      echo ndc-deep-stdout; echo ndc-deep-stderr >&2; \
                      while true; do sleep 1; done";

const PULL_LIMIT: Duration = Duration::from_secs(300);
const STEP_LIMIT: Duration = Duration::from_secs(60);
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Runs the deep checks with the CLI at `cli_path`.
pub fn run(cli_path: Option<&Path>, image: &str) -> Vec<Check> {
    let Some(cli_path) = cli_path else {
        return vec![Check::fail(
            "deep_pull",
            "deep: pull",
            "not run: no container CLI was found",
            "fix the container CLI check first",
        )];
    };
    let run = DeepRun {
        cli: ContainerCli::new(cli_path.to_path_buf()),
        image: image.to_string(),
        name: format!("ndc-doctor-{}", std::process::id()),
        checks: Vec::new(),
    };
    block_on(run.run())
}

/// Lines one attached stream has printed so far.
type Lines = Arc<Mutex<Vec<String>>>;

struct DeepRun {
    cli: ContainerCli,
    image: String,
    name: String,
    checks: Vec<Check>,
}

/// The attached `container start` and what it printed.
struct Attached {
    child: Child,
    stdout: Lines,
    stderr: Lines,
}

impl DeepRun {
    async fn run(mut self) -> Vec<Check> {
        let pulled = self.pull().await;
        if self.record("deep_pull", "deep: pull", pulled) {
            let created = self.create().await;
            if self.record("deep_create", "deep: create", created) {
                self.run_created().await;
            }
            let deleted = self.delete().await;
            self.record("deep_delete", "deep: delete", deleted);
        }
        self.checks
    }

    /// Every step that needs the container, started attached.
    async fn run_created(&mut self) {
        let started = self.start_attached().await;
        let mut attached = match started {
            Ok((attached, found)) => {
                self.record("deep_start", "deep: start --attach", Ok(found));
                attached
            }
            Err(reason) => {
                self.record("deep_start", "deep: start --attach", Err(reason));
                return;
            }
        };

        let logs = self.logs().await;
        self.record("deep_logs", "deep: logs", logs);
        let stats = self.stats().await;
        self.record("deep_stats", "deep: stats", stats);
        let exec = self.exec().await;
        self.record("deep_exec", "deep: exec", exec);
        let kill = self.kill(&attached).await;
        self.record("deep_kill", "deep: kill --signal", kill);
        let stop = self.stop(&mut attached).await;
        self.record("deep_stop", "deep: stop", stop);
    }

    /// Adds a check for a step's result; true when it passed.
    fn record(
        &mut self,
        id: &'static str,
        title: &'static str,
        result: Result<String, String>,
    ) -> bool {
        let passed = result.is_ok();
        self.checks.push(match result {
            Ok(found) => Check::ok(id, title, found),
            Err(reason) => Check::fail(
                id,
                title,
                reason,
                "the driver does not match this `container` version; report this line and \
                 `container --version` at the project's issue tracker",
            ),
        });
        passed
    }

    async fn pull(&self) -> Result<String, String> {
        let pull = self.cli.image_pull(&self.image, None, PULL_LIMIT, |_| {});
        pull.await.map_err(|error| error.to_string())?;
        match self.cli.image_exists(&self.image).await {
            Ok(true) => Ok(format!("{} pulled; image inspect finds it", self.image)),
            Ok(false) => Err(format!(
                "{} pulled, but image inspect does not find it",
                self.image
            )),
            Err(error) => Err(error.to_string()),
        }
    }

    async fn create(&self) -> Result<String, String> {
        let options = CreateOptions {
            name: self.name.clone(),
            image: self.image.clone(),
            command: vec!["/bin/sh".into(), "-c".into(), SCRIPT.into()],
            labels: vec![(
                "nomad.driver".into(),
                "nomad-driver-container-doctor".into(),
            )],
            memory_mib: Some(256),
            cpus: Some(1),
            ..Default::default()
        };
        self.cli
            .create(&options, STEP_LIMIT)
            .await
            .map_err(|error| error.to_string())?;
        let state = self.state().await?;
        match state {
            Some(ContainerState::Stopped) => Ok(format!("{} created; inspect reads it", self.name)),
            other => Err(format!(
                "inspect after create reads state {other:?}, not Stopped"
            )),
        }
    }

    async fn state(&self) -> Result<Option<ContainerState>, String> {
        let inspected = self.cli.inspect(&self.name).await;
        let container = inspected.map_err(|error| error.to_string())?;
        Ok(container.map(|container| container.state()))
    }

    async fn start_attached(&self) -> Result<(Attached, String), String> {
        let mut child = Command::new(self.cli.path())
            .args(["start", "--attach", self.name.as_str()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| format!("cannot run {}: {error}", self.cli.path().display()))?;
        let stdout = collect_lines(child.stdout.take());
        let stderr = collect_lines(child.stderr.take());
        let attached = Attached {
            child,
            stdout,
            stderr,
        };

        let both = wait_for(&attached.stdout, MARK_STDOUT).await
            && wait_for(&attached.stderr, MARK_STDERR).await;
        if !both {
            return Err(format!(
                "within {STEP_LIMIT:?} the attached CLI printed stdout {:?} and stderr {:?}; \
                 expected {MARK_STDOUT} on stdout and {MARK_STDERR} on stderr",
                snapshot(&attached.stdout),
                snapshot(&attached.stderr)
            ));
        }
        let container = self
            .cli
            .inspect(&self.name)
            .await
            .map_err(|error| error.to_string())?
            .ok_or("inspect no longer finds the started container")?;
        if container.state() != ContainerState::Running {
            return Err(format!(
                "inspect reads {:?} while attached",
                container.state()
            ));
        }
        let address = container
            .ipv4_address()
            .unwrap_or_else(|| "no IPv4 address".into());
        let found = format!("stdout and stderr arrive apart; inspect: running, {address}");
        Ok((attached, found))
    }

    async fn logs(&self) -> Result<String, String> {
        let log = self.cli.logs(&self.name).await.map_err(|e| e.to_string())?;
        if log.contains(MARK_STDOUT) && log.contains(MARK_STDERR) {
            Ok("both streams are in the container log".into())
        } else {
            Err(format!(
                "the log lacks the two marker lines: {:?}",
                tail(&log)
            ))
        }
    }

    async fn stats(&self) -> Result<String, String> {
        let all = self.cli.stats_all().await.map_err(|e| e.to_string())?;
        let ours = all
            .iter()
            .find(|stats| stats.id == self.name)
            .ok_or_else(|| format!("stats lists {} containers, not {}", all.len(), self.name))?;
        Ok(format!(
            "cpuUsageUsec {:?}, memoryUsageBytes {:?}",
            ours.cpu_usage_usec, ours.memory_usage_bytes
        ))
    }

    async fn exec(&self) -> Result<String, String> {
        let command = ["echo".to_string(), MARK_EXEC.to_string()];
        let exec = self
            .cli
            .exec_capture(&self.name, &command, Some(STEP_LIMIT));
        let output = exec.await.map_err(|error| error.to_string())?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if output.exit_code == 0 && stdout.contains(MARK_EXEC) {
            Ok("exit code and stdout of the exec'd command came back".into())
        } else {
            Err(format!(
                "exit {} with stdout {:?}",
                output.exit_code,
                tail(&stdout)
            ))
        }
    }

    async fn kill(&self, attached: &Attached) -> Result<String, String> {
        let kill = self.cli.kill(&self.name, "SIGUSR1");
        kill.await.map_err(|error| error.to_string())?;
        if wait_for(&attached.stdout, MARK_USR1).await {
            Ok("SIGUSR1 reached the container's process by name".into())
        } else {
            Err(format!("no {MARK_USR1} line after kill --signal SIGUSR1"))
        }
    }

    async fn stop(&self, attached: &mut Attached) -> Result<String, String> {
        let stop = self.cli.stop(&self.name, Some("SIGTERM"), STOP_GRACE);
        stop.await.map_err(|error| error.to_string())?;
        let waited = tokio::time::timeout(STEP_LIMIT, attached.child.wait()).await;
        let status = match waited {
            Ok(Ok(status)) => status,
            Ok(Err(error)) => return Err(format!("waiting for the attached CLI: {error}")),
            Err(_) => return Err("the attached CLI did not exit after stop".into()),
        };
        let code = exit_code_of(status);
        if code != 0 {
            return Err(format!("the attached CLI exited {code}; the trap exits 0"));
        }
        match self.state().await? {
            Some(ContainerState::Stopped) => Ok("attached CLI exited 0; inspect: stopped".into()),
            other => Err(format!("inspect after stop reads {other:?}")),
        }
    }

    async fn delete(&self) -> Result<String, String> {
        let delete = self.cli.delete_force(&self.name);
        delete.await.map_err(|error| error.to_string())?;
        match self.state().await? {
            None => Ok(format!("{} deleted", self.name)),
            Some(state) => Err(format!("inspect still finds it ({state:?})")),
        }
    }
}

fn collect_lines(stream: Option<impl tokio::io::AsyncRead + Unpin + Send + 'static>) -> Lines {
    let lines: Lines = Arc::default();
    if let Some(stream) = stream {
        let sink = lines.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stream).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                sink.lock().expect("no panics while holding it").push(line);
            }
        });
    }
    lines
}

/// Waits up to [`STEP_LIMIT`] for a line holding `mark`.
async fn wait_for(lines: &Lines, mark: &str) -> bool {
    let deadline = tokio::time::Instant::now() + STEP_LIMIT;
    while tokio::time::Instant::now() < deadline {
        if snapshot(lines).iter().any(|line| line.contains(mark)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

fn snapshot(lines: &Lines) -> Vec<String> {
    lines.lock().expect("no panics while holding it").clone()
}

fn tail(text: &str) -> &str {
    let start = text.len().saturating_sub(200);
    let start = (start..=text.len())
        .find(|at| text.is_char_boundary(*at))
        .unwrap_or(text.len());
    &text[start..]
}
