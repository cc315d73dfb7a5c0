//! Figures for BENCHMARKS.md: the built plugin driven over gRPC against the
//! stand-in CLI, as the integration tests drive it. Run through
//! `scripts/bench.sh`, which builds the release binaries first. It prints
//! figures only and asserts nothing about time.
//!
//! The comparison basis is the seed's design: one `container stats` per task
//! per stats tick, and `container inspect` per task every second to notice
//! an exit.
#![allow(clippy::print_stdout)] // a bench's output is its figures

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nomad_driver_container::proto::drivers::*;
use support::*;
use tokio_stream::StreamExt;

const LIMIT: Duration = Duration::from_secs(60);
/// Nomad's default client `collection_interval`.
const STATS_INTERVAL: Duration = Duration::from_secs(1);
/// How often the seed polled `inspect` per task to notice an exit.
const SEED_POLL: Duration = Duration::from_secs(1);

fn env_number(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile_90(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[(values.len() * 9 / 10).min(values.len() - 1)]
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Resident memory of a process in KiB, from /proc.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A configured plugin on a fresh stand-in whose image store already holds
/// the tasks' image, so no figure includes a pull.
async fn plugin_with_alpine() -> (Standin, Plugin) {
    let standin = Standin::new();
    let pulled = standin.cli(&["image", "pull", "alpine:3.20"]);
    assert!(pulled.status.success(), "pulling alpine:3.20 failed");
    let plugin = Plugin::launch(&standin).await;
    plugin.configure(&standin_binary(), &[]).await;
    (standin, plugin)
}

async fn start(plugin: &Plugin, task: TaskConfig) -> TaskHandle {
    let request = StartTaskRequest { task: Some(task) };
    match plugin.driver().start_task(request).await {
        Ok(response) => response.into_inner().handle.expect("a handle"),
        Err(status) => panic!("StartTask failed: {status:?}\n{}", plugin.log()),
    }
}

/// Launch to handshake line to first gRPC connection, as Nomad's client
/// does before it can call anything.
async fn handshake(rounds: usize) {
    let standin = Standin::new();
    let mut times = Vec::new();
    for _ in 0..rounds {
        let began = Instant::now();
        let plugin = Plugin::launch(&standin).await;
        times.push(millis(began.elapsed()));
        drop(plugin);
    }
    println!(
        "handshake_ms median={:.1} p90={:.1} rounds={rounds}",
        median(times.clone()),
        percentile_90(times)
    );
}

/// Runs the stand-in directly and returns how long it took.
fn timed_cli(standin: &Standin, args: &[&str]) -> Duration {
    let began = Instant::now();
    let output = standin.cli(args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    began.elapsed()
}

/// StartTask against the same work done by hand with the stand-in: `image
/// inspect`, `create` and a detached `start`, the calls a start makes.
async fn start_overhead(rounds: usize) {
    let (standin, plugin) = plugin_with_alpine().await;

    let mut rpc = Vec::new();
    let mut by_hand = Vec::new();
    let mut dirs = Vec::new();
    for round in 0..rounds {
        let dir = TaskDir::new(&format!("start{round}"));
        let task = dir.task_config(&shell_task("sleep 300"));
        let began = Instant::now();
        start(&plugin, task).await;
        rpc.push(millis(began.elapsed()));
        dirs.push(dir);

        let name = format!("byhand{round}");
        let direct = timed_cli(&standin, &["image", "inspect", "alpine:3.20"])
            + timed_cli(
                &standin,
                &[
                    "create",
                    "--name",
                    &name,
                    "--cpus",
                    "1",
                    "--memory",
                    "256M",
                    "--label",
                    "bench=1",
                    "alpine:3.20",
                    "sleep",
                    "300",
                ],
            )
            + timed_cli(&standin, &["start", &name]);
        by_hand.push(millis(direct));
    }
    let (rpc, by_hand) = (median(rpc), median(by_hand));
    println!(
        "start_task_ms median={rpc:.1} standin_calls_ms median={by_hand:.1} \
         overhead_ms={:.1} rounds={rounds}",
        rpc - by_hand
    );
}

/// From the process printing its last line just before it exits to
/// WaitTask returning; beside it, the seed's 1 s `inspect` poll.
async fn exit_latency(rounds: usize) {
    let (standin, plugin) = plugin_with_alpine().await;

    let mut latencies = Vec::new();
    for round in 0..rounds {
        let dir = TaskDir::new(&format!("exit{round}"));
        let script = "sleep 0.3; date +%s%3N; exit 3";
        let task = dir.task_config(&shell_task(script));
        start(&plugin, task.clone()).await;
        let exit = wait_exit(&mut plugin.driver(), &task.id, LIMIT).await;
        let returned_ms = unix_ms();
        assert_eq!(exit.result.unwrap().exit_code, 3);
        let printed = dir.stdout.wait_closed(LIMIT).await;
        let exited_ms: u64 = printed.trim().parse().expect("a timestamp");
        latencies.push(returned_ms.saturating_sub(exited_ms) as f64);
    }

    let name = "inspected";
    assert!(standin
        .cli(&["create", "--name", name, "alpine:3.20"])
        .status
        .success());
    let inspect: Vec<f64> = (0..10)
        .map(|_| millis(timed_cli(&standin, &["inspect", name])))
        .collect();
    let inspect = median(inspect);
    // A poll every second finds an exit half a second late on average,
    // plus the inspect call that notices it.
    let seed = millis(SEED_POLL) / 2.0 + inspect;
    let ours = median(latencies.clone());
    println!(
        "exit_latency_ms median={ours:.1} p90={:.1} seed_mean_ms={seed:.1} ratio={:.3} \
         rounds={rounds}",
        percentile_90(latencies),
        ours / seed
    );
}

/// `argv` of every CLI call recorded in the window, grouped by subcommand.
fn calls_between(standin: &Standin, from_ms: u64, to_ms: u64) -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(standin.root.path().join("calls.log")).unwrap_or_default();
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let at = entry["ts"].as_u64().unwrap_or_default();
        if at < from_ms || at >= to_ms {
            continue;
        }
        let first = entry["argv"][0].as_str().unwrap_or_default().to_string();
        *counts.entry(first).or_default() += 1;
    }
    counts
}

/// The supervisors of these tasks only: each one's argv names its spec
/// under its task's allocation directory.
fn supervisor_pids(dirs: &[TaskDir]) -> Vec<u32> {
    dirs.iter()
        .flat_map(|dir| processes_matching(&format!("supervise {}", dir.alloc.path().display())))
        .map(|pid| pid as u32)
        .collect()
}

/// N running tasks, each with a TaskStats stream at Nomad's default 1 s
/// interval, for `window`: CLI calls per tick and per task per minute, and
/// the plugin's and supervisors' memory.
async fn steady_state(tasks: usize, window: Duration) {
    let (standin, plugin) = plugin_with_alpine().await;

    let mut dirs = Vec::new();
    let mut streams = Vec::new();
    for index in 0..tasks {
        let dir = TaskDir::new(&format!("steady{index}"));
        let task = dir.task_config(&shell_task("while true; do sleep 1; done"));
        start(&plugin, task.clone()).await;
        let request = TaskStatsRequest {
            task_id: task.id.clone(),
            collection_interval: Some(prost_types::Duration {
                seconds: STATS_INTERVAL.as_secs() as i64,
                nanos: 0,
            }),
        };
        let stream = plugin.driver().task_stats(request).await.unwrap();
        streams.push(stream.into_inner());
        dirs.push(dir);
    }
    // Drain every stream as Nomad's client does, so none backs up.
    let drains: Vec<_> = streams
        .into_iter()
        .map(|mut stream| tokio::spawn(async move { while stream.next().await.is_some() {} }))
        .collect();
    tokio::time::sleep(Duration::from_secs(3)).await;

    let from = unix_ms();
    tokio::time::sleep(window).await;
    let to = unix_ms();
    let counts = calls_between(&standin, from, to);
    let total: usize = counts.values().sum();
    let stats_calls = counts.get("stats").copied().unwrap_or_default();

    let seconds = (to - from) as f64 / 1000.0;
    let ticks = seconds / STATS_INTERVAL.as_secs_f64();
    let per_task_minute = total as f64 / tasks as f64 / (seconds / 60.0);
    let seed_per_tick = tasks as f64;
    let seed_per_task_minute = 60.0 / STATS_INTERVAL.as_secs_f64() + 60.0 / SEED_POLL.as_secs_f64();
    let supervisors: Vec<f64> = supervisor_pids(&dirs)
        .into_iter()
        .filter_map(rss_kib)
        .map(|kib| kib as f64)
        .collect();
    println!(
        "steady N={tasks} window_s={seconds:.1} calls={counts:?} \
         stats_calls_per_tick={:.3} seed_per_tick={seed_per_tick:.0} ratio={:.4} \
         calls_per_task_minute={per_task_minute:.3} seed={seed_per_task_minute:.0} ratio={:.4} \
         plugin_rss_kib={} supervisors={} supervisor_rss_kib_median={:.0}",
        stats_calls as f64 / ticks,
        stats_calls as f64 / ticks / seed_per_tick,
        per_task_minute / seed_per_task_minute,
        rss_kib(plugin.pid()).unwrap_or_default(),
        supervisors.len(),
        if supervisors.is_empty() {
            0.0
        } else {
            median(supervisors.clone())
        },
    );
    for drain in drains {
        drain.abort();
    }
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; other words pick the figures to run.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f));
    let rounds = env_number("BENCH_ROUNDS", 20);
    let window = Duration::from_secs(env_number("BENCH_WINDOW_S", 30) as u64);

    if wanted("handshake") {
        handshake(rounds).await;
    }
    if wanted("start") {
        start_overhead(rounds).await;
    }
    if wanted("exit") {
        exit_latency(rounds / 2).await;
    }
    if wanted("steady") {
        for tasks in [1, 10, 100] {
            steady_state(tasks, window).await;
        }
    }
}
