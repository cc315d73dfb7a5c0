//! Putting this binary into Nomad's `plugin_dir` (and taking it out), and
//! writing config files safely: a backup first, then an atomic rename.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::client_config::PLUGIN_LABEL;

/// A file operation that failed, naming the step and the path; a
/// permission problem says what to do about it.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {path}: {source}{}", hint_for(source))]
pub struct FileError {
    pub action: &'static str,
    pub path: PathBuf,
    pub source: std::io::Error,
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    File(#[from] FileError),
}

fn hint_for(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::PermissionDenied => {
            "; run it again with sudo, or choose a directory this user can write"
        }
        _ => "",
    }
}

/// `map_err` for a file operation: the error names `action` and `path`.
pub fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> FileError {
    let path = path.to_path_buf();
    move |source| FileError {
        action,
        path,
        source,
    }
}

/// How the binary gets into plugin_dir.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallMode {
    /// A copy of this binary.
    Copy,
    /// A symlink, so `brew upgrade` reaches Nomad without another install.
    Symlink,
}

/// What `install_binary` did.
#[derive(Debug, Clone, PartialEq)]
pub struct Installed {
    pub path: PathBuf,
    pub mode: InstallMode,
    /// False when plugin_dir already held exactly this.
    pub changed: bool,
}

/// The path inside `plugin_dir` Nomad loads the plugin from.
pub fn plugin_path(plugin_dir: &Path) -> PathBuf {
    plugin_dir.join(PLUGIN_LABEL)
}

/// The stable `opt` link of a Homebrew-installed binary, which `brew
/// upgrade` keeps pointing at the newest version; `None` when `exe` is not
/// from a Homebrew Cellar.
pub fn homebrew_stable_path(exe: &Path) -> Option<PathBuf> {
    let text = exe.to_str()?;
    let marker = format!("/Cellar/{PLUGIN_LABEL}/");
    let prefix = &text[..text.find(&marker)?];
    Some(
        Path::new(prefix)
            .join("opt")
            .join(PLUGIN_LABEL)
            .join("bin")
            .join(PLUGIN_LABEL),
    )
}

/// Copies or links `source` into `plugin_dir`, replacing what is there in
/// one rename so Nomad never sees half a binary. Doing it twice changes
/// nothing.
pub fn install_binary(
    source: &Path,
    plugin_dir: &Path,
    mode: InstallMode,
) -> Result<Installed, InstallError> {
    std::fs::create_dir_all(plugin_dir).map_err(io_error("create", plugin_dir))?;
    let target = plugin_path(plugin_dir);
    let unchanged = match mode {
        InstallMode::Symlink => std::fs::read_link(&target).is_ok_and(|link| link == source),
        InstallMode::Copy => is_same_regular_file_content(source, &target),
    };
    if unchanged {
        return Ok(Installed {
            path: target,
            mode,
            changed: false,
        });
    }

    let staging = plugin_dir.join(format!(".{PLUGIN_LABEL}.installing-{}", std::process::id()));
    let _ = std::fs::remove_file(&staging);
    match mode {
        InstallMode::Symlink => {
            std::os::unix::fs::symlink(source, &staging).map_err(io_error("link", &staging))?
        }
        InstallMode::Copy => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::copy(source, &staging).map_err(io_error("copy the binary to", &staging))?;
            let mode = std::fs::Permissions::from_mode(0o755);
            std::fs::set_permissions(&staging, mode).map_err(io_error("chmod", &staging))?;
        }
    }
    std::fs::rename(&staging, &target).map_err(io_error("replace", &target))?;
    tracing::info!(path = %target.display(), ?mode, "plugin installed");
    Ok(Installed {
        path: target,
        mode,
        changed: true,
    })
}

fn is_same_regular_file_content(source: &Path, target: &Path) -> bool {
    let is_file = std::fs::symlink_metadata(target).is_ok_and(|meta| meta.is_file());
    is_file
        && match (std::fs::read(source), std::fs::read(target)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}

/// Removes the plugin from `plugin_dir`; `Ok(false)` when it was not there.
pub fn uninstall_binary(plugin_dir: &Path) -> Result<bool, InstallError> {
    let target = plugin_path(plugin_dir);
    match std::fs::remove_file(&target) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(io_error("remove", &target)(error).into()),
    }
}

/// Writes `text` to `path` unless it already holds exactly that. An existing
/// file is first copied to `<path>.bak-<unix time>`, whose path is returned;
/// the new text lands in one rename, with the old file's permissions.
pub fn write_with_backup(path: &Path, text: &str) -> Result<Option<PathBuf>, InstallError> {
    // A symlinked config is written where the link points, so the link
    // stays a link and the file Nomad reads gets the change. A link that
    // points nowhere is refused rather than replaced by a plain file.
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink());
    let resolved = std::fs::canonicalize(path).ok();
    if is_link && resolved.is_none() {
        let error = std::io::Error::new(std::io::ErrorKind::NotFound, "the link points nowhere");
        return Err(io_error("write through the link", path)(error).into());
    }
    let path = resolved.as_deref().unwrap_or(path);
    let existing = std::fs::read_to_string(path).ok();
    if existing.as_deref() == Some(text) {
        return Ok(None);
    }

    let backup = match &existing {
        Some(original) => Some(write_backup(path, original)?),
        None => None,
    };

    let parent = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io_error("create", parent))?;
    // A fresh, randomly named file (created exclusively, never through a
    // link someone planted), renamed over the config once complete.
    let mut staging = tempfile::Builder::new()
        .prefix(".nomad-driver-container-writing-")
        .tempfile_in(parent)
        .map_err(io_error("create a staging file in", parent))?;
    staging
        .write_all(text.as_bytes())
        .map_err(io_error("write", staging.path()))?;
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(staging.path(), meta.permissions())
            .map_err(io_error("chmod", staging.path()))?;
    }
    staging
        .persist(path)
        .map_err(|error| io_error("replace", path)(error.error))?;
    tracing::info!(path = %path.display(), "config written");
    Ok(backup)
}

