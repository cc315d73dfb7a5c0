//! Sizes for `--memory`, `--shm-size` and `--mount size=`: a number, an
//! optional unit among `b k m g t p` (each optionally followed by `b` or
//! `ib`), all binary. A bare number means bytes.

pub const MIB: u64 = 1024 * 1024;
pub const MINIMUM_MEMORY_MIB: u64 = 200;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SizeError {
    #[error("invalid size")]
    InvalidSize,
    #[error("invalid symbol: {0}")]
    InvalidSymbol(String),
}

/// Bytes for a size string such as `512m`, `1.5g` or `300MiB`.
pub fn parse_bytes(input: &str) -> Result<u64, SizeError> {
    let lowered = input.trim_start().to_lowercase();
    let number_len = lowered
        .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
        .unwrap_or(lowered.len());
    let number: f64 = lowered[..number_len]
        .parse()
        .map_err(|_| SizeError::InvalidSize)?;

    let symbol = lowered[number_len..].trim();
    let multiplier =
        unit_multiplier(symbol).ok_or_else(|| SizeError::InvalidSymbol(symbol.to_string()))?;
    Ok((number * multiplier as f64) as u64)
}

fn unit_multiplier(symbol: &str) -> Option<u64> {
    let mut chars = symbol.chars();
    let Some(unit) = chars.next() else {
        return Some(1);
    };
    let exponent = "bkmgtp".find(unit)? as u32;
    match chars.as_str() {
        "" | "b" | "ib" => Some(1024u64.pow(exponent)),
        _ => None,
    }
}

/// `--memory` as the server sees it: truncated to whole MiB, back in bytes.
pub fn memory_in_bytes(input: &str) -> Result<u64, SizeError> {
    Ok(parse_bytes(input)? / MIB * MIB)
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("minimum memory amount allowed is {MINIMUM_MEMORY_MIB} MiB (got {0} bytes)")]
pub struct BelowMinimum(pub u64);

pub fn check_minimum(bytes: u64) -> Result<(), BelowMinimum> {
    if bytes < MINIMUM_MEMORY_MIB * MIB {
        Err(BelowMinimum(bytes))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_spellings_of_a_mebibyte_unit_agree() {
        for spelling in [
            "128m", "128M", "128mb", "128MB", "128MiB", "128mib", " 128 m",
        ] {
            assert_eq!(parse_bytes(spelling), Ok(128 * MIB), "{spelling}");
        }
    }

    #[test]
    fn bare_numbers_are_bytes_and_fractions_work() {
        assert_eq!(parse_bytes("128"), Ok(128));
        assert_eq!(parse_bytes("1.5g"), Ok(1536 * MIB));
        assert_eq!(parse_bytes("2k"), Ok(2048));
        assert_eq!(parse_bytes("1t"), Ok(1024 * 1024 * MIB));
    }

    #[test]
    fn unknown_units_name_the_symbol() {
        assert_eq!(
            parse_bytes("128Mi"),
            Err(SizeError::InvalidSymbol("mi".into()))
        );
        assert_eq!(
            parse_bytes("1e9"),
            Err(SizeError::InvalidSymbol("e9".into()))
        );
        assert_eq!(
            parse_bytes("128Mi").unwrap_err().to_string(),
            "invalid symbol: mi"
        );
    }

    #[test]
    fn missing_number_is_an_invalid_size() {
        assert_eq!(parse_bytes("abc"), Err(SizeError::InvalidSize));
        assert_eq!(parse_bytes(""), Err(SizeError::InvalidSize));
        assert_eq!(parse_bytes("1.2.3m"), Err(SizeError::InvalidSize));
    }

    #[test]
    fn memory_truncates_to_whole_mebibytes() {
        assert_eq!(memory_in_bytes("128"), Ok(0));
        assert_eq!(memory_in_bytes("300.7m"), Ok(300 * MIB));
    }

    #[test]
    fn minimum_is_200_mib_with_the_byte_count_in_the_error() {
        assert!(check_minimum(200 * MIB).is_ok());
        assert_eq!(
            check_minimum(199 * MIB).unwrap_err().to_string(),
            "minimum memory amount allowed is 200 MiB (got 208666624 bytes)"
        );
    }
}
