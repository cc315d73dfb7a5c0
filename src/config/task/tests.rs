use rmpv::Value;

use super::*;
use crate::config::msgpack::tests::{encode, object};

/// A config as Nomad sends it: every key, absent ones nil.
fn task(overrides: &[(&str, Value)]) -> Vec<u8> {
    let mut pairs: Vec<(&str, Value)> = entries()
        .iter()
        .map(|entry| (entry.key, Value::Nil))
        .collect();
    pairs.retain(|(key, _)| *key != "image");
    pairs.push(("image", Value::from("alpine:3.20")));
    for (key, value) in overrides {
        pairs.retain(|(existing, _)| existing != key);
        pairs.push((key, value.clone()));
    }
    encode(&object(&pairs))
}

fn strings(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|item| Value::from(*item)).collect())
}

fn error_of(overrides: &[(&str, Value)]) -> String {
    TaskConfig::decode(&task(overrides))
        .unwrap_err()
        .to_string()
}

#[test]
fn minimal_config_needs_only_an_image() {
    let config = TaskConfig::decode(&task(&[])).unwrap();
    assert_eq!(config.image, "alpine:3.20");
    assert_eq!(config.network_mode, NetworkMode::Default);
    assert!(!config.readonly_rootfs && !config.tty && config.auth.is_none());
}

#[test]
fn missing_image_is_named() {
    let error = error_of(&[("image", Value::Nil)]);
    assert_eq!(error, "image is required");
}

#[test]
fn env_value_with_newline_is_refused_without_echoing_the_value() {
    let env = object(&[("TOKEN", Value::from("line1\nline2-secret"))]);
    let error = error_of(&[("env", env)]);
    assert!(
        error.contains("env.TOKEN") && error.contains("line break"),
        "{error}"
    );
    assert!(!error.contains("secret"), "{error}");
}

#[test]
fn env_values_with_equals_quotes_and_unicode_are_accepted() {
    let env = object(&[("A", Value::from("x=y \"q\" 'z' ü ✓"))]);
    let config = TaskConfig::decode(&task(&[("env", env)])).unwrap();
    assert_eq!(config.env["A"], "x=y \"q\" 'z' ü ✓");
}

#[test]
fn label_value_with_equals_is_refused_like_the_cli_does() {
    let error = error_of(&[("labels", object(&[("team", Value::from("a=b"))]))]);
    assert!(error.starts_with("labels.team = \"a=b\""), "{error}");
}

#[test]
fn relative_working_dir_is_refused() {
    let error = error_of(&[("working_dir", Value::from("srv"))]);
    assert!(
        error.contains("working_dir") && error.contains("absolute"),
        "{error}"
    );
}

#[test]
fn volumes_parse_with_ro_and_rw_and_refuse_other_options() {
    let config = TaskConfig::decode(&task(&[(
        "volumes",
        strings(&["data:/data", "/srv/site:/site:ro", "cache:/cache:rw"]),
    )]))
    .unwrap();
    assert_eq!(
        config.volumes[1],
        VolumeSpec {
            source: "/srv/site".into(),
            target: "/site".into(),
            readonly: true
        }
    );
    assert!(!config.volumes[2].readonly);

    let error = error_of(&[("volumes", strings(&["a:/b:rx"]))]);
    assert!(
        error.starts_with("volumes[0] = \"a:/b:rx\"") && error.contains("ro or rw"),
        "{error}"
    );
    let error = error_of(&[("volumes", strings(&["a:relative"]))]);
    assert!(error.contains("absolute"), "{error}");
    let error = error_of(&[("volumes", strings(&["justone"]))]);
    assert!(error.contains("source:target"), "{error}");
}

