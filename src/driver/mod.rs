//! Nomad's BasePlugin and Driver services: the task registry, the lifecycle
//! of each task, recovery after a restart, events, fingerprints and stats.
//!
//! Nothing here owns a container's output or exit status: each task's
//! supervisor does, so this process may die and restart at any moment.

mod base;
mod dangling;
mod envfile;
mod errors;
mod events;
mod exec;
mod fingerprint;
mod inspect;
mod lifecycle;
mod metrics;
pub mod names;
mod options;
mod pull;
mod recover;
mod resources;
mod service;
mod start;
mod state;
mod stats;
mod supervision;
mod task;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::watch;

pub use errors::{recoverable_detail, DriverError};
pub use resources::{vm_size, VmSize, MIN_VM_MEMORY_MIB};
pub use state::{DriverState, DRIVER_STATE_VERSION};

use crate::config::PluginConfig;
use crate::platform::{Host, RealHost};
use crate::proto::base::ClientTopology;
use crate::runtime::{locate_cli, ContainerCli};
use events::EventBus;
use task::TaskEntry;

/// The driver; cheap to clone, one per plugin process.
#[derive(Clone)]
pub struct Driver {
    inner: Arc<Inner>,
}

struct Inner {
    settings: RwLock<Option<Settings>>,
    tasks: Mutex<HashMap<String, Arc<TaskEntry>>>,
    events: EventBus,
    stats: stats::Sampler,
    fingerprints: fingerprint::VersionCache,
    /// The host's facts for fingerprints; a fake in tests.
    host: Arc<dyn Host>,
    registry_locks: pull::RegistryLocks,
    /// Containers whose task is being started or recovered right now: not
    /// tracked yet, but never dangling.
    in_flight: Mutex<HashSet<String>>,
    reconciler_started: Mutex<bool>,
    /// Nomad client nodes this plugin has run tasks for, from StartTask and
    /// RecoverTask: the only nodes whose dangling containers it removes.
    known_nodes: Mutex<HashSet<String>>,
    /// Containers the dangling-container cleanup removed: a late RecoverTask
    /// for one of them is refused rather than reporting a kill as an exit.
    removed_dangling: Mutex<HashSet<String>>,
    /// The Prometheus endpoint, while the plugin config asks for one.
    metrics: Mutex<Option<metrics::MetricsEndpoint>>,
    /// Flips to true when Nomad calls Shutdown: background work stops.
    stopping: watch::Sender<bool>,
}

/// A container claimed by a start or recovery in progress.
struct InFlight {
    driver: Driver,
    container: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        lock(&self.driver.inner.in_flight).remove(&self.container);
    }
}

/// What SetConfig delivered.
#[derive(Debug, Clone)]
struct Settings {
    plugin: PluginConfig,
    topology: Option<ClientTopology>,
}

impl Driver {
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                settings: RwLock::new(None),
                tasks: Mutex::new(HashMap::new()),
                events: EventBus::new(),
                stats: stats::Sampler::new(),
                fingerprints: fingerprint::VersionCache::default(),
                host: Arc::new(RealHost),
                registry_locks: pull::RegistryLocks::default(),
                in_flight: Mutex::new(HashSet::new()),
                reconciler_started: Mutex::new(false),
                known_nodes: Mutex::new(HashSet::new()),
                removed_dangling: Mutex::new(HashSet::new()),
                metrics: Mutex::new(None),
                stopping: watch::channel(false).0,
            }),
        }
    }

    /// Stops fingerprint probes and stats sampling; never touches a task.
    pub fn shutdown_background_work(&self) {
        self.inner.stopping.send_replace(true);
    }

    fn settings(&self) -> Result<Settings, DriverError> {
        read_lock(&self.inner.settings)
            .clone()
            .ok_or(DriverError::NotConfigured)
    }

    /// The plugin config in force, or the defaults before SetConfig.
    fn plugin_config(&self) -> PluginConfig {
        read_lock(&self.inner.settings)
            .as_ref()
            .map(|s| s.plugin.clone())
            .unwrap_or_default()
    }

    fn cli(&self) -> Result<ContainerCli, DriverError> {
        let config = self.plugin_config();
        locate_cli(config.container_path.as_deref())
            .map(ContainerCli::new)
            .ok_or_else(|| DriverError::BadRequest(cli_missing_message(&config)))
    }

    /// Marks a container as claimed by a start or recovery in progress,
    /// until the guard is dropped.
    /// A start or recovery waits here while the dangling-container cleanup
    /// is removing a container of the same name.
    async fn claim_in_flight(&self, container: &str) -> InFlight {
        loop {
            if let Some(claim) = self.try_claim_in_flight(container) {
                return claim;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// The claim, unless someone else holds one on the same container.
    fn try_claim_in_flight(&self, container: &str) -> Option<InFlight> {
        lock(&self.inner.in_flight)
            .insert(container.to_string())
            .then(|| InFlight {
                driver: self.clone(),
                container: container.to_string(),
            })
    }

    /// Whether this driver runs `task_name` of `alloc_id` and it has not
    /// exited.
    fn runs_task(&self, alloc_id: &str, task_name: &str) -> bool {
        lock(&self.inner.tasks).values().any(|task| {
            task.target.alloc_id == alloc_id
                && task.target.task_name == task_name
                && !task.has_exited()
        })
    }

    fn note_node(&self, node_id: &str) {
        if !node_id.is_empty() {
            lock(&self.inner.known_nodes).insert(node_id.to_string());
        }
    }

    /// Tasks whose exit is not known yet.
    fn running_tasks(&self) -> Vec<Arc<TaskEntry>> {
        lock(&self.inner.tasks)
            .values()
            .filter(|task| !task.has_exited())
            .cloned()
            .collect()
    }

    fn task(&self, id: &str) -> Option<Arc<TaskEntry>> {
        lock(&self.inner.tasks).get(id).cloned()
    }

    fn register(&self, task: Arc<TaskEntry>) {
        lock(&self.inner.tasks).insert(task.id().to_string(), task);
    }

    fn forget(&self, id: &str) {
        lock(&self.inner.tasks).remove(id);
    }
}

impl Default for Driver {
    fn default() -> Self {
        Self::new()
    }
}

fn cli_missing_message(config: &PluginConfig) -> String {
    match &config.container_path {
        Some(path) => format!(
            "Apple's container CLI was not found at container_path = {:?}",
            path.display()
        ),
        None => format!(
            "Apple's container CLI was not found on PATH or at {}; install it from \
             github.com/apple/container or set container_path",
            crate::runtime::DEFAULT_SEARCH_PATHS.join(", ")
        ),
    }
}

// Locks are held for map lookups only; a poisoned lock means a panic
// elsewhere, and the map itself is still consistent.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn read_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
