//! Checks of Apple's `container` platform: the CLI (found the way the
//! plugin finds it), its service, the default kernel, and the defaults in
//! its `config.toml`. CLI calls go through the crate's runtime wrapper, so
//! doctor reads the CLI's output exactly as the driver does.

use std::future::Future;
use std::path::{Path, PathBuf};

use super::Check;
use crate::installer::host::Host;
use crate::runtime::{ContainerCli, DEFAULT_SEARCH_PATHS};

/// The architecture Apple's CLI names the default kernel after.
const KERNEL_ARCH: &str = "arm64";

/// The CLI check, and the CLI when it was found and answered.
pub struct CliCheck {
    pub check: Check,
    pub found: Option<ContainerCli>,
}

pub fn check_cli(host: &dyn Host, configured: Option<&Path>) -> CliCheck {
    const ID: &str = "container_cli";
    const TITLE: &str = "container CLI";
    let Some(path) = host.locate_container_cli(configured) else {
        let looked = match configured {
            Some(path) => format!(
                "container_path {} is not an executable file",
                path.display()
            ),
            None => format!(
                "no executable `container` on PATH, in {}",
                DEFAULT_SEARCH_PATHS.join(" or ")
            ),
        };
        return CliCheck {
            check: Check::fail(
                ID,
                TITLE,
                looked,
                "install Apple's container CLI (the signed installer from \
                 https://github.com/apple/container/releases), or set container_path in the \
                 plugin block with `nomad-driver-container setup --container-path <path>`",
            ),
            found: None,
        };
    };

    let cli = ContainerCli::new(path.clone());
    match block_on(cli.version()) {
        Ok(version) if !version.starts_with(|c: char| c.is_ascii_digit()) => CliCheck {
            check: Check::fail(
                ID,
                TITLE,
                format!(
                    "{} reports no readable version ({version:?})",
                    path.display()
                ),
                "reinstall Apple's container CLI, or point container_path at a working one",
            ),
            found: None,
        },
        Ok(version) if version.starts_with("0.") => CliCheck {
            check: Check::fail(
                ID,
                TITLE,
                format!(
                    "{} is version {version}; the driver reads 1.x output",
                    path.display()
                ),
                "install container 1.x from https://github.com/apple/container/releases",
            ),
            found: None,
        },
        Ok(version) => CliCheck {
            check: Check::ok(ID, TITLE, format!("{} (version {version})", path.display())),
            found: Some(cli),
        },
        Err(error) => CliCheck {
            check: Check::fail(
                ID,
                TITLE,
                format!("{} does not answer `--version`: {error}", path.display()),
                "reinstall Apple's container CLI, or point container_path at a working one",
            ),
            found: None,
        },
    }
}

/// `container system status`; also returns the app root it reports.
pub fn check_service(cli: &ContainerCli) -> (Check, Option<PathBuf>) {
    const ID: &str = "container_service";
    const TITLE: &str = "container service";
    match block_on(cli.system_status()) {
        Ok(status) if status.is_running() => {
            let app_root = (!status.app_root.is_empty()).then(|| PathBuf::from(&status.app_root));
            let found = match status.api_server_version.as_str() {
                "" => "running".to_string(),
                version => format!("running ({version})"),
            };
            (Check::ok(ID, TITLE, found), app_root)
        }
        Ok(status) => (
            Check::fail(
                ID,
                TITLE,
                format!("status is {:?} for this user", status.status),
                "container system start --enable-kernel-install (as the user Nomad runs as)",
            ),
            None,
        ),
        Err(error) => (
            Check::fail(
                ID,
                TITLE,
                format!("`container system status` failed: {error}"),
                "container system start --enable-kernel-install",
            ),
            None,
        ),
    }
}

