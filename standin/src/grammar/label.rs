//! `-l, --label key[=value]`. Apple splits on `=` with at most two splits
//! and drops empty pieces (Swift's `split` defaults), so `a=b=c` is rejected
//! while `a=` and `=a` both become a label with an empty value.

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LabelError {
    #[error("label cannot be an empty string")]
    Empty,
    #[error("invalid label format {0}")]
    Format(String),
}

pub fn parse(label: &str) -> Result<(String, String), LabelError> {
    if label.is_empty() {
        return Err(LabelError::Empty);
    }
    let pieces = split_non_empty(label, '=', 2);
    match pieces.as_slice() {
        [key] => Ok((key.to_string(), String::new())),
        [key, value] => Ok((key.to_string(), value.to_string())),
        _ => Err(LabelError::Format(label.to_string())),
    }
}

/// Splits at most `max_splits` times, skipping empty pieces; only pieces that
/// were kept count towards the limit.
fn split_non_empty(text: &str, separator: char, max_splits: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (index, ch) in text.char_indices() {
        if pieces.len() == max_splits {
            break;
        }
        if ch == separator {
            if index > start {
                pieces.push(&text[start..index]);
            }
            start = index + ch.len_utf8();
        }
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(key: &str, value: &str) -> Result<(String, String), LabelError> {
        Ok((key.to_string(), value.to_string()))
    }

    #[test]
    fn key_value_and_bare_key() {
        assert_eq!(parse("tier=web"), pair("tier", "web"));
        assert_eq!(parse("tier"), pair("tier", ""));
        assert_eq!(parse("tier="), pair("tier", ""));
    }

    #[test]
    fn values_containing_equals_are_rejected() {
        assert_eq!(
            parse("a=b=c").unwrap_err().to_string(),
            "invalid label format a=b=c"
        );
    }

    #[test]
    fn empty_pieces_are_dropped_like_swift_split() {
        assert_eq!(parse("=a"), pair("a", ""));
        assert_eq!(parse("a==b"), pair("a", "b"));
        assert_eq!(parse("="), Err(LabelError::Format("=".into())));
    }

    #[test]
    fn empty_label_has_its_own_error() {
        assert_eq!(
            parse("").unwrap_err().to_string(),
            "label cannot be an empty string"
        );
    }
}
