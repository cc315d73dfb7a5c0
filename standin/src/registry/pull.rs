//! Fetching an image from the fixture registry into the local store, with
//! the failures a real registry produces: 401 without (or with wrong)
//! credentials, 404 for a missing tag, and an unresolvable host.

use super::fixtures::{self, FixtureImage};
use super::reference::{InvalidReference, Reference};
use super::{credentials, images};
use crate::knobs::Knobs;
use crate::model::image::ImageRecord;
use crate::store::Store;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PullError {
    #[error(transparent)]
    Reference(#[from] InvalidReference),
    #[error("failed to resolve either repository hostname {0}")]
    Unresolvable(String),
    #[error(
        "HTTP request to {url} failed with response: 401 Unauthorized. Reason: Unknown, \
         no credentials found for host {host}"
    )]
    NoCredentials { url: String, host: String },
    #[error(
        "HTTP request to {0} failed with response: 401 Unauthorized. \
         Reason: access denied or wrong credentials"
    )]
    WrongCredentials(String),
    #[error(
        "HTTP request to {0} failed with response: 404 Not Found. Reason: \
         {{\"errors\":[{{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}}]}}"
    )]
    NotFound(String),
    #[error("failed to save image: {0}")]
    Store(String),
}

/// The local image for `text`, pulled first when the store lacks it.
pub fn ensure_local(
    store: &Store,
    knobs: &Knobs,
    text: &str,
    progress: bool,
) -> Result<ImageRecord, PullError> {
    let reference = Reference::parse(text)?;
    match images::find(store, &reference) {
        Some(record) => Ok(record),
        None => pull(store, knobs, &reference, progress),
    }
}

pub fn pull(
    store: &Store,
    knobs: &Knobs,
    reference: &Reference,
    progress: bool,
) -> Result<ImageRecord, PullError> {
    let catalogue = fixtures::catalogue(&store.registry_dir());
    let image = resolve(store, knobs, &catalogue, reference)?;

    if progress {
        eprintln!("Fetching image {} 100% (1 of 1 blobs)", reference.full());
        eprintln!("Unpacking image {} 100%", reference.full());
    }
    let record = ImageRecord {
        reference: reference.full(),
        digest: fixtures::fake_digest(&reference.full()),
        size: 9218,
        created: image.created.clone(),
        config: image.config.clone(),
    };
    images::save(store, &record).map_err(|error| PullError::Store(format!("{error:#}")))?;
    Ok(record)
}

/// Finds the fixture and checks the stored credentials the way a registry
/// answers: authentication is decided before the manifest lookup.
fn resolve<'a>(
    store: &Store,
    knobs: &Knobs,
    catalogue: &'a [FixtureImage],
    reference: &Reference,
) -> Result<&'a FixtureImage, PullError> {
    let api_host = reference.api_host();
    if knobs.registry_unreachable || !fixtures::known_api_hosts(catalogue).contains(&api_host) {
        return Err(PullError::Unresolvable(api_host));
    }

    let url = reference.manifest_url();
    let same_repository = catalogue.iter().filter(|image| {
        image.reference.host == reference.host && image.reference.repository == reference.repository
    });
    let repository: Vec<&FixtureImage> = same_repository.collect();
    let private = repository.iter().any(|image| image.credentials.is_some())
        || fixtures::requires_auth_everywhere(&api_host);

    // Docker Hub answers an unknown repository like a private one.
    let hidden = repository.is_empty() && api_host == "registry-1.docker.io";
    if private || hidden {
        check_credentials(store, catalogue, &api_host, &url, hidden)?;
    }

    repository
        .into_iter()
        .find(|image| image.reference == *reference)
        .ok_or(PullError::NotFound(url))
}

fn check_credentials(
    store: &Store,
    catalogue: &[FixtureImage],
    api_host: &str,
    url: &str,
    always_denied: bool,
) -> Result<(), PullError> {
    let Some(stored) = credentials::lookup(store, api_host) else {
        return Err(PullError::NoCredentials {
            url: url.to_string(),
            host: api_host.to_string(),
        });
    };
    let accepted = fixtures::accepted_credentials(catalogue, api_host);
    let valid = accepted
        .iter()
        .any(|known| known.username == stored.username && known.password == stored.password);
    if always_denied || !valid {
        return Err(PullError::WrongCredentials(url.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path());
        store.ensure_layout().unwrap();
        (dir, store)
    }

    fn pull_text(store: &Store, text: &str) -> Result<ImageRecord, PullError> {
        pull(
            store,
            &Knobs::default(),
            &Reference::parse(text).unwrap(),
            false,
        )
    }

    #[test]
    fn public_image_pulls_into_the_store() {
        let (_dir, store) = store();
        let record = pull_text(&store, "alpine:3.20").unwrap();
        assert_eq!(record.reference, "docker.io/library/alpine:3.20");
        assert!(images::find(&store, &Reference::parse("alpine:3.20").unwrap()).is_some());
    }

    #[test]
    fn private_image_needs_stored_credentials() {
        let (_dir, store) = store();
        let error = pull_text(&store, "registry.local.test/private/app:1").unwrap_err();
        assert_eq!(
            error.to_string(),
            "HTTP request to https://registry.local.test/v2/private/app/manifests/1 failed with \
             response: 401 Unauthorized. Reason: Unknown, no credentials found for host \
             registry.local.test"
        );

        credentials::save(&store, "registry.local.test", "ci-bot", "wrong").unwrap();
        let wrong = pull_text(&store, "registry.local.test/private/app:1").unwrap_err();
        assert!(matches!(wrong, PullError::WrongCredentials(_)));

        credentials::save(&store, "registry.local.test", "ci-bot", "s3cret-pw").unwrap();
        assert!(pull_text(&store, "registry.local.test/private/app:1").is_ok());
    }

    #[test]
    fn unknown_docker_hub_repository_is_a_401_and_missing_tag_a_404() {
        let (_dir, store) = store();
        let unknown = pull_text(&store, "no-such-image").unwrap_err();
        assert!(matches!(unknown, PullError::NoCredentials { ref host, .. }
            if host == "registry-1.docker.io"));
        let missing_tag = pull_text(&store, "alpine:9.99").unwrap_err();
        assert!(missing_tag
            .to_string()
            .contains("failed with response: 404 Not Found"));
    }

    #[test]
    fn unknown_hosts_and_the_knob_are_unresolvable() {
        let (_dir, store) = store();
        assert_eq!(
            pull_text(&store, "ghcr.example/x/y:1")
                .unwrap_err()
                .to_string(),
            "failed to resolve either repository hostname ghcr.example"
        );
        let knobs = Knobs {
            registry_unreachable: true,
            ..Knobs::default()
        };
        let alpine = Reference::parse("alpine").unwrap();
        let error = pull(&store, &knobs, &alpine, false).unwrap_err();
        assert_eq!(
            error,
            PullError::Unresolvable("registry-1.docker.io".into())
        );
    }
}
