//! What can go wrong calling the CLI, and which of it is worth retrying.

use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("Apple's container CLI was not found at {path}")]
    NotFound { path: PathBuf },

    #[error("cannot run {path}: {source}")]
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{command} did not finish within {after:?}")]
    TimedOut { command: String, after: Duration },

    #[error("{command} failed (exit {}): {stderr}", describe_exit(*exit_code))]
    Failed {
        command: String,
        exit_code: Option<i32>,
        stderr: String,
    },

    #[error("refusing to pass {value:?} to the container CLI: it would be read as a flag")]
    UnsafeArgument { value: String },

    #[error("{command} printed output this driver cannot read: {reason}")]
    BadOutput { command: String, reason: String },
}

fn describe_exit(code: Option<i32>) -> String {
    code.map_or_else(|| "by signal".to_string(), |code| code.to_string())
}

impl CliError {
    pub fn spawn(path: &Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            Self::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            Self::Spawn {
                path: path.to_path_buf(),
                source,
            }
        }
    }

    /// The CLI's wording for "no such container" differs per subcommand.
    pub fn says_not_found(&self) -> bool {
        match self {
            Self::Failed { stderr, .. } => {
                stderr.contains("not found") || stderr.contains("no such container")
            }
            _ => false,
        }
    }

    pub fn says(&self, needle: &str) -> bool {
        matches!(self, Self::Failed { stderr, .. } if stderr.contains(needle))
    }

    /// Whether trying again later may succeed: a timeout, a service that is
    /// down, or a registry that is unreachable or failing, as opposed to a
    /// request the CLI will refuse every time.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::NotFound { .. } | Self::BadOutput { .. } | Self::UnsafeArgument { .. } => false,
            Self::Spawn { .. } | Self::TimedOut { .. } => true,
            Self::Failed {
                exit_code, stderr, ..
            } => {
                if *exit_code == Some(64) {
                    return false; // a usage error: our argv is wrong
                }
                const TRANSIENT: &[&str] = &[
                    "XPC connection error",
                    "failed to resolve",
                    "failed with response: 5",
                    "failed with response: 429",
                    "timed out",
                    "timeout",
                    "connection refused",
                    "network is unreachable",
                    "interrupted",
                ];
                TRANSIENT.iter().any(|needle| stderr.contains(needle))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(exit_code: i32, stderr: &str) -> CliError {
        CliError::Failed {
            command: "container create".into(),
            exit_code: Some(exit_code),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn registry_outages_are_retryable_and_bad_requests_are_not() {
        assert!(failed(
            1,
            "Error: failed to resolve either repository hostname r.io"
        )
        .is_retryable());
        assert!(failed(
            1,
            "HTTP request to https://r/v2/x failed with response: 503 Service Unavailable"
        )
        .is_retryable());
        assert!(failed(
            1,
            "Error: internalError: \"XPC connection error: Connection invalid\""
        )
        .is_retryable());
        assert!(!failed(
            1,
            "HTTP request to https://r/v2/x failed with response: 401 Unauthorized"
        )
        .is_retryable());
        assert!(!failed(
            1,
            "Error: minimum memory amount allowed is 200 MiB (got 1 bytes)"
        )
        .is_retryable());
        assert!(!failed(64, "Error: Unknown option '--bogus'").is_retryable());
    }

    #[test]
    fn not_found_wordings_of_each_subcommand_are_recognised() {
        assert!(failed(1, "Error: container not found: x").says_not_found());
        assert!(failed(1, "Error: get failed: container x not found").says_not_found());
        assert!(failed(1, "Error: no such container: x").says_not_found());
        assert!(!failed(1, "Error: invalid signal: BOGUS").says_not_found());
    }
}
