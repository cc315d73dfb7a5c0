//! argv builders. Flag spellings live here once; every CLI flag precedes the
//! image (or container ID), because Apple's CLI hands every token after it to
//! the container's command.

use std::ffi::OsString;

use super::CliError;
use std::path::PathBuf;
use std::time::Duration;

const FLAG_NAME: &str = "--name";
const FLAG_ENV_FILE: &str = "--env-file";
const FLAG_LABEL: &str = "--label";
const FLAG_WORKDIR: &str = "--workdir";
const FLAG_ENTRYPOINT: &str = "--entrypoint";
const FLAG_MEMORY: &str = "--memory";
const FLAG_CPUS: &str = "--cpus";
const FLAG_USER: &str = "--user";
const FLAG_VOLUME: &str = "--volume";
const FLAG_TMPFS: &str = "--tmpfs";
const FLAG_PUBLISH: &str = "--publish";
const FLAG_NETWORK: &str = "--network";
const FLAG_CAP_ADD: &str = "--cap-add";
const FLAG_CAP_DROP: &str = "--cap-drop";
const FLAG_READ_ONLY: &str = "--read-only";
const FLAG_INIT: &str = "--init";
const FLAG_TTY: &str = "--tty";
const FLAG_DNS: &str = "--dns";
const FLAG_DNS_SEARCH: &str = "--dns-search";
const FLAG_DNS_OPTION: &str = "--dns-option";
const FLAG_ROSETTA: &str = "--rosetta";
const FLAG_PLATFORM: &str = "--platform";
const FLAG_SSH: &str = "--ssh";
const FLAG_VIRTUALIZATION: &str = "--virtualization";

/// Plain words as argv.
pub fn words(items: &[&str]) -> Vec<OsString> {
    items.iter().map(OsString::from).collect()
}

/// A host path shared into the container.
#[derive(Debug, Clone, PartialEq)]
pub struct Mount {
    pub host_path: PathBuf,
    pub container_path: String,
    pub readonly: bool,
}

/// Everything `container create` needs for one task.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateOptions {
    pub name: String,
    pub image: String,
    pub env_file: Option<PathBuf>,
    pub labels: Vec<(String, String)>,
    pub working_dir: Option<String>,
    pub entrypoint: Option<String>,
    /// Tokens after the image: the command and its arguments.
    pub command: Vec<String>,
    pub memory_mib: Option<u64>,
    pub cpus: Option<u64>,
    pub user: Option<String>,
    pub mounts: Vec<Mount>,
    pub tmpfs: Vec<String>,
    /// `[host-ip:]host-port:container-port/proto` specs.
    pub publish: Vec<String>,
    pub network: Option<String>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub read_only: bool,
    pub init: bool,
    pub tty: bool,
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_options: Vec<String>,
    pub rosetta: bool,
    pub platform: Option<String>,
    pub ssh: bool,
    pub virtualization: bool,
}

impl CreateOptions {
    /// The argv for `container create`. Refuses any flag value, and the
    /// image, that starts with `-`: Apple's parser would read it as another
    /// flag (an image of `--volume=/:/host` would mount the host).
    pub fn to_args(&self) -> Result<Vec<OsString>, CliError> {
        if let Some(bad) = self.values().find(|value| value.starts_with('-')) {
            return Err(CliError::UnsafeArgument {
                value: bad.to_string(),
            });
        }
        Ok(self.build_args())
    }

    /// Every value that lands in argv as a flag's value or as the image.
    fn values(&self) -> impl Iterator<Item = &str> {
        let singles = [
            Some(self.name.as_str()),
            Some(self.image.as_str()),
            self.working_dir.as_deref(),
            self.entrypoint.as_deref(),
            self.user.as_deref(),
            self.network.as_deref(),
            self.platform.as_deref(),
        ];
        let labels = self.labels.iter().map(|(key, _)| key.as_str());
        let lists = [
            &self.tmpfs,
            &self.publish,
            &self.cap_add,
            &self.cap_drop,
            &self.dns,
            &self.dns_search,
            &self.dns_options,
        ];
        singles
            .into_iter()
            .flatten()
            .chain(labels)
            .chain(lists.into_iter().flatten().map(String::as_str))
            .chain(
                self.mounts
                    .iter()
                    .map(|mount| mount.container_path.as_str()),
            )
    }

