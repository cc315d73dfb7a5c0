//! `self-update`: replace this binary with the newest GitHub release.
//!
//! The release list comes from GitHub's releases API (self_update, over
//! reqwest with rustls). The tarball for this target is downloaded next to
//! the binary, checked against the release's `.sha256` asset, unpacked, and
//! renamed over the running binary in one step. A Homebrew install is
//! refused: `brew upgrade` owns it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::Digest;

use super::client_config::PLUGIN_LABEL;
use super::install::{homebrew_stable_path, io_error, FileError};

/// GitHub's API; tests and mirrors point elsewhere with `--api-url` or
/// [`API_URL_ENV`].
pub const DEFAULT_API_URL: &str = "https://api.github.com";
pub const API_URL_ENV: &str = "NOMAD_DRIVER_CONTAINER_RELEASES_URL";

/// The repository whose releases carry our tarballs (`owner/name`). No
/// release exists yet; packaging/release.sh publishes to this name, and
/// `--repository` overrides it.
pub const DEFAULT_REPOSITORY: &str = "nomad-driver-container/nomad-driver-container";

/// Time limit for each request and download.
const HTTP_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error(
        "{exe} was installed by Homebrew; update it with `brew upgrade {PLUGIN_LABEL}` \
         (then `nomad-driver-container doctor`)"
    )]
    HomebrewManaged { exe: PathBuf },

    #[error("repository {0:?} is not owner/name")]
    BadRepository(String),

    #[error("asking {url} for releases failed: {source}; check the network, or --api-url")]
    Releases {
        url: String,
        source: self_update::errors::Error,
    },

    #[error("release {version} has no asset {asset}; this platform may not be released yet")]
    MissingAsset { version: String, asset: String },

    #[error("downloading {asset} failed: {source}")]
    Download {
        asset: String,
        source: self_update::errors::Error,
    },

    #[error("{asset}'s checksum file is unusable: {reason}")]
    BadChecksumFile { asset: String, reason: String },

    #[error(
        "{asset} does not match its published sha256 (expected {expected}, got {actual}); \
         nothing was replaced, try again later"
    )]
    ChecksumMismatch {
        asset: String,
        expected: String,
        actual: String,
    },

    #[error("unpacking {asset} failed: {source}")]
    Extract {
        asset: String,
        source: self_update::errors::Error,
    },

    #[error(
        "{asset} does not hold a working {PLUGIN_LABEL} {version}: {reason}; nothing replaced"
    )]
    NotTheBinary {
        asset: String,
        version: String,
        reason: String,
    },

    #[error(transparent)]
    File(#[from] FileError),
}

/// Where to look and what to do.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    pub api_url: String,
    pub repository: String,
    /// Only report whether a newer release exists.
    pub check_only: bool,
    /// The binary to replace (this one, outside tests).
    pub exe: PathBuf,
    pub current_version: String,
    /// The Rust target triple whose tarball to take.
    pub target: String,
}

