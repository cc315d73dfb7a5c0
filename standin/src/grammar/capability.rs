//! `--cap-add` / `--cap-drop`: `CAP_X`, `X` or `ALL`, case-insensitive,
//! stored upper-case with the `CAP_` prefix.

const KNOWN: [&str; 41] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid capability: {0}")]
pub struct InvalidCapability(pub String);

pub fn normalize(text: &str) -> Result<String, InvalidCapability> {
    let upper = text.to_uppercase();
    if upper == "ALL" {
        return Ok(upper);
    }
    let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
    if KNOWN.contains(&bare) {
        Ok(format!("CAP_{bare}"))
    } else {
        Err(InvalidCapability(text.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_normalise_to_cap_prefix() {
        assert_eq!(normalize("net_admin"), Ok("CAP_NET_ADMIN".into()));
        assert_eq!(normalize("CAP_MKNOD"), Ok("CAP_MKNOD".into()));
        assert_eq!(normalize("all"), Ok("ALL".into()));
    }

    #[test]
    fn unknown_capabilities_are_rejected() {
        assert!(normalize("FLY").is_err());
    }
}
