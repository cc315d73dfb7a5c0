//! Drives the built plugin the way Nomad's client does: launched with the
//! magic cookie, the handshake read from stdout, gRPC over the unix socket,
//! and a task directory with FIFOs read by a logmon-like reader. The stand-in
//! `container` CLI plays Apple's CLI, with its state in a temp root.
#![allow(dead_code)] // each test binary uses a different part

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nomad_driver_container::proto::base::base_plugin_client::BasePluginClient;
use nomad_driver_container::proto::base::{NomadConfig, NomadDriverConfig, SetConfigRequest};
use nomad_driver_container::proto::drivers::driver_client::DriverClient;
use nomad_driver_container::proto::drivers::*;
use rmpv::Value;
use tonic::transport::{Channel, Endpoint, Uri};

pub const COOKIE: &str = "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255";

pub fn plugin_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_nomad-driver-container"))
}

/// The stand-in CLI, built by `cargo build --workspace` next to our binary.
pub fn standin_binary() -> PathBuf {
    let path = plugin_binary().with_file_name("container");
    assert!(
        path.exists(),
        "the stand-in CLI {} is missing: run `cargo build --workspace` first",
        path.display()
    );
    path
}

/// A temp root for the stand-in's state, shared by every plugin process a
/// test launches (as Apple's API server outlives the plugin).
pub struct Standin {
    pub root: tempfile::TempDir,
}

impl Standin {
    pub fn new() -> Self {
        Self {
            root: tempfile::tempdir().unwrap(),
        }
    }

    pub fn set_knobs(&self, json: &str) {
        std::fs::write(self.root.path().join("knobs.json"), json).unwrap();
    }

    /// Runs the stand-in CLI directly, as a test's own hand on the "Mac".
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(standin_binary())
            .args(args)
            .env("CONTAINER_STANDIN_ROOT", self.root.path())
            .output()
            .unwrap()
    }

    /// Pids of live stand-in CLI processes of this root running `command`
    /// (its first argument), found by the root in their environment.
    pub fn live_calls(&self, command: &str) -> Vec<i32> {
        let root = format!("CONTAINER_STANDIN_ROOT={}", self.root.path().display());
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|entry| {
                let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
                let environ = std::fs::read(entry.path().join("environ")).ok()?;
                let argv = std::fs::read(entry.path().join("cmdline")).ok()?;
                let ours = environ
                    .split(|byte| *byte == 0)
                    .any(|var| var == root.as_bytes());
                let first_arg = argv.split(|byte| *byte == 0).nth(1)?;
                (ours && first_arg == command.as_bytes()).then_some(pid)
            })
            .collect()
    }

    /// Invocations recorded in calls.log, as argv lists.
    pub fn calls(&self) -> Vec<Vec<String>> {
        let Ok(text) = std::fs::read_to_string(self.root.path().join("calls.log")) else {
            return Vec::new();
        };
        text.lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .map(|entry| {
                entry["argv"]
                    .as_array()
                    .map(|argv| {
                        argv.iter()
                            .filter_map(|a| a.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect()
    }
}

impl Drop for Standin {
    /// Containers are real processes that outlive the test: end them all.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.root.path().join("knobs.json"));
        let _ = self.cli(&["delete", "--all", "--force"]);
    }
}

/// Polls `condition` until it holds, failing the test after `limit`.
pub async fn wait_until(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One launched plugin process and its clients.
pub struct Plugin {
    pub child: Child,
    pub socket: PathBuf,
    pub handshake: String,
    pub channel: Channel,
    pub stderr_lines: Arc<Mutex<Vec<String>>>,
}

impl Plugin {
    pub async fn launch(standin: &Standin) -> Self {
        Self::launch_with_env(standin, &[]).await
    }

    pub async fn launch_with_env(standin: &Standin, extra_env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(plugin_binary());
        command
            .env("NOMAD_PLUGIN_MAGIC_COOKIE", COOKIE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "2")
            .env("PLUGIN_MIN_PORT", "10000")
            .env("PLUGIN_MAX_PORT", "25000")
            .env("CONTAINER_STANDIN_ROOT", standin.root.path())
            // Per-stand-in runtime files (login markers), as on a real host
            // where one Apple service goes with one runtime dir.
            .env(
                "NOMAD_DRIVER_CONTAINER_RUNTIME_DIR",
                standin.root.path().join("runtime"),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in extra_env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap();

        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut handshake = String::new();
        stdout.read_line(&mut handshake).unwrap();
        let handshake = handshake.trim().to_string();
        // Nomad reads and discards stdout after the handshake.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = stdout.read_to_end(&mut sink);
        });

        let stderr_lines = Arc::new(Mutex::new(Vec::new()));
        let collected = stderr_lines.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                collected.lock().unwrap().push(line);
            }
        });

        let fields: Vec<&str> = handshake.split('|').collect();
        assert_eq!(fields.len(), 6, "handshake {handshake:?}");
        let socket = PathBuf::from(fields[3]);
        let channel = connect(&socket).await;
        Self {
            child,
            socket,
            handshake,
            channel,
            stderr_lines,
        }
    }

    pub fn driver(&self) -> DriverClient<Channel> {
        DriverClient::new(self.channel.clone())
    }

    pub fn base(&self) -> BasePluginClient<Channel> {
        BasePluginClient::new(self.channel.clone())
    }

    /// SetConfig the way the long-lived instance gets it, then Init.
    pub async fn configure(&self, standin_path: &Path, extra: &[(&str, Value)]) {
        let mut pairs = vec![(
            "container_path",
            Value::from(standin_path.to_str().unwrap()),
        )];
        pairs.extend(extra.iter().cloned());
        let request = SetConfigRequest {
            msgpack_config: msgpack(&pairs),
            nomad_config: Some(NomadConfig {
                driver: Some(NomadDriverConfig {
                    client_max_port: 14512,
                    client_min_port: 14000,
                    topology: None,
                }),
            }),
            plugin_api_version: "v0.1.0".into(),
        };
        self.base().set_config(request).await.unwrap();
        self.driver().init(InitRequest {}).await.unwrap();
    }

    /// Everything the plugin wrote to stderr so far.
    pub fn log(&self) -> String {
        self.stderr_lines.lock().unwrap().join("\n")
    }

    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        self.kill_hard();
    }
}

