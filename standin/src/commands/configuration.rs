//! Building a `ContainerConfiguration` from `run`/`create` flags and the
//! image, in the order Apple's `containerConfigFromFlags` works. Errors here
//! surface only after the image pull, as on a Mac.

use super::Context;
use crate::cli::ParsedArgs;
use crate::error::{failed, CliResult};
use crate::grammar::mount::MountRequest;
use crate::grammar::{capability, envfile, label, memory, mount, network, publish, ulimit};
use crate::model::container::*;
use crate::model::image::{ImageRecord, INDEX_MEDIA_TYPE};
use std::collections::BTreeMap;
use std::path::Path;

const DEFAULT_CPUS: i64 = 4;
const DEFAULT_MEMORY: &str = "1g";
const DEFAULT_RUNTIME: &str = "container-runtime-linux";

pub fn build(
    context: &Context,
    args: &ParsedArgs,
    id: &str,
    image: &ImageRecord,
    command: &[String],
) -> CliResult<(ContainerConfiguration, ContainerOptions)> {
    let cwd = std::env::current_dir().map_err(failed)?;
    let (platform, rosetta) = platform(args)?;
    check_kernel(args, &cwd)?;

    let config = ContainerConfiguration {
        cap_add: capabilities(&args.values("--cap-add"))?,
        cap_drop: capabilities(&args.values("--cap-drop"))?,
        creation_date: crate::output::time::now_iso8601(),
        dns: dns(args),
        id: id.to_string(),
        image: ImageDescription {
            descriptor: Descriptor {
                digest: image.digest.clone(),
                media_type: INDEX_MEDIA_TYPE.to_string(),
                size: image.size,
            },
            reference: image.reference.clone(),
        },
        init_process: process(args, image, command)?,
        labels: labels(&args.values("--label"))?,
        masked_paths: non_empty(args.values("--masked-path")),
        mounts: mounts(context, args, &cwd)?,
        networks: networks(args, id)?,
        platform,
        published_ports: publish::parse_all(&args.values("--publish")).map_err(failed)?,
        published_sockets: published_sockets(&args.values("--publish-socket"))?,
        read_only: args.flag("--read-only"),
        readonly_paths: non_empty(args.values("--read-only-path")),
        resources: resources(args)?,
        rosetta,
        runtime_handler: args
            .value("--runtime")
            .unwrap_or_else(|| DEFAULT_RUNTIME.into()),
        shm_size: args
            .value("--shm-size")
            .map(|size| memory::parse_bytes(&size))
            .transpose()
            .map_err(failed)?,
        ssh: args.flag("--ssh"),
        stop_signal: image.config.stop_signal.clone(),
        sysctls: BTreeMap::new(),
        use_init: args.flag("--init"),
        virtualization: args.flag("--virtualization"),
    };
    let options = ContainerOptions {
        auto_remove: args.flag("--remove"),
    };
    Ok((config, options))
}

fn non_empty(values: Vec<String>) -> Option<Vec<String>> {
    (!values.is_empty()).then_some(values)
}

/// Entrypoint + arguments, per Apple's composition rule.
fn command_line(
    image: &ImageRecord,
    entrypoint_flag: Option<String>,
    args: &[String],
) -> CliResult<Vec<String>> {
    let entrypoint_flag = entrypoint_flag.filter(|entrypoint| !entrypoint.is_empty());
    let given_entrypoint = entrypoint_flag.is_some();
    let mut line: Vec<String> = match entrypoint_flag {
        Some(entrypoint) => vec![entrypoint],
        None => image.config.entrypoint.clone().unwrap_or_default(),
    };
    if !args.is_empty() {
        line.extend(args.iter().cloned());
    } else if !given_entrypoint {
        line.extend(image.config.cmd.clone().unwrap_or_default());
    }
    if line.is_empty() {
        return Err(failed(
            "command/entrypoint not specified for container process",
        ));
    }
    Ok(line)
}

fn process(
    args: &ParsedArgs,
    image: &ImageRecord,
    command: &[String],
) -> CliResult<ProcessConfiguration> {
    let line = command_line(image, args.value("--entrypoint"), command)?;
    let (user, supplemental_groups) = user(args, image)?;
    let working_directory = args
        .value("--cwd")
        .or_else(|| {
            image
                .config
                .working_dir
                .clone()
                .filter(|dir| !dir.is_empty())
        })
        .unwrap_or_else(|| "/".into());

    Ok(ProcessConfiguration {
        arguments: line[1..].to_vec(),
        environment: environment(args, image.config.env.as_deref().unwrap_or_default())?,
        executable: line[0].clone(),
        rlimits: ulimit::parse_all(&args.values("--ulimit")).map_err(failed)?,
        supplemental_groups,
        terminal: args.flag("--tty"),
        user,
        working_directory,
    })
}

