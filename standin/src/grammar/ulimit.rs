//! `--ulimit <type>=<soft>[:<hard>]`: values are integers, `unlimited` or
//! `-1`; one value sets both limits; soft may not exceed hard.

use crate::model::container::Rlimit;

const TYPES: [&str; 15] = [
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum UlimitError {
    #[error("invalid ulimit format {0}")]
    Format(String),
    #[error("unknown ulimit type {0}")]
    UnknownType(String),
    #[error("ulimit soft limit must be less than or equal to hard limit: {0}")]
    SoftAboveHard(String),
    #[error("duplicate ulimit type {0}")]
    Duplicate(String),
}

pub fn parse_all(values: &[String]) -> Result<Vec<Rlimit>, UlimitError> {
    let mut limits: Vec<Rlimit> = Vec::new();
    for value in values {
        let limit = parse(value)?;
        if limits.iter().any(|existing| existing.limit == limit.limit) {
            let kind = value.split('=').next().unwrap_or_default().to_lowercase();
            return Err(UlimitError::Duplicate(kind));
        }
        limits.push(limit);
    }
    Ok(limits)
}

pub fn parse(value: &str) -> Result<Rlimit, UlimitError> {
    let format_error = || UlimitError::Format(value.to_string());
    let (kind, limits) = value.split_once('=').ok_or_else(format_error)?;
    let kind = kind.to_lowercase();
    if !TYPES.contains(&kind.as_str()) {
        return Err(UlimitError::UnknownType(kind));
    }
    let (soft, hard) = match limits.split_once(':') {
        Some((soft, hard)) => (
            number(soft).ok_or_else(format_error)?,
            number(hard).ok_or_else(format_error)?,
        ),
        None => {
            let both = number(limits).ok_or_else(format_error)?;
            (both, both)
        }
    };
    if soft > hard {
        return Err(UlimitError::SoftAboveHard(value.to_string()));
    }
    Ok(Rlimit {
        hard,
        limit: format!("RLIMIT_{}", kind.to_uppercase()),
        soft,
    })
}

fn number(text: &str) -> Option<u64> {
    match text {
        "unlimited" | "-1" => Some(u64::MAX),
        _ => text.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_and_hard_limits_are_parsed() {
        assert_eq!(
            parse("NOFILE=1024:4096"),
            Ok(Rlimit {
                hard: 4096,
                limit: "RLIMIT_NOFILE".into(),
                soft: 1024
            })
        );
        assert_eq!(parse("core=unlimited").unwrap().soft, u64::MAX);
    }

    #[test]
    fn bad_limits_are_rejected() {
        assert_eq!(
            parse("nofile=10:5"),
            Err(UlimitError::SoftAboveHard("nofile=10:5".into()))
        );
        assert_eq!(
            parse("bogus=1"),
            Err(UlimitError::UnknownType("bogus".into()))
        );
        assert_eq!(parse("nofile"), Err(UlimitError::Format("nofile".into())));
        let twice = vec!["nofile=1".to_string(), "NOFILE=2".to_string()];
        assert_eq!(
            parse_all(&twice),
            Err(UlimitError::Duplicate("nofile".into()))
        );
    }
}