pub async fn connect(socket: &Path) -> Channel {
    let socket = socket.to_path_buf();
    Endpoint::try_from("http://plugin.invalid")
        .unwrap()
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let socket = socket.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(socket).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
            }
        }))
        .await
        .unwrap()
}

/// A cty-msgpack object: every key given, as Nomad sends them.
pub fn msgpack(pairs: &[(&str, Value)]) -> Vec<u8> {
    let map = Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (Value::from(*k), v.clone()))
            .collect(),
    );
    let mut bytes = Vec::new();
    rmpv::encode::write_value(&mut bytes, &map).unwrap();
    bytes
}

pub fn strings(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|s| Value::from(*s)).collect())
}

/// A task's allocation directory with Nomad's layout and log FIFOs, and a
/// logmon-like reader per stream that keeps everything it reads.
pub struct TaskDir {
    pub alloc: tempfile::TempDir,
    pub alloc_id: String,
    pub task_name: String,
    pub stdout: LogReader,
    pub stderr: LogReader,
}

impl TaskDir {
    pub fn new(task_name: &str) -> Self {
        let alloc = tempfile::tempdir().unwrap();
        let alloc_id = format!(
            "{:08x}-aaaa-bbbb-cccc-{:012x}",
            std::process::id(),
            rand_u64() & 0xffff_ffff_ffff
        );
        for dir in ["alloc/logs", "alloc/tmp", "alloc/data"] {
            std::fs::create_dir_all(alloc.path().join(dir)).unwrap();
        }
        for dir in ["local", "secrets", "tmp", "private"] {
            std::fs::create_dir_all(alloc.path().join(task_name).join(dir)).unwrap();
        }
        let logs = alloc.path().join("alloc/logs");
        let stdout = LogReader::start(&logs.join(format!(".{task_name}.stdout.fifo")));
        let stderr = LogReader::start(&logs.join(format!(".{task_name}.stderr.fifo")));
        Self {
            alloc,
            alloc_id,
            task_name: task_name.to_string(),
            stdout,
            stderr,
        }
    }

