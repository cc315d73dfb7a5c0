//! Container names and the labels that mark a container as ours.

/// Apple's CLI allows at most 63 characters in a container ID.
const MAX_NAME_LEN: usize = 63;

/// Label keys set on every container this driver creates.
pub const LABEL_DRIVER: &str = "nomad.driver";
pub const LABEL_ALLOC_ID: &str = "nomad.alloc_id";
pub const LABEL_TASK_NAME: &str = "nomad.task_name";
/// The Nomad client node that started the container: dangling-container
/// cleanup touches only its own node's containers, never another client's
/// sharing the same user's container service.
pub const LABEL_NODE_ID: &str = "nomad.node_id";
pub const LABEL_DRIVER_VALUE: &str = "nomad-driver-container";

/// `<task>-<alloc_id>`: the same for every attempt of a task in an
/// allocation, so a leftover from an interrupted start is found by name.
///
/// Apple's rule is `^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`, at most 63 characters;
/// the name is also the guest's hostname, so we keep to lower-case letters,
/// digits and `-` (a `.` would make the CLI treat it as a full domain name).
/// When that rewriting or the length limit changes the task's name, a hash
/// of the original name is added, so two tasks of one allocation never share
/// a container name (`my_task` and `my-task`, or two long names with one
/// prefix).
pub fn container_name(alloc_id: &str, task_name: &str) -> String {
    let alloc = sanitize(alloc_id);
    let budget = MAX_NAME_LEN.saturating_sub(alloc.len() + 1).max(1);
    let sanitized = sanitize(task_name);
    let unchanged = sanitized == task_name
        && sanitized.len() <= budget
        && sanitized.starts_with(|c: char| c.is_ascii_alphanumeric())
        && !looks_hashed(&sanitized);

    let task = if unchanged {
        sanitized
    } else {
        let hash = format!("{:08x}", fnv1a(task_name));
        let prefix_budget = budget.saturating_sub(hash.len() + 1);
        let prefix: String = sanitized.chars().take(prefix_budget).collect();
        let prefix = prefix.trim_start_matches('-');
        if prefix.is_empty() {
            hash
        } else {
            format!("{prefix}-{hash}")
        }
    };
    let name = format!("{task}-{alloc}");
    name.chars().take(MAX_NAME_LEN).collect()
}

/// Ends like a hashed name (`-` and 8 hex digits); such a name gets a hash
/// of its own, so it cannot equal another task's hashed name.
fn looks_hashed(name: &str) -> bool {
    name.len() > 9
        && name.as_bytes()[name.len() - 9] == b'-'
        && name[name.len() - 8..]
            .chars()
            .all(|c| c.is_ascii_hexdigit())
}

/// 32-bit FNV-1a: tiny and stable across builds and platforms, which a
/// name that must be the same after an upgrade needs.
fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// The labels that identify a task's container.
pub fn ownership_labels(alloc_id: &str, task_name: &str, node_id: &str) -> Vec<(String, String)> {
    vec![
        (LABEL_DRIVER.into(), LABEL_DRIVER_VALUE.into()),
        (LABEL_ALLOC_ID.into(), alloc_id.into()),
        (LABEL_TASK_NAME.into(), task_name.into()),
        (LABEL_NODE_ID.into(), node_id.into()),
    ]
}

/// Nomad metadata an operator may copy onto containers with `extra_labels`.
pub struct TaskMetadata<'a> {
    pub job_name: &'a str,
    pub job_id: &'a str,
    pub task_group_name: &'a str,
    pub task_name: &'a str,
    pub namespace: &'a str,
    pub node_name: &'a str,
    pub node_id: &'a str,
}

