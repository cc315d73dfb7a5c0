//! A private mount namespace per container, where bind mounts, volumes and
//! tmpfs appear at their container paths. Only possible as root; otherwise
//! the container runs in the host's namespace and mounts are recorded only.
//!
//! The namespace is entered by the runtime helper itself before it starts
//! any thread, so the init process and every exec'd process inherit it.

use nix::mount::{mount, MsFlags};
use nix::sched::{unshare, CloneFlags};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub enum PlannedMount {
    Bind {
        source: PathBuf,
        destination: PathBuf,
        read_only: bool,
    },
    Tmpfs {
        destination: PathBuf,
        data: String,
    },
}

#[derive(Debug, PartialEq)]
pub enum Isolation {
    /// Mounts are in place in a namespace of our own.
    Private,
    /// Not root, or the kernel refused: host namespace, no mounts.
    Shared(String),
}

pub fn enter(mounts: &[PlannedMount]) -> Result<Isolation, String> {
    if mounts.is_empty() {
        return Ok(Isolation::Shared("no mounts requested".into()));
    }
    if !nix::unistd::geteuid().is_root() {
        return Ok(Isolation::Shared("not running as root".into()));
    }
    if let Err(error) = unshare(CloneFlags::CLONE_NEWNS) {
        return Ok(Isolation::Shared(format!("unshare refused: {error}")));
    }

    // Keep our mounts from propagating back to the host namespace.
    let private = MsFlags::MS_REC | MsFlags::MS_PRIVATE;
    mount(None::<&str>, "/", None::<&str>, private, None::<&str>)
        .map_err(|error| format!("failed to make mounts private: {error}"))?;
    for planned in mounts {
        apply(planned)?;
    }
    Ok(Isolation::Private)
}

fn apply(planned: &PlannedMount) -> Result<(), String> {
    match planned {
        PlannedMount::Bind {
            source,
            destination,
            read_only,
        } => {
            create_target(destination, source.is_dir())?;
            let flags = MsFlags::MS_BIND | MsFlags::MS_REC;
            mount(
                Some(source.as_path()),
                destination,
                None::<&str>,
                flags,
                None::<&str>,
            )
            .map_err(|error| mount_error(source, destination, error))?;
            if *read_only {
                let flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
                mount(None::<&str>, destination, None::<&str>, flags, None::<&str>)
                    .map_err(|error| mount_error(source, destination, error))?;
            }
            Ok(())
        }
        PlannedMount::Tmpfs { destination, data } => {
            create_target(destination, true)?;
            let data = (!data.is_empty()).then_some(data.as_str());
            mount(
                Some("tmpfs"),
                destination,
                Some("tmpfs"),
                MsFlags::empty(),
                data,
            )
            .map_err(|error| mount_error(Path::new("tmpfs"), destination, error))
        }
    }
}

/// Creates the mount point on the host filesystem when it is missing (the
/// namespace shares the host's directories; only mounts are private).
fn create_target(destination: &Path, directory: bool) -> Result<(), String> {
    if destination.exists() {
        return Ok(());
    }
    let created = if directory {
        std::fs::create_dir_all(destination)
    } else {
        let parent = destination.parent().unwrap_or(Path::new("/"));
        std::fs::create_dir_all(parent).and_then(|_| std::fs::File::create(destination).map(|_| ()))
    };
    created.map_err(|error| {
        format!(
            "failed to create mount point {}: {error}",
            destination.display()
        )
    })
}

fn mount_error(source: &Path, destination: &Path, error: nix::Error) -> String {
    format!(
        "failed to mount {} at {}: {error}",
        source.display(),
        destination.display()
    )
}
