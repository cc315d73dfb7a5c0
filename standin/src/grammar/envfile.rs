//! `--env-file` contents and the merge of environment sources.
//!
//! Lines are split on any newline; leading whitespace is trimmed; blank and
//! `#` lines are skipped. `NAME=value` keeps the value verbatim (no quote
//! removal); a bare `NAME` copies the CLI's own variable or is skipped.

use std::path::Path;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EnvFileError {
    #[error("failed to read envfile at {0}")]
    Unreadable(String),
    #[error("variable '{0}' contains whitespaces")]
    Whitespace(String),
    #[error("no variable name on line '{0}'")]
    NoName(String),
}

/// Reads an env file (FIFOs work too) into `NAME=value` entries.
pub fn read(
    path: &Path,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Vec<String>, EnvFileError> {
    let unreadable = || EnvFileError::Unreadable(path.display().to_string());
    let bytes = std::fs::read(path).map_err(|_| unreadable())?;
    let text = String::from_utf8(bytes).map_err(|_| unreadable())?;
    parse(&text, lookup)
}

pub fn parse(
    text: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Vec<String>, EnvFileError> {
    let mut entries = Vec::new();
    for raw_line in text.split(['\n', '\r']) {
        let line = raw_line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }

        let (name, value) = match line.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (line, None),
        };
        let name = name.trim_start_matches([' ', '\t']);
        if name.is_empty() {
            return Err(EnvFileError::NoName(line.to_string()));
        }
        if name.contains([' ', '\t']) {
            return Err(EnvFileError::Whitespace(name.to_string()));
        }

        match value {
            Some(value) => entries.push(format!("{name}={value}")),
            None => {
                if let Some(value) = lookup(name) {
                    entries.push(format!("{name}={value}"));
                }
            }
        }
    }
    Ok(entries)
}

/// A `-e` value: `KEY=VAL` as is, bare `KEY` copied from the CLI's
/// environment or dropped when unset there.
pub fn resolve_flag(entry: &str, lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    if entry.contains('=') {
        return Some(entry.to_string());
    }
    lookup(entry).map(|value| format!("{entry}={value}"))
}

/// Later entries win by key; the first position of a key is kept.
pub fn merge(sources: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut merged: Vec<String> = Vec::new();
    for entry in sources {
        let key = entry.split('=').next().unwrap_or_default().to_string();
        match merged
            .iter_mut()
            .find(|existing| existing.split('=').next() == Some(&key))
        {
            Some(existing) => *existing = entry,
            None => merged.push(entry),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(name: &str) -> Option<String> {
        (name == "HOME_DIR").then(|| "/home/ci".to_string())
    }

    #[test]
    fn comments_blank_lines_and_leading_space_are_skipped() {
        let text = "# comment\n\n   A=1\r\n\tB=two words  \rC=\n";
        assert_eq!(
            parse(text, host),
            Ok(vec!["A=1".into(), "B=two words  ".into(), "C=".into()])
        );
    }

    #[test]
    fn values_are_verbatim_including_quotes_and_equals() {
        assert_eq!(parse("Q=\"x=y\"", host), Ok(vec!["Q=\"x=y\"".into()]));
    }

    #[test]
    fn bare_names_copy_the_cli_environment_or_are_skipped() {
        assert_eq!(
            parse("HOME_DIR\nMISSING\n", host),
            Ok(vec!["HOME_DIR=/home/ci".into()])
        );
    }

    #[test]
    fn names_with_whitespace_or_no_name_are_rejected() {
        assert_eq!(
            parse("MY VAR=1", host).unwrap_err().to_string(),
            "variable 'MY VAR' contains whitespaces"
        );
        assert_eq!(
            parse("=1", host).unwrap_err().to_string(),
            "no variable name on line '=1'"
        );
    }

    #[test]
    fn unreadable_file_names_the_path() {
        let error = read(Path::new("/nonexistent/env"), host).unwrap_err();
        assert_eq!(
            error.to_string(),
            "failed to read envfile at /nonexistent/env"
        );
    }

    #[test]
    fn later_sources_win_by_key() {
        let merged = merge(["A=1".to_string(), "B=2".to_string(), "A=3".to_string()]);
        assert_eq!(merged, vec!["A=3".to_string(), "B=2".to_string()]);
    }

    #[test]
    fn bare_flag_copies_or_drops() {
        assert_eq!(
            resolve_flag("HOME_DIR", host),
            Some("HOME_DIR=/home/ci".into())
        );
        assert_eq!(resolve_flag("NOPE", host), None);
        assert_eq!(resolve_flag("K=", host), Some("K=".into()));
    }
}
