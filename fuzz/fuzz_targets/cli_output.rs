//! What Apple's CLI prints, read by the driver's parsers: the first byte
//! picks the command, the rest is its stdout. Each must give a value or a
//! `BadOutput` error naming the command, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nomad_driver_container::runtime::{
    parse_cli_version, parse_inspect_output, parse_list_output, parse_registry_hosts,
    parse_stats_output, parse_system_status_output, CliError, ManagedContainer,
};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, stdout)) = data.split_first() else {
        return;
    };
    match selector % 6 {
        0 => {
            let parsed = parse_inspect_output(stdout);
            parsed.iter().flatten().for_each(read_every_accessor);
            check_error("container inspect", parsed.err());
        }
        1 => {
            let parsed = parse_list_output(stdout);
            parsed.iter().flatten().for_each(read_every_accessor);
            check_error("container list", parsed.err());
        }
        2 => check_error("container stats", parse_stats_output(stdout).err()),
        3 => {
            let parsed = parse_system_status_output(stdout);
            let _ = parsed.as_ref().map(|status| status.is_running());
            check_error("container system status", parsed.err());
        }
        4 => {
            let parsed = parse_registry_hosts(stdout);
            check_error("container registry list", parsed.err());
        }
        _ => drop(parse_cli_version(&String::from_utf8_lossy(stdout))),
    }
});

/// What the driver derives from a container must not panic either.
fn read_every_accessor(container: &ManagedContainer) {
    let _ = (
        container.state(),
        container.state_name(),
        container.started_date(),
    );
    let _ = (container.network_name(), container.ipv4_address());
    for port in &container.configuration.published_ports {
        let _ = port.describe();
    }
}

/// A parse error must be a `BadOutput` that names the command.
fn check_error(command: &str, error: Option<CliError>) {
    let Some(error) = error else { return };
    let message = error.to_string();
    assert!(
        matches!(error, CliError::BadOutput { .. }) && message.contains(command),
        "unexpected error for {command}: {message}"
    );
}
