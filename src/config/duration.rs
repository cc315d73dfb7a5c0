//! Durations in the grammar Nomad users write: Go's `time.ParseDuration`
//! ("90s", "5m", "1h30m", "1.5h", "250ms").

use std::time::Duration;

/// Parses a Go-style duration. Negative durations are refused because every
/// duration we take is a timeout.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    parse(text).map_err(|reason| {
        format!("{reason}; write a duration such as \"90s\", \"5m\" or \"1h30m\"")
    })
}

fn parse(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if trimmed == "0" {
        return Ok(Duration::ZERO);
    }
    if trimmed.is_empty() {
        return Err("empty duration".into());
    }
    if trimmed.starts_with('-') {
        return Err("a negative duration is not allowed".into());
    }

    let mut rest = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        let value: f64 = number
            .parse()
            .map_err(|_| format!("no number before {after:?}"))?;

        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        total_nanos += value * unit_nanos(unit)?;
        rest = next;
    }
    Ok(Duration::from_nanos(total_nanos.round() as u64))
}

fn unit_nanos(unit: &str) -> Result<f64, String> {
    Ok(match unit {
        "ns" => 1.0,
        "us" | "µs" | "μs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        "" => return Err("missing unit (use ns, us, ms, s, m or h)".into()),
        other => {
            return Err(format!(
                "unknown unit {other:?} (use ns, us, ms, s, m or h)"
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_duration_forms_parse() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn malformed_durations_are_refused_with_a_reason() {
        assert!(parse_duration("5").unwrap_err().contains("missing unit"));
        assert!(parse_duration("5 minutes")
            .unwrap_err()
            .contains("unknown unit"));
        assert!(parse_duration("-5s").unwrap_err().contains("negative"));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("m").is_err());
    }
}
