//! go-plugin's launch contract: the magic cookie, the protocol versions the
//! host offers, the socket we listen on, and the one handshake line on stdout.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// Set by Nomad in every plugin's environment.
pub const MAGIC_COOKIE_KEY: &str = "NOMAD_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE: &str = "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255";

/// go-plugin's core protocol version, the first handshake field.
const CORE_PROTOCOL_VERSION: u32 = 1;

/// macOS allows 104 bytes in `sun_path`, including the terminating NUL.
const MAX_SOCKET_PATH_BYTES: usize = 103;

/// Refuses to serve a host that is not Nomad, with go-plugin's wording style.
pub fn check_host_environment() -> Result<(), String> {
    let cookie = std::env::var(MAGIC_COOKIE_KEY).unwrap_or_default();
    if cookie != MAGIC_COOKIE {
        return Err(format!(
            "This binary is a plugin for Nomad and is not meant to be run with {MAGIC_COOKIE_KEY} \
             set to another value. Run it without that variable for its command line."
        ));
    }

    // go-plugin lists the versions the host accepts; we speak only Nomad's.
    if let Ok(offered) = std::env::var("PLUGIN_PROTOCOL_VERSIONS") {
        let wanted = super::APP_PROTOCOL_VERSION.to_string();
        if !offered.split(',').any(|version| version.trim() == wanted) {
            return Err(format!(
                "the plugin host offers protocol versions {offered:?}; this plugin speaks only \
                 version {wanted}"
            ));
        }
    }
    Ok(())
}

/// Picks a socket path that fits macOS's limit: `PLUGIN_UNIX_SOCKET_DIR` when
/// the host set it, else the temp dir, else `/tmp` when the temp dir's path
/// is too long (a user's `$TMPDIR` on macOS is long).
pub fn choose_socket_path(pid: u32) -> anyhow::Result<PathBuf> {
    let name = format!("plugin-ctr-{pid}-{:08x}", random_suffix());
    if let Some(dir) = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR") {
        let path = Path::new(&dir).join(&name);
        if fits_socket_limit(&path) {
            return Ok(path);
        }
        bail!(
            "PLUGIN_UNIX_SOCKET_DIR={} makes the socket path {} bytes long; the limit is {}",
            Path::new(&dir).display(),
            path.as_os_str().len(),
            MAX_SOCKET_PATH_BYTES
        );
    }

    let in_temp = std::env::temp_dir().join(&name);
    if fits_socket_limit(&in_temp) {
        return Ok(in_temp);
    }
    Ok(Path::new("/tmp").join(name))
}

pub fn fits_socket_limit(path: &Path) -> bool {
    path.as_os_str().len() <= MAX_SOCKET_PATH_BYTES
}

/// The handshake line: core version, app version, network, address, protocol,
/// and an empty certificate field (Nomad does not use AutoMTLS).
pub fn handshake_line(socket_path: &Path) -> String {
    format!(
        "{CORE_PROTOCOL_VERSION}|{}|unix|{}|grpc|",
        super::APP_PROTOCOL_VERSION,
        socket_path.display()
    )
}

/// Writes the handshake as the first and only line we ever print on stdout.
#[allow(clippy::print_stdout)]
pub fn announce(socket_path: &Path) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", handshake_line(socket_path)).context("stdout closed")?;
    stdout.flush().context("flushing stdout")
}

fn random_suffix() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or(0);
    nanos ^ std::process::id().rotate_left(16)
}

/// Removes the socket file when the server stops.
pub struct RemoveOnDrop(pub PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_line_has_the_fields_go_plugin_expects() {
        let line = handshake_line(Path::new("/tmp/plugin-ctr-1-abc"));
        assert_eq!(line, "1|2|unix|/tmp/plugin-ctr-1-abc|grpc|");
    }

    #[test]
    fn socket_limit_counts_bytes_like_the_kernel() {
        assert!(fits_socket_limit(&PathBuf::from("/".repeat(103))));
        assert!(!fits_socket_limit(&PathBuf::from("/".repeat(104))));
    }
}
