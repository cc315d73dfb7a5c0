//! Container bundles: `containers/<id>/{config.json,options.json,state.json}`
//! plus the logs the runtime helper writes next to them.

use super::{read_json, write_json, RuntimeState, Status, Store};
use crate::grammar::name;
use crate::model::container::{ContainerConfiguration, ContainerOptions};
use anyhow::Context;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("container already exists: {0}")]
    Exists(String),
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

#[derive(Debug, Clone)]
pub struct Container {
    pub id: String,
    pub config: ContainerConfiguration,
    pub options: ContainerOptions,
    pub state: RuntimeState,
    pub dir: PathBuf,
}

impl Container {
    pub fn status(&self) -> Status {
        self.state.visible_status()
    }

    pub fn is_running(&self) -> bool {
        self.status() != Status::Stopped
    }

    pub fn stdio_log(&self) -> PathBuf {
        self.dir.join("stdio.log")
    }

    pub fn boot_log(&self) -> PathBuf {
        self.dir.join("vminitd.log")
    }
}

impl Store {
    pub fn container_dir(&self, id: &str) -> PathBuf {
        self.containers_dir().join(id)
    }

    /// `None` when no such container exists (or the ID could not name one).
    pub fn load(&self, id: &str) -> anyhow::Result<Option<Container>> {
        if !name::is_valid(id) {
            return Ok(None);
        }
        let dir = self.container_dir(id);
        let config_path = dir.join("config.json");
        if !config_path.exists() {
            return Ok(None);
        }
        let config: ContainerConfiguration = read_json(&config_path)?;
        let options = read_json(&dir.join("options.json")).unwrap_or_default();
        let state = read_json(&dir.join("state.json")).unwrap_or_default();
        Ok(Some(Container {
            id: id.to_string(),
            config,
            options,
            state,
            dir,
        }))
    }

    /// Every container, sorted by ID.
    pub fn list(&self) -> anyhow::Result<Vec<Container>> {
        let mut ids: Vec<String> = match std::fs::read_dir(self.containers_dir()) {
            Ok(entries) => entries
                .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                .collect(),
            Err(_) => Vec::new(),
        };
        ids.sort();
        let mut containers = Vec::new();
        for id in ids {
            // A bundle deleted between listing and loading is simply skipped.
            if let Some(container) = self.load(&id)? {
                containers.push(container);
            }
        }
        Ok(containers)
    }

    pub fn create(
        &self,
        config: &ContainerConfiguration,
        options: &ContainerOptions,
    ) -> Result<(), StoreError> {
        let _lock = self.lock()?;
        let dir = self.container_dir(&config.id);
        if dir.join("config.json").exists() {
            return Err(StoreError::Exists(config.id.clone()));
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        write_json(&dir.join("options.json"), options)?;
        write_json(&dir.join("state.json"), &RuntimeState::default())?;
        write_json(&dir.join("config.json"), config)?;
        Ok(())
    }

    /// Applies `change` to the stored state under the lock. Returns the new
    /// state, or `None` when the container no longer exists.
    pub fn update_state(
        &self,
        id: &str,
        change: impl FnOnce(&mut RuntimeState),
    ) -> anyhow::Result<Option<RuntimeState>> {
        let _lock = self.lock()?;
        self.update_state_locked(id, change)
    }

    /// As `update_state`, for callers already holding the lock.
    pub fn update_state_locked(
        &self,
        id: &str,
        change: impl FnOnce(&mut RuntimeState),
    ) -> anyhow::Result<Option<RuntimeState>> {
        let dir = self.container_dir(id);
        if !dir.join("config.json").exists() {
            return Ok(None);
        }
        let path = dir.join("state.json");
        let mut state: RuntimeState = read_json(&path).unwrap_or_default();
        change(&mut state);
        write_json(&path, &state)?;
        Ok(Some(state))
    }

    pub fn remove(&self, id: &str) -> anyhow::Result<()> {
        let _lock = self.lock()?;
        self.remove_locked(id)
    }

    pub fn remove_locked(&self, id: &str) -> anyhow::Result<()> {
        let dir = self.container_dir(id);
        match std::fs::remove_dir_all(&dir) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(error).with_context(|| format!("removing {}", dir.display()))
            }
            _ => Ok(()),
        }
    }
}
