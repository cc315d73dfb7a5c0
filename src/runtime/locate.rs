//! Finding Apple's `container` CLI.

use std::path::{Path, PathBuf};

/// Where Apple's installer and Homebrew put the CLI, after `PATH`.
pub const DEFAULT_SEARCH_PATHS: &[&str] =
    &["/usr/local/bin/container", "/opt/homebrew/bin/container"];

/// The configured path if given (it must exist), else the first executable
/// `container` on `PATH`, else the default install locations.
pub fn locate_cli(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = configured {
        return is_executable(path).then(|| path.to_path_buf());
    }

    let on_path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|dirs| {
            std::env::split_paths(&dirs)
                .map(|dir| dir.join("container"))
                .collect()
        })
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(DEFAULT_SEARCH_PATHS.iter().map(PathBuf::from))
        .find(|candidate| is_executable(candidate))
}

/// A regular file with an execute bit.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_path_must_exist_and_be_executable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("container");
        assert_eq!(locate_cli(Some(&path)), None);

        std::fs::write(&path, "#!/bin/sh\n").unwrap();
        assert_eq!(locate_cli(Some(&path)), None, "not executable yet");

        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(locate_cli(Some(&path)), Some(path));
    }
}