impl UpdateOptions {
    /// This binary, this version, this target, GitHub or the env override.
    pub fn for_this_binary(check_only: bool, api_url: Option<String>) -> std::io::Result<Self> {
        Ok(Self {
            api_url: api_url
                .or_else(|| {
                    std::env::var(API_URL_ENV)
                        .ok()
                        .filter(|url| !url.is_empty())
                })
                .unwrap_or_else(|| DEFAULT_API_URL.to_string()),
            repository: DEFAULT_REPOSITORY.to_string(),
            check_only,
            exe: std::env::current_exe()?,
            current_version: crate::PLUGIN_VERSION.to_string(),
            target: self_update::get_target().to_string(),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum UpdateOutcome {
    UpToDate {
        current: String,
    },
    Available {
        current: String,
        latest: String,
    },
    Updated {
        from: String,
        to: String,
        exe: PathBuf,
    },
}

/// The tarball of one release for one target.
pub fn tarball_name(version: &str, target: &str) -> String {
    format!("{PLUGIN_LABEL}-{version}-{target}.tar.gz")
}

pub fn run(options: &UpdateOptions) -> Result<UpdateOutcome, UpdateError> {
    let canonical_exe = options
        .exe
        .canonicalize()
        .unwrap_or_else(|_| options.exe.clone());
    let homebrew = homebrew_stable_path(&canonical_exe).is_some();
    if homebrew && !options.check_only {
        return Err(UpdateError::HomebrewManaged { exe: canonical_exe });
    }

    // reqwest is built without a default TLS provider, to keep aws-lc's C
    // build out; ring is ours. A second install (tests) is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();

    let latest = newest_release(options)?;
    let newer = latest.as_ref().filter(|release| {
        self_update::version::bump_is_greater(&options.current_version, release.version())
            .unwrap_or(false)
    });
    let Some(release) = newer else {
        return Ok(UpdateOutcome::UpToDate {
            current: options.current_version.clone(),
        });
    };
    if options.check_only {
        return Ok(UpdateOutcome::Available {
            current: options.current_version.clone(),
            latest: release.version().to_string(),
        });
    }

    install_release(options, release, &canonical_exe)?;
    Ok(UpdateOutcome::Updated {
        from: options.current_version.clone(),
        to: release.version().to_string(),
        exe: canonical_exe,
    })
}

fn newest_release(
    options: &UpdateOptions,
) -> Result<Option<self_update::update::Release>, UpdateError> {
    let (owner, name) = options
        .repository
        .split_once('/')
        .ok_or_else(|| UpdateError::BadRepository(options.repository.clone()))?;
    let releases_error = |source| UpdateError::Releases {
        url: options.api_url.clone(),
        source,
    };
    let releases = self_update::backends::github::ReleaseList::configure()
        .repo_owner(owner)
        .repo_name(name)
        .api_base_url(options.api_url.trim_end_matches('/'))
        .build()
        .map_err(releases_error)?
        .fetch()
        .map_err(releases_error)?;

    let mut newest: Option<self_update::update::Release> = None;
    for release in releases.into_vec() {
        let is_newer = match &newest {
            None => semver_ok(release.version()),
            Some(best) => self_update::version::bump_is_greater(best.version(), release.version())
                .unwrap_or(false),
        };
        if is_newer {
            newest = Some(release);
        }
    }
    Ok(newest)
}

fn semver_ok(version: &str) -> bool {
    self_update::version::bump_is_greater("0.0.0", version).is_ok()
}

fn install_release(
    options: &UpdateOptions,
    release: &self_update::update::Release,
    exe: &Path,
) -> Result<(), UpdateError> {
    let tarball = tarball_name(release.version(), &options.target);
    let checksum_asset = format!("{tarball}.sha256");
    let find = |asset_name: &str| {
        release
            .assets()
            .iter()
            .find(|asset| asset.name() == asset_name)
            .cloned()
            .ok_or_else(|| UpdateError::MissingAsset {
                version: release.version().to_string(),
                asset: asset_name.to_string(),
            })
    };
    let tarball_asset = find(&tarball)?;
    let checksum = find(&checksum_asset)?;

    // Staged beside the binary: the final rename must not cross file systems.
    let exe_dir = exe.parent().unwrap_or(Path::new("."));
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{PLUGIN_LABEL}-update-"))
        .tempdir_in(exe_dir)
        .map_err(io_error("create a staging directory in", exe_dir))?;

    let tarball_path = staging.path().join(&tarball);
    download(tarball_asset.download_url(), &tarball_path, &tarball)?;
    let sums_path = staging.path().join(&checksum_asset);
    download(checksum.download_url(), &sums_path, &checksum_asset)?;
    verify_sha256(&tarball_path, &sums_path, &tarball)?;

    self_update::Extract::from_source(&tarball_path)
        .archive(self_update::ArchiveKind::Tar(Some(
            self_update::Compression::Gz,
        )))
        .extract_file(staging.path(), PLUGIN_LABEL)
        .map_err(|source| UpdateError::Extract {
            asset: tarball.clone(),
            source,
        })?;
    let new_binary = staging.path().join(PLUGIN_LABEL);
    check_new_binary(&new_binary, release.version()).map_err(|reason| {
        UpdateError::NotTheBinary {
            asset: tarball.clone(),
            version: release.version().to_string(),
            reason,
        }
    })?;
    replace_binary(&new_binary, exe)?;
    tracing::info!(path = %exe.display(), version = release.version(), "binary updated");
    Ok(())
}

fn download(url: &str, path: &Path, asset: &str) -> Result<(), UpdateError> {
    let file = std::fs::File::create(path).map_err(io_error("create", path))?;
    self_update::Download::from_url(url)
        .timeout(HTTP_TIMEOUT)
        .request_header(
            self_update::http::header::ACCEPT,
            "application/octet-stream",
        )
        .download_to(file)
        .map_err(|source| UpdateError::Download {
            asset: asset.to_string(),
            source,
        })
}

fn verify_sha256(tarball: &Path, sums: &Path, asset: &str) -> Result<(), UpdateError> {
    let sums_text = std::fs::read_to_string(sums).map_err(io_error("read", sums))?;
    let expected = match self_update::Checksum::from_sums_file(&sums_text, asset) {
        Ok(self_update::Checksum::Sha256(hex)) => hex.trim().to_ascii_lowercase(),
        Ok(_) => {
            return Err(UpdateError::BadChecksumFile {
                asset: asset.to_string(),
                reason: "it holds a sha512 digest; releases publish sha256".to_string(),
            })
        }
        Err(error) => {
            return Err(UpdateError::BadChecksumFile {
                asset: asset.to_string(),
                reason: error.to_string(),
            })
        }
    };

    let actual = sha256_hex(tarball)?;
    if actual != expected {
        return Err(UpdateError::ChecksumMismatch {
            asset: asset.to_string(),
            expected,
            actual,
        });
    }
    Ok(())
}

pub fn sha256_hex(path: &Path) -> Result<String, UpdateError> {
    let mut file = std::fs::File::open(path).map_err(io_error("open", path))?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file.read(&mut buffer).map_err(io_error("read", path))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

/// How long the new binary may take to print its version.
const VERSION_CHECK_LIMIT: Duration = Duration::from_secs(10);

/// The unpacked file must be a regular, non-empty file that runs and says
/// it is `version`: a checksum only proves the tarball is the one published,
/// not that the release holds a working binary (a link, an empty file or
/// another build would otherwise be installed).
fn check_new_binary(path: &Path, version: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::symlink_metadata(path).map_err(|error| error.to_string())?;
    if !metadata.file_type().is_file() {
        return Err("it is not a regular file".into());
    }
    if metadata.len() == 0 {
        return Err("it is empty".into());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|error| format!("cannot make it executable: {error}"))?;

    // Output goes to a file, not a pipe: a process the binary leaves behind
    // holding its stdout must not make this wait past the limit.
    let mut printed_to = tempfile::tempfile().map_err(|error| error.to_string())?;
    let stdout = printed_to.try_clone().map_err(|error| error.to_string())?;
    let mut child = std::process::Command::new(path)
        .arg("version")
        .stdin(std::process::Stdio::null())
        .stdout(stdout)
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|error| format!("it does not run: {error}"))?;
    let deadline = std::time::Instant::now() + VERSION_CHECK_LIMIT;
    let status = loop {
        match child.try_wait().map_err(|error| error.to_string())? {
            Some(status) => break status,
            None if std::time::Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`version` did not finish within {VERSION_CHECK_LIMIT:?}"
                ));
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let mut printed = String::new();
    use std::io::Seek;
    let _ = printed_to.rewind();
    let _ = printed_to.read_to_string(&mut printed);
    // `version` prints "<name> <version> ..." first.
    let wanted = version.trim_start_matches('v');
    let mut words = printed.split_whitespace();
    let names_itself = words.next() == Some(PLUGIN_LABEL)
        && words.next().map(|word| word.trim_start_matches('v')) == Some(wanted);
    if !status.success() || !names_itself {
        let first_line = printed.lines().next().unwrap_or_default();
        return Err(format!(
            "`version` exited with {status} and printed {first_line:?}, not version {wanted}"
        ));
    }
    Ok(())
}

/// Makes `new_binary` executable and renames it over `exe`: the binary is
/// either the old one or the new one, never half of either.
fn replace_binary(new_binary: &Path, exe: &Path) -> Result<(), UpdateError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::Permissions::from_mode(0o755);
    std::fs::set_permissions(new_binary, mode).map_err(io_error("chmod", new_binary))?;
    std::fs::rename(new_binary, exe).map_err(io_error("replace", exe))?;
    Ok(())
}

#[cfg(test)]
mod tests;
