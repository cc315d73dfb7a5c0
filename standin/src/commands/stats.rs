//! `container stats`: resource counters read from `/proc` for every process
//! below a container's runtime helper. One-shot mode takes two samples
//! `stats_interval_ms` apart (2 s by default, as Apple) and reports the
//! second.

use super::format::{format, Format};
use super::{emit_raw, Context};
use crate::cli::{specs, ParsedArgs};
use crate::error::{failed, internal, CliResult};
use crate::output::garble::Shape;
use crate::output::{json, table};
use crate::procfs;
use crate::store::{Container, Status};
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy)]
struct Sample {
    cpu_usec: u64,
    memory_bytes: u64,
    processes: u64,
    block_read: u64,
    block_write: u64,
}

pub fn stats(context: &Context, args: &ParsedArgs) -> CliResult {
    let format = format(args, &specs::STATS)?;
    let one_shot = args.flag("--no-stream") || args.value("--format").is_some_and(|f| f != "table");
    let containers = targets(context, args)?;

    if one_shot {
        let samples = sample_twice(context, &containers);
        render(
            context,
            &containers,
            &samples,
            format,
            context.knobs.stats_interval().as_micros() as u64,
        );
        return Ok(());
    }
    loop {
        let samples = sample_twice(context, &containers);
        emit_raw("\x1b[H\x1b[2J");
        render(
            context,
            &containers,
            &samples,
            Format::Table,
            context.knobs.stats_interval().as_micros() as u64,
        );
    }
}

/// Named containers must exist (stopped ones are skipped); no names means
/// every running container.
fn targets(context: &Context, args: &ParsedArgs) -> CliResult<Vec<Container>> {
    if args.positionals.is_empty() {
        let all = context.store.list().map_err(internal)?;
        return Ok(all
            .into_iter()
            .filter(|c| c.status() == Status::Running)
            .collect());
    }
    let mut containers = Vec::new();
    for id in &args.positionals {
        let container = context
            .store
            .load(id)
            .map_err(internal)?
            .ok_or_else(|| failed(format!("no such container: {id}")))?;
        if container.status() == Status::Running {
            containers.push(container);
        }
    }
    Ok(containers)
}

/// (first, second) sample per container ID; containers that stopped in
/// between are left out.
fn sample_twice(context: &Context, containers: &[Container]) -> BTreeMap<String, (Sample, Sample)> {
    let first: BTreeMap<String, Sample> = containers
        .iter()
        .filter_map(|c| Some((c.id.clone(), sample(c)?)))
        .collect();
    if !containers.is_empty() {
        std::thread::sleep(context.knobs.stats_interval());
    }
    containers
        .iter()
        .filter_map(|c| Some((c.id.clone(), (*first.get(&c.id)?, sample(c)?))))
        .collect()
}

fn sample(container: &Container) -> Option<Sample> {
    let helper = container.state.helper.filter(|helper| helper.is_alive())?;
    let processes = procfs::descendants(helper.pid);
    let ticks = procfs::clock_ticks_per_second();
    let mut sample = Sample {
        cpu_usec: 0,
        memory_bytes: 0,
        processes: 0,
        block_read: 0,
        block_write: 0,
    };
    for process in &processes {
        let (read, write) = procfs::block_io(process.pid);
        sample.cpu_usec += process.cpu_ticks * 1_000_000 / ticks;
        sample.memory_bytes += process.rss_pages * procfs::page_size();
        sample.processes += 1;
        sample.block_read += read;
        sample.block_write += write;
    }
    Some(sample)
}

fn render(
    context: &Context,
    containers: &[Container],
    samples: &BTreeMap<String, (Sample, Sample)>,
    format: Format,
    interval_usec: u64,
) {
    let reported: Vec<(&Container, Sample, Sample)> = containers
        .iter()
        .filter_map(|c| {
            samples
                .get(&c.id)
                .map(|(first, second)| (c, *first, *second))
        })
        .collect();
    match format {
        Format::Json => {
            let items: Vec<Value> = reported
                .iter()
                .map(|(c, _, second)| stats_json(c, second))
                .collect();
            context.emit_json(Shape::Stats, Value::Array(items), json::compact);
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = reported
                .iter()
                .map(|(c, first, second)| table_row(c, first, second, interval_usec))
                .collect();
            let header = [
                "Container ID",
                "Cpu %",
                "Memory Usage",
                "Net Rx/Tx",
                "Block I/O",
                "Pids",
            ];
            emit_raw(&table::render(&header, &rows));
        }
    }
}

/// Network counters are omitted: the stand-in has no guest interfaces,
/// and Apple omits any field the guest did not report.
fn stats_json(container: &Container, sample: &Sample) -> Value {
    json!({
        "blockReadBytes": sample.block_read,
        "blockWriteBytes": sample.block_write,
        "cpuUsageUsec": sample.cpu_usec,
        "id": container.id,
        "memoryLimitBytes": container.config.resources.memory_in_bytes,
        "memoryUsageBytes": sample.memory_bytes,
        "numProcesses": sample.processes,
    })
}

fn table_row(
    container: &Container,
    first: &Sample,
    second: &Sample,
    interval_usec: u64,
) -> Vec<String> {
    let cpu =
        second.cpu_usec.saturating_sub(first.cpu_usec) as f64 * 100.0 / interval_usec.max(1) as f64;
    vec![
        container.id.clone(),
        format!("{cpu:.2}%"),
        format!(
            "{} / {}",
            human_bytes(second.memory_bytes),
            human_bytes(container.config.resources.memory_in_bytes)
        ),
        "0 B / 0 B".to_string(),
        format!(
            "{} / {}",
            human_bytes(second.block_read),
            human_bytes(second.block_write)
        ),
        second.processes.to_string(),
    ]
}

fn human_bytes(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.2} {}", units[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_uses_binary_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.50 KiB");
        assert_eq!(human_bytes(1 << 30), "1.00 GiB");
    }
}
