//! One handler per subcommand, mirroring the option tables in `cli::specs`.
//! `main` parses, applies the test knobs, and calls the handler; every
//! handler returns a `CliResult` that `error::report` prints.

mod configuration;
mod create;
mod exec;
mod format;
mod image;
mod lifecycle;
mod list;
mod logs;
mod registry;
mod run;
mod stats;
mod system;
mod test_hooks;

use crate::cli::{parser, specs, CommandSpec, ParsedArgs};
use crate::error::{report, usage_error, CliError, CliResult};
use crate::knobs::{self, Knobs};
use crate::output::garble::{self, Garble, Shape};
use crate::store::Store;
use serde_json::Value;
use std::cell::Cell;
use std::io::Write;

/// What every handler gets.
pub struct Context {
    pub store: Store,
    pub knobs: Knobs,
    /// The `garble` knob for the command being run, set once it is known.
    garble: Cell<Option<Garble>>,
}

impl Context {
    /// Prints one JSON document the way the command renders it (compact or
    /// pretty), spoiled as the `garble` knob asks for this command.
    pub fn emit_json(&self, shape: Shape, value: serde_json::Value, render: fn(&Value) -> String) {
        match self.garble.get() {
            // Cut short as by a crash mid-write: no final newline either.
            Some(Garble::Truncate) => {
                emit_raw(&garble::json_text(Garble::Truncate, shape, value, render))
            }
            Some(mode) => emit(&garble::json_text(mode, shape, value, render)),
            None => emit(&render(&value)),
        }
    }

    /// Prints the `--version` line, spoiled as the `garble` knob asks.
    pub fn emit_version_line(&self, line: &str) {
        match self.garble.get() {
            Some(mode) => emit(&garble::version_text(mode, line)),
            None => emit(line),
        }
    }
}

type Handler = fn(&Context, &ParsedArgs) -> CliResult;

struct Command {
    spec: &'static CommandSpec,
    handler: Handler,
    /// Still works when the API server is down (local-only commands).
    works_without_service: bool,
}

const fn command(spec: &'static CommandSpec, handler: Handler) -> Command {
    Command {
        spec,
        handler,
        works_without_service: false,
    }
}

const fn local(spec: &'static CommandSpec, handler: Handler) -> Command {
    Command {
        spec,
        handler,
        works_without_service: true,
    }
}

/// Resolves the subcommand words (aliases included) to a command.
fn lookup(words: &[&str]) -> Option<(Command, usize)> {
    let single = match words.first().copied()? {
        "run" => Some(command(&specs::RUN, run::run)),
        "create" => Some(command(&specs::CREATE, create::create)),
        "start" => Some(command(&specs::START, run::start)),
        "stop" => Some(command(&specs::STOP, lifecycle::stop)),
        "kill" => Some(command(&specs::KILL, lifecycle::kill)),
        "delete" | "rm" => Some(command(&specs::DELETE, lifecycle::delete)),
        "list" | "ls" => Some(command(&specs::LIST, list::list)),
        "inspect" => Some(command(&specs::INSPECT, list::inspect)),
        "logs" => Some(command(&specs::LOGS, logs::logs)),
        "stats" => Some(command(&specs::STATS, stats::stats)),
        "exec" => Some(command(&specs::EXEC, exec::exec)),
        _ => None,
    };
    if let Some(found) = single {
        return Some((found, 1));
    }

    let group = match (words.first().copied()?, words.get(1).copied()?) {
        ("image" | "i", "pull") => command(&specs::IMAGE_PULL, image::pull),
        ("image" | "i", "inspect") => command(&specs::IMAGE_INSPECT, image::inspect),
        ("image" | "i", "list" | "ls") => command(&specs::IMAGE_LIST, image::list),
        ("image" | "i", "delete" | "rm") => command(&specs::IMAGE_DELETE, image::delete),
        ("registry" | "r", "login") => local(&specs::REGISTRY_LOGIN, registry::login),
        ("registry" | "r", "logout") => local(&specs::REGISTRY_LOGOUT, registry::logout),
        ("registry" | "r", "list" | "ls") => local(&specs::REGISTRY_LIST, registry::list),
        ("system" | "s", "status") => local(&specs::SYSTEM_STATUS, system::status),
        ("system" | "s", "version") => local(&specs::SYSTEM_VERSION, system::version),
        ("system" | "s", "start") => local(&specs::SYSTEM_START, system::start),
        ("system" | "s", "stop") => command(&specs::SYSTEM_STOP, system::stop),
        _ => return None,
    };
    Some((group, 2))
}

