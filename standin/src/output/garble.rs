//! The `garble` test knob: output a client must survive. Apple's CLI may
//! add fields in a new version, omit the optional ones, report a state this
//! driver has never seen, or be cut short (a crash mid-write, a full pipe).
//! Each mode rewrites one command's output in one of those ways, so tests
//! can show which the driver tolerates and which it reports.

use serde::Deserialize;
use serde_json::{json, Map, Value};

/// How a command's output is spoiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Garble {
    /// Only the first third of the text is printed (no valid JSON left).
    Truncate,
    /// Every JSON object gains a field no client knows.
    ExtraFields,
    /// Fields Apple may omit are left out.
    MissingOptional,
    /// Status strings become a word no client knows.
    UnknownStatus,
}

/// Which JSON shape is printed; the optional fields and status strings
/// differ per shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `list` and `inspect`: `ManagedContainer` objects.
    Containers,
    /// `image inspect` and `image list`.
    Images,
    /// `stats --format json`.
    Stats,
    /// `system status --format json`.
    SystemStatus,
    /// `system version --format json`.
    SystemVersion,
    /// `registry list --format json`.
    Registries,
}

/// The key every object gains under `extra_fields`.
pub const EXTRA_KEY: &str = "standinExtra";

/// The state or status every status string becomes under `unknown_status`.
pub const UNKNOWN_STATUS: &str = "suspended";

/// The rendered JSON text after `mode`; `render` prints a value (compact or
/// pretty, as the command does).
pub fn json_text(mode: Garble, shape: Shape, value: Value, render: fn(&Value) -> String) -> String {
    match mode {
        Garble::Truncate => first_third(&render(&value)).to_string(),
        Garble::ExtraFields => render(&with_extra_fields(value)),
        Garble::MissingOptional => render(&without_optional(shape, value)),
        Garble::UnknownStatus => render(&with_unknown_status(shape, value)),
    }
}

/// `--version`'s one line after `mode`. It has no fields or status, so
/// extra fields become extra words and the optional part is the build note.
pub fn version_text(mode: Garble, line: &str) -> String {
    match mode {
        Garble::Truncate => first_third(line).to_string(),
        Garble::ExtraFields => format!("{line} (arch: arm64, standin extra)"),
        Garble::MissingOptional => line.split(" (").next().unwrap_or(line).to_string(),
        Garble::UnknownStatus => line.to_string(),
    }
}

/// The first third of `text`, cut at a character boundary.
fn first_third(text: &str) -> &str {
    let mut end = text.len() / 3;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Objects under these keys are dictionaries of the user's data (labels,
/// annotations), not records with a schema: a new CLI version adds fields to
/// records, never entries to a user's labels.
const DICTIONARY_KEYS: &[&str] = &["labels", "Labels", "annotations", "sysctls"];

fn with_extra_fields(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(with_extra_fields).collect()),
        Value::Object(map) => {
            let mut map: Map<String, Value> = map
                .into_iter()
                .map(|(key, item)| {
                    if DICTIONARY_KEYS.contains(&key.as_str()) {
                        (key, item)
                    } else {
                        (key, with_extra_fields(item))
                    }
                })
                .collect();
            map.insert(
                EXTRA_KEY.into(),
                json!({"addedIn": "99.0", "values": [1, "two", null]}),
            );
            Value::Object(map)
        }
        other => other,
    }
}

/// Keys Apple omits when nil, per shape (reference §1.4 and §4). The system
/// status keeps only `status`: every other field is `""` while the service
/// is down, so no client can count on them.
fn optional_keys(shape: Shape) -> &'static [&'static str] {
    match shape {
        Shape::Containers => &[
            "startedDate",
            "stopSignal",
            "dns",
            "shmSize",
            "maskedPaths",
            "readonlyPaths",
            "storage",
            "ipv6Address",
            "variant",
        ],
        Shape::Images => &[
            "User",
            "Env",
            "Entrypoint",
            "Cmd",
            "WorkingDir",
            "Labels",
            "StopSignal",
            "annotations",
            "history",
            "variant",
        ],
        Shape::Stats => &[
            "blockReadBytes",
            "blockWriteBytes",
            "cpuUsageUsec",
            "memoryLimitBytes",
            "memoryUsageBytes",
            "networkRxBytes",
            "networkTxBytes",
            "numProcesses",
        ],
        Shape::SystemStatus => &[
            "apiServerAppName",
            "apiServerBuild",
            "apiServerCommit",
            "apiServerVersion",
            "appRoot",
            "installRoot",
            "logRoot",
        ],
        Shape::SystemVersion => &["buildType", "commit"],
        Shape::Registries => &["labels", "modificationDate", "creationDate"],
    }
}

