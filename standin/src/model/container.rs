//! `ManagedContainer.configuration` as Apple encodes it. Optional fields are
//! omitted when absent, never `null`.

use crate::grammar::publish::PublishedPort;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerConfiguration {
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub creation_date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsConfiguration>,
    pub id: String,
    pub image: ImageDescription,
    pub init_process: ProcessConfiguration,
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masked_paths: Option<Vec<String>>,
    pub mounts: Vec<Mount>,
    pub networks: Vec<NetworkAttachmentConfiguration>,
    pub platform: Platform,
    pub published_ports: Vec<PublishedPort>,
    pub published_sockets: Vec<PublishedSocket>,
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readonly_paths: Option<Vec<String>>,
    pub resources: Resources,
    pub rosetta: bool,
    pub runtime_handler: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<u64>,
    pub ssh: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    pub sysctls: BTreeMap<String, String>,
    pub use_init: bool,
    pub virtualization: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    pub nameservers: Vec<String>,
    pub options: Vec<String>,
    pub search_domains: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageDescription {
    pub descriptor: Descriptor,
    pub reference: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub digest: String,
    pub media_type: String,
    pub size: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessConfiguration {
    pub arguments: Vec<String>,
    pub environment: Vec<String>,
    pub executable: String,
    pub rlimits: Vec<Rlimit>,
    pub supplemental_groups: Vec<u32>,
    pub terminal: bool,
    pub user: User,
    pub working_directory: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Rlimit {
    pub hard: u64,
    pub limit: String,
    pub soft: u64,
}

/// `{"raw":{"userString":"nobody"}}` or `{"id":{"gid":0,"uid":0}}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum User {
    Raw {
        #[serde(rename = "userString")]
        user_string: String,
    },
    Id {
        gid: u32,
        uid: u32,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mount {
    pub destination: String,
    pub options: Vec<String>,
    pub source: String,
    #[serde(rename = "type")]
    pub kind: MountKind,
}

/// A one-key object: `{"virtiofs":{}}`, `{"tmpfs":{}}` or `{"volume":{...}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    Virtiofs {},
    Tmpfs {},
    Volume {
        cache: serde_json::Value,
        format: String,
        name: String,
        sync: serde_json::Value,
    },
}

impl Mount {
    pub fn is_read_only(&self) -> bool {
        self.options
            .iter()
            .any(|option| option == "ro" || option == "readonly")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkAttachmentConfiguration {
    pub network: String,
    pub options: AttachmentOptions,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentOptions {
    pub hostname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    pub mtu: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedSocket {
    pub container_path: String,
    pub host_path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    pub cpu_overhead: u32,
    pub cpus: i64,
    pub memory_in_bytes: u64,
}

/// What Apple keeps in the bundle's `options.json`, outside the
/// configuration (so `inspect` never shows it).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerOptions {
    pub auto_remove: bool,
}
