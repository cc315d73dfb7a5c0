//! A sandboxed stand-in root and helpers to run the binary with a timeout.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    /// A root with a short stats interval so one-shot stats stay fast.
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("temp root");
        std::fs::write(
            dir.path().join("knobs.json"),
            r#"{"stats_interval_ms": 100}"#,
        )
        .expect("knobs");
        Sandbox { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_container"));
        command
            .args(args)
            .env("CONTAINER_STANDIN_ROOT", self.root());
        command
    }

    /// Runs to completion (or fails the test after `TIMEOUT`).
    pub fn run(&self, args: &[&str]) -> Outcome {
        let child = self
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn container");
        finish(child, TIMEOUT)
    }

    /// Runs and expects exit 0; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let outcome = self.run(args);
        assert_eq!(outcome.code, 0, "{args:?} failed: {}", outcome.stderr);
        outcome.stdout
    }

    /// Starts in the background with piped output.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn container")
    }

    pub fn state_of(&self, id: &str) -> String {
        let out = self.ok(&["inspect", id]);
        let value: serde_json::Value = serde_json::from_str(&out).expect("inspect json");
        value[0]["status"]["state"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn wait_for_log(&self, id: &str, text: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            if self.run(&["logs", id]).stdout.contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{id} never logged {text:?}");
    }
}

impl Drop for Sandbox {
    /// Leaves no runtime helper or container process behind.
    fn drop(&mut self) {
        let _ = self.command(&["delete", "--all", "--force"]).output();
    }
}

/// Waits for `child` with a deadline, collecting its output.
pub fn finish(mut child: Child, timeout: Duration) -> Outcome {
    let stdout = child.stdout.take().map(read_in_background);
    let stderr = child.stderr.take().map(read_in_background);
    let status = wait_with_deadline(&mut child, timeout);
    let collect = |handle: Option<std::thread::JoinHandle<String>>| {
        handle
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default()
    };
    Outcome {
        code: exit_code(status),
        stdout: collect(stdout),
        stderr: collect(stderr),
    }
}

fn read_in_background(mut stream: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stream.read_to_string(&mut text);
        text
    })
}

pub fn wait_with_deadline(child: &mut Child, timeout: Duration) -> ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("command did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

pub fn signal(child: &Child, signal: i32) {
    // SAFETY: kill on a pid we spawned and have not reaped.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
}