    /// A TaskConfig shaped like Nomad's, with this driver config.
    pub fn task_config(&self, driver_config: &[(&str, Value)]) -> TaskConfig {
        let attempt = format!("{:08x}", rand_u64() as u32);
        TaskConfig {
            id: format!("{}/{}/{}", self.alloc_id, self.task_name, attempt),
            name: self.task_name.clone(),
            msgpack_driver_config: msgpack(driver_config),
            env: HashMap::from([
                ("NOMAD_ALLOC_ID".to_string(), self.alloc_id.clone()),
                ("NOMAD_TASK_NAME".to_string(), self.task_name.clone()),
                ("NOMAD_TASK_DIR".to_string(), "/local".to_string()),
            ]),
            resources: Some(Resources {
                allocated_resources: Some(AllocatedTaskResources {
                    cpu: Some(AllocatedCpuResources { cpu_shares: 500 }),
                    memory: Some(AllocatedMemoryResources {
                        memory_mb: 256,
                        memory_max_mb: 0,
                    }),
                    networks: vec![],
                }),
                linux_resources: Some(LinuxResources {
                    memory_limit_bytes: 256 << 20,
                    ..Default::default()
                }),
                ports: vec![],
            }),
            alloc_dir: self.alloc.path().to_str().unwrap().to_string(),
            stdout_path: self.stdout.path.to_str().unwrap().to_string(),
            stderr_path: self.stderr.path.to_str().unwrap().to_string(),
            task_group_name: "group".into(),
            job_name: "job".into(),
            job_id: "job".into(),
            alloc_id: self.alloc_id.clone(),
            namespace: "default".into(),
            node_name: "node".into(),
            node_id: "node-id".into(),
            ..Default::default()
        }
    }
}

/// Reads one FIFO like Nomad's logmon: opens it read-only (blocking until a
/// writer appears) and keeps every byte until EOF. Like logmon across a
/// client restart, it can let go of the FIFO and open it again later.
pub struct LogReader {
    pub path: PathBuf,
    received: Arc<Mutex<Vec<u8>>>,
    done: Arc<Mutex<bool>>,
    paused: Arc<std::sync::atomic::AtomicBool>,
}

impl LogReader {
    pub fn start(path: &Path) -> Self {
        nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let reader = Self {
            path: path.to_path_buf(),
            received: Arc::default(),
            done: Arc::default(),
            paused: Arc::default(),
        };
        reader.spawn_thread();
        reader
    }

