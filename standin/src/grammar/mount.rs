//! `-v, --volume`, `--mount` and `--tmpfs` values, turned into mount
//! requests. Host paths are resolved against the CLI's working directory and
//! must exist; named volumes are only named here, the store creates them.

use super::memory;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub enum MountRequest {
    Tmpfs {
        destination: String,
        options: Vec<String>,
    },
    HostPath {
        source: PathBuf,
        destination: String,
        options: Vec<String>,
    },
    NamedVolume {
        name: String,
        destination: String,
        options: Vec<String>,
    },
    AnonymousVolume {
        destination: String,
        options: Vec<String>,
    },
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MountError {
    #[error("invalid volume format {0}")]
    VolumeFormat(String),
    #[error("invalid volume name {0}")]
    VolumeName(String),
    #[error("path '{0}' does not exist")]
    Missing(String),
    #[error("path '{0}' is not a directory")]
    NotDirectory(String),
    #[error("unknown directive {key} when parsing mount {mount}")]
    UnknownDirective { key: String, mount: String },
    #[error("invalid mount format {0}")]
    MountFormat(String),
    #[error("unsupported mount type {0}")]
    UnknownType(String),
    #[error("tmpfs mounts cannot have a source: {0}")]
    TmpfsSource(String),
    #[error("mount destination cannot be empty")]
    EmptyDestination,
    #[error("{0}")]
    Size(#[from] memory::SizeError),
}

/// `--tmpfs <path>`: the whole value is the destination, no options.
pub fn parse_tmpfs(path: &str) -> Result<MountRequest, MountError> {
    if path.is_empty() {
        return Err(MountError::EmptyDestination);
    }
    Ok(MountRequest::Tmpfs {
        destination: path.to_string(),
        options: Vec::new(),
    })
}

/// `-v [src:]dst[:opts]`.
pub fn parse_volume(value: &str, cwd: &Path) -> Result<MountRequest, MountError> {
    let fields: Vec<&str> = value
        .trim_start_matches(':')
        .split(':')
        .filter(|field| !field.is_empty())
        .collect();
    let options = |field: Option<&&str>| -> Vec<String> {
        field
            .map(|text| text.split(',').map(str::to_string).collect())
            .unwrap_or_default()
    };

    match fields.as_slice() {
        [destination] => Ok(MountRequest::AnonymousVolume {
            destination: destination.to_string(),
            options: Vec::new(),
        }),
        [source, destination, ..] if fields.len() <= 3 => {
            let options = options(fields.get(2));
            let destination = destination.to_string();
            if source.contains('/') || *source == "." || *source == ".." {
                let source = existing_path(source, cwd)?;
                Ok(MountRequest::HostPath {
                    source,
                    destination,
                    options,
                })
            } else {
                validate_volume_name(source)?;
                Ok(MountRequest::NamedVolume {
                    name: source.to_string(),
                    destination,
                    options,
                })
            }
        }
        _ => Err(MountError::VolumeFormat(value.to_string())),
    }
}

/// `--mount type=...,source=...,target=...[,readonly]`.
pub fn parse_mount(value: &str, cwd: &Path) -> Result<MountRequest, MountError> {
    let mut kind = "virtiofs".to_string();
    let (mut source, mut destination) = (None::<String>, None::<String>);
    let mut options = Vec::new();
    for directive in value.split(',').filter(|part| !part.is_empty()) {
        let mut pieces = directive.split('=');
        let key = pieces.next().unwrap_or_default().to_string();
        let argument = pieces.next().unwrap_or_default().to_string();
        if pieces.next().is_some() {
            return Err(MountError::MountFormat(value.to_string()));
        }
        match key.as_str() {
            "type" => kind = argument,
            "source" | "src" => source = Some(argument),
            "destination" | "dst" | "target" => destination = Some(argument),
            "readonly" | "ro" => options.push("ro".to_string()),
            "size" => options.push(format!("size={}", memory::parse_bytes(&argument)?)),
            "mode" => options.push(format!("mode={argument}")),
            _ => {
                return Err(MountError::UnknownDirective {
                    key,
                    mount: value.to_string(),
                })
            }
        }
    }

    let destination = destination.filter(|text| !text.is_empty());
    let destination = destination.ok_or(MountError::EmptyDestination)?;
    build_mount(&kind, source, destination, options, value, cwd)
}

fn build_mount(
    kind: &str,
    source: Option<String>,
    destination: String,
    options: Vec<String>,
    value: &str,
    cwd: &Path,
) -> Result<MountRequest, MountError> {
    match (kind, source) {
        ("virtiofs" | "bind", Some(source)) => {
            let source = existing_path(&source, cwd)?;
            if !source.is_dir() {
                return Err(MountError::NotDirectory(source.display().to_string()));
            }
            Ok(MountRequest::HostPath {
                source,
                destination,
                options,
            })
        }
        ("virtiofs" | "bind", None) => Err(MountError::MountFormat(value.to_string())),
        ("volume", Some(name)) => {
            validate_volume_name(&name)?;
            Ok(MountRequest::NamedVolume {
                name,
                destination,
                options,
            })
        }
        ("volume", None) => Ok(MountRequest::AnonymousVolume {
            destination,
            options,
        }),
        ("tmpfs", Some(_)) => Err(MountError::TmpfsSource(value.to_string())),
        ("tmpfs", None) => Ok(MountRequest::Tmpfs {
            destination,
            options,
        }),
        (other, _) => Err(MountError::UnknownType(other.to_string())),
    }
}

fn existing_path(source: &str, cwd: &Path) -> Result<PathBuf, MountError> {
    let joined = cwd.join(source);
    let resolved = std::fs::canonicalize(&joined)
        .map_err(|_| MountError::Missing(joined.display().to_string()))?;
    Ok(resolved)
}

fn validate_volume_name(name: &str) -> Result<(), MountError> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|ch| ch.is_ascii_alphanumeric());
    let rest_ok = chars.all(|ch| ch.is_ascii_alphanumeric() || "_.-".contains(ch));
    if first_ok && rest_ok && name.len() <= 255 {
        Ok(())
    } else {
        Err(MountError::VolumeName(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_dir() -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }

    #[test]
    fn volume_with_host_path_resolves_and_keeps_options() {
        let dir = host_dir();
        let source = dir.path().canonicalize().unwrap();
        let value = format!("{}:/data:ro", dir.path().display());
        assert_eq!(
            parse_volume(&value, Path::new("/")),
            Ok(MountRequest::HostPath {
                source,
                destination: "/data".into(),
                options: vec!["ro".into()]
            })
        );
    }

    #[test]
    fn relative_host_paths_resolve_against_the_cli_cwd() {
        let dir = host_dir();
        std::fs::create_dir(dir.path().join("site")).unwrap();
        let request = parse_volume("./site:/srv", dir.path()).unwrap();
        let MountRequest::HostPath { source, .. } = request else {
            panic!("{request:?}")
        };
        assert!(source.ends_with("site"));
    }

    #[test]
    fn names_without_slash_are_named_volumes_and_one_field_is_anonymous() {
        assert_eq!(
            parse_volume("appdata:/var/lib/app", Path::new("/")),
            Ok(MountRequest::NamedVolume {
                name: "appdata".into(),
                destination: "/var/lib/app".into(),
                options: vec![]
            })
        );
        assert_eq!(
            parse_volume("/cache", Path::new("/")),
            Ok(MountRequest::AnonymousVolume {
                destination: "/cache".into(),
                options: vec![]
            })
        );
    }

    #[test]
    fn missing_host_paths_and_extra_fields_are_rejected() {
        assert_eq!(
            parse_volume("/nonexistent/x:/data", Path::new("/"))
                .unwrap_err()
                .to_string(),
            "path '/nonexistent/x' does not exist"
        );
        assert_eq!(
            parse_volume("a:b:c:d", Path::new("/"))
                .unwrap_err()
                .to_string(),
            "invalid volume format a:b:c:d"
        );
    }

    #[test]
    fn mount_bind_needs_a_directory_and_reads_readonly() {
        let dir = host_dir();
        let file = dir.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let bind = format!(
            "type=bind,source={},target=/w,readonly",
            dir.path().display()
        );
        let request = parse_mount(&bind, Path::new("/")).unwrap();
        let MountRequest::HostPath {
            options,
            destination,
            ..
        } = request
        else {
            panic!()
        };
        assert_eq!(
            (options, destination),
            (vec!["ro".to_string()], "/w".to_string())
        );

        let on_file = format!("type=bind,src={},dst=/w", file.display());
        assert!(matches!(
            parse_mount(&on_file, Path::new("/")),
            Err(MountError::NotDirectory(_))
        ));
    }

    #[test]
    fn mount_unknown_keys_and_empty_destination_are_rejected() {
        assert_eq!(
            parse_mount("type=tmpfs,target=/t,color=red", Path::new("/"))
                .unwrap_err()
                .to_string(),
            "unknown directive color when parsing mount type=tmpfs,target=/t,color=red"
        );
        assert_eq!(
            parse_mount("type=tmpfs", Path::new("/")),
            Err(MountError::EmptyDestination)
        );
        assert_eq!(parse_tmpfs(""), Err(MountError::EmptyDestination));
    }

    #[test]
    fn tmpfs_size_is_converted_to_bytes() {
        assert_eq!(
            parse_mount("type=tmpfs,target=/t,size=1m", Path::new("/")),
            Ok(MountRequest::Tmpfs {
                destination: "/t".into(),
                options: vec!["size=1048576".into()]
            })
        );
    }
}
