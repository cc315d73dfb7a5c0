//! Checks of the Nomad side: its version, the client config's plugin block,
//! the binary in plugin_dir, and whether Nomad and Apple's services run as
//! the same user.

use std::path::{Path, PathBuf};

use super::Check;
use crate::config::PluginConfig;
use crate::installer::client_config::{ClientConfig, PLUGIN_LABEL};
use crate::installer::host::Host;
use crate::installer::nomad_agent::{self, MINIMUM_NOMAD};

/// The client config doctor looked at, and what it found in it.
pub struct ClientLookup {
    pub check: Check,
    pub config: Option<ClientConfig>,
    pub plugin: Option<PluginConfig>,
}

impl ClientLookup {
    pub fn container_path(&self) -> Option<PathBuf> {
        self.plugin.as_ref()?.container_path.clone()
    }
}

pub fn find_client_config(host: &dyn Host, given: Option<&Path>) -> ClientLookup {
    const ID: &str = "client_config";
    const TITLE: &str = "Nomad client config";
    let files = nomad_agent::candidate_config_files(host, given);
    let fail = |found: String, fix: String| ClientLookup {
        check: Check::fail(ID, TITLE, found, fix),
        config: None,
        plugin: None,
    };

    let config = match nomad_agent::choose_client_config(&files) {
        Ok(Some(config)) => config,
        Ok(None) => {
            let looked: Vec<String> = match (files.is_empty(), given) {
                (false, _) => files.iter().map(|p| p.display().to_string()).collect(),
                (true, Some(given)) => vec![given.display().to_string()],
                (true, None) => nomad_agent::DEFAULT_CONFIG_DIRS
                    .iter()
                    .map(|d| d.to_string())
                    .collect(),
            };
            let looked = looked.join(", ");
            return fail(
                format!("no Nomad client config found (looked at {looked})"),
                "nomad-driver-container setup --client-config <file>".into(),
            );
        }
        Err(error) => {
            return fail(
                error.to_string(),
                "correct the file, then run doctor again".into(),
            )
        }
    };

    match config.validate_plugin_config() {
        Ok(Some(plugin)) => ClientLookup {
            check: Check::ok(
                ID,
                TITLE,
                format!(
                    "{}: plugin \"{PLUGIN_LABEL}\" block parses",
                    config.path.display()
                ),
            ),
            config: Some(config),
            plugin: Some(plugin),
        },
        Ok(None) => ClientLookup {
            check: Check::fail(
                ID,
                TITLE,
                format!(
                    "{} has no plugin \"{PLUGIN_LABEL}\" block",
                    config.path.display()
                ),
                format!(
                    "nomad-driver-container setup --client-config {}",
                    config.path.display()
                ),
            ),
            config: Some(config),
            plugin: None,
        },
        Err(error) => ClientLookup {
            check: Check::fail(
                ID,
                TITLE,
                error.to_string(),
                format!(
                    "correct the plugin block in {}, or rewrite it with \
                     `nomad-driver-container setup --client-config {0}`",
                    config.path.display()
                ),
            ),
            config: Some(config),
            plugin: None,
        },
    }
}

pub fn check_nomad_version(host: &dyn Host) -> Check {
    const ID: &str = "nomad_version";
    const TITLE: &str = "Nomad";
    let (major, minor) = MINIMUM_NOMAD;
    let Some(binary) = nomad_agent::nomad_binary(host) else {
        return Check::fail(
            ID,
            TITLE,
            "no `nomad` on PATH, in /opt/homebrew/bin or /usr/local/bin",
            "brew install hashicorp/tap/nomad",
        );
    };
    let output = match host.run(&binary, &["version"]) {
        Ok(output) if output.succeeded() => output,
        Ok(output) => {
            return Check::fail(
                ID,
                TITLE,
                format!(
                    "`{} version` failed: {}",
                    binary.display(),
                    output.stderr.trim()
                ),
                "reinstall Nomad: brew reinstall hashicorp/tap/nomad",
            )
        }
        Err(error) => {
            return Check::fail(
                ID,
                TITLE,
                format!("cannot run {}: {error}", binary.display()),
                "reinstall Nomad: brew reinstall hashicorp/tap/nomad",
            )
        }
    };
    let first_line = output.stdout.lines().next().unwrap_or_default().trim();
    match nomad_agent::parse_nomad_version(first_line) {
        Some((found_major, found_minor, _)) if (found_major, found_minor) >= (major, minor) => {
            Check::ok(ID, TITLE, format!("{first_line} ({})", binary.display()))
        }
        Some(_) => Check::fail(
            ID,
            TITLE,
            format!(
                "{first_line} ({}); the driver needs {major}.{minor} or newer",
                binary.display()
            ),
            "brew upgrade hashicorp/tap/nomad",
        ),
        None => Check::warn(
            ID,
            TITLE,
            format!("cannot read a version from {first_line:?}"),
            format!(
                "check `{} version` by hand: it must be {major}.{minor}+",
                binary.display()
            ),
        ),
    }
}