/// Image `Env` (entries with `=`), env files in order, then `-e` in order.
pub fn environment(args: &ParsedArgs, image_env: &[String]) -> CliResult<Vec<String>> {
    let host = |name: &str| std::env::var(name).ok();
    let mut sources: Vec<String> = image_env
        .iter()
        .filter(|entry| entry.contains('='))
        .cloned()
        .collect();
    for path in args.values("--env-file") {
        sources.extend(envfile::read(Path::new(&path), host).map_err(failed)?);
    }
    sources.extend(
        args.values("--env")
            .iter()
            .filter_map(|entry| envfile::resolve_flag(entry, host)),
    );
    Ok(envfile::merge(sources))
}

/// The user table of Apple's parser: `-u` wins, then `--uid/--gid`, then
/// the image's `User`, then root.
pub fn user(args: &ParsedArgs, image: &ImageRecord) -> CliResult<(User, Vec<u32>)> {
    let uid = args.number::<u32>("--uid").map_err(failed)?;
    let gid = args.number::<u32>("--gid").map_err(failed)?;
    if let Some(user) = args.value("--user").filter(|user| !user.is_empty()) {
        return Ok((User::Raw { user_string: user }, Vec::new()));
    }
    let default_user = || match image.config.user.clone().filter(|user| !user.is_empty()) {
        Some(user) => User::Raw { user_string: user },
        None => User::Id { gid: 0, uid: 0 },
    };
    Ok(match (uid, gid) {
        (Some(uid), Some(gid)) => (User::Id { gid, uid }, Vec::new()),
        (Some(uid), None) => (
            User::Raw {
                user_string: uid.to_string(),
            },
            Vec::new(),
        ),
        (None, Some(gid)) => (default_user(), vec![gid]),
        (None, None) => (default_user(), Vec::new()),
    })
}

fn resources(args: &ParsedArgs) -> CliResult<Resources> {
    let text = args
        .value("--memory")
        .unwrap_or_else(|| DEFAULT_MEMORY.into());
    Ok(Resources {
        cpu_overhead: 1,
        cpus: args
            .number::<i64>("--cpus")
            .map_err(failed)?
            .unwrap_or(DEFAULT_CPUS),
        memory_in_bytes: memory::memory_in_bytes(&text).map_err(failed)?,
    })
}

fn labels(values: &[String]) -> CliResult<BTreeMap<String, String>> {
    values
        .iter()
        .map(|value| label::parse(value).map_err(failed))
        .collect()
}

fn capabilities(values: &[String]) -> CliResult<Vec<String>> {
    values
        .iter()
        .map(|value| capability::normalize(value).map_err(failed))
        .collect()
}

fn dns(args: &ParsedArgs) -> Option<DnsConfiguration> {
    if args.flag("--no-dns") {
        return None;
    }
    Some(DnsConfiguration {
        domain: args.value("--dns-domain"),
        nameservers: args.values("--dns"),
        options: args.values("--dns-option"),
        search_domains: args.values("--dns-search"),
    })
}

fn networks(args: &ParsedArgs, id: &str) -> CliResult<Vec<NetworkAttachmentConfiguration>> {
    let requests = network::parse_all(&args.values("--network")).map_err(failed)?;
    // No `[dns] domain` is configured in the stand-in's system config.
    let hostname = if id.contains('.') {
        format!("{id}.")
    } else {
        id.to_string()
    };
    Ok(requests
        .into_iter()
        .map(|request| NetworkAttachmentConfiguration {
            network: request.name,
            options: AttachmentOptions {
                hostname: hostname.clone(),
                mac_address: request.mac_address,
                mtu: request.mtu,
            },
        })
        .collect())
}

fn published_sockets(values: &[String]) -> CliResult<Vec<PublishedSocket>> {
    values
        .iter()
        .map(|value| match value.split_once(':') {
            Some((host, container)) if !host.is_empty() && !container.is_empty() => {
                Ok(PublishedSocket {
                    container_path: container.into(),
                    host_path: host.into(),
                })
            }
            _ => Err(failed(format!("invalid publish-socket value: {value}"))),
        })
        .collect()
}

/// `--platform` beats `CONTAINER_DEFAULT_PLATFORM`, which beats
/// `--os`/`--arch`. Returns the platform and whether Rosetta is on.
fn platform(args: &ParsedArgs) -> CliResult<(Platform, bool)> {
    let explicit = args.value("--platform").or_else(|| {
        std::env::var("CONTAINER_DEFAULT_PLATFORM")
            .ok()
            .filter(|p| !p.is_empty())
    });
    let platform = match explicit {
        Some(text) => parse_platform(&text)?,
        None => Platform {
            architecture: normalize_arch(&args.value("--arch").unwrap_or_else(|| "arm64".into())),
            os: args.value("--os").unwrap_or_else(|| "linux".into()),
            variant: None,
        },
    };
    let rosetta = args.flag("--rosetta") || platform.architecture == "amd64";
    Ok((platform, rosetta))
}

fn parse_platform(text: &str) -> CliResult<Platform> {
    let parts: Vec<&str> = text.split('/').collect();
    let (os, architecture, variant) = match parts.as_slice() {
        [os, arch] => (*os, normalize_arch(arch), None),
        [os, arch, variant] => (*os, normalize_arch(arch), Some(variant.to_string())),
        _ => return Err(failed(format!("invalid platform {text}"))),
    };
    if !matches!(os, "linux" | "windows" | "darwin") {
        return Err(failed(format!("unknown OS in {text}")));
    }
    let variant = variant.or_else(|| (architecture == "arm64").then(|| "v8".to_string()));
    Ok(Platform {
        architecture,
        os: os.to_string(),
        variant,
    })
}

