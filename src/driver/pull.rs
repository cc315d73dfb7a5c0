//! Getting a task's image into the local store before `create`: skipped
//! when present (unless `force_pull`), bounded by the pull timeout, progress
//! surfaced as task events, and registry credentials used only for the pull.
//!
//! Apple's CLI keeps one credential per registry host for the whole user, so
//! a login, its pull and the logout after it run under one lock per host,
//! and a task's credentials are always removed again. A login someone else
//! stored for the host is tried first and left alone; only when the registry
//! refuses it are the task's credentials used instead.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::events::{EventBus, EventTarget};
use super::DriverError;
use crate::config::task::RegistryAuth;
use crate::runtime::{credential_host, registry_host, CliError, ContainerCli};

/// How often a progress line becomes a task event, at most.
const PROGRESS_EVENT_EVERY: Duration = Duration::from_secs(5);

/// One lock per registry host, for login + pull + logout, and the one-time
/// sweep of logins a killed plugin left behind.
#[derive(Default)]
pub struct RegistryLocks {
    hosts: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    swept: tokio::sync::OnceCell<()>,
}

impl RegistryLocks {
    fn for_host(&self, host: &str) -> Arc<tokio::sync::Mutex<()>> {
        super::lock(&self.hosts)
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
    // Before this process's first pull: logins a killed plugin made and
    // never removed must not serve any job.
    locks.swept.get_or_init(|| sweep_stale_logins(cli)).await;

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

    let Some(auth) = request.auth else {
        return pull(cli, events, target, &request).await;
    };

    let stored = cli
        .registry_hosts()
        .await
        .map_err(DriverError::cli("listing registry logins"))?;
    let already_stored = stored
        .iter()
        .any(|known| known == credential_host(&host) || known == &host);

    if already_stored {
        // Someone's login for this host exists: try it first and leave it be.
        match pull(cli, events, target, &request).await {
            Err(error) if is_auth_refusal(&error) => {
                tracing::warn!(
                    host = %host,
                    "the stored registry login was refused; using the task's credentials \
                     (the refused login is replaced and then removed)"
                );
            }
            other => return other,
        }
    }
    pull_logged_in(cli, events, target, &request, &host, auth).await
}

/// Logs in with the task's credentials, pulls, and logs out again so they
/// are not left for other tasks.
async fn pull_logged_in(
    cli: &ContainerCli,
    events: &EventBus,
    target: &EventTarget,
    request: &PullRequest<'_>,
    host: &str,
    auth: &RegistryAuth,
) -> Result<(), DriverError> {
    // The marker outlives us if we are killed mid-pull; see the sweep.
    let marker = login_marker(host);
    write_marker(&marker, host);
    let logged_in = cli
        .registry_login(host, &auth.username, &auth.password)
        .await;
    let pulled = match logged_in {
        Ok(()) => pull(cli, events, target, request).await,
        Err(error) => Err(DriverError::from_cli(
            format!("logging in to {host}"),
            error,
        )),
    };
    match cli.registry_logout(host).await {
        Ok(()) => {
            let _ = std::fs::remove_file(&marker);
        }
        Err(error) => {
            tracing::warn!(
                host = %host,
                error = %error,
                "removing the task's registry login failed",
            )
        }
    }
    pulled
}

fn marker_dir() -> PathBuf {
    super::state::runtime_dir().join("registry-logins")
}

fn login_marker(host: &str) -> PathBuf {
    // Hex of the host: one file per host, whatever characters it holds.
    let name: String = host.bytes().map(|byte| format!("{byte:02x}")).collect();
    marker_dir().join(name)
}

/// The marker holds the host and our pid: a marker whose process still
/// runs belongs to a pull in progress, not to a crash.
fn write_marker(path: &Path, host: &str) {
    use std::os::unix::fs::DirBuilderExt;
    let created = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(marker_dir());
    let contents = format!("{host}\n{}\n", std::process::id());
    if let Err(error) = created.and_then(|()| std::fs::write(path, contents)) {
        tracing::warn!(path = %path.display(), error = %error, "cannot record a registry login");
    }
}

/// Logs out of every host whose login marker a dead plugin process left.
async fn sweep_stale_logins(cli: &ContainerCli) {
    let Ok(entries) = std::fs::read_dir(marker_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(contents) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let mut lines = contents.lines();
        let host = lines.next().unwrap_or_default().trim().to_string();
        let writer: Option<i32> = lines.next().and_then(|pid| pid.trim().parse().ok());
        // SAFETY: signal 0 only checks that the process exists.
        if writer.is_some_and(|pid| unsafe { libc::kill(pid, 0) } == 0) {
            continue;
        }
        tracing::warn!(host = %host, "removing a registry login a killed plugin left behind");
        if host.is_empty() || cli.registry_logout(&host).await.is_ok() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether a pull failed because the registry refused the credentials.
fn is_auth_refusal(error: &DriverError) -> bool {
    let text = error.to_string();
    [
        "failed with response: 401",
        "failed with response: 403",
        "access denied",
    ]
    .iter()
    .any(|needle| text.contains(needle))
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
