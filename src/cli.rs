//! The command line a person sees, and the hidden supervisor entry point.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::installer::{commands, doctor::DoctorOptions, install::InstallMode};
use crate::installer::{plugin_block::PluginOptions, setup, setup::SetupOptions};

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
    /// Print the plugin version, its git commit and the Nomad plugin API
    /// versions it speaks.
    Version,

    /// Check everything the driver needs on this Mac, and say how to fix
    /// what is missing. Exits non-zero when a check fails.
    Doctor(DoctorArgs),

    /// Set the driver up: write the plugin block into the Nomad client
    /// config, install the binary into plugin_dir, and optionally start
    /// Apple's container services at login. Asks for what it cannot find,
    /// unless --non-interactive.
    Setup(SetupArgs),

    /// Install this binary into a Nomad plugin_dir (a copy, or a symlink to
    /// the Homebrew-managed binary).
    Install {
        /// Nomad's plugin_dir.
        #[arg(long)]
        plugin_dir: PathBuf,
        /// Copy the binary, or link to it; Homebrew installs link by default.
        #[arg(long, value_enum)]
        mode: Option<InstallModeArg>,
    },

    /// Remove the binary from plugin_dir and, when asked, the plugin block.
    Uninstall {
        /// Nomad's plugin_dir; read from the client config when not given.
        #[arg(long)]
        plugin_dir: Option<PathBuf>,
        /// The Nomad client config file or directory.
        #[arg(long)]
        client_config: Option<PathBuf>,
        /// Also remove the plugin block from the client config (backed up).
        #[arg(long)]
        remove_plugin_block: bool,
    },

    /// Update this binary to the newest GitHub release (checksum verified,
    /// replaced atomically). Homebrew installs use `brew upgrade`.
    SelfUpdate {
        /// Only report whether a newer release exists.
        #[arg(long)]
        check: bool,
        /// Releases API base URL (default https://api.github.com, or
        /// $NOMAD_DRIVER_CONTAINER_RELEASES_URL).
        #[arg(long)]
        api_url: Option<String>,
        /// The GitHub repository as owner/name.
        #[arg(long)]
        repository: Option<String>,
    },

    /// Print a shell completion script.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },

    /// Print the man page (roff), or write it to a file.
    Man {
        /// Write the page here instead of stdout.
        #[arg(long)]
        output: Option<PathBuf>,
    },

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

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Also run one small container through every CLI call the driver
    /// makes and check each output's shape.
    #[arg(long)]
    deep: bool,
    /// The image `--deep` runs.
    #[arg(long, default_value = "alpine:3.20")]
    deep_image: String,
    /// The Nomad client config file or directory (found automatically
    /// otherwise).
    #[arg(long)]
    client_config: Option<PathBuf>,
    /// Apple's container CLI (else the plugin block's, else the search path).
    #[arg(long)]
    container_path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Take every default and ask nothing; fail when a value is missing.
    #[arg(long)]
    non_interactive: bool,
    /// The Nomad client config file (or a directory of them) to edit.
    #[arg(long)]
    client_config: Option<PathBuf>,
    /// Nomad's plugin_dir.
    #[arg(long)]
    plugin_dir: Option<PathBuf>,
    /// container_path for the plugin block; empty searches PATH.
    #[arg(long)]
    container_path: Option<String>,
    /// volumes.enabled: allow host paths outside the task directory.
    #[arg(long, value_name = "BOOL")]
    volumes: Option<bool>,
    /// gc.container: delete a task's container when the task is destroyed.
    #[arg(long, value_name = "BOOL")]
    gc: Option<bool>,
    /// networks.create: create user networks named by tasks.
    #[arg(long, value_name = "BOOL")]
    networks_create: Option<bool>,
    /// extra_labels, comma-separated (e.g. job_name,task_name).
    #[arg(long, value_name = "LIST")]
    extra_labels: Option<String>,
    /// image_pull_timeout, e.g. 5m.
    #[arg(long)]
    image_pull_timeout: Option<String>,
    /// disable_log_collection.
    #[arg(long, value_name = "BOOL")]
    disable_log_collection: Option<bool>,
    /// How the binary gets into plugin_dir.
    #[arg(long, value_enum)]
    mode: Option<InstallModeArg>,
    /// Write a LaunchAgent that runs `container system start` at login.
    #[arg(long, value_name = "BOOL")]
    launch_agent: Option<bool>,
    /// Restart Nomad (`brew services restart nomad`) when something changed.
    #[arg(long)]
    restart_nomad: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InstallModeArg {
    Copy,
    Symlink,
}