    fn build_args(&self) -> Vec<OsString> {
        let mut args = words(&["create", FLAG_NAME, &self.name]);

        if let Some(path) = &self.env_file {
            args.push(FLAG_ENV_FILE.into());
            args.push(path.into());
        }
        for (key, value) in &self.labels {
            args.push(FLAG_LABEL.into());
            args.push(format!("{key}={value}").into());
        }
        if let Some(dir) = &self.working_dir {
            args.extend(words(&[FLAG_WORKDIR, dir]));
        }
        if let Some(entrypoint) = &self.entrypoint {
            args.extend(words(&[FLAG_ENTRYPOINT, entrypoint]));
        }
        if let Some(mib) = self.memory_mib {
            // An explicit binary unit: a bare number would mean bytes.
            args.extend(words(&[FLAG_MEMORY, &format!("{mib}M")]));
        }
        if let Some(cpus) = self.cpus {
            args.extend(words(&[FLAG_CPUS, &cpus.to_string()]));
        }
        if let Some(user) = &self.user {
            args.extend(words(&[FLAG_USER, user]));
        }
        for mount in &self.mounts {
            let mut spec = OsString::from(&mount.host_path);
            spec.push(format!(":{}", mount.container_path));
            if mount.readonly {
                spec.push(":ro");
            }
            args.push(FLAG_VOLUME.into());
            args.push(spec);
        }

        for path in &self.tmpfs {
            args.extend(words(&[FLAG_TMPFS, path]));
        }
        for spec in &self.publish {
            args.extend(words(&[FLAG_PUBLISH, spec]));
        }
        if let Some(network) = &self.network {
            args.extend(words(&[FLAG_NETWORK, network]));
        }
        repeat(&mut args, FLAG_CAP_ADD, &self.cap_add);
        repeat(&mut args, FLAG_CAP_DROP, &self.cap_drop);
        repeat(&mut args, FLAG_DNS, &self.dns);
        repeat(&mut args, FLAG_DNS_SEARCH, &self.dns_search);
        repeat(&mut args, FLAG_DNS_OPTION, &self.dns_options);
        if let Some(platform) = &self.platform {
            args.extend(words(&[FLAG_PLATFORM, platform]));
        }
        for (enabled, flag) in [
            (self.read_only, FLAG_READ_ONLY),
            (self.init, FLAG_INIT),
            (self.tty, FLAG_TTY),
            (self.rosetta, FLAG_ROSETTA),
            (self.ssh, FLAG_SSH),
            (self.virtualization, FLAG_VIRTUALIZATION),
        ] {
            if enabled {
                args.push(flag.into());
            }
        }

        args.push(self.image.clone().into());
        args.extend(self.command.iter().map(OsString::from));
        args
    }
}

fn repeat(args: &mut Vec<OsString>, flag: &str, values: &[String]) {
    for value in values {
        args.push(flag.into());
        args.push(value.into());
    }
}

/// `container image pull`, with progress lines on stderr (one a second at
/// most) so they can become task events.
pub fn image_pull(reference: &str, platform: Option<&str>) -> Vec<OsString> {
    let mut args = words(&["image", "pull", "--progress", "plain"]);
    if let Some(platform) = platform {
        args.extend(words(&[FLAG_PLATFORM, platform]));
    }
    args.push(reference.into());
    args
}

/// `container stop`, whose `--time` takes whole seconds: a fractional grace
/// period is rounded up so the task never gets less than it was promised.
pub fn stop(name: &str, signal: Option<&str>, grace: Duration) -> Vec<OsString> {
    let seconds = grace.as_secs() + u64::from(grace.subsec_nanos() > 0);
    let seconds = seconds.min(i32::MAX as u64);
    let mut args = words(&["stop", "--time", &seconds.to_string()]);
    if let Some(signal) = signal {
        args.extend(words(&["--signal", signal]));
    }
    args.push(name.into());
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: Vec<OsString>) -> Vec<String> {
        args.into_iter()
            .map(|arg| arg.into_string().unwrap())
            .collect()
    }

    #[test]
    fn every_flag_precedes_the_image_and_command_follows_it() {
        let options = CreateOptions {
            name: "web-1234".into(),
            image: "alpine:3.20".into(),
            env_file: Some("/state/env".into()),
            labels: vec![("nomad.task_name".into(), "web".into())],
            working_dir: Some("/srv".into()),
            entrypoint: Some("/bin/sh".into()),
            command: vec!["-c".into(), "--name looks like a flag".into()],
            memory_mib: Some(256),
            cpus: Some(2),
            user: None,
            mounts: vec![Mount {
                host_path: "/alloc/local".into(),
                container_path: "/local".into(),
                readonly: true,
            }],
            publish: vec!["127.0.0.1:20000:8080/tcp".into()],
            network: Some("none".into()),
            cap_add: vec!["CAP_NET_ADMIN".into()],
            tty: true,
            ..Default::default()
        };
        let args = strings(options.to_args().unwrap());
        let image_at = args.iter().position(|arg| arg == "alpine:3.20").unwrap();
        assert!(args[..image_at].contains(&"--memory".to_string()));
        assert_eq!(args[image_at + 1..], ["-c", "--name looks like a flag"]);
        assert!(args.contains(&"256M".to_string()));
        assert!(args.contains(&"/alloc/local:/local:ro".to_string()));
        for flag in ["--publish", "--network", "--cap-add", "--tty"] {
            let at = args.iter().position(|arg| arg == flag).unwrap();
            assert!(at < image_at, "{flag} after the image");
        }
    }

    #[test]
    fn a_value_that_would_read_as_a_flag_is_refused() {
        let base = CreateOptions {
            name: "n1".into(),
            image: "alpine".into(),
            ..Default::default()
        };
        let image = CreateOptions {
            image: "--volume=/:/host".into(),
            ..base.clone()
        };
        let workdir = CreateOptions {
            working_dir: Some("-w".into()),
            ..base.clone()
        };
        let label = CreateOptions {
            labels: vec![("-x".into(), "y".into())],
            ..base.clone()
        };
        for options in [image, workdir, label] {
            assert!(
                matches!(options.to_args(), Err(CliError::UnsafeArgument { .. })),
                "{options:?}"
            );
        }
        assert!(base.to_args().is_ok());
    }

    #[test]
    fn stop_rounds_a_fractional_grace_period_up() {
        let args = strings(stop("x", Some("SIGINT"), Duration::from_millis(1500)));
        assert_eq!(args, ["stop", "--time", "2", "--signal", "SIGINT", "x"]);
        let args = strings(stop("x", None, Duration::ZERO));
        assert_eq!(args, ["stop", "--time", "0", "x"]);
    }
}
