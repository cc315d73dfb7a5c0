//! Hidden commands for tests; Apple's CLI has nothing like them. They are
//! not recorded in `calls.log` and ignore the knobs.
//!
//! - `__simulate-apiserver-restart`: what Apple's API server does when it
//!   boots after a crash — every container is marked stopped with no
//!   networks and no start date, `--rm` containers are deregistered, and
//!   still-running processes keep running, unreachable except by `delete`.
//! - `__simulate-oom <id>`: the guest kernel's OOM killer picks the largest
//!   process of the container, logs it to `vminitd.log`, and SIGKILLs it.

use crate::error::report;
use crate::error::{failed, internal, CliResult};
use crate::procfs;
use crate::runtime::boot_log;
use crate::runtime::helper::HELPER_COMMAND;
use crate::store::{Status, Store};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

const RESTART: &str = "__simulate-apiserver-restart";
const OOM: &str = "__simulate-oom";

pub fn is_hook(word: &str) -> bool {
    matches!(word, RESTART | OOM) || word == HELPER_COMMAND
}

pub fn run(store: &Store, argv: &[String]) -> i32 {
    let result = match argv[0].as_str() {
        RESTART => simulate_restart(store),
        OOM => match argv.get(1) {
            Some(id) => simulate_oom(store, id),
            None => Err(failed(format!("usage: container {OOM} <container-id>"))),
        },
        _ => Err(failed(
            "the runtime helper is started by `container start`, not by hand",
        )),
    };
    result.map_or_else(|error| report(&error), |()| 0)
}

fn simulate_restart(store: &Store) -> CliResult {
    let _lock = store.lock().map_err(internal)?;
    for container in store.list().map_err(internal)? {
        if container.options.auto_remove {
            store.remove_locked(&container.id).map_err(internal)?;
            continue;
        }
        let helper_alive = container.state.helper_alive();
        store
            .update_state_locked(&container.id, |state| {
                state.status = Status::Stopped;
                state.started_date = None;
                state.address_host = None;
                state.forgotten_by_server = helper_alive;
            })
            .map_err(internal)?;
    }
    Ok(())
}

fn simulate_oom(store: &Store, id: &str) -> CliResult {
    let container = store
        .load(id)
        .map_err(internal)?
        .ok_or_else(|| failed(format!("get failed: container {id} not found")))?;
    let helper = container.state.helper.filter(|helper| helper.is_alive());
    let (Some(helper), true) = (helper, container.is_running()) else {
        return Err(failed(format!("container {id} is not running")));
    };

    // The OOM killer's choice: the largest resident set, oldest on a tie.
    let victim = procfs::descendants(helper.pid)
        .into_iter()
        .max_by_key(|process| (process.rss_pages, -process.pid))
        .ok_or_else(|| failed(format!("container {id} has no processes")))?;

    let uptime_ms = crate::output::time::now_unix_ms() as u64
        - container.state.boot_unix_ms.unwrap_or_default();
    let page_kib = procfs::page_size() / 1024;
    boot_log::append_oom_kill(
        &container.boot_log(),
        uptime_ms,
        victim.pid,
        &victim.comm,
        victim.virtual_bytes / 1024,
        victim.rss_pages * page_kib,
    )
    .map_err(failed)?;
    let _ = kill(Pid::from_raw(victim.pid), Signal::SIGKILL);
    Ok(())
}