    fn spawn_thread(&self) {
        use std::os::unix::fs::OpenOptionsExt;
        use std::sync::atomic::Ordering;
        let (path, sink, finished, paused) = (
            self.path.clone(),
            self.received.clone(),
            self.done.clone(),
            self.paused.clone(),
        );
        std::thread::spawn(move || {
            // Non-blocking reads so a pause takes effect promptly.
            let mut fifo = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&path)
                .unwrap();
            let mut saw_writer = false;
            let mut buffer = [0u8; 8192];
            loop {
                if paused.load(Ordering::SeqCst) {
                    return; // dropping the descriptor, as a stopped logmon does
                }
                match fifo.read(&mut buffer) {
                    // Zero bytes: no writer yet, or the last writer left.
                    Ok(0) if saw_writer => break,
                    Ok(0) => std::thread::sleep(Duration::from_millis(5)),
                    Ok(count) => {
                        saw_writer = true;
                        sink.lock().unwrap().extend_from_slice(&buffer[..count]);
                    }
                    Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                        saw_writer = true;
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => break,
                }
            }
            *finished.lock().unwrap() = true;
        });
    }

    /// Closes the FIFO as a stopping logmon does; output meanwhile must wait.
    pub fn pause(&self) {
        self.paused.store(true, std::sync::atomic::Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(50));
    }

    /// Opens the FIFO again, as logmon does when the client comes back.
    pub fn resume(&self) {
        self.paused
            .store(false, std::sync::atomic::Ordering::SeqCst);
        self.spawn_thread();
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.received.lock().unwrap()).into_owned()
    }

    /// Waits until the writer closed the FIFO (the supervisor exited).
    pub async fn wait_closed(&self, limit: Duration) -> String {
        let deadline = tokio::time::Instant::now() + limit;
        while !*self.done.lock().unwrap() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "FIFO {} never closed",
                self.path.display()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.text()
    }

    /// Waits until `needle` has been read.
    pub async fn wait_for(&self, needle: &str, limit: Duration) -> String {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let text = self.text();
            if text.contains(needle) {
                return text;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{needle:?} never appeared in {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    hasher.write_u128(now.as_nanos());
    hasher.finish()
}

/// Bounded wait for a task's exit through WaitTask.
pub async fn wait_exit(
    driver: &mut DriverClient<Channel>,
    task_id: &str,
    limit: Duration,
) -> WaitTaskResponse {
    tokio::time::timeout(
        limit,
        driver.wait_task(WaitTaskRequest {
            task_id: task_id.into(),
        }),
    )
    .await
    .expect("WaitTask did not return in time")
    .expect("WaitTask failed")
    .into_inner()
}

/// The driver config for a shell command on the stand-in's alpine image.
pub fn shell_task(script: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("image", Value::from("alpine:3.20")),
        ("command", Value::from("/bin/sh")),
        ("args", strings(&["-c", script])),
        ("entrypoint", Value::Nil),
        ("working_dir", Value::Nil),
        ("env", Value::Nil),
        ("labels", Value::Nil),
    ]
}

/// The same driver config with one key set (or replaced).
pub fn with(
    mut config: Vec<(&'static str, Value)>,
    key: &'static str,
    value: Value,
) -> Vec<(&'static str, Value)> {
    config.retain(|(existing, _)| *existing != key);
    config.push((key, value));
    config
}

/// Watches every process's argv on the machine until stopped, collecting
/// any that contain one of the needles: the way a secret would leak to
/// anyone running `ps`.
pub struct ArgvWatch {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<ArgvReport>>,
}

/// What an [`ArgvWatch`] saw.
#[derive(Debug, Default)]
pub struct ArgvReport {
    /// Every argv that contained a needle.
    pub leaks: Vec<String>,
    /// Complete passes over /proc, so a test can show it really sampled.
    pub sweeps: usize,
    /// Processes seen, summed over every sweep.
    pub processes_seen: usize,
}

impl ArgvWatch {
    pub fn start(needles: &[&str]) -> Self {
        let needles: Vec<String> = needles.iter().map(|n| n.to_string()).collect();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut report = ArgvReport::default();
            while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                let Ok(entries) = std::fs::read_dir("/proc") else {
                    break;
                };
                for entry in entries.flatten() {
                    let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
                        continue;
                    };
                    report.processes_seen += 1;
                    let argv = String::from_utf8_lossy(&raw).replace('\0', " ");
                    if needles.iter().any(|needle| argv.contains(needle.as_str())) {
                        report.leaks.push(argv);
                    }
                }
                report.sweeps += 1;
            }
            report
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops watching; returns what was seen.
    pub fn finish(mut self) -> ArgvReport {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap()
    }
}

/// Every file under `dir` (recursively) whose bytes contain one of the
/// needles, except files named in `allowed`; returns (path, needle) pairs.
pub fn files_containing(dir: &Path, needles: &[&str], allowed: &[&str]) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            found.extend(files_containing(&path, needles, allowed));
            continue;
        }
        let named_allowed = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| allowed.contains(&name));
        // FIFOs and sockets would block or fail; only regular files hold logs.
        if !kind.is_file() || named_allowed {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned();
        for needle in needles {
            if text.contains(needle) {
                found.push((path.clone(), needle.to_string()));
            }
        }
    }
    found
}

/// A `container` wrapper script in `dir` that runs `body` (shell) with
/// `$REAL` set to the stand-in, for tests that need the CLI to misbehave.
pub fn cli_wrapper(dir: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("container");
    let script = format!(
        "#!/bin/bash\nREAL={}\n{body}\nexec \"$REAL\" \"$@\"\n",
        standin_binary().display()
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The pids of processes whose argv contains `needle`.
pub fn processes_matching(needle: &str) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let argv = std::fs::read(entry.path().join("cmdline")).ok()?;
            // Arguments are NUL-separated in /proc; match them as `ps` shows them.
            let argv = String::from_utf8_lossy(&argv).replace('\0', " ");
            argv.contains(needle).then_some(pid)
        })
        .collect()
}

/// The value of `key` in a handle's driver_state.
pub fn driver_state(handle: &TaskHandle, key: &str) -> serde_json::Value {
    let state: serde_json::Value = serde_json::from_slice(&handle.driver_state).unwrap();
    state[key].clone()
}
