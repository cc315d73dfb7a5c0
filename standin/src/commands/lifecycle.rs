//! `container stop`, `kill` and `delete`: per-ID work with Apple's
//! aggregated error texts, each successful ID printed on stdout.

use super::{emit, Context};
use crate::cli::{specs, ParsedArgs};
use crate::error::{aggregate, failed, internal, not_found_cause, usage_error, CliResult};
use crate::grammar::signal;
use crate::runtime::control;
use crate::store::{Container, Status};
use std::time::Duration;

const DEFAULT_STOP_SECONDS: i32 = 5;
const STOPPED_CAUSE: &str = "invalidState: \"no runtime client exists: container is stopped\"";

pub fn stop(context: &Context, args: &ParsedArgs) -> CliResult {
    let seconds = args
        .number::<i32>("--time")
        .map_err(|error| usage_error(&specs::STOP, error))?
        .unwrap_or(DEFAULT_STOP_SECONDS);
    let grace = Duration::from_secs(seconds.max(0) as u64);
    let ids = targets(context, args, |_| true)?;

    let mut causes = Vec::new();
    for id in ids {
        let Some(container) = context.store.load(&id).map_err(internal)? else {
            causes.push(not_found_cause(&id));
            continue;
        };
        // Stopping a stopped container succeeds without even reading -s.
        if container.is_running() {
            match stop_signal(args, &container) {
                Ok(number) => control::stop(&context.store, &container, number, grace),
                Err(cause) => {
                    causes.push(cause);
                    continue;
                }
            }
        }
        emit(&id);
    }
    finish("stop", causes)
}

/// `-s`, else the image's STOPSIGNAL, else SIGTERM.
fn stop_signal(args: &ParsedArgs, container: &Container) -> Result<i32, String> {
    let text = args
        .value("--signal")
        .or_else(|| container.config.stop_signal.clone())
        .unwrap_or_else(|| "SIGTERM".into());
    signal::parse(&text).map_err(|error| format!("unknown: \"{error}\""))
}

pub fn kill(context: &Context, args: &ParsedArgs) -> CliResult {
    let text = args.value("--signal").unwrap_or_else(|| "KILL".into());
    let ids = targets(context, args, Container::is_running)?;

    let mut causes = Vec::new();
    for id in ids {
        let Some(container) = context.store.load(&id).map_err(internal)? else {
            causes.push(not_found_cause(&id));
            continue;
        };
        if !container.is_running() {
            causes.push(STOPPED_CAUSE.to_string());
            continue;
        }
        match signal::parse(&text) {
            Ok(9) => control::kill_until_stopped(&context.store, &container),
            Ok(number) => control::signal_init(&container, number),
            Err(error) => {
                causes.push(format!("unknown: \"{error}\""));
                continue;
            }
        }
        emit(&id);
    }
    finish("kill", causes)
}

pub fn delete(context: &Context, args: &ParsedArgs) -> CliResult {
    let force = args.flag("--force");
    let ids = targets(context, args, |container| force || !container.is_running())?;

    let mut causes = Vec::new();
    for id in ids {
        let Some(container) = context.store.load(&id).map_err(internal)? else {
            causes.push(not_found_cause(&id));
            continue;
        };
        let status = container.status();
        if status != Status::Stopped && !force {
            causes.push(format!(
                "invalidState: \"container {id} is {} and can not be deleted\"",
                status.as_str()
            ));
            continue;
        }
        tear_down(context, &container);
        context.store.remove(&id).map_err(internal)?;
        emit(&id);
    }
    finish("delete", causes)
}

/// Ends whatever still runs for a container about to be removed.
fn tear_down(context: &Context, container: &Container) {
    if container.is_running() {
        control::kill_until_stopped(&context.store, container);
    } else if container.state.helper_alive() {
        // Forgotten by a (simulated) API-server restart: only delete reaches it.
        control::kill_helper_and_processes(container);
    }
}

/// IDs from the arguments (de-duplicated) or, with `--all`, every
/// container that `include` accepts.
fn targets(
    context: &Context,
    args: &ParsedArgs,
    include: impl Fn(&Container) -> bool,
) -> CliResult<Vec<String>> {
    let all = args.flag("--all");
    if all && !args.positionals.is_empty() {
        return Err(failed(
            "explicitly supplied container IDs conflict with the --all flag",
        ));
    }
    if !all && args.positionals.is_empty() {
        return Err(failed("no containers specified and --all not supplied"));
    }
    if all {
        let containers = context.store.list().map_err(internal)?;
        return Ok(containers
            .iter()
            .filter(|c| include(c))
            .map(|c| c.id.clone())
            .collect());
    }
    let mut ids: Vec<String> = Vec::new();
    for id in &args.positionals {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    Ok(ids)
}

fn finish(action: &str, causes: Vec<String>) -> CliResult {
    if causes.is_empty() {
        Ok(())
    } else {
        Err(aggregate(action, &causes))
    }
}
