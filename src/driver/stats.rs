//! TaskStats for any number of tasks at the cost of one CLI call per tick.
//!
//! One sampler runs `container stats --no-stream --format json` for every
//! running container at the fastest interval any stream asks for, with at
//! most one call in flight (Apple's call itself takes about 2 s, sampling
//! twice). Every TaskStats stream reads the newest sample at its own
//! interval. The sampler stops when the last stream goes away.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;
use tonic::Status;

use super::events::now_timestamp;
use super::resources::core_mhz;
use super::{Driver, DriverError};
use crate::proto::drivers::{
    cpu_usage, memory_usage, CpuUsage, MemoryUsage, TaskResourceUsage, TaskStats, TaskStatsResponse,
};
use crate::runtime::{ContainerCli, ContainerStats};

type ResponseStream = Pin<Box<dyn Stream<Item = Result<TaskStatsResponse, Status>> + Send>>;

/// A container's usage in one sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    /// CPU use since the previous sample, where 100 is one full core; `None`
    /// for a container's first sample.
    pub cpu_percent: Option<f64>,
    pub memory_bytes: Option<u64>,
    pub raw: ContainerStats,
}

#[derive(Debug, Default)]
pub struct Sample {
    pub by_container: HashMap<String, Usage>,
}

#[derive(Default)]
struct Listeners {
    next_id: u64,
    intervals: HashMap<u64, Duration>,
    running: bool,
}

pub struct Sampler {
    listeners: Arc<Mutex<Listeners>>,
    latest: watch::Sender<Arc<Sample>>,
}

/// Keeps the sampler running while held.
pub struct Subscription {
    id: u64,
    listeners: Arc<Mutex<Listeners>>,
    pub samples: watch::Receiver<Arc<Sample>>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        super::lock(&self.listeners).intervals.remove(&self.id);
    }
}

impl Sampler {
    pub fn new() -> Self {
        Self {
            listeners: Arc::default(),
            latest: watch::channel(Arc::new(Sample::default())).0,
        }
    }

    /// Registers a listener; starts the sampling loop if it is not running.
    pub fn subscribe(&self, cli: ContainerCli, interval: Duration) -> Subscription {
        let mut listeners = super::lock(&self.listeners);
        let id = listeners.next_id;
        listeners.next_id += 1;
        listeners.intervals.insert(id, interval);
        if !listeners.running {
            listeners.running = true;
            tokio::spawn(sample_loop(
                cli,
                self.listeners.clone(),
                self.latest.clone(),
            ));
        }
        Subscription {
            id,
            listeners: self.listeners.clone(),
            samples: self.latest.subscribe(),
        }
    }
}

impl Default for Sampler {
    fn default() -> Self {
        Self::new()
    }
}

async fn sample_loop(
    cli: ContainerCli,
    listeners: Arc<Mutex<Listeners>>,
    latest: watch::Sender<Arc<Sample>>,
) {
    let mut previous: HashMap<String, (u64, Instant)> = HashMap::new();
    loop {
        let fastest = {
            let mut state = super::lock(&listeners);
            match state.intervals.values().min().copied() {
                Some(interval) => interval,
                None => {
                    state.running = false;
                    tracing::debug!("stats sampler stopped: no listeners");
                    return;
                }
            }
        };

        let started = Instant::now();
        match cli.stats_all().await {
            Ok(stats) => {
                let sample = build_sample(stats, &mut previous, Instant::now());
                latest.send_replace(Arc::new(sample));
            }
            Err(error) => tracing::warn!(error = %error, "stats sample failed"),
        }
        tracing::trace!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "stats sampled"
        );

        // The call itself may take longer than the interval; never overlap.
        let elapsed = started.elapsed();
        if elapsed < fastest {
            tokio::time::sleep(fastest - elapsed).await;
        }
    }
}

/// Turns cumulative counters into usage: CPU percent is the growth of
/// `cpuUsageUsec` over the wall time between two samples.
fn build_sample(
    stats: Vec<ContainerStats>,
    previous: &mut HashMap<String, (u64, Instant)>,
    now: Instant,
) -> Sample {
    let mut by_container = HashMap::new();
    let mut seen = HashMap::new();
    for raw in stats {
        let cpu_percent = raw.cpu_usage_usec.and_then(|usec| {
            seen.insert(raw.id.clone(), (usec, now));
            let (before, at) = previous.get(&raw.id)?;
            let wall_usec = now.duration_since(*at).as_micros() as f64;
            (wall_usec > 0.0 && usec >= *before).then(|| (usec - before) as f64 / wall_usec * 100.0)
        });
        by_container.insert(
            raw.id.clone(),
            Usage {
                cpu_percent,
                memory_bytes: raw.memory_usage_bytes,
                raw,
            },
        );
    }
    *previous = seen;
    Sample { by_container }
}

