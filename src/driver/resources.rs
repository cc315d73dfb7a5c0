//! Nomad's resource asks turned into a VM's size.
//!
//! Memory: the VM gets `memory_max` when oversubscription is set, else
//! `memory`, raised to 200 MiB, the smallest VM Apple's service creates
//! (Nomad jobs often ask for 64 or 128). A raise is reported as a task event.
//!
//! CPUs: a VM needs a whole number of vCPUs. Reserved cores (`resources {
//! cores = N }`) give N. Otherwise `ceil(cpu MHz / MHz of one core)`, at
//! least 1, at most the host's core count, with the core speed taken from
//! the topology Nomad's client sends (1000 MHz when it sends none).

use crate::proto::base::ClientTopology;
use crate::proto::drivers::Resources;

/// The smallest VM memory Apple's container service accepts.
pub const MIN_VM_MEMORY_MIB: u64 = 200;

/// Core speed assumed when Nomad's client sends no topology.
pub const FALLBACK_CORE_MHZ: u64 = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmSize {
    pub memory_mib: Option<u64>,
    /// Set when the ask was below the minimum: (asked, given).
    pub memory_raised_from: Option<u64>,
    pub cpus: Option<u64>,
}

pub fn vm_size(resources: Option<&Resources>, topology: Option<&ClientTopology>) -> VmSize {
    let allocated = resources.and_then(|r| r.allocated_resources.as_ref());
    let memory = allocated.and_then(|a| a.memory.as_ref());
    let asked_mib = memory
        .map(|m| m.memory_mb.max(m.memory_max_mb))
        .filter(|mib| *mib > 0)
        .map(|mib| mib as u64);

    let (memory_mib, memory_raised_from) = match asked_mib {
        Some(mib) if mib < MIN_VM_MEMORY_MIB => (Some(MIN_VM_MEMORY_MIB), Some(mib)),
        other => (other, None),
    };

    let reserved_cores = resources
        .and_then(|r| r.linux_resources.as_ref())
        .map(|linux| count_cpuset(&linux.cpuset_cpus))
        .filter(|count| *count > 0);
    let mhz = allocated
        .and_then(|a| a.cpu.as_ref())
        .map(|cpu| cpu.cpu_shares)
        .unwrap_or(0);
    let cpus = reserved_cores.or_else(|| cpus_for_mhz(mhz, topology));

    VmSize {
        memory_mib,
        memory_raised_from,
        cpus,
    }
}

/// MHz of one core: the first usable core's speed in the topology Nomad's
/// client sent, else [`FALLBACK_CORE_MHZ`].
pub fn core_mhz(topology: Option<&ClientTopology>) -> u64 {
    topology
        .into_iter()
        .flat_map(|t| t.cores.iter())
        .filter(|core| !core.disable)
        .map(|core| core.max_speed.max(core.base_speed).max(core.guess_speed))
        .find(|speed| *speed > 0)
        .unwrap_or(FALLBACK_CORE_MHZ)
}

fn cpus_for_mhz(mhz: i64, topology: Option<&ClientTopology>) -> Option<u64> {
    if mhz <= 0 {
        return None;
    }
    let wanted = (mhz as u64).div_ceil(core_mhz(topology)).max(1);
    let host_cores =
        topology.map_or(0, |t| t.cores.iter().filter(|core| !core.disable).count()) as u64;
    Some(if host_cores > 0 {
        wanted.min(host_cores)
    } else {
        wanted
    })
}

/// Counts CPUs in a cpuset list such as "0,2,4-7".
pub fn count_cpuset(list: &str) -> u64 {
    list.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('-') {
            Some((low, high)) => match (low.parse::<u64>(), high.parse::<u64>()) {
                (Ok(low), Ok(high)) if high >= low => high - low + 1,
                _ => 0,
            },
            None => u64::from(part.parse::<u64>().is_ok()),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::base::ClientTopologyCore;
    use crate::proto::drivers::{
        AllocatedCpuResources, AllocatedMemoryResources, AllocatedTaskResources, LinuxResources,
    };

    fn resources(memory_mb: i64, memory_max_mb: i64, mhz: i64, cpuset: &str) -> Resources {
        Resources {
            allocated_resources: Some(AllocatedTaskResources {
                cpu: Some(AllocatedCpuResources { cpu_shares: mhz }),
                memory: Some(AllocatedMemoryResources {
                    memory_mb,
                    memory_max_mb,
                }),
                networks: vec![],
            }),
            linux_resources: Some(LinuxResources {
                cpuset_cpus: cpuset.into(),
                ..Default::default()
            }),
            ports: vec![],
        }
    }

    fn topology(cores: usize, mhz: u64) -> ClientTopology {
        ClientTopology {
            cores: (0..cores)
                .map(|id| ClientTopologyCore {
                    core_id: id as u32,
                    base_speed: mhz,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn small_memory_ask_is_raised_to_the_vm_minimum_and_reported() {
        let size = vm_size(Some(&resources(128, 0, 100, "")), None);
        assert_eq!(size.memory_mib, Some(200));
        assert_eq!(size.memory_raised_from, Some(128));
    }

    #[test]
    fn memory_max_sizes_the_vm_when_oversubscribing() {
        let size = vm_size(Some(&resources(256, 1024, 100, "")), None);
        assert_eq!(size.memory_mib, Some(1024));
        assert_eq!(size.memory_raised_from, None);
    }

    #[test]
    fn reserved_cores_win_over_mhz() {
        let size = vm_size(
            Some(&resources(512, 0, 9000, "0-1,4")),
            Some(&topology(8, 3000)),
        );
        assert_eq!(size.cpus, Some(3));
    }

    #[test]
    fn mhz_rounds_up_to_whole_cores_at_least_one_at_most_the_host() {
        let host = topology(4, 3000);
        assert_eq!(
            vm_size(Some(&resources(512, 0, 100, "")), Some(&host)).cpus,
            Some(1)
        );
        assert_eq!(
            vm_size(Some(&resources(512, 0, 3001, "")), Some(&host)).cpus,
            Some(2)
        );
        assert_eq!(
            vm_size(Some(&resources(512, 0, 99_000, "")), Some(&host)).cpus,
            Some(4)
        );
        assert_eq!(
            vm_size(Some(&resources(512, 0, 2500, "")), None).cpus,
            Some(3)
        );
    }

    #[test]
    fn no_resources_leave_the_cli_defaults() {
        assert_eq!(
            vm_size(None, None),
            VmSize {
                memory_mib: None,
                memory_raised_from: None,
                cpus: None
            }
        );
    }

    #[test]
    fn cpuset_lists_are_counted() {
        assert_eq!(count_cpuset("0,2,4-7"), 6);
        assert_eq!(count_cpuset(""), 0);
        assert_eq!(count_cpuset("3"), 1);
    }
}
