//! argv builders. Flag spellings live here once; every CLI flag precedes the
//! image (or container ID), because Apple's CLI hands every token after it to
//! the container's command.

use std::ffi::OsString;
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
}

impl CreateOptions {
    pub fn to_args(&self) -> Vec<OsString> {
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

        args.push(self.image.clone().into());
        args.extend(self.command.iter().map(OsString::from));
        args
    }
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
        };
        let args = strings(options.to_args());
        let image_at = args.iter().position(|arg| arg == "alpine:3.20").unwrap();
        assert!(args[..image_at].contains(&"--memory".to_string()));
        assert_eq!(args[image_at + 1..], ["-c", "--name looks like a flag"]);
        assert!(args.contains(&"256M".to_string()));
        assert!(args.contains(&"/alloc/local:/local:ro".to_string()));
    }

    #[test]
    fn stop_rounds_a_fractional_grace_period_up() {
        let args = strings(stop("x", Some("SIGINT"), Duration::from_millis(1500)));
        assert_eq!(args, ["stop", "--time", "2", "--signal", "SIGINT", "x"]);
        let args = strings(stop("x", None, Duration::ZERO));
        assert_eq!(args, ["stop", "--time", "0", "x"]);
    }
}
