//! `setup`: from a Nomad install to a working driver. Finds (or asks for)
//! the client config and plugin_dir, writes the plugin block, installs the
//! binary, optionally adds the `container system start` LaunchAgent, and
//! says how to restart Nomad. Every step is idempotent: a second run with
//! the same answers changes nothing.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::client_config::ClientConfig;
use super::host::Host;
use super::install::{self, InstallMode};
use super::plugin_block::{self, hcl_string, PluginOptions};
use super::{launchd, nomad_agent};

/// Every choice setup makes; `None` means "find it, or ask".
#[derive(Debug, Clone, Default)]
pub struct SetupOptions {
    pub client_config: Option<PathBuf>,
    pub plugin_dir: Option<PathBuf>,
    pub plugin: PluginOptions,
    pub install_mode: Option<InstallMode>,
    pub launch_agent: Option<bool>,
    pub restart_nomad: bool,
}

/// What setup did, for the summary and for tests.
#[derive(Debug, Clone, Default)]
pub struct SetupOutcome {
    pub client_config: PathBuf,
    pub config_changed: bool,
    pub backup: Option<PathBuf>,
    pub plugin_path: PathBuf,
    pub binary_changed: bool,
    pub launch_agent: Option<(PathBuf, bool)>,
    pub restarted_nomad: bool,
    /// Lines for the person, in order.
    pub report: Vec<String>,
}

impl SetupOutcome {
    pub fn changed_anything(&self) -> bool {
        self.config_changed
            || self.binary_changed
            || self
                .launch_agent
                .as_ref()
                .is_some_and(|(_, changed)| *changed)
    }
}

/// Where answers come from when a flag did not give them.
pub trait Prompter {
    fn ask_path(&self, question: &str, default: Option<&Path>) -> anyhow::Result<PathBuf>;
    fn ask_text(&self, question: &str, default: &str) -> anyhow::Result<String>;
    fn confirm(&self, question: &str, default: bool) -> anyhow::Result<bool>;
}

/// `--non-interactive`: every question takes its default, and a question
/// without one is an error naming the flag to pass.
pub struct NoPrompts;

impl Prompter for NoPrompts {
    fn ask_path(&self, question: &str, default: Option<&Path>) -> anyhow::Result<PathBuf> {
        default
            .map(Path::to_path_buf)
            .with_context(|| format!("{question}: no answer found; pass it as a flag"))
    }
    fn ask_text(&self, _question: &str, default: &str) -> anyhow::Result<String> {
        Ok(default.to_string())
    }
    fn confirm(&self, _question: &str, default: bool) -> anyhow::Result<bool> {
        Ok(default)
    }
}

/// The dialoguer wizard on the terminal.
pub struct TerminalPrompts;

impl Prompter for TerminalPrompts {
    fn ask_path(&self, question: &str, default: Option<&Path>) -> anyhow::Result<PathBuf> {
        let mut input = dialoguer::Input::<String>::new().with_prompt(question);
        if let Some(default) = default {
            input = input.default(default.display().to_string());
        }
        Ok(PathBuf::from(input.interact_text()?))
    }
    fn ask_text(&self, question: &str, default: &str) -> anyhow::Result<String> {
        Ok(dialoguer::Input::<String>::new()
            .with_prompt(question)
            .default(default.to_string())
            .allow_empty(true)
            .interact_text()?)
    }
    fn confirm(&self, question: &str, default: bool) -> anyhow::Result<bool> {
        Ok(dialoguer::Confirm::new()
            .with_prompt(question)
            .default(default)
            .interact()?)
    }
}

pub fn run(
    host: &dyn Host,
    prompts: &dyn Prompter,
    options: &SetupOptions,
) -> anyhow::Result<SetupOutcome> {
    let mut outcome = SetupOutcome::default();
    let config = choose_client_config(host, prompts, options)?;
    outcome.client_config = config.path.clone();

    let plugin_dir = choose_plugin_dir(prompts, options, &config)?;
    let plugin = choose_plugin_options(host, prompts, options, &config)?;
    write_client_config(&config, &plugin, &plugin_dir, &mut outcome)?;
    install_plugin(host, prompts, options, &plugin_dir, &mut outcome)?;
    maybe_write_launch_agent(host, prompts, options, &plugin, &mut outcome)?;
    restart_or_explain(host, prompts, options, &mut outcome)?;
    Ok(outcome)
}

