//! `container logs [--boot] [-f] [-n N] <id>`: the combined stdout+stderr
//! log of the init process (or the boot log), printed on stdout.

use super::{emit, Context};
use crate::cli::{specs, ParsedArgs};
use crate::error::{failed, internal, not_found_cause, usage_error, CliResult};
use std::fs::File;
use std::io::Read;
use std::time::Duration;

const FOLLOW_POLL: Duration = Duration::from_millis(100);

pub fn logs(context: &Context, args: &ParsedArgs) -> CliResult {
    args.expect_positionals(&["<container-id>"], false)
        .map_err(|error| usage_error(&specs::LOGS, error))?;
    let lines = args
        .number::<i64>("-n")
        .map_err(|error| usage_error(&specs::LOGS, error))?;
    let id = &args.positionals[0];
    let failure = |cause: String| {
        failed(format!(
            "failed to get logs for container {id} (cause: \"{cause}\")"
        ))
    };

    let container = context
        .store
        .load(id)
        .map_err(internal)?
        .ok_or_else(|| failure(not_found_cause(id)))?;
    let path = if args.flag("--boot") {
        container.boot_log()
    } else {
        container.stdio_log()
    };
    let mut file = File::open(&path).map_err(|_| {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        failure(format!(
            "unknown: \"The file “{name}” couldn’t be opened because there is no such file.\""
        ))
    })?;

    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(failed)?;
    let text =
        String::from_utf8(bytes).map_err(|_| failed("failed to convert container logs to utf8"))?;
    let follow = args.flag("--follow");

    match lines {
        Some(count) => last_lines(&text, count.max(0) as usize)
            .into_iter()
            .for_each(emit),
        // An empty log with -f and no -n ends at once (Apple's quirk).
        None if follow && text.is_empty() => return Ok(()),
        None => emit(text.trim_matches('\n')),
    }
    if follow {
        follow_forever(file);
    }
    Ok(())
}

/// The last `count` non-empty lines.
fn last_lines(text: &str, count: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.split('\n').filter(|line| !line.is_empty()).collect();
    lines[lines.len().saturating_sub(count)..].to_vec()
}

/// Prints what is appended, chunk by chunk, split on newlines with empty
/// pieces dropped. Never returns, even after the container is gone.
fn follow_forever(mut file: File) -> ! {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        match file.read(&mut buffer) {
            Ok(count) if count > 0 => {
                let chunk = String::from_utf8_lossy(&buffer[..count]);
                chunk
                    .split('\n')
                    .filter(|line| !line.is_empty())
                    .for_each(emit);
            }
            _ => std::thread::sleep(FOLLOW_POLL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_lines_skip_empty_ones() {
        assert_eq!(last_lines("a\n\nb\nc\n\n", 2), vec!["b", "c"]);
        assert_eq!(last_lines("a\nb", 10), vec!["a", "b"]);
        assert!(last_lines("a\n", 0).is_empty());
    }
}
