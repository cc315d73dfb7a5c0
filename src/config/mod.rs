//! The configuration we accept: the hclspec schemas we serve to Nomad, the
//! decoding of the cty-msgpack values Nomad sends back, and validation.
//!
//! Every error names the key at fault and the value found, so a mistake in a
//! job file or agent config reads as a precise message in Nomad's UI.

mod duration;
mod msgpack;
mod plugin;
pub mod reference;
mod schema;
pub mod task;

pub use duration::parse_duration;
pub use msgpack::{ConfigError, ConfigObject};
pub use plugin::{plugin_config_entries, plugin_config_schema, MetricsConfig, PluginConfig};
pub use schema::{SchemaEntry, SchemaKind};
pub use task::{task_config_entries, task_config_schema, TaskConfig};
