//! setup through a fake host: the non-interactive flags, the wizard's
//! questions (answered by a script), and idempotency.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use super::*;
use crate::installer::host::fake::FakeHost;

/// Answers questions in order and records them.
#[derive(Default)]
struct ScriptedPrompts {
    answers: RefCell<VecDeque<String>>,
    asked: RefCell<Vec<String>>,
}

impl ScriptedPrompts {
    fn new(answers: &[&str]) -> Self {
        Self {
            answers: RefCell::new(answers.iter().map(|a| a.to_string()).collect()),
            asked: RefCell::default(),
        }
    }

    fn next(&self, question: &str) -> String {
        self.asked.borrow_mut().push(question.to_string());
        self.answers
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| panic!("no answer scripted for {question:?}"))
    }
}

impl Prompter for ScriptedPrompts {
    fn ask_path(&self, question: &str, _default: Option<&Path>) -> anyhow::Result<PathBuf> {
        Ok(PathBuf::from(self.next(question)))
    }
    fn ask_text(&self, question: &str, _default: &str) -> anyhow::Result<String> {
        Ok(self.next(question))
    }
    fn confirm(&self, question: &str, _default: bool) -> anyhow::Result<bool> {
        Ok(self.next(question) == "y")
    }
}

/// A temp dir holding a client config, a plugin_dir and this "binary".
struct Fixture {
    dir: tempfile::TempDir,
    config: PathBuf,
    plugin_dir: PathBuf,
    host: FakeHost,
}

fn fixture(config_text: impl FnOnce(&Path) -> String) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let plugin_dir = dir.path().join("plugins");
    let config = dir.path().join("client.hcl");
    std::fs::write(&config, config_text(&plugin_dir)).unwrap();
    let mut host = FakeHost::mac();
    host.exe = dir.path().join("nomad-driver-container");
    std::fs::write(&host.exe, b"this binary").unwrap();
    host.home = Some(dir.path().join("home"));
    Fixture {
        dir,
        config,
        plugin_dir,
        host,
    }
}

fn with_plugin_dir(plugin_dir: &Path) -> String {
    format!(
        "# client\ndata_dir = \"/var/nomad\"\nplugin_dir = \"{}\"\n\n\
         client {{\n  enabled = true\n}}\n",
        plugin_dir.display()
    )
}

fn flags(fixture: &Fixture) -> SetupOptions {
    SetupOptions {
        client_config: Some(fixture.config.clone()),
        plugin: PluginOptions {
            container_path: Some("/opt/homebrew/bin/container".into()),
            gc_container: Some(true),
            volumes_enabled: Some(false),
            extra_labels: Some(vec!["job_name".into()]),
            ..Default::default()
        },
        launch_agent: Some(false),
        ..Default::default()
    }
}

fn backups_in(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|entry| {
            let name = entry.as_ref().unwrap().file_name();
            name.to_string_lossy().contains(".bak-")
        })
        .count()
}

#[test]
fn non_interactive_setup_writes_the_block_installs_and_a_second_run_changes_nothing() {
    let fixture = fixture(with_plugin_dir);
    let first = run(&fixture.host, &NoPrompts, &flags(&fixture)).unwrap();
    assert!(first.config_changed && first.binary_changed);
    let backup = first.backup.clone().expect("the original is backed up");
    assert_eq!(
        std::fs::read_to_string(&backup).unwrap(),
        with_plugin_dir(&fixture.plugin_dir)
    );
    assert_eq!(
        std::fs::read(fixture.plugin_dir.join("nomad-driver-container")).unwrap(),
        b"this binary"
    );
    let written = ClientConfig::read(&fixture.config).unwrap();
    let plugin = written.validate_plugin_config().unwrap().unwrap();
    assert_eq!(plugin.extra_labels, ["job_name"]);
    assert!(written
        .text
        .starts_with(&with_plugin_dir(&fixture.plugin_dir)));
    assert!(first
        .report
        .iter()
        .any(|line| line.contains("Restart the Nomad client")));

    let text_after_first = std::fs::read_to_string(&fixture.config).unwrap();
    let second = run(&fixture.host, &NoPrompts, &flags(&fixture)).unwrap();
    assert!(!second.changed_anything(), "{:?}", second.report);
    assert_eq!(second.backup, None);
    assert_eq!(
        std::fs::read_to_string(&fixture.config).unwrap(),
        text_after_first
    );
    assert_eq!(backups_in(fixture.dir.path()), 1);
    assert!(second
        .report
        .iter()
        .any(|line| line.contains("Nothing changed")));
}

#[test]
fn non_interactive_setup_without_a_config_names_the_flag_to_pass() {
    let host = FakeHost::linux();
    let options = SetupOptions {
        client_config: None,
        ..Default::default()
    };
    let error = run(&host, &NoPrompts, &options).unwrap_err().to_string();
    assert!(error.contains("--client-config"), "{error}");
}

#[test]
fn a_plugin_dir_other_than_the_configs_is_refused() {
    let fixture = fixture(with_plugin_dir);
    let mut options = flags(&fixture);
    options.plugin_dir = Some(fixture.dir.path().join("elsewhere"));
    let error = run(&fixture.host, &NoPrompts, &options)
        .unwrap_err()
        .to_string();
    assert!(error.contains("sets plugin_dir"), "{error}");
    assert_eq!(
        std::fs::read_to_string(&fixture.config).unwrap(),
        with_plugin_dir(&fixture.plugin_dir),
        "nothing was written"
    );
}

