//! Shell completions and the man page, both generated from the clap
//! definition so they can never disagree with the real flags.

use std::io::Write;

/// Writes the completion script for `shell` to `out`.
pub fn write_completions(shell: clap_complete::Shell, command: clap::Command, out: &mut dyn Write) {
    let mut command = command;
    let name = command.get_name().to_string();
    clap_complete::generate(shell, &mut command, name, out);
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

    #[test]
    fn completions_know_every_installer_subcommand() {
        let mut script = Vec::new();
        write_completions(
            clap_complete::Shell::Bash,
            crate::cli::command(),
            &mut script,
        );
        let script = String::from_utf8(script).unwrap();
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

    #[test]
    fn the_man_page_names_the_program_and_its_commands() {
        let page = String::from_utf8(render_man_page(crate::cli::command()).unwrap()).unwrap();
        assert!(page.starts_with(".ie") || page.contains(".TH"), "{page}");
        assert!(page.contains("nomad\\-driver\\-container"), "{page}");
        assert!(page.contains("doctor"));
    }
}
