//! `container registry login|logout|list`. Credentials are verified
//! against the fixture registry before they are saved, as Apple pings the
//! registry first.

use super::format::{format, Format};
use super::{emit, emit_raw, Context};
use crate::cli::{specs, ParsedArgs};
use crate::error::{failed, usage_error, CliResult};
use crate::output::garble::Shape;
use crate::output::{json, table};
use crate::registry::credentials;
use crate::registry::fixtures;
use crate::registry::reference::api_host_of;
use serde_json::{json, Value};
use std::io::{BufRead, Read, Write};

pub fn login(context: &Context, args: &ParsedArgs) -> CliResult {
    args.expect_positionals(&["<server>"], false)
        .map_err(|error| usage_error(&specs::REGISTRY_LOGIN, error))?;
    let host = api_host_of(strip_scheme(&args.positionals[0]));
    let from_stdin = args.flag("--password-stdin");
    let username = args.value("--username");
    if from_stdin && username.is_none() {
        return Err(failed("must provide --username with --password-stdin"));
    }

    let (username, password) = if from_stdin {
        let mut password = String::new();
        std::io::stdin()
            .read_to_string(&mut password)
            .map_err(failed)?;
        (username.unwrap_or_default(), password.trim().to_string())
    } else {
        prompt_credentials(username)?
    };

    verify(context, &host, &username, &password)?;
    credentials::save(&context.store, &host, &username, &password)
        .map_err(|error| failed(format!("{error:#}")))?;
    eprintln!("Login succeeded");
    Ok(())
}

/// Without `--password-stdin` Apple prompts; we read lines from stdin.
fn prompt_credentials(username: Option<String>) -> CliResult<(String, String)> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut ask = |label: &str| -> CliResult<String> {
        eprint!("{label}: ");
        let _ = std::io::stderr().flush();
        match lines.next() {
            Some(Ok(line)) => Ok(line.trim().to_string()),
            _ => Err(failed("failed to read user input")),
        }
    };
    let username = match username {
        Some(username) => username,
        None => ask("Username")?,
    };
    let password = ask("Password")?;
    Ok((username, password))
}

fn verify(context: &Context, host: &str, username: &str, password: &str) -> CliResult {
    let catalogue = fixtures::catalogue(&context.store.registry_dir());
    if context.knobs.registry_unreachable
        || !fixtures::known_api_hosts(&catalogue).contains(&host.to_string())
    {
        return Err(failed(format!(
            "failed to resolve either repository hostname {host}"
        )));
    }
    let accepted = fixtures::accepted_credentials(&catalogue, host)
        .iter()
        .any(|known| known.username == username && known.password == password);
    if !accepted {
        return Err(failed(format!(
            "HTTP request to https://{host}/v2/ failed with response: 401 Unauthorized. \
             Reason: access denied or wrong credentials"
        )));
    }
    Ok(())
}

fn strip_scheme(server: &str) -> &str {
    let without_scheme = server
        .strip_prefix("https://")
        .or_else(|| server.strip_prefix("http://"));
    without_scheme.unwrap_or(server).trim_end_matches('/')
}

pub fn logout(context: &Context, args: &ParsedArgs) -> CliResult {
    args.expect_positionals(&["<registry>"], false)
        .map_err(|error| usage_error(&specs::REGISTRY_LOGOUT, error))?;
    let host = api_host_of(strip_scheme(&args.positionals[0]));
    credentials::remove(&context.store, &host).map_err(|error| failed(format!("{error:#}")))
}

pub fn list(context: &Context, args: &ParsedArgs) -> CliResult {
    let format = format(args, &specs::REGISTRY_LIST)?;
    let keychain = credentials::load(&context.store);
    if args.flag("--quiet") {
        keychain.keys().for_each(|host| emit(host));
        return Ok(());
    }
    match format {
        Format::Json => {
            let items: Vec<Value> = keychain
                .iter()
                .map(|(host, entry)| {
                    json!({
                        "creationDate": entry.created,
                        "id": host,
                        "labels": {},
                        "modificationDate": entry.modified,
                        "name": host,
                        "username": entry.username,
                    })
                })
                .collect();
            context.emit_json(Shape::Registries, Value::Array(items), json::compact);
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = keychain
                .iter()
                .map(|(host, entry)| {
                    vec![
                        host.clone(),
                        entry.username.clone(),
                        entry.modified.clone(),
                        entry.created.clone(),
                    ]
                })
                .collect();
            emit_raw(&table::render(
                &["HOSTNAME", "USERNAME", "MODIFIED", "CREATED"],
                &rows,
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_and_trailing_slashes_are_ignored() {
        assert_eq!(
            strip_scheme("https://registry.local.test/"),
            "registry.local.test"
        );
        assert_eq!(strip_scheme("docker.io"), "docker.io");
    }
}
