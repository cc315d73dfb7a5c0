//! Image references normalised the way Apple stores them: default registry
//! `docker.io`, `library/` for Docker Hub's official images, tag `latest`.

pub const DEFAULT_REGISTRY: &str = "docker.io";
const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Registry host as written in references (`docker.io`, `ghcr.io:443`).
    pub host: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid reference format: {0}")]
pub struct InvalidReference(pub String);

impl Reference {
    pub fn parse(text: &str) -> Result<Reference, InvalidReference> {
        let invalid = || InvalidReference(text.to_string());
        if text.is_empty() || text.contains(char::is_whitespace) {
            return Err(invalid());
        }

        let (rest, digest) = match text.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest.to_string())),
            None => (text, None),
        };
        let (host, path) = split_host(rest);
        let (repository, tag) = split_tag(path);
        if repository.is_empty() || repository != repository.to_lowercase() {
            return Err(invalid());
        }

        let repository = if host == DEFAULT_REGISTRY && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository.to_string()
        };
        let tag = tag.map(str::to_string);
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".into())
        } else {
            tag
        };
        Ok(Reference {
            host,
            repository,
            tag,
            digest,
        })
    }

    /// `docker.io/library/alpine:latest`.
    pub fn full(&self) -> String {
        let mut text = format!("{}/{}", self.host, self.repository);
        if let Some(tag) = &self.tag {
            text.push(':');
            text.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            text.push('@');
            text.push_str(digest);
        }
        text
    }

    /// The reference as `image list -q` prints it: `alpine:3.20`.
    pub fn display(&self) -> String {
        let full = self.full();
        let without_host = full
            .strip_prefix(&format!("{DEFAULT_REGISTRY}/library/"))
            .or_else(|| full.strip_prefix(&format!("{DEFAULT_REGISTRY}/")))
            .unwrap_or(&full);
        without_host.to_string()
    }

    /// Display name without tag or digest, for the `NAME` column.
    pub fn display_name(&self) -> String {
        let display = self.display();
        let without_digest = display.split('@').next().unwrap_or_default();
        match without_digest.rsplit_once(':') {
            Some((name, tag)) if !tag.contains('/') => name.to_string(),
            _ => without_digest.to_string(),
        }
    }

    /// The host the client talks to; Docker Hub's API lives elsewhere.
    pub fn api_host(&self) -> String {
        api_host_of(&self.host)
    }

    pub fn manifest_url(&self) -> String {
        let selector = self
            .digest
            .clone()
            .or_else(|| self.tag.clone())
            .unwrap_or_default();
        format!(
            "https://{}/v2/{}/manifests/{selector}",
            self.api_host(),
            self.repository
        )
    }
}

pub fn api_host_of(host: &str) -> String {
    if host == DEFAULT_REGISTRY || host == "index.docker.io" {
        DOCKER_HUB_API_HOST.to_string()
    } else {
        host.to_string()
    }
}

/// The first path component is a host when it looks like one.
fn split_host(text: &str) -> (String, &str) {
    match text.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first.to_string(), rest)
        }
        _ => (DEFAULT_REGISTRY.to_string(), text),
    }
}

fn split_tag(path: &str) -> (&str, Option<&str>) {
    match path.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => (repository, Some(tag)),
        _ => (path, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(text: &str) -> String {
        Reference::parse(text).unwrap().full()
    }

    #[test]
    fn official_images_get_registry_library_and_latest() {
        assert_eq!(full("alpine"), "docker.io/library/alpine:latest");
        assert_eq!(full("alpine:3.20"), "docker.io/library/alpine:3.20");
        assert_eq!(
            full("docker.io/library/alpine:3.20"),
            "docker.io/library/alpine:3.20"
        );
    }

    #[test]
    fn user_repositories_and_other_hosts_keep_their_path() {
        assert_eq!(full("grafana/loki"), "docker.io/grafana/loki:latest");
        assert_eq!(full("localhost:5000/app"), "localhost:5000/app:latest");
        assert_eq!(
            full("registry.local.test/private/app:1"),
            "registry.local.test/private/app:1"
        );
    }

    #[test]
    fn display_strips_the_default_registry() {
        let reference = Reference::parse("python:3.12-alpine").unwrap();
        assert_eq!(reference.display(), "python:3.12-alpine");
        assert_eq!(reference.display_name(), "python");
        let private = Reference::parse("registry.local.test/private/app:1").unwrap();
        assert_eq!(private.display_name(), "registry.local.test/private/app");
    }

    #[test]
    fn docker_hub_manifests_live_on_registry_1() {
        let reference = Reference::parse("nope").unwrap();
        assert_eq!(
            reference.manifest_url(),
            "https://registry-1.docker.io/v2/library/nope/manifests/latest"
        );
    }

    #[test]
    fn uppercase_repositories_are_invalid() {
        assert!(Reference::parse("Alpine").is_err());
        assert!(Reference::parse("").is_err());
    }
}
