//! self-update against a local server on 127.0.0.1 that plays GitHub's
//! releases API and serves the assets. No test reaches the internet.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use sha2::Digest;

use super::*;

const TARGET: &str = "aarch64-apple-darwin";

/// A tiny HTTP/1.1 server: GET path (query ignored) → body, else 404. It
/// records each requested path.
struct ReleasesServer {
    base_url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl ReleasesServer {
    /// Serves the routes `routes_for(base_url)` builds, so asset URLs can
    /// point back at this server.
    fn start(routes_for: impl FnOnce(&str) -> HashMap<String, Vec<u8>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let routes = routes_for(&base_url);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                // Headers end at the first empty line; GET has no body.
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|read| read > 2) {
                    header.clear();
                }
                let target = request_line.split_whitespace().nth(1).unwrap_or("/");
                let path = target.split('?').next().unwrap_or(target).to_string();
                seen.lock().unwrap().push(path.clone());
                let (status, body) = match routes.get(&path) {
                    Some(body) => ("200 OK", body.clone()),
                    None => ("404 Not Found", b"{\"message\":\"Not Found\"}".to_vec()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: \
                     application/json\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        Self { base_url, requests }
    }

    fn downloaded(&self, name: &str) -> bool {
        let wanted = format!("/assets/{name}");
        self.requests.lock().unwrap().contains(&wanted)
    }
}

/// A stand-in for a release's binary: a script whose `version` says it is
/// `version`.
fn binary_of(version: &str) -> Vec<u8> {
    format!("#!/bin/sh\necho \"{PLUGIN_LABEL} {version}\"\n").into_bytes()
}

/// A release tarball holding `nomad-driver-container` with `content`.
fn tarball(content: &[u8]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o755);
    header.set_cksum();
    builder
        .append_data(&mut header, PLUGIN_LABEL, content)
        .unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

fn sha256_of(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Routes for a repository whose newest release is `version`, whose
/// tarball holds `content`, and whose checksum file says `published_sha`.
fn releases(
    base: &str,
    version: &str,
    content: &[u8],
    published_sha: Option<String>,
) -> HashMap<String, Vec<u8>> {
    let archive = tarball(content);
    let name = tarball_name(version, TARGET);
    let sha = published_sha.unwrap_or_else(|| sha256_of(&archive));
    let asset = |asset_name: &str| {
        format!(
            r#"{{"name":"{asset_name}","url":"{base}/assets/{asset_name}",
                "browser_download_url":"{base}/download/{asset_name}"}}"#
        )
    };
    let body = format!(
        r#"[{{"tag_name":"v{version}","name":"v{version}","created_at":"2026-11-01T00:00:00Z",
             "assets":[{},{}]}},
            {{"tag_name":"v0.0.1","name":"v0.0.1",
              "created_at":"2026-01-01T00:00:00Z","assets":[]}}]"#,
        asset(&name),
        asset(&format!("{name}.sha256"))
    );
    HashMap::from([
        ("/repos/acme/ndc/releases".to_string(), body.into_bytes()),
        (format!("/assets/{name}"), archive),
        (
            format!("/assets/{name}.sha256"),
            format!("{sha}  {name}\n").into_bytes(),
        ),
    ])
}

fn serve(version: &str, content: &[u8], published_sha: Option<String>) -> ReleasesServer {
    ReleasesServer::start(|base| releases(base, version, content, published_sha))
}

fn options(server: &ReleasesServer, exe: &Path, check_only: bool) -> UpdateOptions {
    UpdateOptions {
        api_url: server.base_url.clone(),
        repository: "acme/ndc".into(),
        check_only,
        exe: exe.to_path_buf(),
        current_version: "0.1.0".into(),
        target: TARGET.into(),
    }
}

fn installed_binary(dir: &Path) -> PathBuf {
    let exe = dir.join(PLUGIN_LABEL);
    std::fs::write(&exe, b"old binary").unwrap();
    exe
}

#[test]
fn a_newer_release_replaces_the_binary_after_its_checksum_matches() {
    let new_binary = binary_of("0.2.0");
    let server = serve("0.2.0", &new_binary, None);
    let dir = tempfile::tempdir().unwrap();
    let exe = installed_binary(dir.path());

    let outcome = run(&options(&server, &exe, false)).unwrap();
    assert_eq!(
        outcome,
        UpdateOutcome::Updated {
            from: "0.1.0".into(),
            to: "0.2.0".into(),
            exe: exe.canonicalize().unwrap(),
        }
    );
    assert_eq!(std::fs::read(&exe).unwrap(), new_binary);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&exe).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755);
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 1, "the staging directory is gone");
}

