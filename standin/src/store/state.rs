//! `state.json`: what the runtime knows about a container beyond its
//! configuration. Apple keeps no exit code anywhere the CLI can see; we
//! record it here for tests, and `inspect` never shows it.

use crate::procfs::ProcessRef;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Stopped,
    Running,
    Stopping,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Stopped => "stopped",
            Status::Running => "running",
            Status::Stopping => "stopping",
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RuntimeState {
    pub status: Status,
    /// Set at each start, kept after the container stops.
    pub started_date: Option<String>,
    /// The per-container runtime helper (our stand-in for the VM).
    pub helper: Option<ProcessRef>,
    /// The container's init process.
    pub pid: Option<i32>,
    /// Last exit: the process's code, or 128 + signal.
    pub exit_code: Option<i32>,
    /// Host part N of the fake address 192.168.64.N/24.
    pub address_host: Option<u8>,
    /// Abstract unix socket the helper serves `exec` on.
    pub exec_socket: Option<String>,
    /// Unix milliseconds at boot, for the guest-kernel log timestamps.
    pub boot_unix_ms: Option<u64>,
    /// Set by the simulated API-server restart: the helper still runs but
    /// the server has forgotten it.
    pub forgotten_by_server: bool,
}

impl RuntimeState {
    pub fn helper_alive(&self) -> bool {
        self.helper.is_some_and(|helper| helper.is_alive())
    }

    /// The status a client sees. A crashed helper means stopped, whatever
    /// the file says.
    pub fn visible_status(&self) -> Status {
        match self.status {
            Status::Running | Status::Stopping if !self.helper_alive() => Status::Stopped,
            status => status,
        }
    }

    /// A helper was spawned and has not yet reported the process started.
    pub fn is_starting(&self) -> bool {
        self.status == Status::Stopped && !self.forgotten_by_server && self.helper_alive()
    }

    pub fn ipv4_address(&self) -> Option<String> {
        self.address_host.map(|host| format!("192.168.64.{host}"))
    }
}
