//! `doctor`: every condition the driver needs on this Mac, each checked and
//! reported with what was found and the exact fix. On another OS it says so
//! plainly and runs the checks that still mean something there.

mod container;
pub mod deep;
mod host_checks;
mod nomad;
mod report;

use std::path::PathBuf;

pub use report::{Check, Report, Status};

use super::host::Host;

/// What the person asked `doctor` to look at.
#[derive(Debug, Clone, Default)]
pub struct DoctorOptions {
    /// The Nomad client config file or directory; found automatically when
    /// `None`.
    pub client_config: Option<PathBuf>,
    /// Apple's `container` CLI; else the plugin block's `container_path`,
    /// else the plugin's own search order.
    pub container_path: Option<PathBuf>,
}

/// Runs every check that makes sense on this host.
pub fn run_checks(host: &dyn Host, options: &DoctorOptions) -> Report {
    let on_macos = host.os_name() == "macOS";
    let mut checks = vec![host_checks::macos_version(host)];
    if on_macos {
        checks.push(host_checks::apple_silicon(host));
    }

    let client = nomad::find_client_config(host, options.client_config.as_deref());
    let configured_cli = options
        .container_path
        .clone()
        .or_else(|| client.container_path());
    let cli = container::check_cli(host, configured_cli.as_deref());
    checks.push(cli.check.clone());
    if let Some(found) = &cli.found {
        let (status_check, app_root) = container::check_service(found);
        checks.push(status_check);
        checks.push(container::check_kernel(app_root.as_deref()));
    }
    checks.push(container::check_defaults(host));
    if on_macos {
        checks.push(host_checks::rosetta(host));
    }

    checks.push(nomad::check_nomad_version(host));
    checks.push(client.check.clone());
    checks.push(nomad::check_plugin_binary(host, &client));
    if on_macos {
        checks.push(nomad::check_service_users(host));
    }

    Report {
        host: describe_host(host),
        version: crate::PLUGIN_VERSION.to_string(),
        checks,
        container_cli: cli.found.map(|found| found.path().to_path_buf()),
    }
}

fn describe_host(host: &dyn Host) -> String {
    match host.macos_version() {
        Some(version) => format!("macOS {version}"),
        None => host.os_name(),
    }
}

#[cfg(test)]
mod tests;
