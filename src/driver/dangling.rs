//! Dangling containers: containers carrying this driver's labels whose task
//! Nomad no longer knows. They appear when an allocation is collected while
//! the plugin is down (DestroyTask never reaches us) or when a client loses
//! its state. Every `gc.dangling_containers.period` the driver lists all
//! containers and removes such ones — or only reports them, when the
//! operator keeps containers (`gc.container = false`), turned removal off
//! or asked for a dry run. A container without our labels is never touched.
//!
//! The first look comes one period after the plugin starts, by which time
//! Nomad has recovered every task it still knows. Only containers labelled
//! with a node this plugin has run tasks for are considered: another Nomad
//! client sharing the user's container service is never touched, and a
//! plugin that has run no task yet removes nothing.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::names::{
    LABEL_ALLOC_ID, LABEL_DRIVER, LABEL_DRIVER_VALUE, LABEL_NODE_ID, LABEL_TASK_NAME,
};
use super::Driver;
use crate::config::PluginConfig;
use crate::runtime::{CliError, ManagedContainer};

/// What the reconciler remembers between passes.
#[derive(Default)]
pub struct Memory {
    /// When a container without a readable creation date was first seen.
    first_seen: HashMap<String, Instant>,
    /// Dangling containers already reported, so each is reported once.
    reported: HashSet<String>,
}

/// What one pass found and did.
#[derive(Debug, Default, PartialEq)]
pub struct PassOutcome {
    pub removed: Vec<String>,
    pub reported: Vec<String>,
}

impl Driver {
    /// Starts the reconciler once per plugin process.
    pub(super) fn start_dangling_reconciler(&self) {
        let mut started = super::lock(&self.inner.reconciler_started);
        if *started {
            return;
        }
        *started = true;
        let driver = self.clone();
        tokio::spawn(async move { driver.reconcile_forever().await });
    }

    async fn reconcile_forever(self) {
        let mut stopping = self.inner.stopping.subscribe();
        let mut memory = Memory::default();
        loop {
            let period = self.plugin_config().dangling.period;
            tokio::select! {
                _ = tokio::time::sleep(period) => {}
                _ = stopping.changed() => return,
            }
            if let Err(error) = self.reconcile_once(&mut memory).await {
                tracing::warn!(error = %error, "cannot look for dangling containers");
            }
        }
    }

    /// One pass: list, decide, remove or report.
    pub(super) async fn reconcile_once(
        &self,
        memory: &mut Memory,
    ) -> Result<PassOutcome, CliError> {
        let config = self.plugin_config();
        let Ok(cli) = self.cli() else {
            return Ok(PassOutcome::default());
        };
        let containers = cli.list_all().await?;
        let now = Instant::now();
        let mut outcome = PassOutcome::default();

        let present: HashSet<&str> = containers.iter().map(|c| c.id.as_str()).collect();
        memory
            .first_seen
            .retain(|id, _| present.contains(id.as_str()));
        memory.reported.retain(|id| present.contains(id.as_str()));

        let nodes = super::lock(&self.inner.known_nodes).clone();
        for container in &containers {
            if !carries_our_labels(container)
                || !started_on(container, &nodes)
                || self.claims(&container.id)
            {
                continue;
            }
            let age = container_age(container, memory, now);
            if age < config.dangling.creation_grace {
                continue;
            }
            match removal_refusal(&config) {
                None => {
                    // Held while removing: a start or recovery of the same
                    // name waits, and a task recovered while we listed wins.
                    let Some(_claim) = self.try_claim_in_flight(&container.id) else {
                        continue;
                    };
                    if self.tracks(&container.id) {
                        continue;
                    }
                    if self.remove_dangling(&cli, container).await {
                        super::lock(&self.inner.removed_dangling).insert(container.id.clone());
                        outcome.removed.push(container.id.clone());
                    }
                }
                Some(reason) => {
                    if memory.reported.insert(container.id.clone()) {
                        report(container, reason);
                        outcome.reported.push(container.id.clone());
                    }
                }
            }
        }
        Ok(outcome)
    }

    /// Whether a tracked task (running, exited or starting) owns the name.
    fn claims(&self, container: &str) -> bool {
        self.tracks(container) || super::lock(&self.inner.in_flight).contains(container)
    }

    fn tracks(&self, container: &str) -> bool {
        super::lock(&self.inner.tasks)
            .values()
            .any(|task| task.container() == container)
    }

    async fn remove_dangling(
        &self,
        cli: &crate::runtime::ContainerCli,
        container: &ManagedContainer,
    ) -> bool {
        let labels = &container.configuration.labels;
        match cli.delete_force(&container.id).await {
            Ok(()) => {
                tracing::info!(
                    container = %container.id,
                    alloc_id = label(labels, LABEL_ALLOC_ID),
                    task_name = label(labels, LABEL_TASK_NAME),
                    "removed a dangling container: no task Nomad knows owns it",
                );
                true
            }
            Err(error) => {
                tracing::warn!(
                    container = %container.id,
                    error = %error,
                    "cannot remove a dangling container",
                );
                false
            }
        }
    }
}