fn choose_client_config(
    host: &dyn Host,
    prompts: &dyn Prompter,
    options: &SetupOptions,
) -> anyhow::Result<ClientConfig> {
    let path = match &options.client_config {
        Some(path) if path.is_dir() => {
            let files = nomad_agent::candidate_config_files(host, Some(path));
            let found = nomad_agent::choose_client_config(&files)?.map(|config| config.path);
            found.unwrap_or_else(|| path.join("client.hcl"))
        }
        Some(path) => path.clone(),
        None => {
            let files = nomad_agent::candidate_config_files(host, None);
            let found = nomad_agent::choose_client_config(&files)?.map(|config| config.path);
            prompts.ask_path(
                "Nomad client config file (--client-config)",
                found.as_deref(),
            )?
        }
    };
    Ok(plugin_block::read_or_empty(&path)?)
}

/// The config's own plugin_dir, unless the person names another one.
fn choose_plugin_dir(
    prompts: &dyn Prompter,
    options: &SetupOptions,
    config: &ClientConfig,
) -> anyhow::Result<PathBuf> {
    let configured = config.top_level_string("plugin_dir").map(PathBuf::from);
    let chosen = match (&options.plugin_dir, &configured) {
        (Some(dir), _) => dir.clone(),
        // The file decides; asking would only invite a refused answer.
        (None, Some(configured)) => configured.clone(),
        (None, None) => {
            let question = "Nomad plugin_dir (--plugin-dir)";
            prompts.ask_path(question, config.plugin_dir().as_deref())?
        }
    };
    if let Some(configured) = configured.filter(|configured| *configured != chosen) {
        bail!(
            "{} sets plugin_dir = {:?}, not {:?}; pass --plugin-dir {} or change plugin_dir in \
             the file first",
            config.path.display(),
            configured.display(),
            chosen.display(),
            configured.display()
        );
    }
    Ok(chosen)
}

fn choose_plugin_options(
    host: &dyn Host,
    prompts: &dyn Prompter,
    options: &SetupOptions,
    config: &ClientConfig,
) -> anyhow::Result<PluginOptions> {
    let current = PluginOptions::from_config(config)?.overlaid_with(&options.plugin);
    let mut chosen = options.plugin.clone();

    if chosen.container_path.is_none() {
        let configured = current.container_path.as_deref().map(Path::new);
        let found = host.locate_container_cli(configured.filter(|path| path.is_absolute()));
        let default = found
            .map(|path| path.display().to_string())
            .or(current.container_path.clone())
            .unwrap_or_default();
        let answer = prompts.ask_text(
            "Path of Apple's container CLI (--container-path; empty searches PATH)",
            &default,
        )?;
        chosen.container_path = Some(answer);
    }
    if chosen.volumes_enabled.is_none() {
        let default = current.volumes_enabled.unwrap_or(false);
        let question = "Allow tasks to mount host paths outside their directory (--volumes)?";
        chosen.volumes_enabled = Some(prompts.confirm(question, default)?);
    }
    if chosen.gc_container.is_none() {
        let default = current.gc_container.unwrap_or(true);
        let question = "Delete a task's container when Nomad destroys the task (--gc)?";
        chosen.gc_container = Some(prompts.confirm(question, default)?);
    }
    if chosen.extra_labels.is_none() {
        let default = current.extra_labels.clone().unwrap_or_default().join(",");
        let question = "Nomad metadata to label containers with, comma-separated (--extra-labels)";
        let answer = prompts.ask_text(question, &default)?;
        chosen.extra_labels = Some(split_list(&answer));
    }
    Ok(chosen)
}

/// "a, b,,c" → ["a", "b", "c"].
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

fn write_client_config(
    config: &ClientConfig,
    plugin: &PluginOptions,
    plugin_dir: &Path,
    outcome: &mut SetupOutcome,
) -> anyhow::Result<()> {
    let mut text = plugin_block::with_plugin_block(config, plugin)?;
    if needs_plugin_dir_line(config, plugin_dir) {
        text = with_plugin_dir_line(&config.path, &text, plugin_dir)?;
    }

    outcome.backup = install::write_with_backup(&config.path, &text)?;
    outcome.config_changed = text != config.text;
    outcome
        .report
        .push(match (outcome.config_changed, &outcome.backup) {
            (false, _) => format!("{}: plugin block already up to date", config.path.display()),
            (true, Some(backup)) => format!(
                "{}: plugin block written (original saved as {})",
                config.path.display(),
                backup.display()
            ),
            (true, None) => format!("{}: written", config.path.display()),
        });
    Ok(())
}

/// Nomad would look elsewhere unless the file names this plugin_dir.
fn needs_plugin_dir_line(config: &ClientConfig, plugin_dir: &Path) -> bool {
    config.top_level_string("plugin_dir").is_none()
        && config.data_dir_plugins().as_deref() != Some(plugin_dir)
}

