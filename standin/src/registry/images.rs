//! The local image store (`<root>/images/*.json`) and the `ImageResource`
//! JSON that `image inspect` and `image list --format json` print.

use super::fixtures::fake_digest;
use super::reference::Reference;
use crate::model::image::{ImageRecord, INDEX_MEDIA_TYPE};
use crate::store::{read_json, write_json, Store};
use serde_json::{json, Value};
use std::path::PathBuf;

fn record_path(store: &Store, full_reference: &str) -> PathBuf {
    let safe: String = full_reference
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '.' || ch == '-' {
                ch
            } else {
                '_'
            }
        })
        .collect();
    let suffix = &fake_digest(full_reference)["sha256:".len().."sha256:".len() + 8];
    store.images_dir().join(format!("{safe}-{suffix}.json"))
}

pub fn save(store: &Store, record: &ImageRecord) -> anyhow::Result<()> {
    write_json(&record_path(store, &record.reference), record)
}

pub fn find(store: &Store, reference: &Reference) -> Option<ImageRecord> {
    read_json(&record_path(store, &reference.full())).ok()
}

/// Every stored image, sorted by reference.
pub fn list(store: &Store) -> Vec<ImageRecord> {
    let Ok(entries) = std::fs::read_dir(store.images_dir()) else {
        return Vec::new();
    };
    let mut records: Vec<ImageRecord> = entries
        .filter_map(|entry| read_json(&entry.ok()?.path()).ok())
        .collect();
    records.sort_by(|a, b| a.reference.cmp(&b.reference));
    records
}

pub fn delete(store: &Store, reference: &Reference) -> anyhow::Result<bool> {
    let path = record_path(store, &reference.full());
    if !path.exists() {
        return Ok(false);
    }
    std::fs::remove_file(&path)?;
    Ok(true)
}

/// `ImageResource`: configuration, id and one variant per platform.
pub fn resource_json(record: &ImageRecord) -> Value {
    let variants: Vec<Value> = [("arm64", Some("v8")), ("amd64", None)]
        .iter()
        .map(|(architecture, variant)| variant_json(record, architecture, *variant))
        .collect();
    json!({
        "configuration": {
            "creationDate": record.created,
            "descriptor": {
                "digest": record.digest,
                "mediaType": INDEX_MEDIA_TYPE,
                "size": record.size,
            },
            "name": record.reference,
        },
        "id": record.digest.trim_start_matches("sha256:"),
        "variants": variants,
    })
}

fn variant_json(record: &ImageRecord, architecture: &str, variant: Option<&str>) -> Value {
    let seed = format!("{}/{architecture}", record.reference);
    let mut platform = json!({"architecture": architecture, "os": "linux"});
    let mut config = json!({
        "architecture": architecture,
        "config": serde_json::to_value(&record.config).unwrap_or(Value::Null),
        "created": record.created,
        "os": "linux",
        "rootfs": {"diff_ids": [fake_digest(&format!("{seed}/layer"))], "type": "layers"},
    });
    if let Some(variant) = variant {
        platform["variant"] = json!(variant);
        config["variant"] = json!(variant);
    }
    json!({
        "config": config,
        "digest": fake_digest(&seed),
        "platform": platform,
        "size": 3_623_807 + record.reference.len() as u64 * 1024,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::image::ImageConfig;

    #[test]
    fn saved_images_are_found_by_any_spelling_of_the_reference() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path());
        store.ensure_layout().unwrap();
        let record = ImageRecord {
            reference: "docker.io/library/alpine:3.20".into(),
            digest: fake_digest("x"),
            size: 9218,
            created: "2026-07-30T18:02:11Z".into(),
            config: ImageConfig::default(),
        };
        save(&store, &record).unwrap();
        let short = Reference::parse("alpine:3.20").unwrap();
        assert_eq!(find(&store, &short).unwrap().digest, record.digest);
        assert_eq!(list(&store).len(), 1);
        assert!(delete(&store, &short).unwrap());
        assert!(find(&store, &short).is_none());
    }

    #[test]
    fn resource_json_has_id_without_algorithm() {
        let record = ImageRecord {
            reference: "docker.io/library/alpine:latest".into(),
            digest: "sha256:abc".into(),
            size: 1,
            created: "2026-07-30T18:02:11Z".into(),
            config: ImageConfig::default(),
        };
        let value = resource_json(&record);
        assert_eq!(value["id"], "abc");
        assert_eq!(value["variants"][0]["platform"]["variant"], "v8");
    }
}
