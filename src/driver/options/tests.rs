use super::*;
use crate::proto::drivers::Resources;

fn task_with_ports(ports: Vec<PortMapping>) -> NomadTask {
    NomadTask {
        resources: Some(Resources {
            ports,
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn port(label: &str, value: i32, to: i32, host_ip: &str) -> PortMapping {
    PortMapping {
        label: label.into(),
        value,
        to,
        host_ip: host_ip.into(),
    }
}

fn volume(source: &str, target: &str) -> VolumeSpec {
    VolumeSpec {
        source: source.into(),
        target: target.into(),
        readonly: false,
    }
}

#[test]
fn listed_port_is_published_for_tcp_and_udp_on_its_host_address() {
    let task = task_with_ports(vec![
        port("http", 23456, 8080, "127.0.0.1"),
        port("db", 23457, 0, ""),
    ]);
    let config = TaskConfig {
        ports: vec!["http".into(), "db".into()],
        ..Default::default()
    };
    let published = publishing(&config, &task).unwrap();
    assert_eq!(
        published.specs,
        [
            "127.0.0.1:23456:8080/tcp",
            "127.0.0.1:23456:8080/udp",
            "23457:23457/tcp",
            "23457:23457/udp"
        ]
    );
    assert_eq!(published.port_map["http"], 8080);
    assert_eq!(
        published.port_map["db"], 23457,
        "`to` defaults to the host port"
    );
}

#[test]
fn ipv6_host_address_is_bracketed() {
    let task = task_with_ports(vec![port("http", 23456, 80, "fd00::1")]);
    let config = TaskConfig {
        ports: vec!["http".into()],
        ..Default::default()
    };
    assert_eq!(
        publishing(&config, &task).unwrap().specs[0],
        "[fd00::1]:23456:80/tcp"
    );
}

#[test]
fn unknown_port_label_is_refused_listing_the_known_ones() {
    let task = task_with_ports(vec![port("http", 23456, 80, "")]);
    let config = TaskConfig {
        ports: vec!["https".into()],
        ..Default::default()
    };
    let error = publishing(&config, &task).unwrap_err();
    assert!(
        error.contains("\"https\"") && error.contains("\"http\""),
        "{error}"
    );
}

#[test]
fn host_mode_publishes_every_group_port() {
    let task = task_with_ports(vec![port("a", 23456, 0, ""), port("b", 23457, 9000, "")]);
    let config = TaskConfig {
        network_mode: NetworkMode::Host,
        ..Default::default()
    };
    assert_eq!(publishing(&config, &task).unwrap().specs.len(), 4);
}

#[test]
fn ports_the_cli_cannot_publish_are_refused() {
    let task = task_with_ports(vec![port("low", 1, 0, "")]);
    let config = TaskConfig {
        ports: vec!["low".into()],
        ..Default::default()
    };
    assert!(publishing(&config, &task)
        .unwrap_err()
        .contains("2 to 65535"));
}

#[test]
fn relative_volume_lives_in_the_task_dir_and_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let mount = resolve_volume(&volume("data/db", "/db"), dir.path(), false).unwrap();
    assert_eq!(mount.host_path, dir.path().join("data/db"));
    assert!(mount.host_path.is_dir());
}

#[test]
fn dot_dot_can_never_leave_the_task_dir() {
    let dir = tempfile::tempdir().unwrap();
    let task_dir = dir.path().join("task");
    std::fs::create_dir(&task_dir).unwrap();
    for source in ["../escape", "a/../../escape", "../../../../../../etc"] {
        let error = resolve_volume(&volume(source, "/x"), &task_dir, true).unwrap_err();
        assert!(
            error.contains("task directory") || error.contains("root"),
            "{source}: {error}"
        );
    }
}

#[test]
fn symlink_out_of_the_task_dir_is_refused_without_volumes_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let task_dir = dir.path().join("task");
    std::fs::create_dir(&task_dir).unwrap();
    std::os::unix::fs::symlink("/etc", task_dir.join("sneaky")).unwrap();
    let error = resolve_volume(&volume("sneaky", "/x"), &task_dir, false).unwrap_err();
    assert!(error.contains("outside the task directory"), "{error}");
}

#[test]
fn absolute_host_path_needs_volumes_enabled_and_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let task_dir = dir.path().join("task");
    std::fs::create_dir(&task_dir).unwrap();
    let outside = dir.path().to_str().unwrap();

    let refused = resolve_volume(&volume(outside, "/host"), &task_dir, false).unwrap_err();
    assert!(refused.contains("volumes { enabled = true }"), "{refused}");
    assert!(resolve_volume(&volume(outside, "/host"), &task_dir, true).is_ok());
    let missing = resolve_volume(&volume("/no/such/dir", "/x"), &task_dir, true).unwrap_err();
    assert!(missing.contains("does not exist"), "{missing}");
}

#[test]
fn docker_style_entrypoint_list_splits_into_flag_and_leading_args() {
    let config = TaskConfig {
        image: "alpine".into(),
        entrypoint: vec!["/bin/sh".into(), "-c".into()],
        command: Some("echo hi".into()),
        args: vec!["ignored-by-sh".into()],
        ..Default::default()
    };
    let (entrypoint, words) = compose_command(&config);
    assert_eq!(entrypoint.as_deref(), Some("/bin/sh"));
    assert_eq!(words, ["-c", "echo hi", "ignored-by-sh"]);
}

#[test]
fn args_alone_replace_the_image_cmd() {
    let config = TaskConfig {
        image: "alpine".into(),
        args: vec!["a".into()],
        ..Default::default()
    };
    assert_eq!(compose_command(&config), (None, vec!["a".to_string()]));
}

#[test]
fn the_private_state_dir_and_the_task_dir_itself_cannot_be_mounted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("private/container")).unwrap();
    for source in ["private", "private/container", ".", "local/.."] {
        let error = resolve_volume(&volume(source, "/x"), dir.path(), true).unwrap_err();
        assert!(error.contains("cannot be mounted"), "{source}: {error}");
    }
}

#[test]
fn nothing_is_created_through_a_symlink_leading_out() {
    let dir = tempfile::tempdir().unwrap();
    let task_dir = dir.path().join("task");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(task_dir.join("local")).unwrap();
    std::fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, task_dir.join("local/evil")).unwrap();

    let error =
        resolve_volume(&volume("local/evil/made-by-job", "/x"), &task_dir, false).unwrap_err();
    assert!(error.contains("outside the task directory"), "{error}");
    assert!(
        !outside.join("made-by-job").exists(),
        "a directory was created outside"
    );
}

#[test]
fn a_symlink_into_private_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("private/container")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("private"), dir.path().join("peek")).unwrap();
    assert!(resolve_volume(&volume("peek", "/x"), dir.path(), false).is_err());
}
