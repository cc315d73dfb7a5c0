//! `vminitd.log`: the guest kernel and vminitd lines `logs --boot` prints.
//! We write a few plausible boot lines at every start, and the OOM-killer
//! lines when a test simulates an out-of-memory kill.

use std::io::Write;
use std::path::Path;

fn stamp(uptime_ms: u64, micros: u64) -> String {
    format!(
        "[{:5}.{:06}]",
        uptime_ms / 1000,
        (uptime_ms % 1000) * 1000 + micros % 1000
    )
}

/// Truncates the log and writes the boot sequence.
pub fn write_boot(path: &Path, id: &str, memory_bytes: u64, cpus: i64) -> std::io::Result<()> {
    let memory_kib = memory_bytes / 1024;
    let lines = [
        format!(
            "{} Linux version 6.12.28 (vminit@container) #1 SMP PREEMPT aarch64",
            stamp(0, 0)
        ),
        format!(
            "{} Kernel command line: console=hvc0 oops=panic ro root=/dev/vda",
            stamp(0, 0)
        ),
        format!("{} Memory: {memory_kib}K available", stamp(0, 12)),
        format!(
            "{} smp: Brought up 1 node, {} CPUs",
            stamp(21, 407),
            cpus + 1
        ),
        format!(
            "{} virtio_blk virtio1: [vda] 1048576 512-byte logical blocks",
            stamp(52, 110)
        ),
        format!(
            "{} EXT4-fs (vda): mounted filesystem with ordered data mode",
            stamp(118, 342)
        ),
        format!("{} Run /sbin/vminitd as init process", stamp(150, 221)),
        format!("{} vminitd: starting container {id}", stamp(161, 4)),
    ];
    std::fs::write(path, lines.join("\n") + "\n")
}

/// Appends the guest kernel's OOM-killer report for `pid`.
pub fn append_oom_kill(
    path: &Path,
    uptime_ms: u64,
    pid: i32,
    comm: &str,
    virtual_kib: u64,
    rss_kib: u64,
) -> std::io::Result<()> {
    let lines = [
        format!(
            "{} {comm} invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
            stamp(uptime_ms, 101)
        ),
        format!(
            "{} Out of memory: Killed process {pid} ({comm}) total-vm:{virtual_kib}kB, \
             anon-rss:{rss_kib}kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:64kB \
             oom_score_adj:0",
            stamp(uptime_ms, 377)
        ),
    ];
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
    file.write_all((lines.join("\n") + "\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_look_like_kernel_timestamps() {
        assert_eq!(stamp(0, 0), "[    0.000000]");
        assert_eq!(stamp(12_345, 6), "[   12.345006]");
    }

    #[test]
    fn oom_line_names_pid_and_command() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vminitd.log");
        write_boot(&path, "web", 1 << 30, 4).unwrap();
        append_oom_kill(&path, 5000, 123, "python3", 2048, 1024).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("Out of memory: Killed process 123 (python3) total-vm:2048kB"));
        assert!(text.starts_with("[    0.000000] Linux version"));
    }
}
