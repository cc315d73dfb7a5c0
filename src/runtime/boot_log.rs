//! Reading the guest kernel's boot log (`container logs --boot`) for the
//! OOM killer's report. Apple recreates this log at every bootstrap, so what
//! it holds belongs to the container's current run.

/// The kernel's own words when its OOM killer ends a process, whether the
/// whole guest or a memory cgroup inside it ran out.
const OOM_KILL_MARKERS: [&str; 2] = [
    "Out of memory: Killed process",
    "Memory cgroup out of memory: Killed process",
];

/// One OOM-killer report.
#[derive(Debug, Clone, PartialEq)]
pub struct OomReport {
    /// The guest kernel's uptime when it killed, in seconds, when stamped.
    pub uptime_secs: Option<f64>,
    /// The report without its stamp.
    pub message: String,
}

/// The last OOM-killer report in a boot log.
pub fn last_oom_kill(boot_log: &str) -> Option<OomReport> {
    let line = boot_log
        .lines()
        .rev()
        .find(|line| OOM_KILL_MARKERS.iter().any(|marker| line.contains(marker)))?;
    let (uptime_secs, message) = split_uptime_stamp(line);
    Some(OomReport {
        uptime_secs,
        message: message.to_string(),
    })
}

/// `[   12.345678] message` → (12.345678, `message`).
fn split_uptime_stamp(line: &str) -> (Option<f64>, &str) {
    let trimmed = line.trim();
    match trimmed
        .strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
    {
        Some((stamp, message)) => (stamp.trim().parse().ok(), message.trim_start()),
        None => (None, trimmed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOT: &str = "\
[    0.000000] Linux version 6.12.28 (vminit@container) #1 SMP PREEMPT aarch64
[    0.150221] Run /sbin/vminitd as init process
";

    #[test]
    fn a_clean_boot_log_has_no_oom_kill() {
        assert_eq!(last_oom_kill(BOOT), None);
        assert_eq!(last_oom_kill(""), None);
    }

    #[test]
    fn the_oom_report_is_found_and_stripped_of_its_stamp() {
        let log = format!(
            "{BOOT}[   41.000101] python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL)\n\
             [   41.000377] Out of memory: Killed process 77 (python3) total-vm:2048kB\n"
        );
        assert_eq!(
            last_oom_kill(&log).map(|report| (report.uptime_secs, report.message)),
            Some((
                Some(41.000377),
                "Out of memory: Killed process 77 (python3) total-vm:2048kB".to_string()
            ))
        );
    }

    #[test]
    fn a_memory_cgroup_kill_counts_and_the_newest_report_wins() {
        let log = format!(
            "{BOOT}[ 3.1] Out of memory: Killed process 10 (a)\n\
             [ 9.2] Memory cgroup out of memory: Killed process 11 (b)\n"
        );
        assert_eq!(
            last_oom_kill(&log).map(|report| report.message).as_deref(),
            Some("Memory cgroup out of memory: Killed process 11 (b)")
        );
    }

    #[test]
    fn the_word_oom_alone_is_not_evidence() {
        let log = format!("{BOOT}[ 5.0] app: handling oom-killer tuning, Out of memory soon\n");
        assert_eq!(last_oom_kill(&log), None);
    }
}