/// Writes `original` to `<path>.bak-<unix seconds>` (with `-2`, `-3`, ...
/// when runs within the same second already made one). The file is created
/// exclusively, so an existing file or a planted link is never written to.
fn write_backup(path: &Path, original: &str) -> Result<PathBuf, InstallError> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0);
    let base = format!("{}.bak-{stamp}", path.display());
    let mut candidate = PathBuf::from(&base);
    for counter in 2.. {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(mut file) => {
                file.write_all(original.as_bytes())
                    .map_err(io_error("back up to", &candidate))?;
                return Ok(candidate);
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                candidate = PathBuf::from(format!("{base}-{counter}"));
            }
            Err(error) => return Err(io_error("back up to", &candidate)(error).into()),
        }
    }
    unreachable!("the counter runs until a free name is found")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planted_links_are_never_written_through_and_a_dangling_config_link_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("client.hcl");
        let victim = dir.path().join("victim");
        std::fs::write(&config, "a = 1\n").unwrap();
        std::fs::write(&victim, "victim\n").unwrap();
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        for second in [stamp, stamp + 1] {
            let planted = dir.path().join(format!("client.hcl.bak-{second}"));
            std::os::unix::fs::symlink(&victim, planted).unwrap();
        }

        let backup = write_with_backup(&config, "a = 2\n").unwrap().unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "victim\n");
        assert!(!std::fs::symlink_metadata(&backup)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), "a = 1\n");

        let dangling = dir.path().join("dangling.hcl");
        std::os::unix::fs::symlink(dir.path().join("missing/real.hcl"), &dangling).unwrap();
        let error = write_with_backup(&dangling, "a = 3\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("points nowhere"), "{error}");
        assert!(std::fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn a_symlinked_config_is_written_through_its_link_with_unique_backups() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.hcl");
        let link = dir.path().join("link.hcl");
        std::fs::write(&real, "a = 1\n").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();

        let first = write_with_backup(&link, "a = 2\n").unwrap().unwrap();
        let second = write_with_backup(&link, "a = 3\n").unwrap().unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "a = 3\n");
        assert_ne!(
            first, second,
            "a second run within the second kept its own backup"
        );
        assert_eq!(std::fs::read_to_string(&first).unwrap(), "a = 1\n");
        assert_eq!(std::fs::read_to_string(&second).unwrap(), "a = 2\n");
    }

    #[test]
    fn a_copy_is_executable_and_a_second_install_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("built");
        std::fs::write(&source, b"binary v1").unwrap();
        let plugin_dir = dir.path().join("plugins");

        let first = install_binary(&source, &plugin_dir, InstallMode::Copy).unwrap();
        assert!(first.changed);
        assert_eq!(std::fs::read(&first.path).unwrap(), b"binary v1");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&first.path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);

        let second = install_binary(&source, &plugin_dir, InstallMode::Copy).unwrap();
        assert!(!second.changed);

        std::fs::write(&source, b"binary v2").unwrap();
        assert!(
            install_binary(&source, &plugin_dir, InstallMode::Copy)
                .unwrap()
                .changed
        );
        assert_eq!(std::fs::read(&first.path).unwrap(), b"binary v2");
    }

    #[test]
    fn a_symlink_replaces_a_copy_and_points_at_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("built");
        std::fs::write(&source, b"binary").unwrap();
        install_binary(&source, dir.path(), InstallMode::Copy).unwrap();

        let linked = install_binary(&source, dir.path(), InstallMode::Symlink).unwrap();
        assert!(linked.changed);
        assert_eq!(std::fs::read_link(&linked.path).unwrap(), source);
        let again = install_binary(&source, dir.path(), InstallMode::Symlink).unwrap();
        assert!(!again.changed);
    }

    #[test]
    fn uninstall_removes_the_plugin_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(plugin_path(dir.path()), b"x").unwrap();
        assert!(uninstall_binary(dir.path()).unwrap());
        assert!(!uninstall_binary(dir.path()).unwrap());
    }

    #[test]
    fn homebrew_binaries_link_through_the_stable_opt_path() {
        let cellar = Path::new(
            "/opt/homebrew/Cellar/nomad-driver-container/0.2.0/bin/nomad-driver-container",
        );
        assert_eq!(
            homebrew_stable_path(cellar),
            Some(PathBuf::from(
                "/opt/homebrew/opt/nomad-driver-container/bin/nomad-driver-container"
            ))
        );
        assert_eq!(homebrew_stable_path(Path::new("/usr/local/bin/x")), None);
    }

    #[test]
    fn writing_backs_up_the_original_and_skips_identical_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.hcl");
        assert_eq!(
            write_with_backup(&path, "a = 1\n").unwrap(),
            None,
            "new file"
        );

        let backup = write_with_backup(&path, "a = 2\n")
            .unwrap()
            .expect("a backup");
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), "a = 1\n");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a = 2\n");

        assert_eq!(write_with_backup(&path, "a = 2\n").unwrap(), None);
        let files = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(files, 2, "no stray staging files");
    }
}
