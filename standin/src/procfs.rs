//! Reading Linux `/proc`: process identity (pid plus start time, so a reused
//! pid is never mistaken for ours), process trees and resource counters.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A process we started, identified beyond its pid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessRef {
    pub pid: i32,
    pub start_time: u64,
}

impl ProcessRef {
    pub fn of(pid: i32) -> Option<ProcessRef> {
        read_stat(pid).map(|stat| ProcessRef {
            pid,
            start_time: stat.start_time,
        })
    }

    /// Alive and not a zombie, and still the same process.
    pub fn is_alive(&self) -> bool {
        match read_stat(self.pid) {
            Some(stat) => stat.start_time == self.start_time && !matches!(stat.state, 'Z' | 'X'),
            None => false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProcStat {
    pub pid: i32,
    pub comm: String,
    pub state: char,
    pub ppid: i32,
    pub cpu_ticks: u64,
    pub start_time: u64,
    pub rss_pages: u64,
    pub virtual_bytes: u64,
}

pub fn read_stat(pid: i32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_string();
    let fields: Vec<&str> = text[close + 1..].split_whitespace().collect();
    let number =
        |index: usize| -> u64 { fields.get(index).and_then(|f| f.parse().ok()).unwrap_or(0) };

    // Field numbers from proc(5), minus 3: state is field 3.
    Some(ProcStat {
        pid,
        comm,
        state: fields.first()?.chars().next()?,
        ppid: number(1) as i32,
        cpu_ticks: number(11) + number(12) + number(13) + number(14),
        start_time: number(19),
        virtual_bytes: number(20),
        rss_pages: number(21),
    })
}

/// Every live process below `root` (not `root` itself), breadth first.
pub fn descendants(root: i32) -> Vec<ProcStat> {
    let mut children: HashMap<i32, Vec<ProcStat>> = HashMap::new();
    for stat in all_processes() {
        children.entry(stat.ppid).or_default().push(stat);
    }

    let mut found = Vec::new();
    let mut queue = vec![root];
    while let Some(parent) = queue.pop() {
        for child in children.remove(&parent).unwrap_or_default() {
            queue.push(child.pid);
            found.push(child);
        }
    }
    found.retain(|stat| stat.state != 'Z');
    found
}

fn all_processes() -> Vec<ProcStat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(read_stat)
        .collect()
}

/// Bytes read from and written to storage by one process.
pub fn block_io(pid: i32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    let field = |name: &str| -> u64 {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().parse().ok())
            .unwrap_or(0)
    };
    (field("read_bytes:"), field("write_bytes:"))
}

pub fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as u64
    } else {
        100
    }
}

pub fn page_size() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as u64
    } else {
        4096
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_alive_and_identified() {
        let me = ProcessRef::of(std::process::id() as i32).expect("own stat");
        assert!(me.is_alive());
        let reused = ProcessRef {
            pid: me.pid,
            start_time: me.start_time + 1,
        };
        assert!(!reused.is_alive());
    }

    #[test]
    fn children_are_descendants() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let found = descendants(std::process::id() as i32);
        assert!(found
            .iter()
            .any(|stat| stat.pid == child.id() as i32 && stat.comm == "sleep"));
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