/// Adds `plugin_dir = "..."` on the line before the plugin block.
fn with_plugin_dir_line(path: &Path, text: &str, plugin_dir: &Path) -> anyhow::Result<String> {
    let edited = ClientConfig::parse(path, text.to_string())?;
    let start = edited
        .plugin_block()?
        .context("the plugin block was just written")?
        .span
        .start;
    let line = format!(
        "plugin_dir = {}\n\n",
        hcl_string(&plugin_dir.to_string_lossy())
    );
    Ok(format!("{}{line}{}", &text[..start], &text[start..]))
}

fn install_plugin(
    host: &dyn Host,
    prompts: &dyn Prompter,
    options: &SetupOptions,
    plugin_dir: &Path,
    outcome: &mut SetupOutcome,
) -> anyhow::Result<()> {
    let exe = host.current_exe().context("finding this binary")?;
    let homebrew = install::homebrew_stable_path(&exe.canonicalize().unwrap_or(exe.clone()));
    let mode = match options.install_mode {
        Some(mode) => mode,
        None if homebrew.is_some() => {
            let question =
                "Link plugin_dir to the Homebrew binary so `brew upgrade` reaches Nomad?";
            match prompts.confirm(question, true)? {
                true => InstallMode::Symlink,
                false => InstallMode::Copy,
            }
        }
        None => InstallMode::Copy,
    };
    let source = match mode {
        InstallMode::Symlink => homebrew.unwrap_or(exe),
        InstallMode::Copy => exe,
    };

    let installed = install::install_binary(&source, plugin_dir, mode)?;
    outcome.report.push(match (installed.changed, mode) {
        (false, _) => format!("{}: already installed", installed.path.display()),
        (true, InstallMode::Symlink) => format!(
            "{}: linked to {}",
            installed.path.display(),
            source.display()
        ),
        (true, InstallMode::Copy) => format!("{}: installed", installed.path.display()),
    });
    outcome.plugin_path = installed.path;
    outcome.binary_changed = installed.changed;
    Ok(())
}

fn maybe_write_launch_agent(
    host: &dyn Host,
    prompts: &dyn Prompter,
    options: &SetupOptions,
    plugin: &PluginOptions,
    outcome: &mut SetupOutcome,
) -> anyhow::Result<()> {
    let wanted = match options.launch_agent {
        Some(wanted) => wanted,
        None => {
            let question = "Start Apple's container services at login (a LaunchAgent)?";
            prompts.confirm(question, false)?
        }
    };
    if !wanted {
        return Ok(());
    }
    if host.os_name() != "macOS" {
        bail!(
            "a LaunchAgent needs macOS; this host runs {}",
            host.os_name()
        );
    }

    let home = host
        .home_dir()
        .context("no home directory for ~/Library/LaunchAgents")?;
    let configured = plugin
        .container_path
        .as_deref()
        .filter(|path| !path.is_empty())
        .map(Path::new);
    let cli = host
        .locate_container_cli(configured)
        .context("Apple's container CLI was not found; pass --container-path")?;
    let changed = launchd::write_system_start_agent(&home, &cli)?;
    let path = launchd::system_start_agent_path(&home);
    outcome.report.push(match changed {
        true => format!(
            "{}: written; it runs `container system start` at your next login",
            path.display()
        ),
        false => format!("{}: already up to date", path.display()),
    });
    outcome.launch_agent = Some((path, changed));
    Ok(())
}

/// The command that restarts a Homebrew-managed Nomad service.
const BREW_RESTART: &[&str] = &["services", "restart", "nomad"];

fn restart_or_explain(
    host: &dyn Host,
    prompts: &dyn Prompter,
    options: &SetupOptions,
    outcome: &mut SetupOutcome,
) -> anyhow::Result<()> {
    if !outcome.changed_anything() {
        outcome
            .report
            .push("Nothing changed; Nomad needs no restart.".into());
        return Ok(());
    }
    let restart = options.restart_nomad
        || prompts.confirm(
            "Restart Nomad now with `brew services restart nomad`?",
            false,
        )?;
    if !restart {
        outcome.report.push(
            "Restart the Nomad client to load the plugin: `brew services restart nomad` for \
             Homebrew's service, or `launchctl kickstart -k gui/$(id -u)/<label>` for your own \
             LaunchAgent. Then check with `nomad-driver-container doctor`."
                .into(),
        );
        return Ok(());
    }

    let brew = host
        .find_program("brew")
        .context("`brew` was not found; restart the Nomad client yourself")?;
    let output = host
        .run(&brew, BREW_RESTART)
        .with_context(|| format!("running {} services restart nomad", brew.display()))?;
    if !output.succeeded() {
        bail!(
            "`brew services restart nomad` failed: {}; restart the Nomad client yourself",
            output.stderr.trim()
        );
    }
    outcome.restarted_nomad = true;
    outcome.report.push("Nomad restarted.".into());
    Ok(())
}

#[cfg(test)]
mod tests;
