//! How a command fails, and how each failure reaches the terminal: parser
//! errors exit 64 with usage lines, everything else exits 1 with `Error: `.

use crate::cli::{CommandSpec, ParseError};
use std::fmt::Display;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Parser or validation error: `Error: <message>` plus usage, exit 64.
    #[error("{message}")]
    Usage {
        message: String,
        usage: String,
        help_path: String,
    },
    /// Any other error: `Error: <text>`, exit 1.
    #[error("{0}")]
    Failed(String),
    /// The API server is not answering (knob `service_down`).
    #[error("service down")]
    ServiceDown,
    /// Leave with this code and print nothing (attached runs, `system status`).
    #[error("exit {0}")]
    Exit(i32),
}

pub type CliResult<T = ()> = Result<T, CliError>;

/// Wraps any displayable error as an exit-1 failure.
pub fn failed(error: impl Display) -> CliError {
    CliError::Failed(error.to_string())
}

/// An unexpected I/O or state error, with its whole context chain.
pub fn internal(error: anyhow::Error) -> CliError {
    CliError::Failed(format!("{error:#}"))
}

pub fn usage_error(spec: &CommandSpec, error: ParseError) -> CliError {
    CliError::Usage {
        message: error.message,
        usage: spec.usage.to_string(),
        help_path: format!("container {}", spec.path),
    }
}

const SERVICE_DOWN_TEXT: &str = "internalError: \"failed to get a response from apiserver: \
     interrupted: \"XPC connection error: Connection invalid\"\"";
const SERVICE_HINT: &str =
    "Ensure container system service has been started with `container system start`.";

/// Prints the failure the way Apple's CLI does and returns the exit code.
pub fn report(error: &CliError) -> i32 {
    match error {
        CliError::Usage {
            message,
            usage,
            help_path,
        } => {
            eprintln!("Error: {message}");
            eprintln!("Usage: {usage}");
            eprintln!("  See '{help_path} --help' for more information.");
            64
        }
        CliError::Failed(text) => {
            eprintln!("Error: {text}");
            1
        }
        CliError::ServiceDown => {
            eprintln!("Error: {SERVICE_DOWN_TEXT}");
            eprintln!("{SERVICE_HINT}");
            1
        }
        CliError::Exit(code) => *code,
    }
}

/// Per-container failures of stop, kill and delete, in Apple's aggregated
/// description form: `internalError: "failed to stop container" (cause: ...)`.
pub fn aggregate(action: &str, causes: &[String]) -> CliError {
    let lines: Vec<String> = causes
        .iter()
        .map(|cause| {
            format!("internalError: \"failed to {action} container\" (cause: \"{cause}\")")
        })
        .collect();
    CliError::Failed(lines.join("\n"))
}

pub fn not_found_cause(id: &str) -> String {
    format!("notFound: \"container with ID {id} not found\"")
}