impl From<InstallModeArg> for InstallMode {
    fn from(mode: InstallModeArg) -> Self {
        match mode {
            InstallModeArg::Copy => InstallMode::Copy,
            InstallModeArg::Symlink => InstallMode::Symlink,
        }
    }
}

impl SetupArgs {
    fn options(&self) -> SetupOptions {
        SetupOptions {
            client_config: self.client_config.clone(),
            plugin_dir: self.plugin_dir.clone(),
            plugin: PluginOptions {
                container_path: self.container_path.clone(),
                image_pull_timeout: self.image_pull_timeout.clone(),
                extra_labels: self.extra_labels.as_deref().map(setup::split_list),
                disable_log_collection: self.disable_log_collection,
                gc_container: self.gc,
                volumes_enabled: self.volumes,
                networks_create: self.networks_create,
            },
            install_mode: self.mode.map(InstallMode::from),
            launch_agent: self.launch_agent,
            restart_nomad: self.restart_nomad,
        }
    }
}

/// The clap definition, for completions and the man page.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command()
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
    init_diagnostics();
    match command {
        Some(Command::Version) => {
            print_version();
            ExitCode::SUCCESS
        }
        Some(Command::ConfigReference) => {
            print_stdout(&crate::config::reference::render());
            ExitCode::SUCCESS
        }
        Some(Command::Doctor(args)) => {
            let options = DoctorOptions {
                client_config: args.client_config,
                container_path: args.container_path,
            };
            let deep_image = args.deep.then_some(args.deep_image.as_str());
            commands::doctor(&options, args.json, deep_image)
        }
        Some(Command::Setup(args)) => commands::setup(&args.options(), !args.non_interactive),
        Some(Command::Install { plugin_dir, mode }) => {
            commands::install(&plugin_dir, mode.map(InstallMode::from))
        }
        Some(Command::Uninstall {
            plugin_dir,
            client_config,
            remove_plugin_block,
        }) => commands::uninstall(
            plugin_dir.as_deref(),
            client_config.as_deref(),
            remove_plugin_block,
        ),
        Some(Command::SelfUpdate {
            check,
            api_url,
            repository,
        }) => commands::self_update(check, api_url, repository),
        Some(Command::Completions { shell }) => commands::completions(shell),
        Some(Command::Man { output }) => commands::man(output.as_ref()),
        Some(Command::Supervise { .. }) => unreachable!("handled by parse()"),
        None => {
            use clap::CommandFactory;
            // A bare invocation explains itself rather than doing nothing.
            let _ = Cli::command().print_help();
            ExitCode::SUCCESS
        }
    }
}

/// Diagnostics of person-facing commands go to stderr, apart from what the
/// commands print for people on stdout, and only when asked for with
/// NOMAD_DRIVER_CONTAINER_LOG (e.g. `debug`); warnings otherwise.
fn init_diagnostics() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env(crate::logging::LOG_FILTER_ENV)
        .unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

#[allow(clippy::print_stdout)] // the CLI's output is for people
fn print_stdout(text: &str) {
    print!("{text}");
}

#[allow(clippy::print_stdout)] // the CLI's output is for people
fn print_version() {
    println!("nomad-driver-container {}", crate::PLUGIN_VERSION);
    println!("git commit: {}", crate::GIT_COMMIT);
    println!("driver name: {}", crate::DRIVER_NAME);
    println!(
        "nomad plugin API: {}",
        crate::plugin::PLUGIN_API_VERSIONS.join(", ")
    );
}