#[test]
fn network_modes_parse_and_bad_ones_are_named() {
    let mode = |text: &str| {
        TaskConfig::decode(&task(&[("network_mode", Value::from(text))])).map(|c| c.network_mode)
    };
    assert_eq!(mode("").unwrap(), NetworkMode::Default);
    assert_eq!(mode("none").unwrap(), NetworkMode::None);
    assert_eq!(mode("host").unwrap(), NetworkMode::Host);
    assert_eq!(
        mode("task:redis").unwrap(),
        NetworkMode::Task("redis".into())
    );
    assert_eq!(
        mode("backend").unwrap(),
        NetworkMode::Named("backend".into())
    );
    assert!(mode("task:")
        .unwrap_err()
        .to_string()
        .contains("network_mode"));
    assert!(mode("Bad Name")
        .unwrap_err()
        .to_string()
        .starts_with("network_mode = \"Bad Name\""));
}

#[test]
fn ports_with_network_none_are_refused() {
    let error = error_of(&[
        ("network_mode", Value::from("none")),
        ("ports", strings(&["http"])),
    ]);
    assert!(
        error.starts_with("ports = ") && error.contains("none"),
        "{error}"
    );
}

#[test]
fn hostname_is_refused_with_the_reason() {
    let error = error_of(&[("hostname", Value::from("web"))]);
    assert!(
        error.starts_with("hostname = \"web\"") && error.contains("no hostname option"),
        "{error}"
    );
}

#[test]
fn user_grammar_is_checked() {
    assert_eq!(
        TaskConfig::decode(&task(&[("user", Value::from("1000:1000"))]))
            .unwrap()
            .user
            .as_deref(),
        Some("1000:1000")
    );
    assert!(error_of(&[("user", Value::from("a b"))]).starts_with("user = \"a b\""));
}

#[test]
fn capabilities_are_normalised_and_unknown_ones_named() {
    let config = TaskConfig::decode(&task(&[
        ("cap_add", strings(&["net_admin"])),
        ("cap_drop", strings(&["ALL"])),
    ]))
    .unwrap();
    assert_eq!(config.cap_add, ["CAP_NET_ADMIN"]);
    assert_eq!(config.cap_drop, ["ALL"]);
    let error = error_of(&[("cap_add", strings(&["CAP_FLY"]))]);
    assert!(error.starts_with("cap_add[0] = \"CAP_FLY\""), "{error}");
}

#[test]
fn dns_servers_must_be_ip_addresses() {
    assert!(error_of(&[("dns", strings(&["1.1.1.1", "dns.example"]))])
        .starts_with("dns[1] = \"dns.example\""));
    let config = TaskConfig::decode(&task(&[("dns", strings(&["fd00::53"]))])).unwrap();
    assert_eq!(config.dns, ["fd00::53"]);
}

#[test]
fn platform_and_pull_timeout_are_validated() {
    assert!(error_of(&[("platform", Value::from("amd64"))]).starts_with("platform = \"amd64\""));
    assert!(error_of(&[("image_pull_timeout", Value::from("10"))])
        .starts_with("image_pull_timeout = \"10\""));
    let config = TaskConfig::decode(&task(&[("image_pull_timeout", Value::from("90s"))])).unwrap();
    assert_eq!(config.image_pull_timeout, Some(Duration::from_secs(90)));
}

#[test]
fn auth_needs_both_user_and_password_and_never_shows_the_password() {
    let auth = object(&[
        ("username", Value::from("ci-bot")),
        ("password", Value::from("hunter2")),
        ("server_address", Value::Nil),
    ]);
    let config = TaskConfig::decode(&task(&[("auth", auth)])).unwrap();
    let parsed = config.auth.unwrap();
    assert_eq!(parsed.username, "ci-bot");
    assert!(!format!("{parsed:?}").contains("hunter2"));

    let no_password = object(&[
        ("username", Value::from("ci-bot")),
        ("password", Value::Nil),
        ("server_address", Value::Nil),
    ]);
    assert_eq!(
        error_of(&[("auth", no_password)]),
        "auth.password is required"
    );
}

#[test]
fn wrong_types_name_key_and_value() {
    assert_eq!(
        error_of(&[("tty", Value::from("yes"))]),
        "tty: expected a bool, found string \"yes\""
    );
    assert_eq!(
        error_of(&[("ports", Value::from("http"))]),
        "ports: expected a list of strings, found string \"http\""
    );
}
