//! Facts about the host that only macOS can answer (its version, the chip,
//! Rosetta, launchd) sit behind this module, so callers never see `cfg`.
//! Linux builds get a stub that says plainly that it is not macOS.

/// Whether this host can run Apple's container platform at all.
pub fn is_macos() -> bool {
    cfg!(target_os = "macos")
}

/// Asks the kernel to kill the calling process when its parent dies. Called
/// between fork and exec for interactive `container exec` processes, so an
/// exec session does not outlive a plugin that was killed outright.
///
/// Linux has `PR_SET_PDEATHSIG`; macOS has no equivalent, so there an exec
/// session whose plugin was SIGKILLed ends only when its command does (or
/// its terminal hangs up, for TTY sessions). Async-signal-safe.
pub fn die_with_parent() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with integer arguments only.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    }
}
