//! Registry credentials, one per API host, kept in `<root>/keychain.json`
//! (the stand-in's keychain). `docker.io` is stored as `registry-1.docker.io`.

use crate::store::{read_json, write_json, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredCredential {
    pub username: String,
    pub password: String,
    pub created: String,
    pub modified: String,
}

pub type Keychain = BTreeMap<String, StoredCredential>;

pub fn load(store: &Store) -> Keychain {
    read_json(&store.credentials_path()).unwrap_or_default()
}

pub fn lookup(store: &Store, api_host: &str) -> Option<StoredCredential> {
    load(store).remove(api_host)
}

pub fn save(store: &Store, api_host: &str, username: &str, password: &str) -> anyhow::Result<()> {
    let _lock = store.lock()?;
    let mut keychain = load(store);
    let now = crate::output::time::now_iso8601();
    let created = keychain
        .get(api_host)
        .map(|existing| existing.created.clone());
    keychain.insert(
        api_host.to_string(),
        StoredCredential {
            username: username.to_string(),
            password: password.to_string(),
            created: created.unwrap_or_else(|| now.clone()),
            modified: now,
        },
    );
    write_json(&store.credentials_path(), &keychain)
}

/// Removing a missing entry is fine (logout is idempotent).
pub fn remove(store: &Store, api_host: &str) -> anyhow::Result<()> {
    let _lock = store.lock()?;
    let mut keychain = load(store);
    if keychain.remove(api_host).is_some() {
        write_json(&store.credentials_path(), &keychain)?;
    }
    Ok(())
}
