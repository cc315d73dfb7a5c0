//! Files the plugin and a supervisor share in the task's state directory:
//! the spec the plugin writes before spawning the supervisor, and the exit
//! record the supervisor writes when the container's attached CLI ends.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A file beside the exit record, written by a later start attempt of the
/// same task: this attempt's supervisor must not start the container, whose
/// name the later attempt reuses.
pub const ABANDONED_MARKER: &str = "abandoned";

/// Bumped when a field changes meaning; a supervisor refuses other versions.
pub const SPEC_VERSION: u32 = 1;

/// What one supervisor runs and where it writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupervisorSpec {
    pub version: u32,
    pub task_id: String,
    pub container: String,
    pub cli_path: PathBuf,
    /// Environment for the CLI on top of ours (e.g. SSH_AUTH_SOCK).
    #[serde(default)]
    pub cli_env: Vec<(String, String)>,
    /// Nomad's stdout/stderr FIFOs (or files); `None` when log collection is
    /// disabled, in which case output is drained and dropped.
    pub stdout_path: Option<PathBuf>,
    pub stderr_path: Option<PathBuf>,
    /// Connections to this socket see EOF when the supervisor exits.
    pub socket_path: PathBuf,
    pub exit_path: PathBuf,
    pub log_path: PathBuf,
}

/// How the container's attached process ended, as far as we know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExitRecord {
    /// The container process's exit code (128 + n when signal n killed it,
    /// as Apple's guest reports it), or -1 when unknown.
    pub exit_code: i32,
    /// Set when the CLI itself died by a signal, which leaves the
    /// container's fate unknown.
    pub signal: i32,
    /// RFC 3339 time the attached CLI ended.
    pub finished_at: String,
    /// Why the status is unknown, when it is.
    pub error: Option<String>,
    /// The last lines the CLI wrote to stderr, for diagnosis.
    #[serde(default)]
    pub stderr_tail: Option<String>,
    /// The CLI failed before the container ever ran (its exit code is the
    /// CLI's, not the task's); `error` says why.
    #[serde(default)]
    pub never_started: bool,
}

impl ExitRecord {
    /// True when the record does not carry the container's real status.
    pub fn status_lost(&self) -> bool {
        self.error.is_some() && !self.never_started
    }
}

/// The hello line a supervisor writes to every connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hello {
    pub supervisor_pid: u32,
    pub cli_pid: u32,
}

/// Writes JSON to `path` atomically: a temp file, fsync, rename, so a reader
/// sees either nothing or the whole record, even across a crash.
pub fn write_json_atomically<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;

    let temp = temp_path_for(path);
    let bytes = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    // Never write through whatever already sits at the temp path (a stale
    // temp file, or a symlink planted to redirect the write): remove it and
    // create a fresh file that must not exist and must not be a link.
    match std::fs::remove_file(&temp) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .mode(0o600)
        .open(&temp)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    std::fs::rename(&temp, path)?;
    if let Some(dir) = path.parent() {
        // Make the rename itself durable.
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

/// Reads a JSON file; `Ok(None)` when it does not exist.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> std::io::Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(std::io::Error::other),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

fn temp_path_for(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_record_round_trips_through_an_atomic_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("exit.json");
        let record = ExitRecord {
            exit_code: 3,
            signal: 0,
            finished_at: "2026-12-04T10:00:00Z".into(),
            error: None,
            stderr_tail: None,
            never_started: false,
        };
        write_json_atomically(&path, &record).unwrap();

        assert_eq!(read_json::<ExitRecord>(&path).unwrap(), Some(record));
        assert!(!dir.path().join("exit.json.tmp").exists());
    }

    #[test]
    fn a_symlink_planted_at_the_temp_path_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.conf");
        std::fs::write(&victim, "precious\n").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("exit.json.tmp")).unwrap();

        let record = ExitRecord {
            exit_code: 0,
            signal: 0,
            finished_at: String::new(),
            error: None,
            stderr_tail: None,
            never_started: false,
        };
        write_json_atomically(&dir.path().join("exit.json"), &record).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    }

    #[test]
    fn missing_record_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            read_json::<ExitRecord>(&dir.path().join("exit.json")).unwrap(),
            None
        );
    }
}