impl Driver {
    pub(super) fn task_stats(
        &self,
        id: &str,
        interval: Duration,
    ) -> Result<ResponseStream, DriverError> {
        let task = self
            .task(id)
            .ok_or_else(|| DriverError::UnknownTask(id.to_string()))?;
        let core_mhz = self.core_mhz();
        let subscription = self.inner.stats.subscribe(self.cli()?, interval);
        let (sender, receiver) = mpsc::channel(4);

        tokio::spawn(async move {
            let subscription = subscription;
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            while !task.has_exited() {
                tokio::select! {
                    _ = ticker.tick() => {}
                    _ = sender.closed() => return,
                }
                let sample = subscription.samples.borrow().clone();
                let usage = sample.by_container.get(task.container());
                let message = TaskStatsResponse {
                    stats: Some(task_stats(usage, core_mhz)),
                };
                if sender.send(Ok(message)).await.is_err() {
                    return;
                }
            }
        });
        Ok(Box::pin(ReceiverStream::new(receiver)))
    }

    /// MHz of one core, from the topology Nomad's client sent.
    fn core_mhz(&self) -> f64 {
        let settings = super::read_lock(&self.inner.settings);
        core_mhz(settings.as_ref().and_then(|s| s.topology.as_ref())) as f64
    }
}

/// One TaskStats message. Nomad's client dereferences the usage without a
/// check, so it is always present; `measured_fields` lists only what was
/// really measured in this sample.
pub fn task_stats(usage: Option<&Usage>, core_mhz: f64) -> TaskStats {
    let mut cpu = CpuUsage::default();
    let mut memory = MemoryUsage::default();

    if let Some(percent) = usage.and_then(|u| u.cpu_percent) {
        cpu.percent = percent;
        cpu.total_ticks = percent / 100.0 * core_mhz;
        cpu.measured_fields = vec![
            cpu_usage::Fields::Percent as i32,
            cpu_usage::Fields::TotalTicks as i32,
        ];
    }
    if let Some(bytes) = usage.and_then(|u| u.memory_bytes) {
        // Apple reports the guest's memory use as one number; it is usage,
        // not RSS, and is labelled as such.
        memory.usage = bytes;
        memory.measured_fields = vec![memory_usage::Fields::Usage as i32];
    }

    TaskStats {
        id: String::new(),
        timestamp: Some(now_timestamp()),
        agg_resource_usage: Some(TaskResourceUsage {
            cpu: Some(cpu),
            memory: Some(memory),
        }),
        resource_usage_by_pid: HashMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(id: &str, cpu_usec: u64, memory: u64) -> ContainerStats {
        ContainerStats {
            id: id.into(),
            cpu_usage_usec: Some(cpu_usec),
            memory_usage_bytes: Some(memory),
            memory_limit_bytes: None,
            network_rx_bytes: None,
            network_tx_bytes: None,
            block_read_bytes: None,
            block_write_bytes: None,
            num_processes: None,
        }
    }

    #[test]
    fn cpu_percent_is_counter_growth_over_wall_time_with_one_core_as_100() {
        let mut previous = HashMap::new();
        let start = Instant::now();
        let first = build_sample(vec![stats("a", 1_000_000, 10)], &mut previous, start);
        assert_eq!(
            first.by_container["a"].cpu_percent, None,
            "no delta on the first sample"
        );

        // 1.5 s of CPU in 1 s of wall time: one and a half cores.
        let second = build_sample(
            vec![stats("a", 2_500_000, 10)],
            &mut previous,
            start + Duration::from_secs(1),
        );
        let percent = second.by_container["a"].cpu_percent.unwrap();
        assert!((percent - 150.0).abs() < 0.01, "{percent}");
    }

    #[test]
    fn a_container_missing_from_one_sample_does_not_disturb_others() {
        let mut previous = HashMap::new();
        let start = Instant::now();
        build_sample(
            vec![stats("a", 0, 1), stats("b", 0, 1)],
            &mut previous,
            start,
        );
        let second = build_sample(
            vec![stats("b", 500_000, 1)],
            &mut previous,
            start + Duration::from_secs(1),
        );
        assert!(!second.by_container.contains_key("a"));
        assert!((second.by_container["b"].cpu_percent.unwrap() - 50.0).abs() < 0.01);
    }

    #[test]
    fn message_always_has_usage_and_lists_only_measured_fields() {
        let empty = task_stats(None, 3000.0);
        let usage = empty.agg_resource_usage.unwrap();
        assert!(usage.cpu.unwrap().measured_fields.is_empty());
        assert!(usage.memory.unwrap().measured_fields.is_empty());
        assert!(empty.timestamp.is_some());

        let measured = Usage {
            cpu_percent: Some(50.0),
            memory_bytes: Some(1024),
            raw: stats("a", 0, 0),
        };
        let full = task_stats(Some(&measured), 3000.0)
            .agg_resource_usage
            .unwrap();
        assert!((full.cpu.as_ref().unwrap().total_ticks - 1500.0).abs() < 0.01);
        assert_eq!(full.memory.unwrap().usage, 1024);
    }
}
