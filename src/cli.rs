//! The command line a person sees, and the hidden supervisor entry point.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Run Linux containers from Nomad on Apple Silicon Macs, one VM per container.
///
/// Nomad launches this binary as its `container` task driver. Run by hand it
/// offers the commands below.
#[derive(Debug, Parser)]
#[command(name = "nomad-driver-container", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the plugin version and the Nomad plugin API versions it speaks.
    Version,

    /// Print the configuration reference (Markdown), generated from the
    /// schemas the plugin serves to Nomad.
    ConfigReference,

    /// Supervise one task's container (started by the plugin, not by people).
    #[command(hide = true)]
    Supervise {
        /// The task's supervisor spec, written by the plugin.
        spec: PathBuf,
    },
}

/// What this invocation is for.
pub enum Mode {
    Supervise(PathBuf),
    Person(Option<Command>),
}

/// The spec path when argv is exactly `supervise <spec>`, the form the
/// plugin uses; read without clap so nothing else can intercept it.
pub fn supervise_spec_from_args() -> Option<PathBuf> {
    let mut args = std::env::args_os().skip(1);
    match (args.next(), args.next(), args.next()) {
        (Some(word), Some(spec), None) if word == "supervise" => Some(PathBuf::from(spec)),
        _ => None,
    }
}

/// Parses argv; clap prints help or errors and exits on its own.
pub fn parse() -> Mode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Supervise { spec }) => Mode::Supervise(spec),
        other => Mode::Person(other),
    }
}

/// Runs a person-facing command.
pub fn run(command: Option<Command>) -> ExitCode {
    match command {
        Some(Command::Version) => {
            print_version();
            ExitCode::SUCCESS
        }
        Some(Command::ConfigReference) => {
            print_stdout(&crate::config::reference::render());
            ExitCode::SUCCESS
        }
        Some(Command::Supervise { .. }) => unreachable!("handled by parse()"),
        None => {
            use clap::CommandFactory;
            // A bare invocation explains itself rather than doing nothing.
            let _ = Cli::command().print_help();
            ExitCode::SUCCESS
        }
    }
}

#[allow(clippy::print_stdout)] // the CLI's output is for people
fn print_stdout(text: &str) {
    print!("{text}");
}

#[allow(clippy::print_stdout)] // the CLI's output is for people
fn print_version() {
    println!("nomad-driver-container {}", crate::PLUGIN_VERSION);
    println!("driver name: {}", crate::DRIVER_NAME);
    println!(
        "nomad plugin API: {}",
        crate::plugin::PLUGIN_API_VERSIONS.join(", ")
    );
}
