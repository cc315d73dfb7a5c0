//! Log output in the shape go-plugin's host understands.
//!
//! In plugin mode every stderr line is read by Nomad's client. A line that is
//! a JSON object with string `@level`, `@message` and `@timestamp` (exactly six
//! fractional digits) is re-logged at that level with the other keys as
//! fields; anything else lands at debug. The supervisor writes the same shape
//! into its own log file, so one reader handles both.

use std::fmt;

use serde_json::{Map, Value};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::OffsetDateTime;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormattedFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// Environment variable that overrides the default filter (`debug`).
pub const LOG_FILTER_ENV: &str = "NOMAD_DRIVER_CONTAINER_LOG";

/// Go's layout `2006-01-02T15:04:05.000000Z07:00`, always in UTC.
const HCLOG_TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Installs the global subscriber writing hclog JSON lines to `writer`.
pub fn init<W>(module: &'static str, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_env(LOG_FILTER_ENV)
        .unwrap_or_else(|_| EnvFilter::new("debug,h2=info,tower=info,hyper=info"));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .fmt_fields(JsonFields::new())
        .event_format(HclogFormat { module })
        .with_writer(writer)
        .finish();
    // A second init (tests) keeps the first subscriber, which is fine.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Formats one event as one hclog JSON line.
pub struct HclogFormat {
    module: &'static str,
}

impl<S, N> FormatEvent<S, N> for HclogFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Map::new();

        // Span fields first, so the event's own fields win on a clash.
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                if let Some(stored) = extensions.get::<FormattedFields<N>>() {
                    merge_json_object(&mut fields, stored.fields.as_str());
                }
            }
        }

        let mut visitor = JsonVisitor::default();
        event.record(&mut visitor);
        fields.extend(visitor.fields);
        let message = visitor.message.unwrap_or_default();

        let line = hclog_line(*event.metadata().level(), self.module, &message, fields);
        writeln!(writer, "{line}")
    }
}

/// Builds the JSON line; also used by tests to check the exact shape.
pub fn hclog_line(level: Level, module: &str, message: &str, fields: Map<String, Value>) -> String {
    let mut object = Map::new();
    object.insert("@level".into(), Value::String(hclog_level(level).into()));
    object.insert("@message".into(), Value::String(message.into()));
    object.insert("@module".into(), Value::String(module.into()));
    object.insert(
        "@timestamp".into(),
        Value::String(hclog_timestamp(OffsetDateTime::now_utc())),
    );
    for (key, value) in fields {
        // The @-keys are the host's; a field may never replace them.
        if !key.starts_with('@') {
            object.insert(key, value);
        }
    }
    Value::Object(object).to_string()
}

/// hclog level names; note `warn`, which hclog accepts, not `warning`.
pub fn hclog_level(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

pub fn hclog_timestamp(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(HCLOG_TIMESTAMP)
        .expect("a UTC timestamp always formats with a fixed layout")
}

fn merge_json_object(into: &mut Map<String, Value>, json: &str) {
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(json) {
        into.extend(map);
    }
}

#[derive(Default)]
struct JsonVisitor {
    message: Option<String>,
    fields: Map<String, Value>,
}

impl JsonVisitor {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                Value::String(text) => text,
                other => other.to_string(),
            });
        } else {
            self.fields.insert(field.name().to_string(), value);
        }
    }
}

impl Visit for JsonVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_string()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::String(error_chain(value)));
    }
}

/// An error and its sources on one line, outermost first.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_has_exactly_six_fractional_digits_and_utc_suffix() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        assert_eq!(hclog_timestamp(at), "2023-11-14T22:13:20.123456Z");
    }

    #[test]
    fn warn_level_is_spelled_the_way_hclog_parses_it() {
        assert_eq!(hclog_level(Level::WARN), "warn");
    }

    #[test]
    fn line_carries_string_level_message_timestamp_and_fields() {
        let mut fields = Map::new();
        fields.insert("task_id".into(), Value::from("a/b/c"));
        fields.insert("@level".into(), Value::from("error"));
        let line = hclog_line(Level::INFO, "container", "task started", fields);
        let parsed: Value = serde_json::from_str(&line).unwrap();

        assert_eq!(parsed["@level"], "info");
        assert_eq!(parsed["@message"], "task started");
        assert_eq!(parsed["task_id"], "a/b/c");
        assert!(parsed["@timestamp"].is_string());
        assert!(!line.contains('\n'));
    }
}
