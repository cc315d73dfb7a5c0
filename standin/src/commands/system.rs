//! `container --version` and `container system status|version|start|stop`.

use super::format::{format, Format};
use super::{emit, emit_raw, Context};
use crate::cli::{specs, ParsedArgs};
use crate::error::{internal, CliError, CliResult};
use crate::grammar::signal;
use crate::output::garble::Shape;
use crate::output::{json, table};
use crate::runtime::control;
use serde_json::{json, Value};
use std::time::Duration;

pub const VERSION: &str = "1.2.2";
pub const COMMIT: &str = "0190097d06df0b9065f4c2d2c7873c649d81d493";

fn short_commit() -> &'static str {
    &COMMIT[..7]
}

fn server_version() -> String {
    format!(
        "container-apiserver version {VERSION} (build: release, commit: {})",
        short_commit()
    )
}

pub fn print_cli_version(context: &Context) -> CliResult {
    context.emit_version_line(&format!(
        "container CLI version {VERSION} (build: release, commit: {})",
        short_commit()
    ));
    Ok(())
}

pub fn status(context: &Context, args: &ParsedArgs) -> CliResult {
    let format = format(args, &specs::SYSTEM_STATUS)?;
    let running = !context.knobs.service_down;
    let app_root = format!("{}/", context.store.root().display());
    let field = |value: String| if running { value } else { String::new() };
    let fields = json!({
        "apiServerAppName": field("container-apiserver".into()),
        "apiServerBuild": field("release".into()),
        "apiServerCommit": field(COMMIT.into()),
        "apiServerVersion": field(server_version()),
        "appRoot": field(app_root.clone()),
        "installRoot": field("/usr/local/".into()),
        "status": if running { "running" } else { "not running" },
    });

    match (format, running) {
        (Format::Json, _) => context.emit_json(Shape::SystemStatus, fields, json::compact),
        (Format::Table, false) => emit("apiserver is not running"),
        (Format::Table, true) => {
            let rows = [
                ("status", "running".to_string()),
                ("appRoot", app_root),
                ("installRoot", "/usr/local/".to_string()),
                ("apiserver.version", server_version()),
                ("apiserver.commit", COMMIT.to_string()),
                ("apiserver.build", "release".to_string()),
                ("apiserver.appName", "container-apiserver".to_string()),
            ];
            let rows: Vec<Vec<String>> = rows
                .into_iter()
                .map(|(name, value)| vec![name.to_string(), value])
                .collect();
            emit_raw(&table::render(&["FIELD", "VALUE"], &rows));
        }
    }
    if running {
        Ok(())
    } else {
        Err(CliError::Exit(1))
    }
}

/// The CLI row always; the server row only when it answers.
pub fn version(context: &Context, args: &ParsedArgs) -> CliResult {
    let format = format(args, &specs::SYSTEM_VERSION)?;
    let mut rows = vec![json!({
        "appName": "container",
        "buildType": "release",
        "commit": COMMIT,
        "version": VERSION,
    })];
    if !context.knobs.service_down {
        rows.push(json!({
            "appName": "container-apiserver",
            "buildType": "release",
            "commit": COMMIT,
            "version": server_version(),
        }));
    }

    match format {
        Format::Json => context.emit_json(Shape::SystemVersion, Value::Array(rows), json::compact),
        Format::Table => {
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|row| {
                    ["appName", "version", "buildType", "commit"]
                        .iter()
                        .map(|key| row[key].as_str().unwrap_or_default().to_string())
                        .collect()
                })
                .collect();
            emit_raw(&table::render(
                &["COMPONENT", "VERSION", "BUILD", "COMMIT"],
                &cells,
            ));
        }
    }
    Ok(())
}

/// Nothing to start: the stand-in has no service. Knobs decide whether it
/// looks down.
pub fn start(_context: &Context, _args: &ParsedArgs) -> CliResult {
    Ok(())
}

/// Stops every running container with its stop signal and a 5 s grace.
pub fn stop(context: &Context, _args: &ParsedArgs) -> CliResult {
    for container in context.store.list().map_err(internal)? {
        if !container.is_running() {
            continue;
        }
        let name = container
            .config
            .stop_signal
            .clone()
            .unwrap_or_else(|| "SIGTERM".into());
        let number = signal::parse(&name).unwrap_or(15);
        control::stop(&context.store, &container, number, Duration::from_secs(5));
    }
    Ok(())
}
