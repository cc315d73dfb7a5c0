//! Signal names as Apple's CLI takes them. Signals go to the guest, which is
//! Linux, by name: host (macOS) and guest signal numbers differ, so numbers
//! are refused rather than guessed.

/// Linux signal names, without the `SIG` prefix.
const LINUX_SIGNALS: &[&str] = &[
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "IOT", "BUS", "FPE", "KILL", "USR1", "SEGV",
    "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CLD", "CONT", "STOP", "TSTP", "TTIN",
    "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "POLL", "PWR", "SYS",
];

/// `SIGHUP`, `hup` or ` Sighup ` → `SIGHUP`; also `RTMIN+3` style names.
pub fn normalize_signal(name: &str) -> Result<String, String> {
    let upper = name.trim().to_ascii_uppercase();
    if upper.is_empty() {
        return Err("the signal name is empty".into());
    }
    if upper.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "signal {name:?} is a number; give a name such as SIGHUP \
             (host and guest numbers differ)"
        ));
    }
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    if LINUX_SIGNALS.contains(&bare) || is_realtime(bare) {
        Ok(format!("SIG{bare}"))
    } else {
        Err(format!("unknown signal {name:?}"))
    }
}

fn is_realtime(name: &str) -> bool {
    let (base, offset) = match name.find(['+', '-']) {
        Some(at) => (&name[..at], Some(&name[at + 1..])),
        None => (name, None),
    };
    let valid_offset = offset
        .is_none_or(|digits| digits.parse::<u8>().is_ok_and(|n| n <= 15) && !digits.is_empty());
    matches!(base, "RTMIN" | "RTMAX") && valid_offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_posix_signal_name_maps_with_or_without_prefix_in_any_case() {
        for name in LINUX_SIGNALS {
            assert_eq!(normalize_signal(name).unwrap(), format!("SIG{name}"));
            assert_eq!(
                normalize_signal(&format!("sig{}", name.to_lowercase())).unwrap(),
                format!("SIG{name}")
            );
        }
    }

    #[test]
    fn realtime_names_map() {
        assert_eq!(normalize_signal("SIGRTMIN+3").unwrap(), "SIGRTMIN+3");
        assert_eq!(normalize_signal("rtmax").unwrap(), "SIGRTMAX");
        assert!(normalize_signal("RTMIN+99").is_err());
    }

    #[test]
    fn unknown_names_and_numbers_are_refused_clearly() {
        assert!(normalize_signal("SIGBOGUS")
            .unwrap_err()
            .contains("unknown signal"));
        assert!(normalize_signal("15").unwrap_err().contains("number"));
        assert!(normalize_signal("").is_err());
    }
}
