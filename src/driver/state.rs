//! `driver_state`: what Nomad stores in a task's handle for us. After a
//! client restart Nomad hands back no driver config, so this holds all that
//! recovery needs. Versioned; version 0 is reserved by Nomad.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::errors::DriverError;
use crate::supervisor::ABANDONED_MARKER;

pub const DRIVER_STATE_VERSION: i32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriverState {
    pub container: String,
    pub image: String,
    pub state_dir: PathBuf,
    pub socket_path: PathBuf,
    pub exit_path: PathBuf,
    pub supervisor_pid: u32,
    /// RFC 3339.
    pub started_at: String,
    /// Port label → port inside the container, for InspectTask's network
    /// override. Absent in handles written before it existed.
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub port_map: HashMap<String, i32>,
}

impl DriverState {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a struct of strings and numbers always serialises")
    }

    pub fn decode(version: i32, bytes: &[u8]) -> Result<Self, DriverError> {
        if version != DRIVER_STATE_VERSION {
            return Err(DriverError::BadRequest(format!(
                "task handle version {version} is not one this driver wrote (expected \
                 {DRIVER_STATE_VERSION})"
            )));
        }
        serde_json::from_slice(bytes).map_err(|error| {
            DriverError::BadRequest(format!("task handle driver_state is unreadable: {error}"))
        })
    }
}

/// Where one start attempt keeps its files: a private directory inside the
/// task's `private/` dir, which Nomad never exposes to the task and removes
/// with the allocation.
#[derive(Debug, Clone)]
pub struct TaskPaths {
    pub state_dir: PathBuf,
    /// Written by a later start attempt: this attempt's supervisor must not
    /// start the container (the later attempt reuses its name).
    pub abandoned: PathBuf,
    pub env_file: PathBuf,
    pub spec: PathBuf,
    pub exit: PathBuf,
    pub log: PathBuf,
    pub socket: PathBuf,
}

impl TaskPaths {
    /// `attempt` is the random last segment of Nomad's task ID, so an earlier
    /// attempt's supervisor can never write into this attempt's files.
    pub fn new(alloc_dir: &Path, task_name: &str, attempt: &str) -> Self {
        let state_dir = alloc_dir
            .join(task_name)
            .join("private")
            .join("container")
            .join(attempt);
        let socket = short_socket_path(
            &state_dir.join("supervisor.sock"),
            alloc_dir,
            task_name,
            attempt,
        );
        Self {
            env_file: state_dir.join("env"),
            spec: state_dir.join("supervisor.json"),
            exit: state_dir.join("exit.json"),
            log: state_dir.join("supervisor.log"),
            abandoned: state_dir.join(ABANDONED_MARKER),
            socket,
            state_dir,
        }
    }
}

/// The socket beside the state when its path fits macOS's 104-byte limit,
/// else in a short per-user directory under /tmp.
fn short_socket_path(
    preferred: &Path,
    alloc_dir: &Path,
    task_name: &str,
    attempt: &str,
) -> PathBuf {
    if crate::plugin::fits_socket_limit(preferred) {
        return preferred.to_path_buf();
    }
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (alloc_dir, task_name, attempt).hash(&mut hasher);
    short_socket_dir().join(format!("{:016x}.sock", hasher.finish()))
}

/// Environment variable naming the directory for the driver's per-user
/// runtime records (registry-login markers).
pub const RUNTIME_DIR_ENV: &str = "NOMAD_DRIVER_CONTAINER_RUNTIME_DIR";

/// A short per-user directory for sockets whose natural path is too long
/// for macOS's 104-byte limit: `/tmp/nomad-driver-container-<uid>`.
pub fn short_socket_dir() -> PathBuf {
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    PathBuf::from(format!("/tmp/nomad-driver-container-{uid}"))
}

/// Where per-user runtime records live: `$NOMAD_DRIVER_CONTAINER_RUNTIME_DIR`,
/// else the short per-user directory.
pub fn runtime_dir() -> PathBuf {
    std::env::var_os(RUNTIME_DIR_ENV)
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(short_socket_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_other_versions_are_refused() {
        let state = DriverState {
            container: "web-a1".into(),
            image: "alpine".into(),
            state_dir: "/d".into(),
            socket_path: "/d/s".into(),
            exit_path: "/d/exit.json".into(),
            supervisor_pid: 42,
            started_at: "2026-12-04T10:00:00Z".into(),
            port_map: HashMap::from([("http".to_string(), 8080)]),
        };
        assert_eq!(DriverState::decode(1, &state.encode()).unwrap(), state);

        // A handle written before the port map existed still decodes.
        let mut older: serde_json::Value = serde_json::from_slice(&state.encode()).unwrap();
        older.as_object_mut().unwrap().remove("port_map");
        let decoded = DriverState::decode(1, older.to_string().as_bytes()).unwrap();
        assert!(decoded.port_map.is_empty());
        assert!(DriverState::decode(2, &state.encode()).is_err());
        assert!(DriverState::decode(1, b"{garbage").is_err());
    }

    #[test]
    fn socket_moves_to_a_short_dir_when_the_alloc_path_is_long() {
        let short = TaskPaths::new(Path::new("/n/alloc/a1"), "web", "abcd1234");
        assert!(short
            .socket
            .starts_with("/n/alloc/a1/web/private/container/abcd1234"));

        let deep = format!("/{}", "x".repeat(120));
        let long = TaskPaths::new(Path::new(&deep), "web", "abcd1234");
        assert!(long.socket.starts_with(short_socket_dir()));
        assert!(crate::plugin::fits_socket_limit(&long.socket));
    }
}
