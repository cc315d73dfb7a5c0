//! Container IDs: `^[a-zA-Z0-9][a-zA-Z0-9_.-]+$` and at most 63 characters.
//! The `+` means a one-character name is rejected.

const MAX_LENGTH: usize = 63;

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("container ID {0} is not a valid container ID")]
pub struct InvalidName(pub String);

pub fn validate(id: &str) -> Result<(), InvalidName> {
    if is_valid(id) {
        Ok(())
    } else {
        Err(InvalidName(id.to_string()))
    }
}

pub fn is_valid(id: &str) -> bool {
    let mut chars = id.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let rest: Vec<char> = chars.collect();
    first.is_ascii_alphanumeric()
        && !rest.is_empty()
        && rest
            .iter()
            .all(|ch| ch.is_ascii_alphanumeric() || "_.-".contains(*ch))
        && id.len() <= MAX_LENGTH
}

/// A random lower-case UUID, the default ID when `--name` is absent.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    if let Ok(mut file) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = file.read_exact(&mut bytes);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_character_names_with_punctuation_are_valid() {
        for id in ["ab", "a-", "web_1.prod", "0x"] {
            assert!(is_valid(id), "{id}");
        }
    }

    #[test]
    fn one_character_and_leading_punctuation_are_rejected() {
        for id in ["a", "", "-web", ".x", "_x", "web/1", "wéb", "a b"] {
            assert!(!is_valid(id), "{id}");
        }
    }

    #[test]
    fn length_limit_is_63() {
        assert!(is_valid(&"a".repeat(63)));
        let long = "a".repeat(64);
        assert_eq!(
            validate(&long).unwrap_err().to_string(),
            format!("container ID {long} is not a valid container ID")
        );
    }

    #[test]
    fn random_ids_are_lowercase_uuids_that_validate() {
        let id = random_id();
        assert_eq!(id.len(), 36);
        assert!(is_valid(&id));
        assert_eq!(id, id.to_lowercase());
    }
}
