//! `--format` handling shared by the list-type commands.

use crate::cli::{CommandSpec, ParseError, ParsedArgs};
use crate::error::{failed, usage_error, CliResult};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    Json,
    Table,
}

/// `json` or `table` (default). Apple also renders yaml and toml; the
/// stand-in refuses them at runtime rather than print something wrong.
pub fn format(args: &ParsedArgs, spec: &CommandSpec) -> CliResult<Format> {
    match args.value("--format").as_deref() {
        None | Some("table") => Ok(Format::Table),
        Some("json") => Ok(Format::Json),
        Some(other @ ("yaml" | "toml")) => Err(failed(format!(
            "format {other} is not supported by the container stand-in"
        ))),
        Some(other) => Err(usage_error(
            spec,
            ParseError::new(format!(
                "The value '{other}' is invalid for '--format <format>'"
            )),
        )),
    }
}
