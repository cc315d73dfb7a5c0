//! The one seam for facts only the host can give: the OS and its version,
//! the chip, Rosetta, who runs which process, where programs are, and
//! running a program. `doctor` and `setup` ask a [`Host`]; the real one
//! shells out to macOS tools (and says "not macOS" on Linux), and tests hand
//! in a fake that plays each branch.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where Homebrew (Apple Silicon, then Intel) and manual installs put
/// programs, searched after `PATH`. Nomad launched by launchd often has a
/// short `PATH`, so these matter.
pub const PROGRAM_DIRS: &[&str] = &["/opt/homebrew/bin", "/usr/local/bin"];

/// What a program printed and how it ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProgramOutput {
    /// `None` when it was killed by a signal.
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl ProgramOutput {
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0)
    }
}

/// One running process: its user and its full command line.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessEntry {
    pub user: String,
    pub command_line: String,
}

/// Host facts and programs, behind one trait so every branch of `doctor`
/// and `setup` runs on Linux against a fake. It extends the plugin's own
/// seam, [`crate::platform::Host`] (OS, version, chip, Rosetta), so each
/// fact has one source for the plugin's fingerprint and for `doctor`.
pub trait Host: crate::platform::Host {
    /// The macOS product version; `None` on other systems.
    fn macos_version(&self) -> Option<String> {
        (self.os_name() == "macOS")
            .then(|| self.os_version())
            .flatten()
    }

    /// Whether the CPU is Apple Silicon; `None` when it cannot be told.
    fn is_apple_silicon(&self) -> Option<bool>;

    /// The user running this command.
    fn current_user(&self) -> String;

    /// This user's home directory.
    fn home_dir(&self) -> Option<PathBuf>;

    /// Every running process with its user and command line.
    fn processes(&self) -> Vec<ProcessEntry>;

    /// The first executable `name` on `PATH`, then in [`PROGRAM_DIRS`].
    fn find_program(&self, name: &str) -> Option<PathBuf>;

    /// Apple's `container` CLI, found the way the plugin finds it.
    fn locate_container_cli(&self, configured: Option<&Path>) -> Option<PathBuf>;

    /// Runs a program to completion with stdin closed.
    fn run(&self, program: &Path, args: &[&str]) -> std::io::Result<ProgramOutput>;

    /// The path of this very binary.
    fn current_exe(&self) -> std::io::Result<PathBuf>;
}

/// The machine we are running on.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemHost;

impl crate::platform::Host for SystemHost {
    fn os_name(&self) -> String {
        crate::platform::RealHost.os_name()
    }
    fn os_version(&self) -> Option<String> {
        crate::platform::RealHost.os_version()
    }
    fn machine(&self) -> Option<String> {
        crate::platform::RealHost.machine()
    }
    fn rosetta_installed(&self) -> bool {
        crate::platform::RealHost.rosetta_installed()
    }
}

impl Host for SystemHost {
    fn is_apple_silicon(&self) -> Option<bool> {
        if !crate::platform::is_macos() {
            return Some(false);
        }
        // hw.optional.arm64 is 1 on Apple Silicon even for a process that
        // Rosetta translates, where the architecture would say x86_64.
        let output = self
            .run(Path::new("/usr/sbin/sysctl"), &["-n", "hw.optional.arm64"])
            .ok()?;
        match output.stdout.trim() {
            "1" => Some(true),
            "0" => Some(false),
            _ if output.stderr.contains("unknown oid") => Some(false),
            _ => None,
        }
    }

