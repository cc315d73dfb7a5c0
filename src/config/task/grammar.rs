//! Value grammars Apple's CLI enforces, checked up front so a mistake fails
//! the task at start with the key named, instead of deep inside `create`.

/// Why an env variable name cannot be written to an env file, if it cannot.
pub fn env_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("the variable name is empty")
    } else if name.contains('=') {
        Some("the variable name contains '='")
    } else if name.chars().any(char::is_whitespace) {
        Some("the variable name contains whitespace")
    } else if name.starts_with('#') {
        Some("the variable name starts with '#', which the env-file format reads as a comment")
    } else {
        None
    }
}

/// Why a variable's value cannot be written to an env file, if it cannot.
/// The answer never quotes the value: it may be a secret.
pub fn env_value_problem(value: &str) -> Option<&'static str> {
    if value.contains('\0') {
        Some("the value contains a NUL byte")
    } else if value.chars().any(is_env_file_newline) {
        Some("the value contains a line break, which Apple's env-file format cannot carry")
    } else {
        None
    }
}

/// The characters Swift treats as line breaks when it splits an env file.
pub fn is_env_file_newline(c: char) -> bool {
    matches!(
        c,
        '\n' | '\u{0B}' | '\u{0C}' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// An image reference: `[registry[:port]/]path[:tag][@digest]`, made of the
/// characters references may hold and never starting with `-` or `/`.
pub fn image_reference_problem(reference: &str) -> Option<&'static str> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._-/:@+".contains(c);
    if reference.len() > 1024 {
        Some("an image reference is at most 1024 characters")
    } else if reference.starts_with('-') || reference.starts_with('/') {
        Some("an image reference cannot start with '-' or '/'")
    } else if !reference.chars().all(allowed) {
        Some("an image reference holds only letters, digits and . _ - / : @ +")
    } else if reference.ends_with(['/', ':', '@']) || reference.contains("//") {
        Some("not a complete image reference")
    } else {
        None
    }
}

/// `name`, `uid`, `name:group` or `uid:gid`, as the guest resolves it.
pub fn user_problem(user: &str) -> Option<&'static str> {
    let valid_part = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            && !part.starts_with('-')
    };
    let mut parts = user.split(':');
    let (Some(name), group, None) = (parts.next(), parts.next(), parts.next()) else {
        return Some("expected name, uid, name:group or uid:gid");
    };
    if !valid_part(name) || group.is_some_and(|group| !valid_part(group)) {
        return Some("expected name, uid, name:group or uid:gid");
    }
    None
}

/// Linux capability names Apple's CLI accepts, without the `CAP_` prefix.
const CAPABILITIES: &[&str] = &[
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

/// `CAP_NET_ADMIN`, `net_admin` or `ALL` → the CLI's spelling.
pub fn normalize_capability(name: &str) -> Option<String> {
    let upper = name.trim().to_ascii_uppercase();
    if upper == "ALL" {
        return Some(upper);
    }
    let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
    CAPABILITIES.contains(&bare).then(|| format!("CAP_{bare}"))
}

/// `os/arch[/variant]` with Apple's accepted operating systems.
pub fn platform_problem(platform: &str) -> Option<&'static str> {
    let parts: Vec<&str> = platform.split('/').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|part| part.is_empty()) {
        return Some("expected os/arch or os/arch/variant, e.g. linux/amd64");
    }
    if parts[0] != "linux" {
        return Some("Apple's container platform runs linux images only");
    }
    if !matches!(parts[1], "arm64" | "amd64") {
        return Some("the architecture must be arm64, or amd64 (which runs under Rosetta)");
    }
    None
}

/// An absolute path inside the container.
pub fn container_path_problem(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        Some("must be an absolute path inside the container")
    } else if path.contains(':') || path.contains(',') {
        Some("may not contain ':' or ','")
    } else {
        None
    }
}

/// Apple's network names: lower-case letters, digits, `.`, `_`, `-`.
pub fn network_name_problem(name: &str) -> Option<&'static str> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    (!valid).then_some("a network name is lower-case letters, digits, '.', '_' and '-'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_with_registries_ports_tags_and_digests_parse() {
        for good in [
            "alpine",
            "alpine:3.20",
            "docker.io/library/alpine:3.20",
            "localhost:5000/team/app:1.2",
            "ghcr.io/org/app@sha256:0123abcd",
            "registry.local.test/private/app:1",
        ] {
            assert_eq!(image_reference_problem(good), None, "{good}");
        }
        for bad in [
            "--volume=/:/host",
            "-x",
            "/abs",
            "has space",
            "app:",
            "a//b",
            "app@",
        ] {
            assert!(image_reference_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn user_grammar_accepts_names_ids_and_groups() {
        for good in [
            "nobody",
            "1000",
            "1000:1000",
            "www-data:www-data",
            "app.user",
        ] {
            assert_eq!(user_problem(good), None, "{good}");
        }
        for bad in ["", ":", "a:b:c", "na me", "-x", "1000:"] {
            assert!(user_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn capabilities_normalise_like_the_cli() {
        assert_eq!(
            normalize_capability("net_admin").as_deref(),
            Some("CAP_NET_ADMIN")
        );
        assert_eq!(
            normalize_capability("CAP_SYS_TIME").as_deref(),
            Some("CAP_SYS_TIME")
        );
        assert_eq!(normalize_capability("all").as_deref(), Some("ALL"));
        assert_eq!(normalize_capability("CAP_BOGUS"), None);
    }

    #[test]
    fn platforms_need_os_and_arch() {
        assert_eq!(platform_problem("linux/amd64"), None);
        assert_eq!(platform_problem("linux/arm64/v8"), None);
        assert!(platform_problem("amd64").is_some());
        assert!(platform_problem("plan9/amd64").is_some());
        assert!(platform_problem("windows/sparc").is_some());
        assert!(platform_problem("linux/sparc").is_some());
    }

    #[test]
    fn network_names_follow_apples_rule() {
        assert_eq!(network_name_problem("backend-1"), None);
        assert!(network_name_problem("Backend").is_some());
        assert!(network_name_problem("-x").is_some());
    }
}
