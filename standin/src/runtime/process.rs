//! Starting one container process (the init process or an exec'd one) as a
//! real Linux process: resolved executable, exact environment, working
//! directory, user, rlimits, and either pipes or a PTY for its stdio.

use crate::model::container::Rlimit;
use nix::fcntl::{fcntl, FcntlArg, FdFlag};
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStderr, ChildStdin, ChildStdout, Command, Stdio};

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[derive(Debug, Clone)]
pub struct Credentials {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
}

#[derive(Debug, Clone)]
pub struct ProcessSpec {
    pub executable: String,
    pub arguments: Vec<String>,
    pub environment: Vec<String>,
    pub working_directory: String,
    pub credentials: Option<Credentials>,
    pub rlimits: Vec<Rlimit>,
    pub terminal: bool,
    pub interactive: bool,
    /// Stdio to /dev/null whatever the other flags say (`exec -d`).
    pub discard_io: bool,
    pub window: Option<(u16, u16)>,
}

pub enum ProcessIo {
    Pipes {
        stdin: Option<ChildStdin>,
        stdout: ChildStdout,
        stderr: ChildStderr,
    },
    Terminal {
        master: File,
    },
    Discarded,
}

pub struct Spawned {
    pub pid: i32,
    pub io: ProcessIo,
}

/// Spawns the process. The caller reaps it (see `reaper`); we never call
/// `Child::wait`. Errors are the texts a user sees.
pub fn spawn(spec: &ProcessSpec) -> Result<Spawned, String> {
    let program = resolve_executable(&spec.executable, &spec.environment)?;
    let mut command = Command::new(&program);
    command
        .arg0(&spec.executable)
        .args(&spec.arguments)
        .env_clear()
        .envs(
            spec.environment
                .iter()
                .filter_map(|entry| entry.split_once('=')),
        )
        .current_dir(working_directory(&spec.working_directory));

    let terminal = spec.terminal && !spec.discard_io;
    let master = if terminal {
        Some(attach_terminal(&mut command, spec.window)?)
    } else {
        None
    };
    if !terminal {
        attach_pipes(&mut command, spec);
    }
    install_child_setup(&mut command, spec, terminal);

    let mut child = command
        .spawn()
        .map_err(|error| spawn_error(&spec.executable, error))?;
    let pid = child.id() as i32;
    let io = match master {
        Some(master) => ProcessIo::Terminal { master },
        None if spec.discard_io => ProcessIo::Discarded,
        None => ProcessIo::Pipes {
            stdin: child.stdin.take(),
            stdout: child.stdout.take().ok_or("stdout pipe missing")?,
            stderr: child.stderr.take().ok_or("stderr pipe missing")?,
        },
    };
    Ok(Spawned { pid, io })
}

fn spawn_error(executable: &str, error: std::io::Error) -> String {
    format!("failed to start process {executable}: {error}")
}

/// The configured directory when it exists here, else `/`.
fn working_directory(configured: &str) -> PathBuf {
    let path = Path::new(configured);
    if path.is_dir() {
        path.to_path_buf()
    } else {
        PathBuf::from("/")
    }
}

/// Looks the executable up in the *container's* PATH, not the helper's.
pub fn resolve_executable(executable: &str, environment: &[String]) -> Result<PathBuf, String> {
    let not_found = || format!("failed to find target executable {executable}");
    if executable.contains('/') {
        let path = PathBuf::from(executable);
        return if is_executable(&path) {
            Ok(path)
        } else {
            Err(not_found())
        };
    }
    let search = environment
        .iter()
        .rev()
        .find_map(|entry| entry.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH);
    search
        .split(':')
        .filter(|dir| !dir.is_empty())
        .map(|dir| Path::new(dir).join(executable))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(not_found)
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn attach_pipes(command: &mut Command, spec: &ProcessSpec) {
    if spec.discard_io {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        return;
    }
    let stdin = if spec.interactive {
        Stdio::piped()
    } else {
        Stdio::null()
    };
    command
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
}

/// Opens a PTY, hands the child its slave side three times, keeps the master.
fn attach_terminal(command: &mut Command, window: Option<(u16, u16)>) -> Result<File, String> {
    let size = window.map(|(rows, cols)| nix::pty::Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    });
    let pty =
        nix::pty::openpty(size.as_ref(), None).map_err(|error| format!("openpty: {error}"))?;
    set_cloexec(&pty.master)?;
    set_cloexec(&pty.slave)?;

    let slave = File::from(pty.slave);
    let clone = |file: &File| file.try_clone().map_err(|error| format!("pty: {error}"));
    command
        .stdin(clone(&slave)?)
        .stdout(clone(&slave)?)
        .stderr(slave);
    Ok(File::from(pty.master))
}

