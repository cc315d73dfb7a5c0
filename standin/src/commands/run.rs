//! `container run` (create + start, attached unless `-d`) and
//! `container start [-a] [-i]`.

use super::create::{create_container, write_cidfile};
use super::{emit, Context};
use crate::attach::client::{self, AttachMode, SignalGuard};
use crate::attach::terminal;
use crate::cli::{specs, ParsedArgs};
use crate::error::{failed, internal, usage_error, CliError, CliResult};
use crate::runtime::helper::HelperArgs;
use crate::runtime::launch::launch_helper;
use crate::store::Container;
use std::os::unix::net::UnixStream;

pub fn run(context: &Context, args: &ParsedArgs) -> CliResult {
    let id = create_container(context, args, &specs::RUN)?;
    let detach = args.flag("--detach");
    let mode = AttachMode {
        interactive: args.flag("--interactive"),
        terminal: args.flag("--tty"),
    };

    let started = begin(context, &id, !detach, mode).and_then(|session| {
        if let Some(path) = args.value("--cidfile") {
            write_cidfile(&path, &id)?;
        }
        Ok(session)
    });
    let session = match started {
        Ok(session) => session,
        Err(error) => {
            // Apple's run deletes what it created when anything after create fails.
            let _ = context.store.remove(&id);
            return Err(error);
        }
    };

    match session {
        None => {
            emit(&id);
            Ok(())
        }
        Some((socket, guard)) => finish_attached(socket, mode, &guard),
    }
}

pub fn start(context: &Context, args: &ParsedArgs) -> CliResult {
    args.expect_positionals(&["<container-id>"], false)
        .map_err(|error| usage_error(&specs::START, error))?;
    let id = &args.positionals[0];
    let interactive = args.flag("--interactive");
    let attach = args.flag("--attach") || interactive;

    let container = load_for_start(context, id)?;
    let mode = AttachMode {
        interactive,
        terminal: container.config.init_process.terminal,
    };
    match begin(context, id, attach, mode)? {
        None => {
            emit(id);
            Ok(())
        }
        Some((socket, guard)) => finish_attached(socket, mode, &guard),
    }
}

fn load_for_start(context: &Context, id: &str) -> CliResult<Container> {
    context
        .store
        .load(id)
        .map_err(internal)?
        .ok_or_else(|| failed(format!("get failed: container {id} not found")))
}

/// Launches the helper unless the container already runs, and waits until
/// the process has started. `Some` carries the attach socket.
fn begin(
    context: &Context,
    id: &str,
    attach: bool,
    mode: AttachMode,
) -> CliResult<Option<(UnixStream, SignalGuard)>> {
    let guard = attach.then(|| SignalGuard::install(mode));
    let window = if mode.terminal {
        terminal::window_size()
    } else {
        None
    };
    let helper_args = HelperArgs {
        id: id.to_string(),
        attach,
        interactive: mode.interactive,
        window,
    };

    let mut socket = {
        let _lock = context.store.lock().map_err(internal)?;
        let container = load_for_start(context, id)?;
        if container.state.forgotten_by_server && container.state.helper_alive() {
            return Err(failed(
                "container expected to be in created state, got: running",
            ));
        }
        if container.is_running() || container.state.is_starting() {
            if attach {
                return Err(failed(
                    "attach is currently unsupported on already running containers",
                ));
            }
            // Starting a running container without attaching prints its ID.
            return Ok(None);
        }
        launch_helper(&context.store, &helper_args).map_err(internal)?
    };

    client::wait_started(&mut socket).map_err(CliError::Failed)?;
    Ok(guard.map(|guard| (socket, guard)))
}

fn finish_attached(socket: UnixStream, mode: AttachMode, guard: &SignalGuard) -> CliResult {
    let code = client::relay(socket, mode, guard).map_err(CliError::Failed)?;
    Err(CliError::Exit(code))
}
