//! A Linux stand-in for Apple's `container` CLI 1.2.x, for testing the
//! Nomad driver without a Mac. See README.md for the contract.
//!
//! One binary, two roles: the CLI a person or the driver runs, and the
//! hidden per-container runtime helper that the CLI re-executes.

mod attach;
mod cli;
mod commands;
mod error;
mod grammar;
mod knobs;
mod model;
mod output;
mod procfs;
mod registry;
mod runtime;
mod store;

use runtime::helper::{HelperArgs, HELPER_COMMAND};

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let code = match argv.split_first() {
        Some((first, rest)) if first == HELPER_COMMAND => match HelperArgs::parse(rest) {
            Some(args) => runtime::helper::run(store::Store::from_env(), args),
            None => 64,
        },
        _ => commands::main(argv),
    };
    std::process::exit(code);
}
