//! Every doctor check's branches, driven through a fake host. Apple's CLI is
//! played by a small shell script, so the real runtime wrapper reads it.

use std::path::{Path, PathBuf};

use super::*;
use crate::installer::host::fake::FakeHost;

fn status_of(report: &Report, id: &str) -> Status {
    report
        .check(id)
        .unwrap_or_else(|| panic!("no {id} check"))
        .status
}

/// A `container` script answering `--version` and `system status`.
fn fake_container_cli(
    dir: &Path,
    version_line: &str,
    status_json: &str,
    status_exit: i32,
) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("container");
    let script = format!(
        "#!/bin/sh\ncase \"$1\" in\n  --version) echo '{version_line}' ;;\n  \
         system) echo '{status_json}'; exit {status_exit} ;;\n  *) exit 64 ;;\nesac\n"
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

const VERSION_1_2_2: &str = "container CLI version 1.2.2 (build: release, commit: 0190097)";

fn running_status(app_root: &Path) -> String {
    format!(
        concat!(
            r#"{{"apiServerVersion":"container-apiserver version 1.2.2","#,
            r#""appRoot":"{}/","status":"running"}}"#
        ),
        app_root.display()
    )
}

// --- the Mac itself -------------------------------------------------------

#[test]
fn linux_says_so_plainly_and_skips_the_mac_only_checks() {
    let report = run_checks(&FakeHost::linux(), &DoctorOptions::default());
    let macos = report.check("macos_version").unwrap();
    assert_eq!(macos.status, Status::Fail);
    assert!(
        macos.found.contains("runs Linux, not macOS"),
        "{}",
        macos.found
    );
    for mac_only in ["apple_silicon", "rosetta", "service_user"] {
        assert!(report.check(mac_only).is_none(), "{mac_only} ran on Linux");
    }
    assert!(
        report.check("nomad_version").is_some(),
        "Nomad is checked anywhere"
    );
    assert!(report.has_failures());
}

#[test]
fn macos_older_than_26_fails_and_26_passes() {
    let mut host = FakeHost::mac();
    host.macos_version = Some("15.6.1".into());
    let check = host_checks::macos_version(&host);
    assert_eq!(check.status, Status::Fail);
    assert!(check.found.contains("15.6.1"));

    host.macos_version = Some("26.0".into());
    assert_eq!(host_checks::macos_version(&host).status, Status::Ok);
}

#[test]
fn intel_fails_apple_silicon_passes_and_unknown_warns() {
    let mut host = FakeHost::mac();
    assert_eq!(host_checks::apple_silicon(&host).status, Status::Ok);
    host.apple_silicon = Some(false);
    assert_eq!(host_checks::apple_silicon(&host).status, Status::Fail);
    host.apple_silicon = None;
    assert_eq!(host_checks::apple_silicon(&host).status, Status::Warn);
}

#[test]
fn missing_rosetta_only_warns() {
    let mut host = FakeHost::mac();
    assert_eq!(host_checks::rosetta(&host).status, Status::Ok);
    host.rosetta = false;
    let check = host_checks::rosetta(&host);
    assert_eq!(check.status, Status::Warn);
    assert!(check
        .fix
        .unwrap()
        .contains("softwareupdate --install-rosetta"));
}

// --- Apple's container platform ------------------------------------------

#[test]
fn a_missing_cli_fails_with_the_install_fix() {
    let check = container::check_cli(&FakeHost::mac(), None);
    assert_eq!(check.check.status, Status::Fail);
    assert!(check
        .check
        .fix
        .unwrap()
        .contains("apple/container/releases"));
    assert!(check.found.is_none());
}

#[test]
fn the_cli_version_is_reported_and_0_x_fails() {
    let dir = tempfile::tempdir().unwrap();
    let cli = fake_container_cli(dir.path(), VERSION_1_2_2, "{}", 0);
    let check = container::check_cli(&FakeHost::mac(), Some(&cli));
    assert_eq!(check.check.status, Status::Ok);
    assert!(check.check.found.contains("1.2.2"));

    let old = fake_container_cli(
        dir.path(),
        "container CLI version 0.12.3 (build: release)",
        "{}",
        0,
    );
    assert_eq!(
        container::check_cli(&FakeHost::mac(), Some(&old))
            .check
            .status,
        Status::Fail
    );

    let garbled = fake_container_cli(dir.path(), "container CLI version unknown", "{}", 0);
    let check = container::check_cli(&FakeHost::mac(), Some(&garbled)).check;
    assert_eq!(check.status, Status::Fail);
    assert!(
        check.found.contains("no readable version"),
        "{}",
        check.found
    );

    let mute = fake_container_cli(dir.path(), "", "{}", 0);
    let check = container::check_cli(&FakeHost::mac(), Some(&mute)).check;
    assert_eq!(check.status, Status::Fail);
    assert!(check.found.contains("--version"), "{}", check.found);
}

#[test]
fn a_stopped_service_fails_with_system_start() {
    let dir = tempfile::tempdir().unwrap();
    let down = r#"{"appRoot":"","status":"not running"}"#;
    let cli = fake_container_cli(dir.path(), VERSION_1_2_2, down, 1);
    let (check, app_root) = container::check_service(&crate::runtime::ContainerCli::new(cli));
    assert_eq!(check.status, Status::Fail);
    assert!(check.fix.unwrap().contains("container system start"));
    assert_eq!(app_root, None);

    let running = running_status(dir.path());
    let cli = fake_container_cli(dir.path(), VERSION_1_2_2, &running, 0);
    let (check, app_root) = container::check_service(&crate::runtime::ContainerCli::new(cli));
    assert_eq!(check.status, Status::Ok);
    assert_eq!(
        app_root.as_deref(),
        Some(Path::new(&format!("{}/", dir.path().display())))
    );
}

#[test]
fn the_default_kernel_must_exist_under_the_app_root() {
    let app_root = tempfile::tempdir().unwrap();
    let check = container::check_kernel(Some(app_root.path()));
    assert_eq!(check.status, Status::Fail);
    assert!(check
        .fix
        .unwrap()
        .contains("container system kernel set --recommended"));

    std::fs::create_dir_all(app_root.path().join("kernels")).unwrap();
    std::fs::write(app_root.path().join("kernels/default.kernel-arm64"), b"").unwrap();
    assert_eq!(
        container::check_kernel(Some(app_root.path())).status,
        Status::Ok
    );
    assert_eq!(container::check_kernel(None).status, Status::Warn);
}

#[test]
fn config_toml_defaults_are_read_and_bad_values_warn() {
    let home = tempfile::tempdir().unwrap();
    let mut host = FakeHost::mac();
    host.home = Some(home.path().to_path_buf());
    let check = container::check_defaults(&host);
    assert_eq!(check.status, Status::Ok);
    assert!(check.found.contains("Apple's defaults"), "{}", check.found);

    let dir = home.path().join(".config/container");
    std::fs::create_dir_all(&dir).unwrap();
    let toml = "# mine\n[container]\ncpus = 8\nmemory = \"4g\"\n\n\
                [kernel]\nbinaryPath = \"opt/kata/vmlinux\"\n";
    std::fs::write(dir.join("config.toml"), toml).unwrap();
    let check = container::check_defaults(&host);
    assert_eq!(check.status, Status::Ok);
    assert!(check.found.contains("cpus 8, memory 4g"), "{}", check.found);
    assert!(
        check.found.contains("binaryPath = \"opt/kata/vmlinux\""),
        "{}",
        check.found
    );

    std::fs::write(dir.join("config.toml"), "[container]\ncpus = \"many\"\n").unwrap();
    let check = container::check_defaults(&host);
    assert_eq!(check.status, Status::Warn);
    assert!(check.found.contains("cpus = \"many\""), "{}", check.found);

    std::fs::write(dir.join("config.toml"), "[container\n").unwrap();
    assert_eq!(container::check_defaults(&host).status, Status::Warn);
}

// --- Nomad ----------------------------------------------------------------

#[test]
fn nomad_must_be_found_and_at_least_1_8() {
    let host = FakeHost::mac();
    assert_eq!(nomad::check_nomad_version(&host).status, Status::Fail);

    let host = host.with_program("nomad", "/opt/homebrew/bin/nomad");
    let old = host
        .clone()
        .with_output("/opt/homebrew/bin/nomad version", 0, "Nomad v1.7.7\n");
    let check = nomad::check_nomad_version(&old);
    assert_eq!(check.status, Status::Fail);
    assert!(check.found.contains("1.8 or newer"));

    let new = host
        .clone()
        .with_output("/opt/homebrew/bin/nomad version", 0, "Nomad v1.9.3\n");
    assert_eq!(nomad::check_nomad_version(&new).status, Status::Ok);

    let odd = host.with_output("/opt/homebrew/bin/nomad version", 0, "something else\n");
    assert_eq!(nomad::check_nomad_version(&odd).status, Status::Warn);
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_client_config_needs_a_plugin_block_that_decodes() {
    let dir = tempfile::tempdir().unwrap();
    let host = FakeHost::mac();

    let lookup = nomad::find_client_config(&host, Some(&dir.path().join("absent.hcl")));
    assert_eq!(lookup.check.status, Status::Fail);
    assert!(lookup.check.found.contains("no Nomad client config"));

    let bare = write(dir.path(), "bare.hcl", "client { enabled = true }\n");
    let lookup = nomad::find_client_config(&host, Some(&bare));
    assert_eq!(lookup.check.status, Status::Fail);
    assert!(lookup.check.fix.unwrap().contains("setup --client-config"));

    let bad =
        "plugin \"nomad-driver-container\" {\n  config {\n    gc { container = \"yes\" }\n  }\n}\n";
    let bad = write(dir.path(), "bad.hcl", bad);
    let lookup = nomad::find_client_config(&host, Some(&bad));
    assert_eq!(lookup.check.status, Status::Fail);
    assert!(
        lookup.check.found.contains("gc.container"),
        "{}",
        lookup.check.found
    );

    let good = "plugin \"nomad-driver-container\" {\n  config {\n    \
                container_path = \"/x/container\"\n  }\n}\n";
    let good = write(dir.path(), "good.hcl", good);
    let lookup = nomad::find_client_config(&host, Some(&good));
    assert_eq!(lookup.check.status, Status::Ok);
    assert_eq!(lookup.container_path(), Some(PathBuf::from("/x/container")));
}

#[test]
fn the_plugin_in_plugin_dir_must_be_this_version() {
    let dir = tempfile::tempdir().unwrap();
    let plugin_dir = dir.path().join("plugins");
    std::fs::create_dir_all(&plugin_dir).unwrap();
    let config = format!(
        "plugin_dir = \"{}\"\nplugin \"nomad-driver-container\" {{}}\n",
        plugin_dir.display()
    );
    let config = write(dir.path(), "client.hcl", &config);
    let installed = plugin_dir.join("nomad-driver-container");
    let mut host = FakeHost::mac();
    host.exe = dir.path().join("this-binary");
    std::fs::write(&host.exe, b"this").unwrap();
    let lookup = nomad::find_client_config(&host, Some(&config));

    let check = nomad::check_plugin_binary(&host, &lookup);
    assert_eq!(check.status, Status::Fail);
    assert!(check.fix.unwrap().contains("install --plugin-dir"));

    std::fs::write(&installed, b"other").unwrap();
    let command = format!("{} version", installed.display());
    let old = host
        .clone()
        .with_output(&command, 0, "nomad-driver-container 0.0.9\n");
    let check = nomad::check_plugin_binary(&old, &lookup);
    assert_eq!(check.status, Status::Fail);
    assert!(check.found.contains("0.0.9"), "{}", check.found);

    let same = format!(
        "nomad-driver-container {}\ngit commit: x\n",
        crate::PLUGIN_VERSION
    );
    let current = host.clone().with_output(&command, 0, &same);
    assert_eq!(
        nomad::check_plugin_binary(&current, &lookup).status,
        Status::Ok
    );

    std::fs::remove_file(&installed).unwrap();
    std::os::unix::fs::symlink(&host.exe, &installed).unwrap();
    let check = nomad::check_plugin_binary(&host, &lookup);
    assert_eq!(check.status, Status::Ok);
    assert!(check.found.contains("is this binary"));
}

#[test]
fn nomad_and_the_container_services_must_run_as_the_same_user() {
    let nomad = "/opt/homebrew/bin/nomad agent -config=/opt/homebrew/etc/nomad.d";
    let apiserver = "/usr/local/libexec/container/apiserver/bin/container-apiserver start";

    let nobody = FakeHost::mac().with_process("ana", apiserver);
    assert_eq!(nomad::check_service_users(&nobody).status, Status::Warn);

    let no_services = FakeHost::mac().with_process("ana", nomad);
    assert_eq!(
        nomad::check_service_users(&no_services).status,
        Status::Warn
    );

    let trap = FakeHost::mac()
        .with_process("root", nomad)
        .with_process("ana", apiserver);
    let check = nomad::check_service_users(&trap);
    assert_eq!(check.status, Status::Fail);
    assert!(
        check.found.contains("Nomad runs as root"),
        "{}",
        check.found
    );
    assert!(check.fix.unwrap().contains("run the Nomad client as ana"));

    let same = FakeHost::mac()
        .with_process("ana", nomad)
        .with_process("ana", apiserver);
    assert_eq!(nomad::check_service_users(&same).status, Status::Ok);
}

// --- the whole report -----------------------------------------------------

#[test]
fn a_healthy_mac_passes_and_the_json_names_every_check() {
    let dir = tempfile::tempdir().unwrap();
    let app_root = dir.path().join("app");
    std::fs::create_dir_all(app_root.join("kernels")).unwrap();
    std::fs::write(app_root.join("kernels/default.kernel-arm64"), b"").unwrap();
    let cli = fake_container_cli(dir.path(), VERSION_1_2_2, &running_status(&app_root), 0);

    let plugin_dir = dir.path().join("plugins");
    std::fs::create_dir_all(&plugin_dir).unwrap();
    let exe = dir.path().join("nomad-driver-container");
    std::fs::write(&exe, b"me").unwrap();
    std::os::unix::fs::symlink(&exe, plugin_dir.join("nomad-driver-container")).unwrap();
    let config = format!(
        "plugin_dir = \"{}\"\nplugin \"nomad-driver-container\" {{\n  config {{\n    \
         container_path = \"{}\"\n  }}\n}}\n",
        plugin_dir.display(),
        cli.display()
    );
    let config = write(dir.path(), "client.hcl", &config);

    let nomad = format!("/opt/homebrew/bin/nomad agent -config={}", config.display());
    let mut host = FakeHost::mac()
        .with_process("ana", &nomad)
        .with_process("ana", "/usr/local/libexec/container-apiserver")
        .with_output("/opt/homebrew/bin/nomad version", 0, "Nomad v1.10.2\n");
    host.exe = exe;
    host.home = Some(dir.path().to_path_buf());

    let report = run_checks(&host, &DoctorOptions::default());
    for check in &report.checks {
        assert_eq!(check.status, Status::Ok, "{check:?}");
    }
    assert!(!report.has_failures());

    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let ids: Vec<&str> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|check| check["id"].as_str().unwrap())
        .collect();
    for id in [
        "macos_version",
        "apple_silicon",
        "container_cli",
        "container_service",
        "default_kernel",
        "container_defaults",
        "rosetta",
        "nomad_version",
        "client_config",
        "plugin_binary",
        "service_user",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert_eq!(json["checks"][0]["status"], "ok");
}

#[test]
fn the_text_report_shows_each_fix_under_its_check() {
    let report = run_checks(&FakeHost::linux(), &DoctorOptions::default());
    let text = report.to_text();
    assert!(text.contains("FAIL  macOS version"), "{text}");
    assert!(text.contains("fix: run the driver on a Mac"), "{text}");
    assert!(text.contains("check(s) failed"), "{text}");
    assert_eq!(status_of(&report, "macos_version"), Status::Fail);
}
