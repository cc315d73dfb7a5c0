//! An advisory `flock` on a file, released when the guard drops.

use anyhow::Context;
use nix::fcntl::{Flock, FlockArg};
use std::fs::File;
use std::path::Path;

pub struct LockGuard {
    _lock: Flock<File>,
}

impl LockGuard {
    pub fn acquire(path: &Path) -> anyhow::Result<LockGuard> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .with_context(|| format!("opening lock {}", path.display()))?;
        let lock = Flock::lock(file, FlockArg::LockExclusive)
            .map_err(|(_, errno)| errno)
            .with_context(|| format!("locking {}", path.display()))?;
        Ok(LockGuard { _lock: lock })
    }
}
