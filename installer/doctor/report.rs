//! A doctor report: checks with a status, what was found and the fix, as
//! text for people and JSON for machines.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Stable identifier, e.g. `container_service`.
    pub id: &'static str,
    pub title: &'static str,
    pub status: Status,
    /// What was found, in a sentence.
    pub found: String,
    /// The exact next step when the status is not `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    pub fn ok(id: &'static str, title: &'static str, found: impl Into<String>) -> Self {
        Self {
            id,
            title,
            status: Status::Ok,
            found: found.into(),
            fix: None,
        }
    }

    pub fn warn(
        id: &'static str,
        title: &'static str,
        found: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::ok(id, title, found).needing(Status::Warn, fix)
    }

    pub fn fail(
        id: &'static str,
        title: &'static str,
        found: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::ok(id, title, found).needing(Status::Fail, fix)
    }

    fn needing(self, status: Status, fix: impl Into<String>) -> Self {
        Self {
            status,
            fix: Some(fix.into()),
            ..self
        }
    }
}

/// Every check of one doctor run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub host: String,
    pub version: String,
    pub checks: Vec<Check>,
    /// The `container` CLI the checks found and used (for `--deep`).
    #[serde(skip)]
    pub container_cli: Option<std::path::PathBuf>,
}

impl Report {
    pub fn has_failures(&self) -> bool {
        self.checks.iter().any(|check| check.status == Status::Fail)
    }

    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|check| check.id == id)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report is plain data")
    }

    /// Aligned lines: status, title, what was found, and the fix below.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "nomad-driver-container {} doctor on {}\n\n",
            self.version, self.host
        );
        let width = self
            .checks
            .iter()
            .map(|check| check.title.len())
            .max()
            .unwrap_or(0);
        for check in &self.checks {
            let label = match check.status {
                Status::Ok => "ok  ",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            out.push_str(&format!(
                "{label}  {:width$}  {}\n",
                check.title, check.found
            ));
            if let Some(fix) = &check.fix {
                out.push_str(&format!("      {:width$}  fix: {fix}\n", ""));
            }
        }
        let failures = self
            .checks
            .iter()
            .filter(|check| check.status == Status::Fail)
            .count();
        out.push_str(&match failures {
            0 => "\nEverything the driver needs is in place.\n".to_string(),
            count => format!("\n{count} check(s) failed; each says how to fix it.\n"),
        });
        out
    }
}
