//! The installer and doctor: what a person runs to get the driver onto a
//! Mac and to find out why it does not work.
//!
//! - [`doctor`]: every check, with what was found and the fix;
//! - [`setup`]: the wizard (or flags) that writes the plugin block, installs
//!   the binary and the LaunchAgent;
//! - [`install`]: the binary in plugin_dir, and safe config writes;
//! - [`update`]: `self-update` from GitHub releases;
//! - [`client_config`], [`plugin_block`]: reading and editing Nomad's HCL;
//! - [`host`]: the one seam for macOS-only facts, faked in tests.
//!
//! It is compiled as a module of the main crate rather than as its own
//! crate: it uses the crate's runtime wrapper and config schema, and the
//! binary calls it, so a separate crate would depend on itself.

pub mod client_config;
pub mod commands;
pub mod doctor;
pub mod host;
pub mod install;
pub mod launchd;
pub mod manual;
pub mod nomad_agent;
pub mod plugin_block;
pub mod setup;
pub mod update;
