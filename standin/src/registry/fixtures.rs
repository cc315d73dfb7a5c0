//! The images the fixture registry serves: a built-in set, plus any that a
//! test drops as JSON into `<root>/registry/` (format in the README).
//!
//! Images run host binaries: each config's Entrypoint/Cmd names programs
//! that exist on a stock Linux host (`/bin/sh`, `sleep`, `python3`).

use super::reference::{api_host_of, Reference};
use crate::model::image::ImageConfig;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

pub const FIXTURE_USERNAME: &str = "ci-bot";
pub const FIXTURE_PASSWORD: &str = "s3cret-pw";
pub const PRIVATE_HOST: &str = "registry.local.test";
const FIXTURE_CREATED: &str = "2026-07-30T18:02:11Z";
const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone)]
pub struct FixtureImage {
    pub reference: Reference,
    pub config: ImageConfig,
    /// Present for private images: the only credentials that may pull.
    pub credentials: Option<Credentials>,
    pub created: String,
}

/// One entry of a `<root>/registry/*.json` file.
#[derive(Debug, Deserialize)]
struct FixtureFile {
    reference: String,
    #[serde(default)]
    config: ImageConfig,
    #[serde(default)]
    private: bool,
    credentials: Option<Credentials>,
    created: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum FixtureFileContents {
    Many(Vec<FixtureFile>),
    One(Box<FixtureFile>),
}

/// The whole catalogue: built-ins first, then the test's files, so a file
/// can replace a built-in reference.
pub fn catalogue(registry_dir: &Path) -> Vec<FixtureImage> {
    let mut images = builtin();
    for image in from_files(registry_dir) {
        images.retain(|existing| existing.reference != image.reference);
        images.push(image);
    }
    images
}

/// Hosts the fixture registry answers for.
pub fn known_api_hosts(images: &[FixtureImage]) -> Vec<String> {
    let mut hosts: Vec<String> = images
        .iter()
        .map(|image| image.reference.api_host())
        .collect();
    hosts.push(api_host_of(PRIVATE_HOST));
    hosts.sort();
    hosts.dedup();
    hosts
}

/// Credentials a host accepts at login and pull.
pub fn accepted_credentials(images: &[FixtureImage], api_host: &str) -> Vec<Credentials> {
    let mut accepted = vec![fixture_credentials()];
    for image in images
        .iter()
        .filter(|image| image.reference.api_host() == api_host)
    {
        if let Some(credentials) = &image.credentials {
            if !accepted.contains(credentials) {
                accepted.push(credentials.clone());
            }
        }
    }
    accepted
}

/// Hosts where every repository needs credentials, even unknown ones.
pub fn requires_auth_everywhere(api_host: &str) -> bool {
    api_host == PRIVATE_HOST
}

fn fixture_credentials() -> Credentials {
    Credentials {
        username: FIXTURE_USERNAME.into(),
        password: FIXTURE_PASSWORD.into(),
    }
}

fn from_files(dir: &Path) -> Vec<FixtureImage> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();

    let mut images = Vec::new();
    for path in paths {
        let parsed = std::fs::read_to_string(&path)
            .map_err(|error| error.to_string())
            .and_then(|text| {
                serde_json::from_str::<FixtureFileContents>(&text).map_err(|e| e.to_string())
            });
        match parsed {
            Ok(FixtureFileContents::One(file)) => images.extend(fixture_from_file(*file)),
            Ok(FixtureFileContents::Many(files)) => {
                images.extend(files.into_iter().filter_map(fixture_from_file))
            }
            Err(error) => eprintln!("container-standin: ignoring {}: {error}", path.display()),
        }
    }
    images
}

fn fixture_from_file(file: FixtureFile) -> Option<FixtureImage> {
    let reference = Reference::parse(&file.reference).ok()?;
    let credentials = match (file.credentials, file.private) {
        (Some(credentials), _) => Some(credentials),
        (None, true) => Some(fixture_credentials()),
        (None, false) => None,
    };
    Some(FixtureImage {
        reference,
        config: file.config,
        credentials,
        created: file.created.unwrap_or_else(|| FIXTURE_CREATED.to_string()),
    })
}

/// A shell loop that idles until stopped, printing `ready` first; `trap`
/// gives it a graceful reaction to the image's stop signal.
fn service_script(ready: &str, signal: &str, goodbye: &str) -> Vec<String> {
    let script = format!(
        "echo '{ready}'; trap 'echo \"{goodbye}\"; exit 0' {signal}; \
         while :; do sleep 1 & wait $!; done"
    );
    vec!["/bin/sh".into(), "-c".into(), script]
}

fn image(reference: &str, config: ImageConfig, private: bool) -> FixtureImage {
    FixtureImage {
        reference: Reference::parse(reference).expect("built-in references are valid"),
        config,
        credentials: private.then(fixture_credentials),
        created: FIXTURE_CREATED.to_string(),
    }
}