#[test]
fn a_plugin_dir_nomad_would_not_look_in_is_written_into_the_config() {
    let fixture = fixture(|_| "data_dir = \"/var/nomad\"\n".to_string());
    let mut options = flags(&fixture);
    options.plugin_dir = Some(fixture.plugin_dir.clone());
    run(&fixture.host, &NoPrompts, &options).unwrap();
    let written = ClientConfig::read(&fixture.config).unwrap();
    assert_eq!(written.plugin_dir(), Some(fixture.plugin_dir.clone()));
    assert!(written.text.starts_with("data_dir = \"/var/nomad\"\n"));

    let again = run(&fixture.host, &NoPrompts, &options).unwrap();
    assert!(!again.changed_anything(), "{:?}", again.report);
}

#[test]
fn the_default_plugin_dir_under_data_dir_needs_no_extra_line() {
    let fixture = fixture(|_| String::new());
    let data_dir = fixture.dir.path().join("data");
    std::fs::write(
        &fixture.config,
        format!("data_dir = \"{}\"\n", data_dir.display()),
    )
    .unwrap();
    run(&fixture.host, &NoPrompts, &flags(&fixture)).unwrap();
    let written = std::fs::read_to_string(&fixture.config).unwrap();
    assert!(!written.contains("plugin_dir"), "{written}");
    assert!(data_dir.join("plugins/nomad-driver-container").exists());
}

#[test]
fn the_wizard_asks_what_flags_did_not_say_and_writes_the_answers() {
    let fixture = fixture(with_plugin_dir);
    let options = SetupOptions {
        client_config: Some(fixture.config.clone()),
        ..Default::default()
    };
    let prompts = ScriptedPrompts::new(&[
        "/usr/local/bin/container", // container_path
        "y",                        // volumes
        "n",                        // gc
        "job_name, task_name",      // extra_labels
        "y",                        // LaunchAgent
        "n",                        // restart now
    ]);
    let outcome = run(&fixture.host, &prompts, &options).unwrap();

    let plugin = ClientConfig::read(&fixture.config)
        .unwrap()
        .validate_plugin_config()
        .unwrap()
        .unwrap();
    assert_eq!(
        plugin.container_path.as_deref(),
        Some(Path::new("/usr/local/bin/container"))
    );
    assert!(plugin.volumes_enabled && !plugin.gc_container);
    assert_eq!(plugin.extra_labels, ["job_name", "task_name"]);

    let (agent, changed) = outcome.launch_agent.expect("a LaunchAgent");
    assert!(changed);
    let agent_text = std::fs::read_to_string(agent).unwrap();
    assert!(agent_text.contains("<string>/usr/local/bin/container</string>"));
    assert!(prompts.answers.borrow().is_empty(), "every answer was used");
    assert!(prompts
        .asked
        .borrow()
        .iter()
        .any(|q| q.contains("--volumes")));
}

#[test]
fn a_homebrew_binary_is_linked_through_its_stable_path() {
    let mut fixture = fixture(with_plugin_dir);
    let cellar = fixture
        .dir
        .path()
        .join("brew/Cellar/nomad-driver-container/0.1.0/bin");
    std::fs::create_dir_all(&cellar).unwrap();
    fixture.host.exe = cellar.join("nomad-driver-container");
    std::fs::write(&fixture.host.exe, b"brewed").unwrap();

    let outcome = run(&fixture.host, &NoPrompts, &flags(&fixture)).unwrap();
    let link = std::fs::read_link(outcome.plugin_path).unwrap();
    let brew = fixture.dir.path().canonicalize().unwrap().join("brew");
    assert_eq!(
        link,
        brew.join("opt/nomad-driver-container/bin/nomad-driver-container")
    );
}

#[test]
fn restart_runs_brew_services_and_reports_a_failure() {
    let fixture = fixture(with_plugin_dir);
    let mut options = flags(&fixture);
    options.restart_nomad = true;

    let host = fixture
        .host
        .clone()
        .with_program("brew", "/opt/homebrew/bin/brew")
        .with_output("/opt/homebrew/bin/brew services restart nomad", 0, "");
    let outcome = run(&host, &NoPrompts, &options).unwrap();
    assert!(outcome.restarted_nomad);

    std::fs::remove_file(fixture.plugin_dir.join("nomad-driver-container")).unwrap();
    let failing = fixture
        .host
        .clone()
        .with_program("brew", "/opt/homebrew/bin/brew")
        .with_output("/opt/homebrew/bin/brew services restart nomad", 1, "");
    let error = run(&failing, &NoPrompts, &options).unwrap_err().to_string();
    assert!(
        error.contains("restart the Nomad client yourself"),
        "{error}"
    );
}

#[test]
fn a_launch_agent_is_refused_off_macos() {
    let mut fixture = fixture(with_plugin_dir);
    fixture.host.os_name = "Linux".into();
    let mut options = flags(&fixture);
    options.launch_agent = Some(true);
    let error = run(&fixture.host, &NoPrompts, &options)
        .unwrap_err()
        .to_string();
    assert!(error.contains("needs macOS"), "{error}");
}
