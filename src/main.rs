//! One binary, three roles: Nomad's driver plugin (launched by Nomad with its
//! magic cookie), the per-task supervisor (a hidden subcommand the plugin
//! spawns), and a command line for people.

use std::process::ExitCode;

use nomad_driver_container::{cli, plugin, supervisor};

fn main() -> ExitCode {
    // The supervisor is checked first: it is started by the plugin, whose
    // environment (Nomad's cookie included) it may inherit.
    if let Some(spec_path) = cli::supervise_spec_from_args() {
        return supervisor::run(&spec_path);
    }
    if plugin::launched_by_nomad() {
        return plugin::run();
    }
    match cli::parse() {
        cli::Mode::Supervise(spec_path) => supervisor::run(&spec_path),
        cli::Mode::Person(command) => cli::run(command),
    }
}
