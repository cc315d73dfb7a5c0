//! Driver errors and their one conversion into gRPC status.
//!
//! Nomad's client reads a failed start only from the status: a first detail
//! of type RecoverableError{true} lets the restart policy retry; anything
//! else fails the task for good.

use prost::Message;
use tonic::{Code, Status};

use crate::config::ConfigError;
use crate::proto::structs::RecoverableError;
use crate::runtime::CliError;

const RECOVERABLE_ERROR_TYPE_URL: &str =
    "type.googleapis.com/hashicorp.nomad.plugins.shared.structs.RecoverableError";

#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("invalid task config: {0}")]
    TaskConfig(ConfigError),

    #[error("invalid plugin config: {0}")]
    PluginConfig(ConfigError),

    #[error("the plugin has not been configured yet (SetConfig was not called)")]
    NotConfigured,

    #[error("{0}")]
    BadRequest(String),

    #[error("task {0} is already running in this driver")]
    AlreadyStarted(String),

    #[error("task {0} is not known to this driver")]
    UnknownTask(String),

    #[error("task {0} is still running; destroy it with force or stop it first")]
    StillRunning(String),

    #[error("{step}: {source}")]
    Cli {
        step: &'static str,
        source: CliError,
    },

    #[error("{step}: {source}")]
    Io {
        step: String,
        source: std::io::Error,
    },

    #[error("{0}")]
    Supervisor(String),

    /// A failure that may pass: the restart policy should try again.
    #[error("{0}")]
    Retryable(String),
}

impl DriverError {
    /// A CLI failure described in our words, retryable when the CLI error is.
    pub fn from_cli(context: String, source: CliError) -> Self {
        let message = format!("{context}: {source}");
        if source.is_retryable() {
            Self::Retryable(message)
        } else {
            Self::BadRequest(message)
        }
    }

    pub fn cli(step: &'static str) -> impl FnOnce(CliError) -> Self {
        move |source| Self::Cli { step, source }
    }

    pub fn io(step: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let step = step.into();
        move |source| Self::Io { step, source }
    }

    /// Whether Nomad's restart policy should try again.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Cli { source, .. } => source.is_retryable(),
            Self::Io { .. } | Self::Supervisor(_) | Self::NotConfigured | Self::Retryable(_) => {
                true
            }
            _ => false,
        }
    }

    fn code(&self) -> Code {
        match self {
            Self::TaskConfig(_) | Self::PluginConfig(_) | Self::BadRequest(_) => {
                Code::InvalidArgument
            }
            Self::AlreadyStarted(_) => Code::AlreadyExists,
            Self::UnknownTask(_) => Code::NotFound,
            Self::StillRunning(_) => Code::FailedPrecondition,
            // Never Unavailable: Nomad's client reads that as "plugin died".
            Self::NotConfigured
            | Self::Cli { .. }
            | Self::Io { .. }
            | Self::Supervisor(_)
            | Self::Retryable(_) => Code::FailedPrecondition,
        }
    }
}

impl From<DriverError> for Status {
    fn from(error: DriverError) -> Self {
        let message = error.to_string();
        let detail = RecoverableError {
            recoverable: error.is_retryable(),
        };
        status_with_recoverable(error.code(), message, detail)
    }
}

/// `google.rpc.Status`, the envelope gRPC carries in its details trailer.
#[derive(Clone, PartialEq, Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<prost_types::Any>,
}

fn status_with_recoverable(code: Code, message: String, detail: RecoverableError) -> Status {
    let envelope = RpcStatus {
        code: code as i32,
        message: message.clone(),
        details: vec![prost_types::Any {
            type_url: RECOVERABLE_ERROR_TYPE_URL.to_string(),
            value: detail.encode_to_vec(),
        }],
    };
    Status::with_details(code, message, envelope.encode_to_vec().into())
}

/// Reads the RecoverableError detail back, as Nomad's client does.
pub fn recoverable_detail(status: &Status) -> Option<bool> {
    let envelope = RpcStatus::decode(status.details()).ok()?;
    let first = envelope.details.first()?;
    if first.type_url != RECOVERABLE_ERROR_TYPE_URL {
        return None;
    }
    RecoverableError::decode(first.value.as_slice())
        .ok()
        .map(|detail| detail.recoverable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_are_final_and_name_the_key() {
        let error = DriverError::TaskConfig(ConfigError::Missing {
            key: "image".into(),
        });
        let status = Status::from(error);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "invalid task config: image is required");
        assert_eq!(recoverable_detail(&status), Some(false));
    }

    #[test]
    fn registry_outage_is_retryable_through_the_detail() {
        let source = CliError::Failed {
            command: "container create".into(),
            exit_code: Some(1),
            stderr: "Error: failed to resolve either repository hostname r.example".into(),
        };
        let status = Status::from(DriverError::Cli {
            step: "creating the container",
            source,
        });
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(recoverable_detail(&status), Some(true));
    }
}
