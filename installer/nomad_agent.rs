//! Finding the local Nomad agent: its binary and version, its running
//! process and user, and the client config files it reads. Shared by
//! `doctor` and `setup`.

use std::path::{Path, PathBuf};

use super::client_config::{ClientConfig, ClientConfigError};
use super::host::{Host, ProcessEntry};

/// Where Nomad configs usually live on a Mac (Homebrew on Apple Silicon,
/// Homebrew on Intel, HashiCorp's Linux-style layout), searched in order
/// when no running agent names its `-config`.
pub const DEFAULT_CONFIG_DIRS: &[&str] = &[
    "/opt/homebrew/etc/nomad.d",
    "/usr/local/etc/nomad.d",
    "/etc/nomad.d",
];

/// The Nomad version whose plugin protocol and task driver API this driver
/// needs.
pub const MINIMUM_NOMAD: (u64, u64) = (1, 8);

/// Processes that are a Nomad agent: a program named `nomad` run as
/// `nomad agent ...`.
pub fn agent_processes(host: &dyn Host) -> Vec<ProcessEntry> {
    host.processes()
        .into_iter()
        .filter(|process| {
            let mut words = process.command_line.split_whitespace();
            let program = words.next().unwrap_or_default();
            let is_nomad = Path::new(program)
                .file_name()
                .is_some_and(|name| name == "nomad");
            is_nomad && words.next() == Some("agent")
        })
        .collect()
}

/// The `-config` paths of one agent command line (`-config=x`, `-config x`,
/// and the `--` spellings Nomad's flag parser also accepts).
pub fn config_paths_of(command_line: &str) -> Vec<PathBuf> {
    let words: Vec<&str> = command_line.split_whitespace().collect();
    let mut paths = Vec::new();
    for (index, word) in words.iter().enumerate() {
        let flag = word.trim_start_matches('-');
        if !word.starts_with('-') {
            continue;
        }
        if let Some(value) = flag.strip_prefix("config=") {
            paths.push(PathBuf::from(value));
        } else if flag == "config" {
            if let Some(value) = words.get(index + 1) {
                paths.push(PathBuf::from(value));
            }
        }
    }
    paths
}

/// Config files to consider: the given file or directory, else what the
/// running agent was started with, else the usual directories. A directory
/// stands for its `*.hcl` files, as Nomad reads it.
pub fn candidate_config_files(host: &dyn Host, given: Option<&Path>) -> Vec<PathBuf> {
    let roots: Vec<PathBuf> = match given {
        Some(path) => vec![path.to_path_buf()],
        None => {
            let from_agent: Vec<PathBuf> = agent_processes(host)
                .iter()
                .flat_map(|process| config_paths_of(&process.command_line))
                .collect();
            if from_agent.is_empty() {
                DEFAULT_CONFIG_DIRS.iter().map(PathBuf::from).collect()
            } else {
                from_agent
            }
        }
    };
    roots
        .iter()
        .flat_map(|root| expand_config_path(root))
        .collect()
}

fn expand_config_path(path: &Path) -> Vec<PathBuf> {
    if !path.is_dir() {
        return vec![path.to_path_buf()];
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|file| file.extension().is_some_and(|ext| ext == "hcl"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The client config to use among `files`: the one holding our plugin
/// block, else the first that configures a client. Files that do not exist
/// are skipped; one that does not parse is an error (it would stop Nomad
/// too).
pub fn choose_client_config(files: &[PathBuf]) -> Result<Option<ClientConfig>, ClientConfigError> {
    let mut first_client = None;
    for path in files.iter().filter(|path| path.is_file()) {
        let config = ClientConfig::read(path)?;
        if config.plugin_block()?.is_some() {
            return Ok(Some(config));
        }
        if first_client.is_none() && config.has_client_block() {
            first_client = Some(config);
        }
    }
    Ok(first_client)
}

/// The Nomad binary: the running agent's, else the first on the search path.
pub fn nomad_binary(host: &dyn Host) -> Option<PathBuf> {
    let from_agent = agent_processes(host).into_iter().find_map(|process| {
        let program = process.command_line.split_whitespace().next()?.to_string();
        Path::new(&program)
            .is_absolute()
            .then(|| PathBuf::from(program))
    });
    from_agent.or_else(|| host.find_program("nomad"))
}

/// "Nomad v1.9.3" (first line of `nomad version`) → (1, 9, 3).
pub fn parse_nomad_version(text: &str) -> Option<(u64, u64, u64)> {
    let word = text.split_whitespace().find(|word| {
        word.starts_with('v') && word[1..].starts_with(|c: char| c.is_ascii_digit())
    })?;
    let core = word[1..].split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|part| part.parse::<u64>().ok());
    Some((
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::installer::host::fake::FakeHost;

    #[test]
    fn config_flags_are_read_in_every_spelling() {
        let line = "/opt/homebrew/bin/nomad agent -config=/etc/a.hcl --config /etc/b -dev";
        assert_eq!(
            config_paths_of(line),
            [PathBuf::from("/etc/a.hcl"), PathBuf::from("/etc/b")]
        );
        assert!(config_paths_of("nomad agent -dev").is_empty());
    }

    #[test]
    fn only_nomad_agent_processes_count_as_the_agent() {
        let host = FakeHost::mac()
            .with_process("root", "/opt/homebrew/bin/nomad agent -config=/etc/nomad.d")
            .with_process("ana", "/opt/homebrew/bin/nomad job status")
            .with_process("ana", "/usr/bin/vim nomad agent notes");
        let agents = agent_processes(&host);
        assert_eq!(agents.len(), 1);
        assert_eq!(agents[0].user, "root");
        assert_eq!(
            nomad_binary(&host),
            Some(PathBuf::from("/opt/homebrew/bin/nomad"))
        );
    }

    #[test]
    fn nomad_versions_parse_with_prefixes_and_suffixes() {
        assert_eq!(
            parse_nomad_version("Nomad v1.9.3\nBuildDate x"),
            Some((1, 9, 3))
        );
        assert_eq!(
            parse_nomad_version("Nomad v1.10.0-beta.1"),
            Some((1, 10, 0))
        );
        assert_eq!(parse_nomad_version("Nomad v2.0.4+ent"), Some((2, 0, 4)));
        assert_eq!(parse_nomad_version("nothing here"), None);
    }

    #[test]
    fn the_file_with_our_plugin_block_wins_over_other_client_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a-client.hcl"),
            "client { enabled = true }\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b-plugins.hcl"),
            "plugin \"nomad-driver-container\" {}\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not hcl {").unwrap();
        let host = FakeHost::mac();
        let files = candidate_config_files(&host, Some(dir.path()));
        assert_eq!(files.len(), 2, "only *.hcl files: {files:?}");
        let chosen = choose_client_config(&files).unwrap().unwrap();
        assert!(chosen.path.ends_with("b-plugins.hcl"));

        std::fs::remove_file(dir.path().join("b-plugins.hcl")).unwrap();
        let files = candidate_config_files(&host, Some(dir.path()));
        let chosen = choose_client_config(&files).unwrap().unwrap();
        assert!(chosen.path.ends_with("a-client.hcl"));
    }
}
