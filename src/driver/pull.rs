//! Getting a task's image into the local store before `create`: skipped
//! when present (unless `force_pull`), bounded by the pull timeout, progress
//! surfaced as task events, and registry credentials used only for the pull.
//!
//! Apple's CLI keeps one credential per registry host for the whole user, so
//! a login, its pull and the logout after it run under one lock per host,
//! and a task's credentials are removed again unless that host already had
//! credentials before (someone else's, which we leave alone).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::events::{EventBus, EventTarget};
use super::DriverError;
use crate::config::task::RegistryAuth;
use crate::runtime::{credential_host, registry_host, CliError, ContainerCli};

/// How often a progress line becomes a task event, at most.
const PROGRESS_EVENT_EVERY: Duration = Duration::from_secs(5);

/// One lock per registry host, for login + pull + logout.
#[derive(Default)]
pub struct RegistryLocks(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl RegistryLocks {
    fn for_host(&self, host: &str) -> Arc<tokio::sync::Mutex<()>> {
        super::lock(&self.0)
            .entry(host.to_string())
            .or_default()
            .clone()
    }
}

pub struct PullRequest<'a> {
    pub image: &'a str,
    pub platform: Option<&'a str>,
    pub force: bool,
    pub auth: Option<&'a RegistryAuth>,
    pub timeout: Duration,
}

pub async fn ensure_image(
    cli: &ContainerCli,
    locks: &RegistryLocks,
    events: &EventBus,
    target: &EventTarget,
    request: PullRequest<'_>,
) -> Result<(), DriverError> {
    if !request.force {
        let present = cli
            .image_exists(request.image)
            .await
            .map_err(DriverError::cli("looking up the image"))?;
        if present {
            return Ok(());
        }
    }

    let host = request
        .auth
        .and_then(|auth| auth.server_address.clone())
        .unwrap_or_else(|| registry_host(request.image));
    let lock = locks.for_host(credential_host(&host));
    let _held = lock.lock().await;

    let logged_in = match request.auth {
        Some(auth) => login(cli, &host, auth).await?,
        None => false,
    };
    let pulled = pull(cli, events, target, &request).await;
    if logged_in {
        if let Err(error) = cli.registry_logout(&host).await {
            tracing::warn!(host = %host, error = %error, "removing the task's registry login failed");
        }
    }
    pulled
}

/// Logs in unless the host already has credentials; returns whether we did.
async fn login(cli: &ContainerCli, host: &str, auth: &RegistryAuth) -> Result<bool, DriverError> {
    let stored = cli
        .registry_hosts()
        .await
        .map_err(DriverError::cli("listing registry logins"))?;
    if stored
        .iter()
        .any(|known| known == credential_host(host) || known == host)
    {
        tracing::debug!(host, "registry already has stored credentials; using them");
        return Ok(false);
    }
    cli.registry_login(host, &auth.username, &auth.password)
        .await
        .map_err(DriverError::cli("logging in to the registry"))?;
    Ok(true)
}

async fn pull(
    cli: &ContainerCli,
    events: &EventBus,
    target: &EventTarget,
    request: &PullRequest<'_>,
) -> Result<(), DriverError> {
    let image = request.image;
    events.emit(
        target,
        format!("Downloading image {image}"),
        &[("image", image.to_string())],
    );
    let started = Instant::now();
    let mut last_event = Instant::now();
    let progress = |line: &str| {
        if !line.is_empty() && last_event.elapsed() >= PROGRESS_EVENT_EVERY {
            last_event = Instant::now();
            events.emit(target, format!("Downloading image {image}: {line}"), &[]);
        }
    };

    match cli
        .image_pull(image, request.platform, request.timeout, progress)
        .await
    {
        Ok(()) => {
            let seconds = started.elapsed().as_secs_f32();
            events.emit(
                target,
                format!("Downloaded image {image} in {seconds:.1}s"),
                &[],
            );
            Ok(())
        }
        Err(CliError::TimedOut { after, .. }) => Err(DriverError::Retryable(format!(
            "pulling image {image} did not finish within the image_pull_timeout of {after:?}"
        ))),
        Err(error) => Err(DriverError::from_cli(
            format!("pulling image {image}"),
            error,
        )),
    }
}
