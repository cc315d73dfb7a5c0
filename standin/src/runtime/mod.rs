//! Running containers as real Linux processes. A per-container runtime
//! helper (`helper`) plays the VM: it owns the init process, relays its
//! stdio, serves `exec` and records the exit. CLIs reach it through
//! `launch` (start) and `control` (stop, kill, delete).

pub mod boot_log;
pub mod control;
pub mod exec_server;
pub mod helper;
pub mod launch;
pub mod namespace;
pub mod plan;
pub mod process;
pub mod pump;
pub mod reaper;
pub mod user;