#[test]
fn the_same_version_is_up_to_date_and_downloads_nothing() {
    let server = serve("0.1.0", b"same", None);
    let dir = tempfile::tempdir().unwrap();
    let exe = installed_binary(dir.path());

    let outcome = run(&options(&server, &exe, false)).unwrap();
    assert_eq!(
        outcome,
        UpdateOutcome::UpToDate {
            current: "0.1.0".into()
        }
    );
    assert_eq!(std::fs::read(&exe).unwrap(), b"old binary");
    assert!(!server.downloaded(&tarball_name("0.1.0", TARGET)));
}

#[test]
fn check_only_reports_a_newer_release_without_downloading() {
    let server = serve("0.3.0", b"newer", None);
    let dir = tempfile::tempdir().unwrap();
    let exe = installed_binary(dir.path());

    let outcome = run(&options(&server, &exe, true)).unwrap();
    assert_eq!(
        outcome,
        UpdateOutcome::Available {
            current: "0.1.0".into(),
            latest: "0.3.0".into()
        }
    );
    assert_eq!(std::fs::read(&exe).unwrap(), b"old binary");
    assert!(!server.downloaded(&tarball_name("0.3.0", TARGET)));
}

#[test]
fn a_checksum_mismatch_replaces_nothing() {
    let wrong = "0".repeat(64);
    let server = serve("0.2.0", b"tampered", Some(wrong.clone()));
    let dir = tempfile::tempdir().unwrap();
    let exe = installed_binary(dir.path());

    let error = run(&options(&server, &exe, false)).unwrap_err();
    match &error {
        UpdateError::ChecksumMismatch { expected, .. } => assert_eq!(*expected, wrong),
        other => panic!("expected a checksum mismatch, got {other}"),
    }
    assert!(server.downloaded(&tarball_name("0.2.0", TARGET)));
    assert_eq!(std::fs::read(&exe).unwrap(), b"old binary");
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 1, "the staging directory is gone");
}

#[test]
fn a_homebrew_install_is_refused_with_brew_upgrade() {
    let server = serve("0.2.0", b"new", None);
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("Cellar/nomad-driver-container/0.1.0/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let exe = installed_binary(&bin);

    let error = run(&options(&server, &exe, false)).unwrap_err();
    assert!(
        matches!(error, UpdateError::HomebrewManaged { .. }),
        "{error}"
    );
    assert!(error
        .to_string()
        .contains("brew upgrade nomad-driver-container"));
    assert_eq!(std::fs::read(&exe).unwrap(), b"old binary");
    assert!(
        server.requests.lock().unwrap().is_empty(),
        "a refused update asks no server"
    );
}

#[test]
fn a_release_without_this_targets_tarball_is_a_clear_error() {
    let server = serve("0.2.0", b"new", None);
    let dir = tempfile::tempdir().unwrap();
    let exe = installed_binary(dir.path());
    let mut other_target = options(&server, &exe, false);
    other_target.target = "riscv64gc-unknown-linux-gnu".into();

    let error = run(&other_target).unwrap_err().to_string();
    assert!(error.contains("has no asset"), "{error}");
    assert!(error.contains("riscv64gc"), "{error}");
}

#[test]
fn a_release_whose_binary_is_empty_or_another_version_replaces_nothing() {
    for (content, reason) in [
        (Vec::new(), "it is empty"),
        (binary_of("0.1.9"), "not version 0.2.0"),
        (b"\0\0\0\0 not a program".to_vec(), "does not run"),
    ] {
        let server = serve("0.2.0", &content, None);
        let dir = tempfile::tempdir().unwrap();
        let exe = installed_binary(dir.path());

        let error = run(&options(&server, &exe, false)).unwrap_err().to_string();
        assert!(error.contains(reason), "{error}");
        assert!(error.contains("nothing replaced"), "{error}");
        assert_eq!(std::fs::read(&exe).unwrap(), b"old binary");
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "the staging directory is gone");
    }
}
