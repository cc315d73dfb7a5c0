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
//! - [`platform`]: facts about the host that differ between macOS and Linux;
//! - [`installer`]: doctor, setup, install, self-update (sources in the
//!   top-level `installer/` folder).

pub mod cli;
pub mod config;
pub mod driver;
// The installer lives in its own top-level folder but is a module of this
// crate, not a crate of its own: it needs the runtime wrapper and the config
// schema, and the binary calls it, so a separate crate would be cyclic.
#[path = "../installer/mod.rs"]
pub mod installer;
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

/// The git commit this binary was built from ("unknown" when built outside
/// a git checkout, e.g. from a release tarball).
pub const GIT_COMMIT: &str = env!("NDC_GIT_COMMIT");
