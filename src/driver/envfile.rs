//! The task's environment, written to a private file for `--env-file`, so
//! no value ever appears in a process's argv.
//!
//! Apple's env-file grammar: one `NAME=value` per line; leading whitespace
//! of a line is dropped; lines starting with `#` are comments; the value is
//! kept verbatim after the first `=`. So a value may hold `=`, quotes and any
//! Unicode, but not a line break; a name may hold none of whitespace, `=` or
//! a leading `#`. What cannot be carried is refused, naming the variable.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use crate::config::task::grammar::{env_name_problem, env_value_problem};

/// Nomad's task environment first, then the task config's `env` on top.
pub fn merge_env(
    nomad_env: &std::collections::HashMap<String, String>,
    config_env: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut merged: BTreeMap<String, String> = nomad_env
        .iter()
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    merged.extend(
        config_env
            .iter()
            .map(|(name, value)| (name.clone(), value.clone())),
    );
    merged
}

/// Renders the file's contents, or says which variable cannot be carried.
pub fn render(env: &BTreeMap<String, String>) -> Result<String, String> {
    let mut contents = String::new();
    for (name, value) in env {
        if let Some(problem) = env_name_problem(name) {
            return Err(format!("environment variable {name:?}: {problem}"));
        }
        if let Some(problem) = env_value_problem(value) {
            return Err(format!("environment variable {name:?}: {problem}"));
        }
        contents.push_str(name);
        contents.push('=');
        contents.push_str(value);
        contents.push('\n');
    }
    Ok(contents)
}

/// Writes the file with mode 0600 from the moment it exists.
pub fn write(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

/// Parses a file the way Apple's CLI does; used to prove round trips.
#[cfg(test)]
pub fn parse_like_apple(contents: &str) -> BTreeMap<String, String> {
    contents
        .split(crate::config::task::grammar::is_env_file_newline)
        .map(|line| line.trim_start())
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| {
            (
                name.trim_start_matches([' ', '\t']).to_string(),
                value.to_string(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn awkward_values_survive_a_round_trip_exactly() {
        let env: BTreeMap<String, String> = [
            ("EQUALS", "a=b=c"),
            ("QUOTES", "\"double\" 'single'"),
            ("UNICODE", "grüße ✓ 日本"),
            ("SPACES", "  padded  "),
            ("EMPTY", ""),
            ("HASH", "#not a comment"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();

        let contents = render(&env).unwrap();
        assert_eq!(parse_like_apple(&contents), env);
    }

    #[test]
    fn newline_in_a_value_is_refused_naming_the_variable_not_the_value() {
        for breaker in ["\n", "\r", "\u{2028}"] {
            let env = BTreeMap::from([("PEM".to_string(), format!("top{breaker}secret"))]);
            let error = render(&env).unwrap_err();
            assert!(
                error.contains("PEM") && !error.contains("secret"),
                "{error}"
            );
        }
    }

    #[test]
    fn a_nul_from_nomads_own_env_is_refused_too() {
        let env = BTreeMap::from([("FROM_NOMAD".to_string(), "a\0b".to_string())]);
        assert!(render(&env).unwrap_err().contains("NUL"));
    }

    #[test]
    fn config_env_overrides_nomad_env() {
        let nomad = std::collections::HashMap::from([("A".to_string(), "nomad".to_string())]);
        let config = BTreeMap::from([("A".to_string(), "config".to_string())]);
        assert_eq!(merge_env(&nomad, &config)["A"], "config");
    }

    #[test]
    fn file_is_private_from_creation() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("env");
        write(&path, "A=1\n").unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