fn normalize_arch(arch: &str) -> String {
    match arch {
        "aarch64" => "arm64".into(),
        "x86_64" | "x86-64" => "amd64".into(),
        other => other.to_string(),
    }
}

fn check_kernel(args: &ParsedArgs, cwd: &Path) -> CliResult {
    if let Some(kernel) = args.value("--kernel") {
        let path = cwd.join(kernel);
        if !path.exists() {
            return Err(failed(format!("path '{}' does not exist", path.display())));
        }
    }
    Ok(())
}

/// tmpfs first, then `-v`, then `--mount`, as Apple stores them.
fn mounts(context: &Context, args: &ParsedArgs, cwd: &Path) -> CliResult<Vec<Mount>> {
    let mut requests = Vec::new();
    for path in args.values("--tmpfs") {
        requests.push(mount::parse_tmpfs(&path).map_err(failed)?);
    }
    for value in args.values("--volume") {
        requests.push(mount::parse_volume(&value, cwd).map_err(failed)?);
    }
    for value in args.values("--mount") {
        requests.push(mount::parse_mount(&value, cwd).map_err(failed)?);
    }
    requests
        .into_iter()
        .map(|request| to_mount(context, request))
        .collect()
}

fn to_mount(context: &Context, request: MountRequest) -> CliResult<Mount> {
    Ok(match request {
        MountRequest::Tmpfs {
            destination,
            options,
        } => Mount {
            destination,
            options,
            source: "tmpfs".into(),
            kind: MountKind::Tmpfs {},
        },
        MountRequest::HostPath {
            source,
            destination,
            options,
        } => Mount {
            destination,
            options,
            source: source.display().to_string(),
            kind: MountKind::Virtiofs {},
        },
        MountRequest::NamedVolume {
            name,
            destination,
            options,
        } => volume_mount(context, name, destination, options, false)?,
        MountRequest::AnonymousVolume {
            destination,
            options,
        } => {
            let name = crate::grammar::name::random_id();
            volume_mount(context, name, destination, options, true)?
        }
    })
}

/// Creates the volume on first use (with Apple's warning for named ones).
fn volume_mount(
    context: &Context,
    name: String,
    destination: String,
    options: Vec<String>,
    anonymous: bool,
) -> CliResult<Mount> {
    let store = &context.store;
    let image = store.volume_image_path(&name);
    if !image.exists() {
        std::fs::create_dir_all(store.volume_data_dir(&name)).map_err(failed)?;
        std::fs::write(&image, b"").map_err(failed)?;
        if !anonymous {
            eprintln!("named volume was automatically created: [\"volume\": {name}]");
        }
    }
    Ok(Mount {
        destination,
        options,
        source: image.display().to_string(),
        kind: MountKind::Volume {
            cache: serde_json::json!({"on": {}}),
            format: "ext4".into(),
            name,
            sync: serde_json::json!({"fsync": {}}),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::image::ImageConfig;

    fn image(entrypoint: Option<&[&str]>, cmd: Option<&[&str]>) -> ImageRecord {
        let list = |items: &[&str]| items.iter().map(|item| item.to_string()).collect();
        ImageRecord {
            reference: "docker.io/library/x:latest".into(),
            digest: "sha256:0".into(),
            size: 1,
            created: String::new(),
            config: ImageConfig {
                entrypoint: entrypoint.map(list),
                cmd: cmd.map(list),
                ..ImageConfig::default()
            },
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn cli_arguments_replace_the_image_cmd_after_its_entrypoint() {
        let image = image(Some(&["/entry"]), Some(&["default"]));
        assert_eq!(
            command_line(&image, None, &[]).unwrap(),
            strings(&["/entry", "default"])
        );
        assert_eq!(
            command_line(&image, None, &strings(&["x"])).unwrap(),
            strings(&["/entry", "x"])
        );
    }

    #[test]
    fn entrypoint_flag_drops_the_image_cmd() {
        let image = image(Some(&["/entry"]), Some(&["default"]));
        assert_eq!(
            command_line(&image, Some("sh -c".into()), &[]).unwrap(),
            strings(&["sh -c"])
        );
        assert_eq!(
            command_line(&image, Some("".into()), &[]).unwrap(),
            strings(&["/entry", "default"])
        );
    }

    #[test]
    fn nothing_to_run_is_an_error() {
        let error = command_line(&image(None, None), None, &[]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "command/entrypoint not specified for container process"
        );
    }

    #[test]
    fn platform_flag_adds_arm64_variant_and_amd64_turns_on_rosetta() {
        let arm = parse_platform("linux/arm64").unwrap();
        assert_eq!(arm.variant.as_deref(), Some("v8"));
        assert_eq!(
            parse_platform("plan9/amd64").unwrap_err().to_string(),
            "unknown OS in plan9/amd64"
        );
    }
}