fn carries_our_labels(container: &ManagedContainer) -> bool {
    let labels = &container.configuration.labels;
    labels.get(LABEL_DRIVER).map(String::as_str) == Some(LABEL_DRIVER_VALUE)
}

/// Whether the container was started for one of `nodes`. Another Nomad
/// client using the same user's container service has its own node ID, and
/// a container from before node IDs were labelled has none: neither is ever
/// this plugin's to remove.
fn started_on(container: &ManagedContainer, nodes: &HashSet<String>) -> bool {
    let labels = &container.configuration.labels;
    labels
        .get(LABEL_NODE_ID)
        .is_some_and(|node| nodes.contains(node))
}

fn label<'a>(labels: &'a HashMap<String, String>, key: &str) -> &'a str {
    labels.get(key).map_or("", String::as_str)
}

/// Age from Apple's creation date; when that is unreadable, from the
/// first pass that saw the container.
fn container_age(container: &ManagedContainer, memory: &mut Memory, now: Instant) -> Duration {
    let created = container
        .configuration
        .creation_date
        .as_deref()
        .and_then(|text| {
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
        });
    match created {
        Some(created) => {
            let age = time::OffsetDateTime::now_utc() - created;
            Duration::try_from(age).unwrap_or(Duration::ZERO)
        }
        None => {
            let first = *memory.first_seen.entry(container.id.clone()).or_insert(now);
            now.duration_since(first)
        }
    }
}

/// Why a dangling container is only reported, or `None` to remove it.
fn removal_refusal(config: &PluginConfig) -> Option<&'static str> {
    if !config.gc_container {
        Some("gc.container is false, so containers are kept")
    } else if !config.dangling.enabled {
        Some("gc.dangling_containers.enabled is false")
    } else if config.dangling.dry_run {
        Some("gc.dangling_containers.dry_run is true")
    } else {
        None
    }
}

fn report(container: &ManagedContainer, reason: &str) {
    let labels = &container.configuration.labels;
    tracing::warn!(
        container = %container.id,
        alloc_id = label(labels, LABEL_ALLOC_ID),
        task_name = label(labels, LABEL_TASK_NAME),
        reason,
        "dangling container left in place: no task Nomad knows owns it",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(gc_container: bool, enabled: bool, dry_run: bool) -> PluginConfig {
        let mut config = PluginConfig {
            gc_container,
            ..PluginConfig::default()
        };
        config.dangling.enabled = enabled;
        config.dangling.dry_run = dry_run;
        config
    }

    #[test]
    fn removal_needs_gc_enabled_and_no_dry_run() {
        assert_eq!(removal_refusal(&config(true, true, false)), None);
        assert!(removal_refusal(&config(false, true, false))
            .unwrap()
            .contains("gc.container"));
        assert!(removal_refusal(&config(true, false, false))
            .unwrap()
            .contains("enabled"));
        assert!(removal_refusal(&config(true, true, true))
            .unwrap()
            .contains("dry_run"));
    }

    fn container(json: &str) -> ManagedContainer {
        crate::runtime::parse_inspect_output(format!("[{json}]").as_bytes())
            .unwrap()
            .pop()
            .unwrap()
    }

    #[test]
    fn only_the_driver_label_makes_a_container_ours() {
        let ours = container(
            r#"{"id":"a","status":{"state":"running"},
                "configuration":{"labels":{"nomad.driver":"nomad-driver-container"}}}"#,
        );
        let lookalike = container(
            r#"{"id":"b","status":{"state":"running"},
                "configuration":{"labels":{"nomad.alloc_id":"x","nomad.task_name":"web"}}}"#,
        );
        assert!(carries_our_labels(&ours));
        assert!(!carries_our_labels(&lookalike));
    }

    #[test]
    fn age_comes_from_the_creation_date_or_else_from_first_sight() {
        let mut memory = Memory::default();
        let now = Instant::now();
        let old = container(
            r#"{"id":"a","status":{"state":"stopped"},
                "configuration":{"creationDate":"2020-01-01T00:00:00Z"}}"#,
        );
        assert!(container_age(&old, &mut memory, now) > Duration::from_secs(86_400));

        let undated = container(r#"{"id":"b","status":{"state":"stopped"}}"#);
        assert_eq!(container_age(&undated, &mut memory, now), Duration::ZERO);
        let later = now + Duration::from_secs(90);
        assert_eq!(
            container_age(&undated, &mut memory, later),
            Duration::from_secs(90)
        );
    }
}