/// `nomad.<key>=<value>` for every metadata key some `extra_labels` glob
/// matches (e.g. `job_*`, `*`). A pattern that is not a valid glob is an
/// error naming it.
pub fn extra_labels(
    patterns: &[String],
    meta: &TaskMetadata<'_>,
) -> Result<Vec<(String, String)>, String> {
    let globs = patterns
        .iter()
        .map(|pattern| {
            glob::Pattern::new(pattern)
                .map_err(|error| format!("extra_labels = {pattern:?} is not a valid glob: {error}"))
        })
        .collect::<Result<Vec<_>, _>>()?;

    let candidates = [
        ("job_name", meta.job_name),
        ("job_id", meta.job_id),
        ("task_group_name", meta.task_group_name),
        ("task_name", meta.task_name),
        ("namespace", meta.namespace),
        ("node_name", meta.node_name),
        ("node_id", meta.node_id),
    ];
    Ok(candidates
        .iter()
        .filter(|(key, _)| globs.iter().any(|glob| glob.matches(key)))
        // Apple's CLI refuses label values containing '='.
        .map(|(key, value)| (format!("nomad.{key}"), value.replace('=', "_")))
        .collect())
}

/// Whether labels say the container belongs to this alloc's task.
pub fn is_owned_by(
    labels: &std::collections::HashMap<String, String>,
    alloc_id: &str,
    task_name: &str,
) -> bool {
    labels.get(LABEL_DRIVER).map(String::as_str) == Some(LABEL_DRIVER_VALUE)
        && labels.get(LABEL_ALLOC_ID).map(String::as_str) == Some(alloc_id)
        && labels.get(LABEL_TASK_NAME).map(String::as_str) == Some(task_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid_for_apple(name: &str) -> bool {
        name.len() >= 2
            && name.len() <= 63
            && name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    }

    #[test]
    fn name_is_deterministic_and_valid() {
        let alloc = "3b1d2c4e-aaaa-bbbb-cccc-0123456789ab";
        let name = container_name(alloc, "web");
        assert_eq!(name, "web-3b1d2c4e-aaaa-bbbb-cccc-0123456789ab");
        assert_eq!(name, container_name(alloc, "web"));
        assert!(valid_for_apple(&name));
    }

    #[test]
    fn awkward_task_names_are_sanitised_and_truncated() {
        let alloc = "3b1d2c4e-aaaa-bbbb-cccc-0123456789ab";
        for task in [
            "_sidecar",
            "My.Task/With Spaces",
            "",
            "x".repeat(100).as_str(),
            "日本",
        ] {
            let name = container_name(alloc, task);
            assert!(valid_for_apple(&name), "{task:?} gave {name:?}");
            assert!(name.ends_with(alloc), "{name}");
        }
    }

    fn meta() -> TaskMetadata<'static> {
        TaskMetadata {
            job_name: "web",
            job_id: "web",
            task_group_name: "frontend",
            task_name: "nginx",
            namespace: "default",
            node_name: "mac-01",
            node_id: "n1",
        }
    }

    #[test]
    fn extra_label_globs_select_metadata_keys() {
        let labels = extra_labels(&["job_*".into(), "node_name".into()], &meta()).unwrap();
        let keys: Vec<&str> = labels.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(keys, ["nomad.job_name", "nomad.job_id", "nomad.node_name"]);
        assert_eq!(extra_labels(&["*".into()], &meta()).unwrap().len(), 7);
        assert!(extra_labels(&[], &meta()).unwrap().is_empty());
    }

    #[test]
    fn invalid_glob_is_named() {
        let error = extra_labels(&["job_[".into()], &meta()).unwrap_err();
        assert!(error.contains("job_["), "{error}");
    }

    #[test]
    fn distinct_tasks_of_one_alloc_get_distinct_names() {
        let alloc = "3b1d2c4e-aaaa-bbbb-cccc-0123456789ab";
        let pairs = [
            ("redis", "web"),
            ("my_task", "my-task"),
            ("Web", "web"),
            ("frontend-worker-processor-1", "frontend-worker-processor-2"),
            ("a.b", "a-b"),
            ("my_task", "my-task-d0978a21"),
        ];
        for (one, two) in pairs {
            assert_ne!(
                container_name(alloc, one),
                container_name(alloc, two),
                "{one} vs {two}"
            );
        }
    }

    #[test]
    fn a_clean_short_name_is_kept_readable() {
        let alloc = "3b1d2c4e-aaaa-bbbb-cccc-0123456789ab";
        assert_eq!(
            container_name(alloc, "redis-cache"),
            format!("redis-cache-{alloc}")
        );
    }
}
