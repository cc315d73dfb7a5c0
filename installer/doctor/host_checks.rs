//! Checks of the Mac itself: macOS version, the chip, Rosetta.

use super::Check;
use crate::installer::host::Host;

/// Apple's container platform supports macOS 26 and newer.
const MINIMUM_MACOS_MAJOR: u32 = 26;

pub fn macos_version(host: &dyn Host) -> Check {
    const ID: &str = "macos_version";
    const TITLE: &str = "macOS version";
    let Some(version) = host.macos_version() else {
        return Check::fail(
            ID,
            TITLE,
            format!(
                "this host runs {}, not macOS; Apple's container platform and this driver \
                 need macOS {MINIMUM_MACOS_MAJOR}+ on Apple Silicon (the Mac-only checks are \
                 skipped)",
                host.os_name()
            ),
            "run the driver on a Mac with Apple Silicon and macOS 26 or newer",
        );
    };
    let major = version
        .split('.')
        .next()
        .and_then(|major| major.parse::<u32>().ok());
    match major {
        Some(major) if major >= MINIMUM_MACOS_MAJOR => {
            Check::ok(ID, TITLE, format!("macOS {version}"))
        }
        _ => Check::fail(
            ID,
            TITLE,
            format!("macOS {version}; the container platform needs {MINIMUM_MACOS_MAJOR} or newer"),
            "update macOS in System Settings > General > Software Update",
        ),
    }
}

pub fn apple_silicon(host: &dyn Host) -> Check {
    const ID: &str = "apple_silicon";
    const TITLE: &str = "Apple Silicon";
    match host.is_apple_silicon() {
        Some(true) => Check::ok(ID, TITLE, "arm64 (Apple Silicon)"),
        Some(false) => Check::fail(
            ID,
            TITLE,
            "an Intel Mac; Apple's container platform runs on Apple Silicon only",
            "use a Mac with an M-series chip",
        ),
        None => Check::warn(
            ID,
            TITLE,
            "could not read hw.optional.arm64 from sysctl",
            "check by hand with `sysctl -n hw.optional.arm64` (1 means Apple Silicon)",
        ),
    }
}

pub fn rosetta(host: &dyn Host) -> Check {
    const ID: &str = "rosetta";
    const TITLE: &str = "Rosetta";
    if host.rosetta_installed() {
        Check::ok(
            ID,
            TITLE,
            "installed (amd64 images and `rosetta = true` work)",
        )
    } else {
        Check::warn(
            ID,
            TITLE,
            "not installed; only tasks with `rosetta = true` or an amd64 platform need it",
            "softwareupdate --install-rosetta --agree-to-license",
        )
    }
}
