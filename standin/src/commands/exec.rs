//! `container exec [-d] [-i] [-t] ... <id> <cmd> [args...]`: asks the
//! container's runtime helper to start one more process and relays it.

use super::{configuration, emit, Context};
use crate::attach::client::{self, AttachMode, SignalGuard};
use crate::attach::frame::{write_frame, Frame};
use crate::attach::terminal;
use crate::cli::{specs, ParsedArgs};
use crate::error::{failed, internal, usage_error, CliError, CliResult};
use crate::model::container::User;
use crate::runtime::exec_server::{self, ExecRequest};
use crate::store::Status;

pub fn exec(context: &Context, args: &ParsedArgs) -> CliResult {
    args.expect_positionals(&["<container-id>"], true)
        .map_err(|error| usage_error(&specs::EXEC, error))?;
    let (id, command) = args.positionals.split_first().expect("checked above");

    let container = context
        .store
        .load(id)
        .map_err(internal)?
        .ok_or_else(|| failed(format!("get failed: container {id} not found")))?;
    let not_running = || failed(format!("container {id} is not running"));
    if container.status() != Status::Running {
        return Err(not_running());
    }
    if command.is_empty() {
        return Err(failed("no command specified for exec"));
    }

    let request = build_request(args, command)?;
    let mode = AttachMode {
        interactive: request.interactive,
        terminal: request.terminal,
    };
    let socket_name = container
        .state
        .exec_socket
        .clone()
        .ok_or_else(not_running)?;
    let mut socket = exec_server::connect(&socket_name).map_err(|_| not_running())?;

    let guard = (!request.detach).then(|| SignalGuard::install(mode));
    let payload = serde_json::to_vec(&request).map_err(failed)?;
    write_frame(&mut socket, &Frame::Exec(payload)).map_err(|_| not_running())?;
    client::wait_started(&mut socket).map_err(CliError::Failed)?;

    match guard {
        None => {
            emit(id);
            Ok(())
        }
        Some(guard) => {
            let code = client::relay(socket, mode, &guard).map_err(CliError::Failed)?;
            Err(CliError::Exit(code))
        }
    }
}

fn build_request(args: &ParsedArgs, command: &[String]) -> CliResult<ExecRequest> {
    let terminal = args.flag("--tty");
    Ok(ExecRequest {
        command: command.to_vec(),
        environment: configuration::environment(args, &[])?,
        working_directory: args.value("--cwd"),
        user: user_override(args)?,
        terminal,
        interactive: args.flag("--interactive"),
        detach: args.flag("--detach"),
        window: if terminal {
            terminal::window_size()
        } else {
            None
        },
    })
}

/// Only explicit user flags override the init process's user.
fn user_override(args: &ParsedArgs) -> CliResult<Option<User>> {
    let uid = args
        .number::<u32>("--uid")
        .map_err(|error| usage_error(&specs::EXEC, error))?;
    let gid = args
        .number::<u32>("--gid")
        .map_err(|error| usage_error(&specs::EXEC, error))?;
    if let Some(user) = args.value("--user").filter(|user| !user.is_empty()) {
        return Ok(Some(User::Raw { user_string: user }));
    }
    Ok(match (uid, gid) {
        (Some(uid), Some(gid)) => Some(User::Id { gid, uid }),
        (Some(uid), None) => Some(User::Raw {
            user_string: uid.to_string(),
        }),
        _ => None,
    })
}