/// Runs one CLI invocation and returns the process exit code.
pub fn main(argv: Vec<String>) -> i32 {
    let store = Store::from_env();
    if let Err(error) = store.ensure_layout() {
        return report(&crate::error::internal(error));
    }
    let code = match argv.first().map(String::as_str) {
        Some(hook) if test_hooks::is_hook(hook) => test_hooks::run(&store, &argv),
        _ => {
            knobs::record_call(store.root(), &argv);
            let context = Context {
                knobs: Knobs::load(store.root()),
                store,
                garble: Cell::new(None),
            };
            dispatch(&context, &argv).map_or_else(|error| report(&error), |()| 0)
        }
    };
    let _ = std::io::stdout().flush();
    code
}

fn dispatch(context: &Context, argv: &[String]) -> CliResult {
    // A `--debug` before the subcommand belongs to the root command.
    let start = argv.iter().take_while(|arg| *arg == "--debug").count();
    let argv = &argv[start..];
    let words: Vec<&str> = argv.iter().map(String::as_str).collect();

    match words.first().copied() {
        None | Some("-h" | "--help" | "help") => {
            print_root_help();
            return Ok(());
        }
        Some("--version") => {
            context.garble.set(context.knobs.garble_for(&["--version"]));
            return system::print_cli_version(context);
        }
        Some(option) if option.starts_with('-') => {
            return Err(root_usage_error(format!("unknown option '{option}'")));
        }
        _ => {}
    }

    let Some((command, consumed)) = lookup(&words) else {
        return Err(unknown_subcommand(context, &words));
    };
    let parsed = parser::parse(command.spec, &argv[consumed..])
        .map_err(|error| usage_error(command.spec, error))?;
    if parsed.help {
        emit(&format!("USAGE: {}", command.spec.usage));
        return Ok(());
    }

    if context.knobs.service_down && !command.works_without_service {
        return Err(CliError::ServiceDown);
    }
    let typed = words[..consumed].join(" ");
    if let Some(text) = context.knobs.apply(&[command.spec.path, &typed, words[0]]) {
        return Err(CliError::Failed(text));
    }
    let garble = context
        .knobs
        .garble_for(&[command.spec.path, &typed, words[0]]);
    context.garble.set(garble);
    (command.handler)(context, &parsed)
}

fn root_usage_error(message: String) -> CliError {
    CliError::Usage {
        message,
        usage: "container [--debug] <subcommand>".into(),
        help_path: "container".into(),
    }
}

/// Apple hands unknown subcommands to its plugin loader, which pings the
/// API server first and then reports the missing plugin.
fn unknown_subcommand(context: &Context, words: &[&str]) -> CliError {
    if context.knobs.service_down {
        return CliError::ServiceDown;
    }
    let group = matches!(words[0], "image" | "i" | "registry" | "r" | "system" | "s");
    match (group, words.get(1)) {
        (true, Some(sub)) => root_usage_error(format!("Unexpected argument '{sub}'")),
        (true, None) => root_usage_error(format!("Missing subcommand for '{}'", words[0])),
        (false, _) => root_usage_error(format!("Plugin 'container-{}' not found.", words[0])),
    }
}

fn print_root_help() {
    emit_raw(
        "OVERVIEW: A container platform for macOS (Linux stand-in for tests)\n\n\
         USAGE: container [--debug] <subcommand>\n\n\
         SUBCOMMANDS:\n  \
         create, delete (rm), exec, inspect, kill, list (ls), logs, run, start, stats, stop\n  \
         image (i): delete (rm), inspect, list (ls), pull\n  \
         registry (r): list (ls), login, logout\n  \
         system (s): start, status, stop, version\n",
    );
}

/// Prints one line on stdout, ignoring a closed stdout.
pub fn emit(text: &str) {
    emit_raw(&format!("{text}\n"));
}

/// Prints text as is (tables end in their own newline).
pub fn emit_raw(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}
