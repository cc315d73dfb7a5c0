//! The supervisor's socket. A client (the plugin, now or after a restart)
//! connects, reads one hello line, then waits; the connection ends only when
//! this process exits, which is how the plugin learns of the exit at once.

use std::io::Write;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::Mutex;

use super::Hello;

/// Connections kept open until the process exits.
static OPEN_CONNECTIONS: Mutex<Vec<UnixStream>> = Mutex::new(Vec::new());

pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    // A socket file left by an earlier, dead supervisor of this attempt.
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Accepts connections in the background for the rest of our life.
pub fn serve(listener: UnixListener, hello: Hello) {
    let line = match serde_json::to_string(&hello) {
        Ok(json) => format!("{json}\n"),
        Err(_) => "{}\n".to_string(),
    };
    std::thread::spawn(move || {
        for connection in listener.incoming() {
            let Ok(mut stream) = connection else { continue };
            if stream.write_all(line.as_bytes()).is_err() {
                continue;
            }
            tracing::debug!("plugin connected");
            OPEN_CONNECTIONS
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(stream);
        }
    });
}
