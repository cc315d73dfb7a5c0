//! The `config { ... }` block of a job's task that uses `driver = "container"`.

use std::collections::BTreeMap;

use super::schema::{object_spec, SchemaEntry};
use super::{ConfigError, ConfigObject};
use crate::proto::hclspec::Spec;

/// A task's container settings, validated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskConfig {
    pub image: String,
    pub command: Option<String>,
    pub args: Vec<String>,
    pub entrypoint: Vec<String>,
    pub working_dir: Option<String>,
    pub env: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
}

fn entries() -> Vec<SchemaEntry> {
    vec![
        SchemaEntry::attr("image", "string", "Image reference, e.g. \"alpine:3.20\".").required(),
        SchemaEntry::attr(
            "command",
            "string",
            "Command to run instead of the image's CMD; `args` follow it.",
        ),
        SchemaEntry::attr("args", "list(string)", "Arguments for the command."),
        SchemaEntry::attr(
            "entrypoint",
            "list(string)",
            "Replaces the image's ENTRYPOINT. As with Apple's CLI, the image's CMD is then \
             not used: give the command explicitly.",
        ),
        SchemaEntry::attr(
            "working_dir",
            "string",
            "Absolute working directory in the container.",
        ),
        SchemaEntry::map_block(
            "env",
            "string",
            "Environment variables, on top of Nomad's task environment. Values travel in a \
             private file, never on a command line.",
        ),
        SchemaEntry::map_block("labels", "string", "Labels set on the container."),
    ]
}

/// The schema Nomad decodes a task's config block against.
pub fn task_config_schema() -> Spec {
    object_spec(&entries())
}

/// The documented entries, for generated reference tables.
pub fn task_config_entries() -> Vec<SchemaEntry> {
    entries()
}

impl TaskConfig {
    /// Decodes and validates a task's msgpack driver config.
    pub fn decode(bytes: &[u8]) -> Result<Self, ConfigError> {
        let keys: Vec<&str> = entries().iter().map(|entry| entry.key).collect();
        let object = ConfigObject::decode(bytes, &keys)?;

        let image = object.required_string("image")?;
        if image.chars().any(char::is_whitespace) {
            return Err(object.invalid("image", format!("{image:?}"), "contains whitespace"));
        }

        let entrypoint = object.string_list("entrypoint")?.unwrap_or_default();
        if entrypoint.first().is_some_and(String::is_empty) {
            return Err(object.invalid("entrypoint", "[\"\", ...]", "the first element is empty"));
        }

        let working_dir = object.string("working_dir")?.filter(|dir| !dir.is_empty());
        if let Some(dir) = &working_dir {
            if !dir.starts_with('/') {
                return Err(object.invalid("working_dir", format!("{dir:?}"), "must be absolute"));
            }
        }

        let env = object.string_map("env")?.unwrap_or_default();
        for (name, value) in &env {
            validate_env_entry(&object, name, value)?;
        }

        let labels = object.string_map("labels")?.unwrap_or_default();
        for (key, value) in &labels {
            validate_label(&object, key, value)?;
        }

        Ok(Self {
            image,
            command: object
                .string("command")?
                .filter(|command| !command.is_empty()),
            args: object.string_list("args")?.unwrap_or_default(),
            entrypoint,
            working_dir,
            env,
            labels,
        })
    }
}

/// Checks an environment variable against what Apple's `--env-file` grammar
/// can carry. The value is never echoed: it may be a secret.
pub fn validate_env_entry(
    object: &ConfigObject,
    name: &str,
    value: &str,
) -> Result<(), ConfigError> {
    if let Some(reason) = env_name_problem(name) {
        return Err(object.invalid(&format!("env.{name}"), format!("{name:?}"), reason));
    }
    if value.chars().any(is_env_file_newline) {
        return Err(object.invalid(
            &format!("env.{name}"),
            "(value not shown)",
            "contains a line break, which Apple's env-file format cannot carry",
        ));
    }
    Ok(())
}