fn set_cloexec(fd: &OwnedFd) -> Result<(), String> {
    fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))
        .map(|_| ())
        .map_err(|error| format!("fcntl: {error}"))
}

/// Session or process group, rlimits and user, applied in the child just
/// before exec. Only async-signal-safe calls happen in the closure.
fn install_child_setup(command: &mut Command, spec: &ProcessSpec, terminal: bool) {
    let rlimits: Vec<(u32, libc::rlimit)> = spec
        .rlimits
        .iter()
        .filter_map(|limit| {
            let resource = rlimit_resource(&limit.limit)?;
            Some((
                resource,
                libc::rlimit {
                    rlim_cur: limit.soft,
                    rlim_max: limit.hard,
                },
            ))
        })
        .collect();
    let credentials = spec.credentials.clone();

    // SAFETY: the closure runs between fork and exec and only makes raw
    // system calls on data captured before the fork.
    unsafe {
        command.pre_exec(move || {
            reset_signals();
            if terminal {
                // A session of its own with the PTY as controlling terminal.
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            } else if libc::setpgid(0, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            for (resource, limit) in &rlimits {
                if libc::setrlimit(*resource as _, limit) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            if let Some(user) = &credentials {
                drop_privileges(user)?;
            }
            Ok(())
        });
    }
}

/// Blocked and ignored signals survive fork and exec: an attached CLI
/// blocks the ones it watches, a shell ignores SIGINT for background jobs.
/// A process in a fresh VM has neither, so neither may ours.
pub fn reset_signals() {
    // SAFETY: sigemptyset/sigprocmask/signal on a local set; async-signal-safe.
    unsafe {
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        for number in 1..libc::SIGRTMAX() {
            if number != libc::SIGKILL && number != libc::SIGSTOP {
                libc::signal(number, libc::SIG_DFL);
            }
        }
    }
}

fn drop_privileges(user: &Credentials) -> std::io::Result<()> {
    // SAFETY: plain system calls on owned values; see install_child_setup.
    unsafe {
        if libc::setgroups(user.groups.len(), user.groups.as_ptr()) < 0
            || libc::setgid(user.gid) < 0
            || libc::setuid(user.uid) < 0
        {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

fn rlimit_resource(name: &str) -> Option<u32> {
    let resource = match name {
        "RLIMIT_CORE" => libc::RLIMIT_CORE,
        "RLIMIT_CPU" => libc::RLIMIT_CPU,
        "RLIMIT_DATA" => libc::RLIMIT_DATA,
        "RLIMIT_FSIZE" => libc::RLIMIT_FSIZE,
        "RLIMIT_LOCKS" => libc::RLIMIT_LOCKS,
        "RLIMIT_MEMLOCK" => libc::RLIMIT_MEMLOCK,
        "RLIMIT_MSGQUEUE" => libc::RLIMIT_MSGQUEUE,
        "RLIMIT_NICE" => libc::RLIMIT_NICE,
        "RLIMIT_NOFILE" => libc::RLIMIT_NOFILE,
        "RLIMIT_NPROC" => libc::RLIMIT_NPROC,
        "RLIMIT_RSS" => libc::RLIMIT_RSS,
        "RLIMIT_RTPRIO" => libc::RLIMIT_RTPRIO,
        "RLIMIT_RTTIME" => libc::RLIMIT_RTTIME,
        "RLIMIT_SIGPENDING" => libc::RLIMIT_SIGPENDING,
        "RLIMIT_STACK" => libc::RLIMIT_STACK,
        _ => return None,
    };
    Some(resource)
}

/// Applies a new window size to a PTY master.
pub fn resize_terminal(master: &File, rows: u16, cols: u16) {
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one winsize from the pointed-to struct.
    unsafe {
        libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &size);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executables_are_found_on_the_container_path() {
        let env = vec!["PATH=/nonexistent:/bin:/usr/bin".to_string()];
        assert!(resolve_executable("sh", &env).unwrap().ends_with("sh"));
        assert_eq!(
            resolve_executable("no-such-tool", &env).unwrap_err(),
            "failed to find target executable no-such-tool"
        );
        assert!(resolve_executable("/bin/sh", &[]).is_ok());
    }

    #[test]
    fn missing_working_directory_falls_back_to_root() {
        assert_eq!(working_directory("/nonexistent/dir"), PathBuf::from("/"));
        assert_eq!(working_directory("/tmp"), PathBuf::from("/tmp"));
    }
}
