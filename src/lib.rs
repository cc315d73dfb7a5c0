//! nomad-driver-container: a Nomad task driver that runs Linux containers on
//! Apple Silicon Macs through Apple's `container` CLI, one VM per container.
//!
//! The crate is laid out by role:
//! - [`plugin`]: go-plugin transport and the process that Nomad launches;
//! - [`driver`]: Nomad's BasePlugin and Driver services;
//! - [`config`]: the schemas we serve and the decoding of what Nomad sends;
//! - [`runtime`]: the one wrapper around Apple's `container` CLI;
//! - [`supervisor`]: the per-task process that owns a container's output and
//!   exit status;
//! - [`platform`]: facts about the host that differ between macOS and Linux.

pub mod cli;
pub mod config;
pub mod driver;
pub mod logging;
pub mod platform;
pub mod plugin;
pub mod proto;
pub mod runtime;
pub mod supervisor;

/// The driver name jobs select with `driver = "container"`.
pub const DRIVER_NAME: &str = "container";

/// This build's version, reported to Nomad as the plugin version.
pub const PLUGIN_VERSION: &str = env!("CARGO_PKG_VERSION");
