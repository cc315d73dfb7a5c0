//! Test knobs read from `<root>/knobs.json` on every invocation, and the
//! `calls.log` record of every invocation. See the crate README.

use crate::output::garble::Garble;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Knobs {
    /// Delay per command key (`create`, `image pull`, `*`), milliseconds.
    pub latency_ms: BTreeMap<String, u64>,
    /// Command key → error text printed as `Error: <text>`, exit 1.
    pub fail: BTreeMap<String, String>,
    /// Command keys that sleep until killed.
    pub hang: Vec<String>,
    /// Every command fails as if Apple's API server were not running.
    pub service_down: bool,
    /// Gap between the two samples of one-shot `stats`.
    pub stats_interval_ms: Option<u64>,
    /// Pulls fail with the DNS error for every registry host.
    pub registry_unreachable: bool,
    /// Command key → how its JSON (or `--version` line) is spoiled.
    pub garble: BTreeMap<String, Garble>,
}

pub const DEFAULT_STATS_INTERVAL_MS: u64 = 2000;

impl Knobs {
    /// Missing or unreadable `knobs.json` means all defaults; a malformed
    /// one is reported on stderr so a test author notices.
    pub fn load(root: &Path) -> Knobs {
        let path = root.join("knobs.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Knobs::default();
        };
        serde_json::from_str(&text).unwrap_or_else(|error| {
            eprintln!("container-standin: ignoring {}: {error}", path.display());
            Knobs::default()
        })
    }

    pub fn stats_interval(&self) -> Duration {
        Duration::from_millis(self.stats_interval_ms.unwrap_or(DEFAULT_STATS_INTERVAL_MS))
    }

    /// Applies latency, hang and fail for a command known by any of `keys`
    /// (its canonical name and the alias typed). Returns the failure text.
    pub fn apply(&self, keys: &[&str]) -> Option<String> {
        let latency = keys
            .iter()
            .find_map(|key| self.latency_ms.get(*key))
            .or_else(|| self.latency_ms.get("*"));
        if let Some(millis) = latency {
            std::thread::sleep(Duration::from_millis(*millis));
        }

        let hangs = self
            .hang
            .iter()
            .any(|entry| entry == "*" || keys.contains(&entry.as_str()));
        if hangs {
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }

        keys.iter()
            .find_map(|key| self.fail.get(*key))
            .or_else(|| self.fail.get("*"))
            .cloned()
    }

    /// How the output of a command known by any of `keys` is spoiled.
    pub fn garble_for(&self, keys: &[&str]) -> Option<Garble> {
        keys.iter()
            .find_map(|key| self.garble.get(*key))
            .or_else(|| self.garble.get("*"))
            .copied()
    }
}

/// Appends `{"ts": <unix ms>, "pid": n, "argv": [...]}` to `calls.log`.
/// `argv` holds the arguments after the program name.
pub fn record_call(root: &Path, argv: &[String]) {
    let line = serde_json::json!({
        "ts": crate::output::time::now_unix_ms() as u64,
        "pid": std::process::id(),
        "argv": argv,
    });
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(root.join("calls.log"));
    if let Ok(mut file) = file {
        // One write call per line keeps concurrent invocations from interleaving.
        let _ = file.write_all(format!("{line}\n").as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specific_keys_win_over_the_wildcard() {
        let knobs: Knobs =
            serde_json::from_str(r#"{"fail": {"create": "boom", "*": "all"}}"#).unwrap();
        assert_eq!(knobs.apply(&["create"]).as_deref(), Some("boom"));
        assert_eq!(knobs.apply(&["delete", "rm"]).as_deref(), Some("all"));
    }

    #[test]
    fn garble_is_looked_up_like_the_other_knobs() {
        let knobs: Knobs =
            serde_json::from_str(r#"{"garble": {"inspect": "truncate", "*": "extra_fields"}}"#)
                .unwrap();
        assert_eq!(knobs.garble_for(&["inspect"]), Some(Garble::Truncate));
        assert_eq!(knobs.garble_for(&["stats"]), Some(Garble::ExtraFields));
        assert_eq!(Knobs::default().garble_for(&["stats"]), None);
    }

    #[test]
    fn defaults_do_nothing() {
        let knobs = Knobs::default();
        assert_eq!(knobs.apply(&["run"]), None);
        assert_eq!(knobs.stats_interval(), Duration::from_secs(2));
    }
}
