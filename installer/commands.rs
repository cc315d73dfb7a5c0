//! The installer's subcommands as the command line runs them: each takes
//! the parsed options, does its work through the modules above, prints for
//! people (or JSON), and returns the exit status. Errors are printed once,
//! here, with their whole chain.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use super::client_config::ClientConfig;
use super::doctor::{self, DoctorOptions};
use super::host::SystemHost;
use super::install::{self, InstallMode};
use super::setup::{self, NoPrompts, SetupOptions, TerminalPrompts};
use super::update::{self, UpdateOptions, UpdateOutcome};
use super::{nomad_agent, plugin_block};

#[allow(clippy::print_stdout)] // the installer's output is for people
fn say(text: &str) {
    println!("{text}");
}

fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", without_repeats(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, leaving out a cause whose text the message
/// before it already quotes (most of ours name their cause themselves).
fn without_repeats(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

/// `doctor [--json] [--deep]`: non-zero when any check fails.
pub fn doctor(options: &DoctorOptions, json: bool, deep: Option<&str>) -> ExitCode {
    let mut report = doctor::run_checks(&SystemHost, options);
    if let Some(image) = deep {
        // The CLI the checks used: --container-path, the plugin block's, or
        // the plugin's search order.
        let cli_path = report.container_cli.clone();
        report
            .checks
            .extend(doctor::deep::run(cli_path.as_deref(), image));
    }

    if json {
        say(&report.to_json());
    } else {
        say(report.to_text().trim_end());
    }
    if report.has_failures() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `setup`: the wizard, or the same through flags with `--non-interactive`.
pub fn setup(options: &SetupOptions, interactive: bool) -> ExitCode {
    use std::io::IsTerminal;
    if interactive && !std::io::stdin().is_terminal() {
        return finish(Err(anyhow::anyhow!(
            "setup asks its questions on a terminal and stdin is not one; pass \
             --non-interactive and give the answers as flags (see setup --help)"
        )));
    }
    let result = match interactive {
        true => setup::run(&SystemHost, &TerminalPrompts, options),
        false => setup::run(&SystemHost, &NoPrompts, options),
    };
    finish(result.map(|outcome| {
        for line in &outcome.report {
            say(line);
        }
    }))
}

/// `install --plugin-dir <dir>`.
pub fn install(plugin_dir: &Path, mode: Option<InstallMode>) -> ExitCode {
    finish((|| {
        let exe = std::env::current_exe().context("finding this binary")?;
        let canonical = exe.canonicalize().unwrap_or(exe.clone());
        let homebrew = install::homebrew_stable_path(&canonical);
        let mode = mode.unwrap_or(match homebrew {
            Some(_) => InstallMode::Symlink,
            None => InstallMode::Copy,
        });
        let source = match (mode, homebrew) {
            (InstallMode::Symlink, Some(stable)) => stable,
            _ => exe,
        };
        let installed = install::install_binary(&source, plugin_dir, mode)?;
        say(&match installed.changed {
            true => format!(
                "{}: installed; restart the Nomad client",
                installed.path.display()
            ),
            false => format!("{}: already installed", installed.path.display()),
        });
        Ok(())
    })())
}

/// `uninstall`: removes the binary, and the plugin block when asked.
pub fn uninstall(
    plugin_dir: Option<&Path>,
    client_config: Option<&Path>,
    remove_plugin_block: bool,
) -> ExitCode {
    finish((|| {
        let config = find_config(client_config)?;
        let plugin_dir = match plugin_dir {
            Some(dir) => dir.to_path_buf(),
            None => config
                .as_ref()
                .and_then(ClientConfig::plugin_dir)
                .context("no plugin_dir found in a client config; pass --plugin-dir")?,
        };
        let removed = install::uninstall_binary(&plugin_dir)?;
        let binary = install::plugin_path(&plugin_dir);
        say(&match removed {
            true => format!("{}: removed", binary.display()),
            false => format!("{}: was not installed", binary.display()),
        });

        if remove_plugin_block {
            let config = config.context("no client config found; pass --client-config")?;
            let text = plugin_block::without_plugin_block(&config)?;
            match install::write_with_backup(&config.path, &text)? {
                Some(backup) => say(&format!(
                    "{}: plugin block removed (original saved as {})",
                    config.path.display(),
                    backup.display()
                )),
                None => say(&format!("{}: had no plugin block", config.path.display())),
            }
        }
        say("Restart the Nomad client so it stops loading the driver.");
        Ok(())
    })())
}

fn find_config(given: Option<&Path>) -> anyhow::Result<Option<ClientConfig>> {
    let files = nomad_agent::candidate_config_files(&SystemHost, given);
    Ok(nomad_agent::choose_client_config(&files)?)
}

/// `self-update [--check]`.
pub fn self_update(
    check_only: bool,
    api_url: Option<String>,
    repository: Option<String>,
) -> ExitCode {
    finish((|| {
        let mut options =
            UpdateOptions::for_this_binary(check_only, api_url).context("finding this binary")?;
        if let Some(repository) = repository {
            options.repository = repository;
        }
        say(&match update::run(&options)? {
            UpdateOutcome::UpToDate { current } => format!("{current} is the newest release"),
            UpdateOutcome::Available { current, latest } => {
                format!(
                    "{latest} is available (this is {current}); run \
                     `nomad-driver-container self-update`"
                )
            }
            UpdateOutcome::Updated { from, to, exe } => format!(
                "{} updated from {from} to {to}; restart the Nomad client to load it",
                exe.display()
            ),
        });
        Ok(())
    })())
}

/// `completions <shell>`.
pub fn completions(shell: clap_complete::Shell) -> ExitCode {
    super::manual::write_completions(shell, crate::cli::command(), &mut std::io::stdout());
    ExitCode::SUCCESS
}

/// `man [--output <file>]`: the man page on stdout or into a file.
pub fn man(output: Option<&PathBuf>) -> ExitCode {
    finish((|| {
        let page = super::manual::render_man_page(crate::cli::command())?;
        match output {
            Some(path) => {
                std::fs::write(path, page).with_context(|| format!("writing {}", path.display()))?
            }
            None => {
                use std::io::Write;
                std::io::stdout().write_all(&page)?;
            }
        }
        Ok(())
    })())
}
