//! Acting on a running container from a CLI: signalling its init process,
//! killing everything the way a VM power-off would, and waiting until the
//! runtime helper has recorded the exit.

use crate::procfs::{self, ProcessRef};
use crate::store::{Container, Status, Store};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(20);
/// Upper bound for a SIGKILLed container to be recorded as stopped.
const KILL_GRACE: Duration = Duration::from_secs(15);

/// Sends `signal` (Linux number) to the init process only, as Apple's
/// runtime does; its children see it only if the process passes it on.
pub fn signal_init(container: &Container, signal: i32) {
    let (Some(pid), Ok(signal)) = (container.state.pid, Signal::try_from(signal)) else {
        return;
    };
    let _ = kill(Pid::from_raw(pid), signal);
}

/// SIGKILL to the init process group and to every process below the
/// helper. The helper itself lives on to record the exit.
pub fn kill_all_processes(container: &Container) {
    if let Some(pid) = container.state.pid {
        let _ = kill(Pid::from_raw(-pid), Signal::SIGKILL);
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
    if let Some(helper) = container.state.helper.filter(ProcessRef::is_alive) {
        for process in procfs::descendants(helper.pid) {
            let _ = kill(Pid::from_raw(process.pid), Signal::SIGKILL);
        }
    }
}

/// Kills the helper as well: used when the (simulated) API server has
/// forgotten a still-running container and only `delete` can reach it.
pub fn kill_helper_and_processes(container: &Container) {
    kill_all_processes(container);
    if let Some(helper) = container.state.helper.filter(ProcessRef::is_alive) {
        let _ = kill(Pid::from_raw(helper.pid), Signal::SIGKILL);
    }
}

/// True once the container is recorded as stopped (or gone) or its helper
/// has died; false when `timeout` passed first.
pub fn wait_until_stopped(store: &Store, id: &str, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        let stopped = match store.load(id) {
            Ok(Some(container)) => {
                container.state.status == Status::Stopped || !container.state.helper_alive()
            }
            _ => true,
        };
        if stopped {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

/// Stop as Apple's runtime does it: `signal`, wait `grace`, then SIGKILL,
/// and return only when the exit is recorded.
pub fn stop(store: &Store, container: &Container, signal: i32, grace: Duration) {
    let _ = store.update_state(&container.id, |state| {
        if state.status == Status::Running {
            state.status = Status::Stopping;
        }
    });
    signal_init(container, signal);
    if !wait_until_stopped(store, &container.id, grace) {
        kill_until_stopped(store, container);
    }
}

pub fn kill_until_stopped(store: &Store, container: &Container) {
    kill_all_processes(container);
    if !wait_until_stopped(store, &container.id, KILL_GRACE) {
        // The helper is wedged; take it down and record the exit ourselves.
        kill_helper_and_processes(container);
        let _ = store.update_state(&container.id, |state| {
            state.status = Status::Stopped;
            state.helper = None;
            state.exit_code = Some(-1);
        });
    }
}