/// Why a variable name cannot be written to an env file, if it cannot.
pub fn env_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("the variable name is empty")
    } else if name.contains('=') {
        Some("the variable name contains '='")
    } else if name.chars().any(char::is_whitespace) {
        Some("the variable name contains whitespace")
    } else if name.starts_with('#') {
        Some("the variable name starts with '#', which the env-file format reads as a comment")
    } else {
        None
    }
}

/// The characters Swift treats as line breaks when it splits an env file.
pub fn is_env_file_newline(c: char) -> bool {
    matches!(
        c,
        '\n' | '\u{0B}' | '\u{0C}' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

fn validate_label(object: &ConfigObject, key: &str, value: &str) -> Result<(), ConfigError> {
    if key.is_empty() || key.contains('=') || key.chars().any(char::is_whitespace) {
        return Err(object.invalid(
            &format!("labels.{key}"),
            format!("{key:?}"),
            "a label key must be non-empty, without '=' or whitespace",
        ));
    }
    if value.contains('=') {
        return Err(object.invalid(
            &format!("labels.{key}"),
            format!("{value:?}"),
            "Apple's CLI refuses label values containing '='",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rmpv::Value;

    use super::*;
    use crate::config::msgpack::tests::{encode, object};

    fn task(overrides: &[(&str, Value)]) -> Vec<u8> {
        let mut pairs: Vec<(&str, Value)> = entries()
            .iter()
            .map(|entry| (entry.key, Value::Nil))
            .collect();
        for (key, value) in overrides {
            pairs.retain(|(existing, _)| existing != key);
            pairs.push((key, value.clone()));
        }
        encode(&object(&pairs))
    }

    #[test]
    fn minimal_config_needs_only_an_image() {
        let config = TaskConfig::decode(&task(&[("image", Value::from("alpine:3.20"))])).unwrap();
        assert_eq!(config.image, "alpine:3.20");
        assert!(config.args.is_empty() && config.env.is_empty());
    }

    #[test]
    fn missing_image_is_named() {
        let error = TaskConfig::decode(&task(&[])).unwrap_err();
        assert_eq!(error.to_string(), "image is required");
    }

    #[test]
    fn env_value_with_newline_is_refused_without_echoing_the_value() {
        let env = object(&[("TOKEN", Value::from("line1\nline2-secret"))]);
        let bytes = task(&[("image", Value::from("alpine")), ("env", env)]);
        let error = TaskConfig::decode(&bytes).unwrap_err().to_string();
        assert!(
            error.contains("env.TOKEN") && error.contains("line break"),
            "{error}"
        );
        assert!(!error.contains("secret"), "{error}");
    }

    #[test]
    fn env_values_with_equals_quotes_and_unicode_are_accepted() {
        let env = object(&[("A", Value::from("x=y \"q\" 'z' ü ✓"))]);
        let bytes = task(&[("image", Value::from("alpine")), ("env", env)]);
        let config = TaskConfig::decode(&bytes).unwrap();
        assert_eq!(config.env["A"], "x=y \"q\" 'z' ü ✓");
    }

    #[test]
    fn label_value_with_equals_is_refused_like_the_cli_does() {
        let labels = object(&[("team", Value::from("a=b"))]);
        let bytes = task(&[("image", Value::from("alpine")), ("labels", labels)]);
        let error = TaskConfig::decode(&bytes).unwrap_err().to_string();
        assert!(error.starts_with("labels.team = \"a=b\""), "{error}");
    }

    #[test]
    fn relative_working_dir_is_refused() {
        let bytes = task(&[
            ("image", Value::from("alpine")),
            ("working_dir", Value::from("srv")),
        ]);
        let error = TaskConfig::decode(&bytes).unwrap_err().to_string();
        assert!(
            error.contains("working_dir") && error.contains("absolute"),
            "{error}"
        );
    }
}
