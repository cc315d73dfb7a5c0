//! One task the driver tracks, and how its exit becomes known.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use time::OffsetDateTime;
use tokio::sync::watch;

use super::events::EventTarget;
use super::state::DriverState;
use crate::proto::drivers::ExitResult;

/// How a task ended.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskExit {
    pub exit_code: i32,
    pub signal: i32,
    pub oom_killed: bool,
    /// Why the status is unknown, when `exit_code` is -1.
    pub error: Option<String>,
    pub completed_at: OffsetDateTime,
}

impl TaskExit {
    pub fn to_proto(&self) -> ExitResult {
        ExitResult {
            exit_code: self.exit_code,
            signal: self.signal,
            oom_killed: self.oom_killed,
        }
    }

    /// Ended by SIGKILL, as a signal or as the shell's 128 + 9.
    pub fn killed_by_sigkill(&self) -> bool {
        self.exit_code == 128 + libc::SIGKILL || self.signal == libc::SIGKILL
    }

    pub fn unknown(reason: String) -> Self {
        Self {
            exit_code: -1,
            signal: 0,
            oom_killed: false,
            error: Some(reason),
            completed_at: OffsetDateTime::now_utc(),
        }
    }
}

pub struct TaskEntry {
    pub target: EventTarget,
    pub state: DriverState,
    pub started_at: OffsetDateTime,
    /// Set once the task's exit is known; every WaitTask watches it.
    exit: watch::Sender<Option<TaskExit>>,
    /// A stop with Nomad's DETACH signal leaves the container running.
    detached: AtomicBool,
    /// The attached `container start` process, once its supervisor said.
    cli_pid: AtomicU32,
    /// When the driver first asked the task to stop.
    stop_requested_at: std::sync::Mutex<Option<OffsetDateTime>>,
}

impl TaskEntry {
    pub fn new(target: EventTarget, state: DriverState) -> Self {
        let started_at = OffsetDateTime::parse(
            &state.started_at,
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
        Self {
            target,
            state,
            started_at,
            exit: watch::channel(None).0,
            detached: AtomicBool::new(false),
            cli_pid: AtomicU32::new(0),
            stop_requested_at: std::sync::Mutex::new(None),
        }
    }

    pub fn id(&self) -> &str {
        &self.target.task_id
    }

    pub fn container(&self) -> &str {
        &self.state.container
    }

    pub fn exit(&self) -> Option<TaskExit> {
        self.exit.borrow().clone()
    }

    pub fn has_exited(&self) -> bool {
        self.exit.borrow().is_some()
    }

    /// Records the exit; the first record wins.
    pub fn set_exit(&self, exit: TaskExit) {
        self.exit.send_if_modified(|current| {
            if current.is_some() {
                return false;
            }
            *current = Some(exit);
            true
        });
    }

    /// Waits until the exit is known.
    pub async fn wait(&self) -> TaskExit {
        let mut receiver = self.exit.subscribe();
        loop {
            if let Some(exit) = receiver.borrow_and_update().clone() {
                return exit;
            }
            if receiver.changed().await.is_err() {
                // The sender lives as long as this entry; unreachable in practice.
                return TaskExit::unknown("the driver dropped the task while waiting".into());
            }
        }
    }

    pub fn set_cli_pid(&self, pid: u32) {
        self.cli_pid.store(pid, Ordering::SeqCst);
    }

    /// Whether the attached CLI still runs (false when we never learnt it).
    pub fn cli_alive(&self) -> bool {
        let pid = self.cli_pid.load(Ordering::SeqCst);
        // SAFETY: signal 0 only checks that the process exists.
        pid != 0 && unsafe { libc::kill(pid as libc::pid_t, 0) } == 0
    }

    /// Kills the attached CLI's process group (it is its own group leader),
    /// for a CLI that hangs after its container is gone. Its supervisor then
    /// records the exit as unknown and ends.
    pub fn kill_cli(&self) {
        let pid = self.cli_pid.load(Ordering::SeqCst);
        // A CLI that already ended may have had its pid reused.
        if self.cli_alive() {
            // SAFETY: a signal to a process group we created.
            unsafe {
                libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
            }
        }
    }

    /// Notes the first stop request (its SIGKILL, past the timeout, is
    /// then the driver's own doing).
    pub fn note_stop_requested(&self) {
        let mut at = self
            .stop_requested_at
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        at.get_or_insert_with(OffsetDateTime::now_utc);
    }

    pub fn stop_requested_at(&self) -> Option<OffsetDateTime> {
        *self
            .stop_requested_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    pub fn mark_detached(&self) {
        self.detached.store(true, Ordering::SeqCst);
    }

    pub fn is_detached(&self) -> bool {
        self.detached.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> TaskEntry {
        TaskEntry::new(
            EventTarget {
                task_id: "a/web/1".into(),
                alloc_id: "a".into(),
                task_name: "web".into(),
                ..Default::default()
            },
            DriverState {
                container: "web-a".into(),
                image: "alpine".into(),
                state_dir: "/s".into(),
                socket_path: "/s/sock".into(),
                exit_path: "/s/exit.json".into(),
                supervisor_pid: 1,
                started_at: "2026-12-04T10:00:00Z".into(),
                port_map: Default::default(),
            },
        )
    }

    #[tokio::test]
    async fn every_waiter_sees_the_first_recorded_exit() {
        let task = std::sync::Arc::new(entry());
        let waiter = tokio::spawn({
            let task = task.clone();
            async move { task.wait().await }
        });
        task.set_exit(TaskExit {
            exit_code: 3,
            signal: 0,
            oom_killed: false,
            error: None,
            completed_at: OffsetDateTime::now_utc(),
        });
        task.set_exit(TaskExit::unknown("late".into()));

        assert_eq!(waiter.await.unwrap().exit_code, 3);
        assert_eq!(
            task.wait().await.exit_code,
            3,
            "a wait after the exit answers at once"
        );
    }
}
