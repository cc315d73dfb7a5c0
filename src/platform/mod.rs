//! Facts about the host that only macOS can answer (its version, the chip,
//! Rosetta, launchd) sit behind this module, so callers never see `cfg`.
//! Linux builds get a stub that says plainly that it is not macOS.

/// Whether this host can run Apple's container platform at all.
pub fn is_macos() -> bool {
    cfg!(target_os = "macos")
}