/// Apple's CLI keeps the default kernel as `kernels/default.kernel-<arch>`
/// under its app root (read from its kernel service's layout); without it
/// no container can start.
pub fn check_kernel(app_root: Option<&Path>) -> Check {
    const ID: &str = "default_kernel";
    const TITLE: &str = "default kernel";
    let Some(app_root) = app_root else {
        return Check::warn(
            ID,
            TITLE,
            "unknown: the service did not report its app root",
            "container system kernel set --recommended",
        );
    };
    let kernel = app_root
        .join("kernels")
        .join(format!("default.kernel-{KERNEL_ARCH}"));
    if kernel.exists() {
        Check::ok(ID, TITLE, kernel.display().to_string())
    } else {
        Check::fail(
            ID,
            TITLE,
            format!("no kernel at {}", kernel.display()),
            "container system kernel set --recommended",
        )
    }
}

/// The defaults Apple's service gives a container that asks for nothing,
/// from `~/.config/container/config.toml` (read with toml_edit). The driver
/// always sizes VMs itself, so these only inform.
pub fn check_defaults(host: &dyn Host) -> Check {
    const ID: &str = "container_defaults";
    const TITLE: &str = "container defaults";
    let Some(home) = host.home_dir() else {
        return Check::ok(ID, TITLE, "no home directory; Apple's defaults apply");
    };
    let path = home.join(".config/container/config.toml");
    let text =
        match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Check::ok(
                ID,
                TITLE,
                "no config.toml: Apple's defaults apply (4 CPUs, 1g memory, recommended kernel)",
            ),
            Err(error) => {
                return Check::warn(
                    ID,
                    TITLE,
                    format!("cannot read {}: {error}", path.display()),
                    format!("make {} readable by this user", path.display()),
                )
            }
        };
    match read_defaults(&text) {
        Ok(defaults) => Check::ok(ID, TITLE, format!("{} ({})", defaults, path.display())),
        Err(reason) => Check::warn(
            ID,
            TITLE,
            format!("{}: {reason}", path.display()),
            format!(
                "fix {} (then `container system stop` and `container system start`), or \
                 remove it to use Apple's defaults",
                path.display()
            ),
        ),
    }
}

/// "cpus 4, memory 1g, kernel recommended" from a config.toml text.
pub fn read_defaults(text: &str) -> Result<String, String> {
    let document = toml_edit::Document::parse(text.to_string())
        .map_err(|error| error.message().to_string())?;
    let table = document.as_table();
    let container = table.get("container").and_then(|item| item.as_table_like());
    let cpus = match container.and_then(|table| table.get("cpus")) {
        None => "4 (Apple's default)".to_string(),
        Some(item) => item
            .as_integer()
            .map(|cpus| cpus.to_string())
            .ok_or_else(|| {
                format!(
                    "[container] cpus = {} is not a whole number",
                    item_text(item)
                )
            })?,
    };
    let memory = match container.and_then(|table| table.get("memory")) {
        None => "1g (Apple's default)".to_string(),
        Some(item) => item.as_str().map(str::to_string).ok_or_else(|| {
            format!(
                "[container] memory = {} is not a string like \"1g\"",
                item_text(item)
            )
        })?,
    };
    let kernel = match table.get("kernel").and_then(|item| item.as_table_like()) {
        None => "recommended (Apple's default)".to_string(),
        Some(kernel) => {
            let settings: Vec<String> = kernel
                .iter()
                .map(|(key, item)| format!("{key} = {}", item_text(item)))
                .collect();
            settings.join(", ")
        }
    };
    Ok(format!("cpus {cpus}, memory {memory}, kernel {kernel}"))
}

fn item_text(item: &toml_edit::Item) -> String {
    if let Some(text) = item.as_str() {
        format!("{text:?}")
    } else if let Some(number) = item.as_integer() {
        number.to_string()
    } else if let Some(number) = item.as_float() {
        number.to_string()
    } else if let Some(flag) = item.as_bool() {
        flag.to_string()
    } else {
        "a table or list".to_string()
    }
}

/// Runs one async CLI call from the synchronous doctor.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime needs no resources that can be missing")
        .block_on(future)
}
