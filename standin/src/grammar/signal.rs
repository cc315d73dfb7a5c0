//! Signal names and numbers for `stop -s` and `kill -s`: case-insensitive,
//! optional `SIG` prefix, `RTMIN+n`/`RTMAX-n`, and numbers read with Linux
//! numbering (the guest is Linux even though the CLI runs on macOS).

const NAMES: [(&str, i32); 33] = [
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("IOT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("POLL", 29),
    ("PWR", 30),
    ("SYS", 31),
];
const RTMIN: i32 = 34;
const RTMAX: i32 = 64;

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid signal: {0}")]
pub struct InvalidSignal(pub String);

/// The Linux signal number for a `--signal` value.
pub fn parse(text: &str) -> Result<i32, InvalidSignal> {
    let invalid = || InvalidSignal(text.to_string());
    if let Ok(number) = text.parse::<i32>() {
        return if is_valid_number(number) {
            Ok(number)
        } else {
            Err(invalid())
        };
    }

    let upper = text.to_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some((_, number)) = NAMES.iter().find(|(known, _)| *known == name) {
        return Ok(*number);
    }
    realtime(name)
        .filter(|number| is_valid_number(*number))
        .ok_or_else(invalid)
}

fn realtime(name: &str) -> Option<i32> {
    let offset = |text: &str| -> Option<i32> { text.parse::<i32>().ok() };
    if name == "RTMIN" {
        Some(RTMIN)
    } else if name == "RTMAX" {
        Some(RTMAX)
    } else if let Some(rest) = name.strip_prefix("RTMIN+") {
        offset(rest).map(|n| RTMIN + n)
    } else if let Some(rest) = name.strip_prefix("RTMAX-") {
        offset(rest).map(|n| RTMAX - n)
    } else {
        None
    }
}

fn is_valid_number(number: i32) -> bool {
    (1..=31).contains(&number) || (RTMIN..=RTMAX).contains(&number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_with_optional_prefix() {
        for text in ["SIGTERM", "TERM", "term", "SigTerm", "15"] {
            assert_eq!(parse(text), Ok(15), "{text}");
        }
    }

    #[test]
    fn numbers_use_linux_numbering() {
        assert_eq!(parse("10"), Ok(10)); // USR1 on Linux
        assert_eq!(parse("30"), Ok(30)); // PWR on Linux, USR1 on macOS
        assert_eq!(parse("SIGUSR1"), Ok(10));
        assert_eq!(parse("9"), Ok(9));
    }

    #[test]
    fn realtime_signals_are_offsets() {
        assert_eq!(parse("RTMIN"), Ok(34));
        assert_eq!(parse("SIGRTMIN+2"), Ok(36));
        assert_eq!(parse("rtmax"), Ok(64));
        assert_eq!(parse("RTMAX-1"), Ok(63));
    }

    #[test]
    fn unknown_names_and_numbers_are_invalid() {
        for text in ["BOGUS", "0", "32", "65", "-1", "RTMIN+40", ""] {
            assert_eq!(parse(text), Err(InvalidSignal(text.into())), "{text}");
        }
        assert_eq!(
            parse("BOGUS").unwrap_err().to_string(),
            "invalid signal: BOGUS"
        );
    }
}
