//! `container create`, and the creation steps `run` shares with it:
//! validate the name, pull the image if needed, build the configuration,
//! register the container.

use super::{configuration, emit, Context};
use crate::cli::{specs, CommandSpec, ParseError, ParsedArgs};
use crate::error::{failed, internal, usage_error, CliError, CliResult};
use crate::grammar::{memory, name};
use crate::registry::pull;
use crate::store::StoreError;
use std::io::IsTerminal;
use std::os::unix::fs::PermissionsExt;

pub fn create(context: &Context, args: &ParsedArgs) -> CliResult {
    let id = create_container(context, args, &specs::CREATE)?;
    if let Some(path) = args.value("--cidfile") {
        write_cidfile(&path, &id)?;
    }
    emit(&id);
    Ok(())
}

/// Shared by `run` and `create`; returns the new container's ID.
pub fn create_container(
    context: &Context,
    args: &ParsedArgs,
    spec: &CommandSpec,
) -> CliResult<String> {
    validate_flags(args).map_err(|error| usage_error(spec, error))?;
    args.expect_positionals(&["<image>"], true)
        .map_err(|error| usage_error(spec, error))?;
    let (image_text, command) = args.positionals.split_first().expect("checked above");

    let id = args.value("--name").unwrap_or_else(name::random_id);
    name::validate(&id).map_err(failed)?;
    let is_run = spec.path == "run";
    if is_run && context.store.load(&id).map_err(internal)?.is_some() {
        return Err(failed(format!("container with id {id} already exists")));
    }

    let show_progress = is_run && progress_is_plain(args);
    let image = pull::ensure_local(&context.store, &context.knobs, image_text, show_progress)
        .map_err(failed)?;
    let (config, options) = configuration::build(context, args, &id, &image, command)?;

    memory::check_minimum(config.resources.memory_in_bytes).map_err(failed)?;
    match context.store.create(&config, &options) {
        Ok(()) => Ok(id),
        Err(StoreError::Exists(id)) => Err(failed(format!("container already exists: {id}"))),
        Err(StoreError::Io(error)) => Err(internal(error)),
    }
}

/// What swift-argument-parser rejects before any work starts (exit 64).
fn validate_flags(args: &ParsedArgs) -> Result<(), ParseError> {
    args.number::<i64>("--cpus")?;
    args.number::<u32>("--uid")?;
    args.number::<u32>("--gid")?;
    if let Some(downloads) = args.number::<i64>("--max-concurrent-downloads")? {
        if downloads <= 0 {
            return Err(ParseError::new(
                "maximum number of concurrent downloads must be greater than 0",
            ));
        }
    }
    validate_progress(args)?;

    let dns_flags = ["--dns", "--dns-domain", "--dns-option", "--dns-search"];
    if args.flag("--no-dns") && dns_flags.iter().any(|flag| args.flag(flag)) {
        return Err(ParseError::new(
            "--no-dns cannot be used with --dns, --dns-domain, --dns-option, or --dns-search",
        ));
    }
    Ok(())
}

pub fn validate_progress(args: &ParsedArgs) -> Result<(), ParseError> {
    match args.value("--progress").as_deref() {
        None | Some("auto" | "none" | "ansi" | "plain" | "color") => Ok(()),
        Some(other) => Err(ParseError::new(format!(
            "The value '{other}' is invalid for '--progress <type>'. Please provide one of \
             'none', 'ansi', 'plain', 'color' and 'auto'."
        ))),
    }
}

/// `plain`, or `auto` with a non-terminal stderr, writes progress lines.
pub fn progress_is_plain(args: &ParsedArgs) -> bool {
    match args.value("--progress").as_deref() {
        Some("plain") => true,
        None | Some("auto") => !std::io::stderr().is_terminal(),
        _ => false,
    }
}

pub fn write_cidfile(path: &str, id: &str) -> CliResult {
    std::fs::write(path, id)
        .and_then(|_| std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)))
        .map_err(|error| CliError::Failed(format!("failed to write cidfile {path}: {error}")))
}