fn without_optional(shape: Shape, value: Value) -> Value {
    let optional = optional_keys(shape);
    let value = remove_keys(value, optional);
    match (shape, value) {
        // Apple prints the server row only when the server answered in time.
        (Shape::SystemVersion, Value::Array(mut rows)) => {
            rows.truncate(1);
            Value::Array(rows)
        }
        (_, other) => other,
    }
}

fn remove_keys(value: Value, keys: &[&str]) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| remove_keys(item, keys))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(key, _)| !keys.contains(&key.as_str()))
                .map(|(key, item)| (key, remove_keys(item, keys)))
                .collect(),
        ),
        other => other,
    }
}

/// Containers carry `status.state`, the system status `status`; the other
/// shapes have no status string and stay as they are.
fn with_unknown_status(shape: Shape, mut value: Value) -> Value {
    match shape {
        Shape::Containers => {
            if let Value::Array(containers) = &mut value {
                for container in containers {
                    if let Some(state) = container.pointer_mut("/status/state") {
                        *state = json!(UNKNOWN_STATUS);
                    }
                }
            }
        }
        Shape::SystemStatus => {
            if let Some(status) = value.get_mut("status") {
                *status = json!(UNKNOWN_STATUS);
            }
        }
        _ => {}
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::json::compact;

    fn container() -> Value {
        json!([{"configuration": {"id": "web", "stopSignal": "SIGQUIT"},
            "id": "web",
            "status": {"networks": [], "startedDate": "2026-08-10T09:14:07Z", "state": "running"}}])
    }

    #[test]
    fn truncate_leaves_text_that_is_not_json() {
        let text = json_text(Garble::Truncate, Shape::Containers, container(), compact);
        assert!(compact(&container()).starts_with(&text));
        assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    }

    #[test]
    fn truncate_cuts_at_a_character_boundary() {
        assert_eq!(first_third("ééé"), "é");
        assert_eq!(first_third("[]"), "");
    }

    #[test]
    fn extra_fields_reach_every_nested_object() {
        let text = json_text(Garble::ExtraFields, Shape::Containers, container(), compact);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert!(value[0][EXTRA_KEY].is_object());
        assert!(value[0]["status"][EXTRA_KEY].is_object());
        assert_eq!(value[0]["status"]["state"], "running");
    }

    #[test]
    fn extra_fields_leave_label_dictionaries_alone() {
        let value = json!([{"configuration": {"labels": {"team": "web"}}}]);
        let text = json_text(Garble::ExtraFields, Shape::Containers, value, compact);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value[0]["configuration"]["labels"], json!({"team": "web"}));
        assert!(value[0]["configuration"][EXTRA_KEY].is_object());
    }

    #[test]
    fn missing_optional_drops_only_the_omittable_keys() {
        let text = json_text(
            Garble::MissingOptional,
            Shape::Containers,
            container(),
            compact,
        );
        let value: Value = serde_json::from_str(&text).unwrap();
        assert!(value[0]["status"].get("startedDate").is_none());
        assert!(value[0]["configuration"].get("stopSignal").is_none());
        assert_eq!(value[0]["status"]["state"], "running");
        assert_eq!(value[0]["id"], "web");
    }

    #[test]
    fn missing_optional_stats_keep_only_the_id() {
        let stats = json!([{"id": "a", "cpuUsageUsec": 5, "numProcesses": 1}]);
        let text = json_text(Garble::MissingOptional, Shape::Stats, stats, compact);
        assert_eq!(text, r#"[{"id":"a"}]"#);
    }

    #[test]
    fn unknown_status_replaces_container_state_and_system_status() {
        let text = json_text(
            Garble::UnknownStatus,
            Shape::Containers,
            container(),
            compact,
        );
        assert!(text.contains(r#""state":"suspended""#), "{text}");
        let status = json!({"status": "running", "appRoot": "/"});
        let text = json_text(Garble::UnknownStatus, Shape::SystemStatus, status, compact);
        assert!(text.contains(r#""status":"suspended""#), "{text}");
    }

    #[test]
    fn version_line_modes() {
        let line = "container CLI version 1.2.2 (build: release, commit: 0190097)";
        assert_eq!(
            version_text(Garble::MissingOptional, line),
            "container CLI version 1.2.2"
        );
        assert!(!version_text(Garble::Truncate, line).contains("1.2.2"));
        assert!(version_text(Garble::ExtraFields, line).starts_with(line));
    }
}
