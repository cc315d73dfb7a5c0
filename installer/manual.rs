//! Shell completions and the man page, both generated from the clap
//! definition so they can never disagree with the real flags.

use std::io::Write;

/// Writes the completion script for `shell` to `out`.
pub fn write_completions(shell: clap_complete::Shell, command: clap::Command, out: &mut dyn Write) {
    let mut command = command;
    let bin_name = command.get_name().to_string();
    if shell != clap_complete::Shell::Bash {
        clap_complete::generate(shell, &mut command, bin_name, out);
        return;
    }
    // clap_complete's bash script spells its per-subcommand cases two ways
    // when the binary's name holds a dash, so options never complete. Made
    // for a dash-free name, the script is consistent; only the `complete`
    // lines then need the real name back.
    let stand_in = bin_name.replace('-', "_");
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, stand_in.clone(), &mut script);
    let script = String::from_utf8_lossy(&script);
    for line in script.lines() {
        let line = match line.trim_start().starts_with("complete ") {
            true => line.replace(&format!(" {stand_in}"), &format!(" {bin_name}")),
            false => line.to_string(),
        };
        let _ = writeln!(out, "{line}");
    }
}

/// The roff man page for `nomad-driver-container(1)`.
pub fn render_man_page(command: clap::Command) -> std::io::Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command).render(&mut page)?;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bash_script() -> String {
        let mut script = Vec::new();
        write_completions(
            clap_complete::Shell::Bash,
            crate::cli::command(),
            &mut script,
        );
        String::from_utf8(script).unwrap()
    }

    #[test]
    fn completions_know_every_installer_subcommand() {
        let script = bash_script();
        for subcommand in [
            "doctor",
            "setup",
            "install",
            "uninstall",
            "self-update",
            "completions",
        ] {
            assert!(
                script.contains(subcommand),
                "bash completion lacks {subcommand}"
            );
        }
    }

    /// Every state the bash script's word loop can reach has the case that
    /// lists that subcommand's options, and the script completes the real
    /// binary name.
    #[test]
    fn bash_completion_reaches_every_subcommands_options() {
        let script = bash_script();
        let states: Vec<&str> = script
            .lines()
            .filter_map(|line| line.trim().strip_prefix("cmd=\""))
            .filter_map(|rest| rest.strip_suffix('"'))
            .filter(|state| !state.is_empty())
            .collect();
        assert!(states.len() > 5, "{states:?}");
        for state in states {
            assert!(
                script.contains(&format!("        {state})")),
                "no options case for {state}"
            );
        }
        assert!(script.contains("-o default nomad-driver-container\n"));
        assert!(script.contains("--non-interactive"));
    }

    #[test]
    fn the_man_page_names_the_program_and_its_commands() {
        let page = String::from_utf8(render_man_page(crate::cli::command()).unwrap()).unwrap();
        assert!(page.starts_with(".ie") || page.contains(".TH"), "{page}");
        assert!(page.contains("nomad\\-driver\\-container"), "{page}");
        assert!(page.contains("doctor"));
    }
}