    fn current_user(&self) -> String {
        std::env::var("USER")
            .ok()
            .filter(|name| !name.is_empty())
            .or_else(|| {
                let output = self.run(Path::new("/usr/bin/id"), &["-un"]).ok()?;
                output.succeeded().then(|| output.stdout.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into())
    }

    fn home_dir(&self) -> Option<PathBuf> {
        std::env::var_os("HOME")
            .filter(|home| !home.is_empty())
            .map(PathBuf::from)
    }

    fn processes(&self) -> Vec<ProcessEntry> {
        let Ok(output) = self.run(Path::new("/bin/ps"), &["-axo", "user=,args="]) else {
            return Vec::new();
        };
        output.stdout.lines().filter_map(parse_ps_line).collect()
    }

    fn find_program(&self, name: &str) -> Option<PathBuf> {
        let path_dirs = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path_dirs)
            .chain(PROGRAM_DIRS.iter().map(PathBuf::from))
            .map(|dir| dir.join(name))
            .find(|candidate| crate::runtime::is_executable(candidate))
    }

    fn locate_container_cli(&self, configured: Option<&Path>) -> Option<PathBuf> {
        crate::runtime::locate_cli(configured)
    }

    fn run(&self, program: &Path, args: &[&str]) -> std::io::Result<ProgramOutput> {
        tracing::debug!(path = %program.display(), ?args, "running a host program");
        let output = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .output()?;
        Ok(ProgramOutput {
            exit_code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    fn current_exe(&self) -> std::io::Result<PathBuf> {
        std::env::current_exe()
    }
}

/// `ps -o user=,args=` prints the user, spaces, then the command line.
fn parse_ps_line(line: &str) -> Option<ProcessEntry> {
    let line = line.trim_start();
    let (user, rest) = line.split_once(char::is_whitespace)?;
    Some(ProcessEntry {
        user: user.to_string(),
        command_line: rest.trim().to_string(),
    })
}

#[cfg(test)]
pub mod fake {
    //! A scripted [`Host`] for tests.

    use std::collections::HashMap;
    use std::path::{Path, PathBuf};

    use super::{Host, ProcessEntry, ProgramOutput};

    /// Every answer a test wants the host to give; programs answer by their
    /// path and argv joined with spaces.
    #[derive(Debug, Clone)]
    pub struct FakeHost {
        pub os_name: String,
        pub macos_version: Option<String>,
        pub apple_silicon: Option<bool>,
        pub rosetta: bool,
        pub user: String,
        pub home: Option<PathBuf>,
        pub processes: Vec<ProcessEntry>,
        pub programs: HashMap<String, PathBuf>,
        pub container_cli: Option<PathBuf>,
        pub outputs: HashMap<String, ProgramOutput>,
        pub exe: PathBuf,
    }

    impl FakeHost {
        /// A healthy Mac: macOS 26.1 on Apple Silicon with Rosetta.
        pub fn mac() -> Self {
            Self {
                os_name: "macOS".into(),
                macos_version: Some("26.1".into()),
                apple_silicon: Some(true),
                rosetta: true,
                user: "ana".into(),
                home: None,
                processes: Vec::new(),
                programs: HashMap::new(),
                container_cli: None,
                outputs: HashMap::new(),
                exe: PathBuf::from("/opt/homebrew/bin/nomad-driver-container"),
            }
        }

        pub fn linux() -> Self {
            Self {
                os_name: "Linux".into(),
                macos_version: None,
                apple_silicon: Some(false),
                rosetta: false,
                ..Self::mac()
            }
        }

        pub fn with_program(mut self, name: &str, path: &str) -> Self {
            self.programs.insert(name.into(), PathBuf::from(path));
            self
        }

        pub fn with_output(mut self, command: &str, exit_code: i32, stdout: &str) -> Self {
            let output = ProgramOutput {
                exit_code: Some(exit_code),
                stdout: stdout.into(),
                stderr: String::new(),
            };
            self.outputs.insert(command.into(), output);
            self
        }

        pub fn with_process(mut self, user: &str, command_line: &str) -> Self {
            self.processes.push(ProcessEntry {
                user: user.into(),
                command_line: command_line.into(),
            });
            self
        }
    }

    impl crate::platform::Host for FakeHost {
        fn os_name(&self) -> String {
            self.os_name.clone()
        }
        fn os_version(&self) -> Option<String> {
            self.macos_version.clone()
        }
        fn machine(&self) -> Option<String> {
            let arm = self.apple_silicon == Some(true);
            Some(if arm { "arm64" } else { "x86_64" }.into())
        }
        fn rosetta_installed(&self) -> bool {
            self.rosetta
        }
    }

    impl Host for FakeHost {
        fn is_apple_silicon(&self) -> Option<bool> {
            self.apple_silicon
        }
        fn current_user(&self) -> String {
            self.user.clone()
        }
        fn home_dir(&self) -> Option<PathBuf> {
            self.home.clone()
        }
        fn processes(&self) -> Vec<ProcessEntry> {
            self.processes.clone()
        }
        fn find_program(&self, name: &str) -> Option<PathBuf> {
            self.programs.get(name).cloned()
        }
        fn locate_container_cli(&self, configured: Option<&Path>) -> Option<PathBuf> {
            configured
                .map(Path::to_path_buf)
                .or_else(|| self.container_cli.clone())
        }
        fn run(&self, program: &Path, args: &[&str]) -> std::io::Result<ProgramOutput> {
            let key = std::iter::once(program.display().to_string())
                .chain(args.iter().map(|arg| arg.to_string()))
                .collect::<Vec<_>>()
                .join(" ");
            self.outputs.get(&key).cloned().ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, format!("no fake for {key}"))
            })
        }
        fn current_exe(&self) -> std::io::Result<PathBuf> {
            Ok(self.exe.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Host as _;

    #[test]
    fn ps_lines_split_into_user_and_command_line() {
        let entry =
            parse_ps_line("  root   /opt/homebrew/bin/nomad agent -config=/etc/nomad.d").unwrap();
        assert_eq!(entry.user, "root");
        assert_eq!(
            entry.command_line,
            "/opt/homebrew/bin/nomad agent -config=/etc/nomad.d"
        );
        assert_eq!(parse_ps_line("lonely"), None);
    }

    #[test]
    fn the_real_host_on_linux_reports_no_macos_facts() {
        if crate::platform::is_macos() {
            return;
        }
        let host = SystemHost;
        assert_eq!(host.macos_version(), None);
        assert_eq!(host.is_apple_silicon(), Some(false));
        assert_ne!(host.os_name(), "macOS");
    }
}
