//! Everything the stand-in keeps on disk under its root directory, the way
//! Apple's API server keeps state between CLI invocations.
//!
//! Writes are atomic (temp file + rename), and read-modify-write sequences
//! hold `<root>/state.lock` so concurrent CLIs and runtime helpers agree.

pub mod container;
pub mod lock;
pub mod state;

use anyhow::Context;
use serde::{de::DeserializeOwned, Serialize};
use std::path::{Path, PathBuf};

pub use container::{Container, StoreError};
pub use state::{RuntimeState, Status};

pub const ROOT_ENV: &str = "CONTAINER_STANDIN_ROOT";

#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// `$CONTAINER_STANDIN_ROOT`, else `/tmp/container-standin-<uid>`.
    pub fn from_env() -> Store {
        let root = match std::env::var_os(ROOT_ENV) {
            Some(root) if !root.is_empty() => PathBuf::from(root),
            _ => PathBuf::from(format!("/tmp/container-standin-{}", nix::unistd::getuid())),
        };
        Store { root }
    }

    #[cfg(test)]
    pub fn at(root: impl Into<PathBuf>) -> Store {
        Store { root: root.into() }
    }

    pub fn ensure_layout(&self) -> anyhow::Result<()> {
        for dir in ["containers", "images", "registry", "volumes"] {
            let path = self.root.join(dir);
            std::fs::create_dir_all(&path)
                .with_context(|| format!("creating {}", path.display()))?;
        }
        Ok(())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn containers_dir(&self) -> PathBuf {
        self.root.join("containers")
    }

    pub fn images_dir(&self) -> PathBuf {
        self.root.join("images")
    }

    pub fn registry_dir(&self) -> PathBuf {
        self.root.join("registry")
    }

    pub fn volume_data_dir(&self, name: &str) -> PathBuf {
        self.root.join("volumes").join(name).join("data")
    }

    pub fn volume_image_path(&self, name: &str) -> PathBuf {
        self.root.join("volumes").join(name).join("volume.img")
    }

    pub fn credentials_path(&self) -> PathBuf {
        self.root.join("keychain.json")
    }

    /// Exclusive lock for read-modify-write of any state file.
    pub fn lock(&self) -> anyhow::Result<lock::LockGuard> {
        lock::LockGuard::acquire(&self.root.join("state.lock"))
    }
}

pub fn read_json<T: DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Writes through a temp file and a rename so readers never see half a file.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value).context("encoding state")?;
    let temp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&temp, text).with_context(|| format!("writing {}", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("replacing {}", path.display()))
}
