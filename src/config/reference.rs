//! The configuration reference in the README, rendered from the same schema
//! entries the plugin serves to Nomad, so the two cannot drift apart.

use super::schema::{SchemaEntry, SchemaKind};
use super::{plugin_config_entries, task_config_entries};

pub const BEGIN_MARKER: &str =
    "<!-- BEGIN CONFIG REFERENCE (generated: nomad-driver-container config-reference) -->";
pub const END_MARKER: &str = "<!-- END CONFIG REFERENCE -->";

/// Both tables, between the markers the README uses.
pub fn render() -> String {
    let mut text = String::new();
    text.push_str(BEGIN_MARKER);
    text.push_str(
        "\n\n### Plugin config (`plugin \"nomad-driver-container\" { config { … } }`)\n\n",
    );
    text.push_str(&table(&plugin_config_entries()));
    text.push_str("\n### Task config (`config { … }` in a task with ");
    text.push_str("`driver = \"container\"`)\n\n");
    text.push_str(&table(&task_config_entries()));
    text.push('\n');
    text.push_str(END_MARKER);
    text.push('\n');
    text
}

fn table(entries: &[SchemaEntry]) -> String {
    let mut rows = String::from("| key | type | default | meaning |\n|---|---|---|---|\n");
    for entry in entries {
        push_rows(&mut rows, "", entry);
    }
    rows
}

fn push_rows(rows: &mut String, prefix: &str, entry: &SchemaEntry) {
    let key = format!("{prefix}{}", entry.key);
    let default = match (entry.required, entry.default) {
        (true, _) => "required".to_string(),
        (false, Some(literal)) => format!("`{literal}`"),
        (false, None) => "—".to_string(),
    };
    let doc = entry.doc.replace('|', "\\|");
    rows.push_str(&format!(
        "| `{key}` | {} | {default} | {doc} |\n",
        entry.type_label()
    ));
    if let SchemaKind::Block(children) = &entry.kind {
        for child in children {
            push_rows(rows, &format!("{key}."), child);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_reference_matches_the_served_schema() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("README.md at the crate root");
        let start = readme
            .find(BEGIN_MARKER)
            .expect("README has the begin marker");
        let end =
            readme.find(END_MARKER).expect("README has the end marker") + END_MARKER.len() + 1;
        assert_eq!(
            &readme[start..end],
            render(),
            "README's configuration reference is stale: replace it with the output of \
             `nomad-driver-container config-reference`"
        );
    }

    #[test]
    fn every_key_and_nested_key_has_a_row() {
        let rendered = render();
        for key in [
            "`container_path`",
            "`gc.container`",
            "`volumes.enabled`",
            "`image`",
            "`env`",
        ] {
            assert!(rendered.contains(key), "{key} missing");
        }
    }
}
