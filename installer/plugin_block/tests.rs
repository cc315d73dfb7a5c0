//! Golden tests on real-world-looking client configs: the expected output
//! of each case sits next to its input in `installer/testdata/`. Set
//! `UPDATE_GOLDEN=1` to rewrite the expected files after a deliberate change.

use std::path::{Path, PathBuf};

use super::*;

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("installer/testdata/client-configs")
        .join(name)
}

fn options() -> PluginOptions {
    PluginOptions {
        container_path: Some("/opt/homebrew/bin/container".into()),
        extra_labels: Some(vec!["job_name".into(), "task_name".into()]),
        gc_container: Some(true),
        volumes_enabled: Some(false),
        ..Default::default()
    }
}

/// Runs the edit on `input`, compares with its golden file, and returns
/// (input text, output text).
fn edit_and_compare(input: &str, options: &PluginOptions) -> (String, String) {
    let path = testdata(input);
    let config = ClientConfig::read(&path).unwrap();
    let output = with_plugin_block(&config, options).unwrap();

    let golden = testdata(&input.replace(".hcl", ".expected.hcl"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &output).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap();
    assert_eq!(
        output,
        expected,
        "{} differs from {}",
        input,
        golden.display()
    );
    (config.text, output)
}

/// The bytes before and after the plugin block are the same in both texts.
fn assert_only_plugin_block_changed(before: &str, after: &str) {
    let old = ClientConfig::parse(Path::new("before"), before.to_string()).unwrap();
    let new = ClientConfig::parse(Path::new("after"), after.to_string()).unwrap();
    let new_span = new.plugin_block().unwrap().expect("a plugin block").span;
    match old.plugin_block().unwrap() {
        Some(old_block) => {
            let old_span = old_block.span;
            assert_eq!(before[..old_span.start], after[..new_span.start]);
            assert_eq!(before[old_span.end..], after[new_span.end..]);
        }
        None => {
            let kept = before.trim_end();
            assert!(
                after.starts_with(kept),
                "the original text is not kept as is"
            );
            assert_eq!(after[kept.len()..new_span.start].trim(), "");
        }
    }
}

#[test]
fn appending_to_a_config_with_other_plugins_keeps_every_other_byte() {
    let (before, after) = edit_and_compare("several-plugins.hcl", &options());
    assert_only_plugin_block_changed(&before, &after);
    assert!(after.contains("Reboots on the first Sunday of the month."));
    assert!(after.contains("enabled = true # for the backup job only"));
}

#[test]
fn updating_an_existing_block_keeps_unmanaged_keys_and_the_rest_of_the_file() {
    let (before, after) = edit_and_compare("existing-block.hcl", &options());
    assert_only_plugin_block_changed(&before, &after);
    // Unmanaged keys inside a managed block, and unmanaged blocks, stay.
    assert!(after.contains("dangling_containers {\n        dry_run = true"));
    assert!(after.contains("metrics {\n      address = \"127.0.0.1:9101\""));

    let config = ClientConfig::parse(Path::new("after"), after.clone()).unwrap();
    let decoded = config.validate_plugin_config().unwrap().unwrap();
    assert_eq!(
        decoded.container_path.as_deref(),
        Some(Path::new("/opt/homebrew/bin/container"))
    );
    assert!(decoded.gc_container, "gc.container was updated to true");
    let auth = decoded.auth.expect("the auth block is carried over");
    assert_eq!(
        auth.server_address.as_deref(),
        Some("registry.example.test")
    );
    assert!(
        after.contains("args = [\"-v\"]"),
        "plugin-level args are kept"
    );
    assert!(after.contains("/* The Apple container driver; first set up by hand in March. */"));
}

#[test]
fn a_file_without_a_trailing_newline_gets_the_block_after_a_blank_line() {
    let (before, after) = edit_and_compare("no-trailing-newline.hcl", &options());
    assert_only_plugin_block_changed(&before, &after);
}

#[test]
fn a_second_run_with_the_same_options_changes_nothing() {
    for input in [
        "several-plugins.hcl",
        "existing-block.hcl",
        "no-trailing-newline.hcl",
    ] {
        let config = ClientConfig::read(&testdata(input)).unwrap();
        let once = with_plugin_block(&config, &options()).unwrap();
        let again = ClientConfig::parse(Path::new(input), once.clone()).unwrap();
        assert_eq!(
            with_plugin_block(&again, &options()).unwrap(),
            once,
            "{input}"
        );
        let no_choices = with_plugin_block(&again, &PluginOptions::default()).unwrap();
        assert_eq!(no_choices, once, "{input}: empty options keep the block");
    }
}

#[test]
fn options_not_given_keep_what_the_file_says() {
    let config = ClientConfig::read(&testdata("existing-block.hcl")).unwrap();
    let only_volumes = PluginOptions {
        volumes_enabled: Some(true),
        ..Default::default()
    };
    let output = with_plugin_block(&config, &only_volumes).unwrap();
    let after = ClientConfig::parse(Path::new("after"), output).unwrap();
    let read = PluginOptions::from_config(&after).unwrap();
    assert_eq!(
        read.container_path.as_deref(),
        Some("/usr/local/bin/container")
    );
    assert_eq!(read.gc_container, Some(false));
    assert_eq!(read.volumes_enabled, Some(true));
    assert_eq!(read.extra_labels, Some(vec!["job_name".to_string()]));
}

#[test]
fn removing_the_block_leaves_the_rest_of_the_file() {
    let config = ClientConfig::read(&testdata("existing-block.hcl")).unwrap();
    let output = without_plugin_block(&config).unwrap();
    assert!(!output.contains("nomad-driver-container\""));
    assert!(output.contains("plugin \"raw_exec\""));
    assert!(output.contains("// keep this comment after the blocks"));
    assert!(
        !output.contains("\n\n\n"),
        "no double blank line left: {output}"
    );

    let untouched = ClientConfig::read(&testdata("several-plugins.hcl")).unwrap();
    assert_eq!(without_plugin_block(&untouched).unwrap(), untouched.text);
}

#[test]
fn strings_are_escaped_so_they_cannot_become_templates() {
    assert_eq!(hcl_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    assert_eq!(hcl_string("${HOME}/x %{if}"), "\"$${HOME}/x %%{if}\"");
    assert_eq!(hcl_string("line\nbreak"), "\"line\\nbreak\"");
    let config = ClientConfig::parse(
        Path::new("c.hcl"),
        format!(
            "plugin \"{PLUGIN_LABEL}\" {{\n  config {{\n    container_path = {}\n  }}\n}}\n",
            hcl_string("/odd \"path\"/${x}")
        ),
    )
    .unwrap();
    let read = PluginOptions::from_config(&config).unwrap();
    assert_eq!(read.container_path.as_deref(), Some("/odd \"path\"/${x}"));
}

#[test]
fn the_example_client_config_takes_setups_block_and_keeps_the_rest() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/nomad/client.hcl");
    let config = ClientConfig::read(&path).unwrap();
    config
        .validate_plugin_config()
        .unwrap()
        .expect("the example has a plugin block");

    let output = with_plugin_block(&config, &options()).unwrap();
    assert_only_plugin_block_changed(&config.text, &output);
    let again = ClientConfig::parse(&path, output.clone()).unwrap();
    assert_eq!(with_plugin_block(&again, &options()).unwrap(), output);
    assert_eq!(
        again.plugin_dir(),
        Some(PathBuf::from("/opt/nomad/plugins"))
    );
}
