//! `container list` and `container inspect`: `ManagedContainer` objects,
//! compact for list, pretty for inspect.

use super::format::{format, Format};
use super::{emit, emit_raw, Context};
use crate::cli::{specs, ParsedArgs};
use crate::error::{failed, internal, usage_error, CliResult};
use crate::output::garble::Shape;
use crate::output::{json, table};
use crate::registry::fixtures::fake_digest;
use crate::store::{Container, Status};
use serde_json::{json, Value};

pub fn list(context: &Context, args: &ParsedArgs) -> CliResult {
    let format = format(args, &specs::LIST)?;
    let all = args.flag("--all");
    let containers: Vec<Container> = context
        .store
        .list()
        .map_err(internal)?
        .into_iter()
        .filter(|container| all || container.status() == Status::Running)
        .filter(|container| !is_machine(container))
        .collect();

    if args.flag("--quiet") {
        containers.iter().for_each(|container| emit(&container.id));
        return Ok(());
    }
    match format {
        Format::Json => {
            let objects: Vec<Value> = containers.iter().map(managed_container).collect();
            context.emit_json(Shape::Containers, Value::Array(objects), json::compact);
        }
        Format::Table => print_table(&containers),
    }
    Ok(())
}

pub fn inspect(context: &Context, args: &ParsedArgs) -> CliResult {
    args.expect_positionals(&["<container-ids> ..."], true)
        .map_err(|error| usage_error(&specs::INSPECT, error))?;
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for id in &args.positionals {
        match context.store.load(id).map_err(internal)? {
            Some(container) => found.push(managed_container(&container)),
            None => missing.push(id.clone()),
        }
    }
    if !missing.is_empty() {
        missing.sort();
        return Err(failed(format!(
            "container not found: {}",
            missing.join(", ")
        )));
    }
    context.emit_json(Shape::Containers, Value::Array(found), json::pretty);
    Ok(())
}

/// Container machines are hidden from `list` (not from `inspect`).
fn is_machine(container: &Container) -> bool {
    container
        .config
        .labels
        .get("com.apple.container.plugin")
        .map(String::as_str)
        == Some("machine")
}

/// `{configuration, id, status{networks, startedDate?, state}}`.
pub fn managed_container(container: &Container) -> Value {
    let mut status = json!({
        "networks": attachments(container),
        "state": container.status().as_str(),
    });
    if let Some(started) = &container.state.started_date {
        status["startedDate"] = json!(started);
    }
    json!({
        "configuration": serde_json::to_value(&container.config).unwrap_or(Value::Null),
        "id": container.id,
        "status": status,
    })
}

/// Network attachments exist only while running.
fn attachments(container: &Container) -> Vec<Value> {
    let Some(address) = container.state.ipv4_address() else {
        return Vec::new();
    };
    if container.status() != Status::Running {
        return Vec::new();
    }
    container
        .config
        .networks
        .iter()
        .map(|network| {
            let mac = network
                .options
                .mac_address
                .clone()
                .unwrap_or_else(|| derived_mac(&container.id));
            json!({
                "hostname": network.options.hostname,
                "ipv4Address": format!("{address}/24"),
                "ipv4Gateway": "192.168.64.1",
                "macAddress": mac,
                "mtu": network.options.mtu,
                "network": network.network,
            })
        })
        .collect()
}

/// A stable, locally administered MAC address for a container.
fn derived_mac(id: &str) -> String {
    let hex = &fake_digest(id)[7..17];
    format!(
        "9a:{}:{}:{}:{}:{}",
        &hex[0..2],
        &hex[2..4],
        &hex[4..6],
        &hex[6..8],
        &hex[8..10]
    )
}

fn print_table(containers: &[Container]) {
    let rows: Vec<Vec<String>> = containers
        .iter()
        .map(|container| {
            let config = &container.config;
            let address = match (container.status(), container.state.ipv4_address()) {
                (Status::Running, Some(address)) if !config.networks.is_empty() => {
                    format!("{address}/24")
                }
                _ => String::new(),
            };
            vec![
                container.id.clone(),
                config.image.reference.clone(),
                config.platform.os.clone(),
                config.platform.architecture.clone(),
                container.status().as_str().to_string(),
                address,
                config.resources.cpus.to_string(),
                format!("{} MB", config.resources.memory_in_bytes / (1024 * 1024)),
                container.state.started_date.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let header = [
        "ID", "IMAGE", "OS", "ARCH", "STATE", "IP", "CPUS", "MEMORY", "STARTED",
    ];
    emit_raw(&table::render(&header, &rows));
}
