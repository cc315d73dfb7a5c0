//! Facts about the host that only macOS can answer (its version, the chip,
//! Rosetta, launchd) sit behind this module, so callers never see `cfg`.
//! Linux builds get a stub that says plainly that it is not macOS.

/// Whether this host can run Apple's container platform at all.
pub fn is_macos() -> bool {
    cfg!(target_os = "macos")
}

/// Facts about the host that callers must not read directly, so tests can
/// put any host in front of them (an old macOS, an Intel Mac, no Rosetta).
pub trait Host: Send + Sync {
    /// "macOS" or the kernel's own name ("Linux").
    fn os_name(&self) -> String;
    /// The product version on macOS ("26.1"), the kernel release elsewhere.
    fn os_version(&self) -> Option<String>;
    /// The hardware as the kernel names it: "arm64" on Apple Silicon.
    fn machine(&self) -> Option<String>;
    /// Whether Rosetta, which runs amd64 images, is installed.
    fn rosetta_installed(&self) -> bool;
}

/// Where macOS keeps its product version: read as a file, so asking costs
/// no process (sw_vers reads the same file).
const MACOS_VERSION_PLIST: &str = "/System/Library/CoreServices/SystemVersion.plist";
/// Present once Rosetta is installed (`softwareupdate --install-rosetta`).
const ROSETTA_RUNTIME: &str = "/Library/Apple/usr/share/rosetta/rosetta";

/// This machine, read through files and `uname(2)`: no process is spawned.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealHost;

impl Host for RealHost {
    fn os_name(&self) -> String {
        if is_macos() {
            return "macOS".into();
        }
        nix::sys::utsname::uname()
            .map(|name| name.sysname().to_string_lossy().into_owned())
            .unwrap_or_else(|_| std::env::consts::OS.into())
    }

    fn os_version(&self) -> Option<String> {
        if is_macos() {
            let plist = std::fs::read_to_string(MACOS_VERSION_PLIST).ok()?;
            return plist_string(&plist, "ProductVersion");
        }
        let name = nix::sys::utsname::uname().ok()?;
        Some(name.release().to_string_lossy().into_owned())
    }

    fn machine(&self) -> Option<String> {
        let name = nix::sys::utsname::uname().ok()?;
        Some(name.machine().to_string_lossy().into_owned())
    }

    fn rosetta_installed(&self) -> bool {
        is_macos() && std::path::Path::new(ROSETTA_RUNTIME).exists()
    }
}

/// The `<string>` that follows `<key>{key}</key>` in an XML property list.
fn plist_string(plist: &str, key: &str) -> Option<String> {
    let after_key = plist.split_once(&format!("<key>{key}</key>"))?.1;
    let value = after_key.trim_start().strip_prefix("<string>")?;
    let (value, _) = value.split_once("</string>")?;
    Some(value.trim().to_string())
}

/// Asks the kernel to kill the calling process when its parent dies. Called
/// between fork and exec for the plugin's CLI calls and `container exec`
/// sessions, so neither outlives a plugin that was killed outright (the
/// attached `container start` belongs to the supervisor and is not one).
///
/// Linux has `PR_SET_PDEATHSIG`, delivered when the forking *thread* ends;
/// the plugin forks from tokio's worker threads, which live as long as the
/// process. macOS has no equivalent, so there a call or exec session whose
/// plugin was SIGKILLed ends only when it does (or its terminal hangs up,
/// for TTY sessions). Async-signal-safe.
pub fn die_with_parent() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with integer arguments only.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_version_is_read_from_the_system_version_plist() {
        let plist = r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0">
<dict>
	<key>BuildID</key>
	<string>7A1C2E</string>
	<key>ProductName</key>
	<string>macOS</string>
	<key>ProductVersion</key>
	<string>26.1</string>
</dict>
</plist>"#;
        assert_eq!(
            plist_string(plist, "ProductVersion").as_deref(),
            Some("26.1")
        );
        assert_eq!(plist_string(plist, "ProductName").as_deref(), Some("macOS"));
        assert_eq!(plist_string(plist, "Missing"), None);
        assert_eq!(
            plist_string("<key>ProductVersion</key><true/>", "ProductVersion"),
            None
        );
    }

    #[test]
    fn the_real_host_answers_on_this_machine() {
        let host = RealHost;
        assert!(!host.os_name().is_empty());
        assert!(host.machine().is_some_and(|machine| !machine.is_empty()));
        assert!(
            is_macos() || !host.rosetta_installed(),
            "Rosetta exists only on macOS"
        );
    }
}
