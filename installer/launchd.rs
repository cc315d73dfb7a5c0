//! The LaunchAgent that runs `container system start` at login: Apple's
//! services are per user and nothing starts them again after a reboot. The
//! template is the one shipped in `packaging/launchd/`.

use std::path::{Path, PathBuf};

use super::install::{write_with_backup, InstallError};

pub const SYSTEM_START_LABEL: &str = "nomad-driver-container.container-system-start";

const SYSTEM_START_TEMPLATE: &str =
    include_str!("../packaging/launchd/container-system-start.plist");

/// `~/Library/LaunchAgents/<label>.plist`.
pub fn system_start_agent_path(home: &Path) -> PathBuf {
    home.join("Library/LaunchAgents")
        .join(format!("{SYSTEM_START_LABEL}.plist"))
}

/// The LaunchAgent's text for this `container` CLI.
pub fn render_system_start_agent(container_cli: &Path) -> String {
    SYSTEM_START_TEMPLATE
        .replace("@LABEL@", SYSTEM_START_LABEL)
        .replace(
            "@CONTAINER_PATH@",
            &xml_escape(&container_cli.to_string_lossy()),
        )
}

/// Writes the LaunchAgent; `Ok(false)` when it already said exactly this.
pub fn write_system_start_agent(home: &Path, container_cli: &Path) -> Result<bool, InstallError> {
    let path = system_start_agent_path(home);
    let text = render_system_start_agent(container_cli);
    let unchanged = std::fs::read_to_string(&path).is_ok_and(|existing| existing == text);
    if unchanged {
        return Ok(false);
    }
    write_with_backup(&path, &text)?;
    Ok(true)
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_runs_this_cli_with_unattended_kernel_install() {
        let text = render_system_start_agent(Path::new("/opt/homebrew/bin/container"));
        assert!(!text.contains('@'), "every placeholder is filled: {text}");
        let arguments = [
            "<string>/opt/homebrew/bin/container</string>",
            "<string>system</string>",
            "<string>start</string>",
            "<string>--enable-kernel-install</string>",
        ];
        let mut from = 0;
        for argument in arguments {
            let at = text[from..].find(argument).expect(argument) + from;
            from = at;
        }
        assert!(text.contains(&format!("<string>{SYSTEM_START_LABEL}</string>")));
    }

    #[test]
    fn paths_are_escaped_for_xml() {
        let text = render_system_start_agent(Path::new("/Users/a&b/<bin>/container"));
        assert!(text.contains("/Users/a&amp;b/&lt;bin&gt;/container"));
    }

    #[test]
    fn writing_twice_changes_nothing_the_second_time() {
        let home = tempfile::tempdir().unwrap();
        let cli = Path::new("/usr/local/bin/container");
        assert!(write_system_start_agent(home.path(), cli).unwrap());
        assert!(!write_system_start_agent(home.path(), cli).unwrap());
        assert!(system_start_agent_path(home.path()).exists());
    }
}