pub fn check_plugin_binary(host: &dyn Host, client: &ClientLookup) -> Check {
    const ID: &str = "plugin_binary";
    const TITLE: &str = "plugin in plugin_dir";
    let Some(plugin_dir) = client.config.as_ref().and_then(ClientConfig::plugin_dir) else {
        return Check::fail(
            ID,
            TITLE,
            "unknown plugin_dir: no client config with plugin_dir or data_dir",
            "nomad-driver-container setup",
        );
    };
    let installed = plugin_dir.join(PLUGIN_LABEL);
    let install_fix = format!(
        "nomad-driver-container install --plugin-dir {}",
        plugin_dir.display()
    );
    if !installed.exists() {
        return Check::fail(
            ID,
            TITLE,
            format!("{} does not exist", installed.display()),
            install_fix,
        );
    }

    let this_binary = host
        .current_exe()
        .ok()
        .and_then(|exe| exe.canonicalize().ok());
    if this_binary.is_some() && installed.canonicalize().ok() == this_binary {
        return Check::ok(ID, TITLE, format!("{} is this binary", installed.display()));
    }

    let reported = host
        .run(&installed, &["version"])
        .ok()
        .filter(|output| output.succeeded())
        .and_then(|output| installed_version(&output.stdout));
    match reported {
        Some(version) if version == crate::PLUGIN_VERSION => Check::ok(
            ID,
            TITLE,
            format!("{} (version {version})", installed.display()),
        ),
        Some(version) => Check::fail(
            ID,
            TITLE,
            format!(
                "{} is version {version}, this binary is {}",
                installed.display(),
                crate::PLUGIN_VERSION
            ),
            install_fix,
        ),
        None => Check::fail(
            ID,
            TITLE,
            format!("{} does not report a version", installed.display()),
            install_fix,
        ),
    }
}

/// "nomad-driver-container 0.1.0" (first line of `version`) → "0.1.0".
fn installed_version(stdout: &str) -> Option<String> {
    let first = stdout.lines().next()?;
    let version = first
        .strip_prefix(PLUGIN_LABEL)?
        .split_whitespace()
        .next()?;
    Some(version.to_string())
}

/// Apple's services are per user: a Nomad agent running as root (a
/// LaunchDaemon) talks to root's `container` services, not the ones the
/// person started, and sees none of their images or kernel.
pub fn check_service_users(host: &dyn Host) -> Check {
    const ID: &str = "service_user";
    const TITLE: &str = "same user";
    let nomad_users = users_of(nomad_agent::agent_processes(host));
    let service_users = users_of(
        host.processes()
            .into_iter()
            .filter(|process| process.command_line.contains("container-apiserver"))
            .collect(),
    );
    let current = host.current_user();

    match (nomad_users.as_slice(), service_users.as_slice()) {
        ([], _) => Check::warn(
            ID,
            TITLE,
            "no Nomad agent is running, so its user cannot be compared",
            format!(
                "run the Nomad client as the user whose container services run ({})",
                service_users.first().unwrap_or(&current)
            ),
        ),
        (nomad, []) => Check::warn(
            ID,
            TITLE,
            format!(
                "Nomad runs as {}; no container-apiserver process is running",
                nomad.join(", ")
            ),
            format!("as {}: container system start", nomad[0]),
        ),
        (nomad, services) if nomad.iter().all(|user| services.contains(user)) => Check::ok(
            ID,
            TITLE,
            format!(
                "Nomad and the container services both run as {}",
                nomad.join(", ")
            ),
        ),
        (nomad, services) => Check::fail(
            ID,
            TITLE,
            format!(
                "Nomad runs as {} but the container services run as {}; Apple's services are \
                 per user, so Nomad's tasks would talk to services that are not running",
                nomad.join(", "),
                services.join(", ")
            ),
            format!(
                "run the Nomad client as {0} (a LaunchAgent, see \
                 packaging/launchd/nomad-client.plist), or run `container system start` as {1}",
                services[0], nomad[0]
            ),
        ),
    }
}

fn users_of(processes: Vec<crate::installer::host::ProcessEntry>) -> Vec<String> {
    let mut users: Vec<String> = processes.into_iter().map(|process| process.user).collect();
    users.sort();
    users.dedup();
    users
}