fn env(extra: &[&str]) -> Option<Vec<String>> {
    let mut entries = vec![DEFAULT_PATH.to_string()];
    entries.extend(extra.iter().map(|entry| entry.to_string()));
    Some(entries)
}

fn builtin() -> Vec<FixtureImage> {
    let shell = |cmd: &str| ImageConfig {
        env: env(&[]),
        cmd: Some(vec![cmd.to_string()]),
        ..ImageConfig::default()
    };
    let nginx = ImageConfig {
        env: env(&["NGINX_VERSION=1.27.3"]),
        cmd: Some(service_script(
            "nginx: ready for start up",
            "QUIT",
            "nginx: gracefully shutting down",
        )),
        stop_signal: Some("SIGQUIT".into()),
        labels: Some(BTreeMap::from([("maintainer".into(), "fixture".into())])),
        ..ImageConfig::default()
    };
    let redis = ImageConfig {
        env: env(&["REDIS_VERSION=7.4.1"]),
        cmd: Some(service_script(
            "Ready to accept connections tcp",
            "TERM",
            "Received SIGTERM scheduling shutdown...",
        )),
        working_dir: Some("/data".into()),
        ..ImageConfig::default()
    };
    let python = ImageConfig {
        env: env(&["LANG=C.UTF-8", "PYTHON_VERSION=3.12.8"]),
        cmd: Some(vec!["python3".into()]),
        ..ImageConfig::default()
    };
    let private_app = ImageConfig {
        env: env(&["APP_MODE=fixture"]),
        cmd: Some(service_script(
            "private app 1: serving",
            "TERM",
            "private app: bye",
        )),
        working_dir: Some("/".into()),
        ..ImageConfig::default()
    };

    let mut images = Vec::new();
    for tag in ["latest", "3.20", "3.19"] {
        images.push(image(&format!("alpine:{tag}"), shell("/bin/sh"), false));
    }
    for tag in ["latest", "1.36"] {
        images.push(image(&format!("busybox:{tag}"), shell("sh"), false));
    }
    for tag in ["latest", "1.27", "alpine"] {
        images.push(image(&format!("nginx:{tag}"), nginx.clone(), false));
    }
    for tag in ["latest", "7", "7-alpine"] {
        images.push(image(&format!("redis:{tag}"), redis.clone(), false));
    }
    for tag in ["3.12-alpine", "3.12", "latest"] {
        images.push(image(&format!("python:{tag}"), python.clone(), false));
    }
    for tag in ["1", "latest"] {
        images.push(image(
            &format!("{PRIVATE_HOST}/private/app:{tag}"),
            private_app.clone(),
            true,
        ));
    }
    images
}

/// A stable fake `sha256:` digest derived from `seed` (FNV-1a, four lanes).
pub fn fake_digest(seed: &str) -> String {
    let mut hex = String::from("sha256:");
    for lane in 0u64..4 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ lane.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for byte in seed.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hex.push_str(&format!("{hash:016x}"));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_has_public_and_private_images() {
        let images = catalogue(Path::new("/nonexistent"));
        let find = |text: &str| {
            let reference = Reference::parse(text).unwrap();
            images
                .iter()
                .find(|image| image.reference == reference)
                .cloned()
        };
        assert!(find("alpine:3.20").unwrap().credentials.is_none());
        assert!(find("python:3.12-alpine").is_some());
        assert!(find("registry.local.test/private/app:1")
            .unwrap()
            .credentials
            .is_some());
        assert_eq!(
            find("nginx").unwrap().config.stop_signal.as_deref(),
            Some("SIGQUIT")
        );
    }

    #[test]
    fn registry_files_add_and_replace_images() {
        let dir = tempfile::tempdir().unwrap();
        let file = r#"[{"reference": "alpine", "config": {"Cmd": ["true"]}},
                       {"reference": "example.test/team/tool:2", "private": true}]"#;
        std::fs::write(dir.path().join("extra.json"), file).unwrap();
        let images = catalogue(dir.path());
        let alpine = Reference::parse("alpine").unwrap();
        let replaced = images
            .iter()
            .find(|image| image.reference == alpine)
            .unwrap();
        assert_eq!(replaced.config.cmd, Some(vec!["true".to_string()]));
        assert!(known_api_hosts(&images).contains(&"example.test".to_string()));
    }

    #[test]
    fn digests_are_stable_and_sha256_shaped() {
        let digest = fake_digest("alpine");
        assert_eq!(digest, fake_digest("alpine"));
        assert_ne!(digest, fake_digest("busybox"));
        assert_eq!(digest.len(), "sha256:".len() + 64);
    }
}
