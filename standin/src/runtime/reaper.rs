//! Reaping every child of the runtime helper. The helper is a child
//! subreaper, so orphaned grandchildren land here too, like processes in a
//! VM whose init reaps everything.
//!
//! One loop calls `waitpid(-1)` and hands each status to whoever registered
//! the pid. Spawning holds the same lock as a reaping sweep, so std's own
//! wait on a child whose exec failed can never race with ours.

use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::collections::HashMap;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SWEEP_INTERVAL: Duration = Duration::from_millis(10);

#[derive(Default)]
pub struct Reaper {
    spawn_lock: Mutex<()>,
    waiters: Mutex<HashMap<i32, Sender<i32>>>,
}

impl Reaper {
    pub fn start() -> Arc<Reaper> {
        let reaper = Arc::new(Reaper::default());
        let background = reaper.clone();
        std::thread::spawn(move || background.sweep_forever());
        reaper
    }

    /// Runs `spawn` and registers the new pid before any sweep can reap it.
    /// The receiver yields the exit code (128 + signal when killed).
    pub fn spawn<T>(
        &self,
        spawn: impl FnOnce() -> Result<(i32, T), String>,
    ) -> Result<(i32, T, Receiver<i32>), String> {
        let _guard = self.spawn_lock.lock().map_err(|_| "reaper lock poisoned")?;
        let (pid, value) = spawn()?;
        let (sender, receiver) = channel();
        if let Ok(mut waiters) = self.waiters.lock() {
            waiters.insert(pid, sender);
        }
        Ok((pid, value, receiver))
    }

    fn sweep_forever(&self) {
        loop {
            self.sweep();
            std::thread::sleep(SWEEP_INTERVAL);
        }
    }

    fn sweep(&self) {
        let Ok(_guard) = self.spawn_lock.lock() else {
            return;
        };
        loop {
            let (pid, code) = match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) => (pid, code),
                Ok(WaitStatus::Signaled(pid, signal, _)) => (pid, 128 + signal as i32),
                Ok(WaitStatus::StillAlive) | Err(_) => return,
                Ok(_) => continue,
            };
            let waiter = self
                .waiters
                .lock()
                .ok()
                .and_then(|mut map| map.remove(&pid.as_raw()));
            if let Some(waiter) = waiter {
                let _ = waiter.send(code);
            }
        }
    }
}
