//! Writing the `plugin "nomad-driver-container"` block into a client config.
//!
//! Only the plugin block's bytes change: it is replaced by a freshly rendered
//! block (or appended when missing), and everything before and after it is
//! copied as it was. Keys setup does not manage (`auth`, `ssh_auth_sock`, a
//! plugin-level `args`, ...) are carried over as written. Comments inside the
//! old plugin block are not kept; comments anywhere else are.

use std::path::Path;

use hcl_edit::structure::{Body, Structure};

use super::client_config::{ClientConfig, ClientConfigError, PLUGIN_LABEL};

/// The plugin settings `setup` manages. `None` keeps what the file says (or
/// leaves the key out, so the plugin's default applies).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PluginOptions {
    pub container_path: Option<String>,
    pub image_pull_timeout: Option<String>,
    pub extra_labels: Option<Vec<String>>,
    pub disable_log_collection: Option<bool>,
    pub gc_container: Option<bool>,
    pub volumes_enabled: Option<bool>,
    pub networks_create: Option<bool>,
}

/// The blocks among [`MANAGED_KEYS`] and the one key in each that `setup`
/// writes; anything else in them is the operator's and is kept.
const MANAGED_BLOCKS: [(&str, &str); 3] = [
    ("gc", "container"),
    ("volumes", "enabled"),
    ("networks", "create"),
];

/// Source text of what a managed block holds besides its managed key.
#[derive(Default)]
struct ManagedBlocks(Vec<(&'static str, Vec<String>)>);

impl ManagedBlocks {
    fn carried(&self, block: &str) -> &[String] {
        self.0
            .iter()
            .find(|(name, _)| *name == block)
            .map_or(&[], |(_, carried)| carried.as_slice())
    }
}

/// Config keys whose value `setup` writes itself.
const MANAGED_KEYS: &[&str] = &[
    "container_path",
    "image_pull_timeout",
    "extra_labels",
    "disable_log_collection",
    "gc",
    "volumes",
    "networks",
];

impl PluginOptions {
    /// `other`'s settings where it has one, else ours.
    pub fn overlaid_with(&self, other: &PluginOptions) -> PluginOptions {
        PluginOptions {
            container_path: other.container_path.clone().or(self.container_path.clone()),
            image_pull_timeout: other
                .image_pull_timeout
                .clone()
                .or(self.image_pull_timeout.clone()),
            extra_labels: other.extra_labels.clone().or(self.extra_labels.clone()),
            disable_log_collection: other.disable_log_collection.or(self.disable_log_collection),
            gc_container: other.gc_container.or(self.gc_container),
            volumes_enabled: other.volumes_enabled.or(self.volumes_enabled),
            networks_create: other.networks_create.or(self.networks_create),
        }
    }

    /// What the file's plugin block says about the managed keys. A key of
    /// the wrong type is not read here: the written block is validated as a
    /// whole, and setup replaces such a value when one is chosen.
    pub fn from_config(config: &ClientConfig) -> Result<PluginOptions, ClientConfigError> {
        use rmpv::Value;

        let Some(Value::Map(pairs)) = config.plugin_config_value()? else {
            return Ok(PluginOptions::default());
        };
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(name, _)| name.as_str() == Some(key))
                .map(|(_, value)| value)
        };
        let text = |key: &str| get(key).and_then(Value::as_str).map(str::to_string);
        let nested_bool = |block: &str, key: &str| {
            let value = match get(block)? {
                Value::Array(items) => items.last()?,
                other => other,
            };
            value
                .as_map()?
                .iter()
                .find(|(name, _)| name.as_str() == Some(key))?
                .1
                .as_bool()
        };

        Ok(PluginOptions {
            container_path: text("container_path"),
            image_pull_timeout: text("image_pull_timeout"),
            extra_labels: get("extra_labels").and_then(Value::as_array).map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_string))
                    .collect()
            }),
            disable_log_collection: get("disable_log_collection").and_then(Value::as_bool),
            gc_container: nested_bool("gc", "container"),
            volumes_enabled: nested_bool("volumes", "enabled"),
            networks_create: nested_bool("networks", "create"),
        })
    }
}

/// The whole file with the plugin block written for `options` (merged over
/// what the block already says). Equal to the input when nothing changes.
/// The new block must decode through the plugin's schema, so setup never
/// writes a block Nomad would refuse.
pub fn with_plugin_block(
    config: &ClientConfig,
    options: &PluginOptions,
) -> Result<String, ClientConfigError> {
    let text = render_file(config, options)?;
    ClientConfig::parse(&config.path, text.clone())?.validate_plugin_config()?;
    Ok(text)
}

fn render_file(
    config: &ClientConfig,
    options: &PluginOptions,
) -> Result<String, ClientConfigError> {
    let current = PluginOptions::from_config(config)?;
    let merged = current.overlaid_with(options);

    let Some(existing) = config.plugin_block()? else {
        let mut text = config.text.clone();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&render_block(&merged, &[], &[], &ManagedBlocks::default()));
        text.push('\n');
        return Ok(text);
    };

    let plugin_level = carried_structures(config, &existing.block.body, &["config"]);
    let config_block = existing.block.body.get_blocks("config").last();
    let config_level = match config_block {
        Some(block) => carried_structures(config, &block.body, MANAGED_KEYS),
        None => Vec::new(),
    };
    // Inside a managed block (`gc`), keys other than the managed one (such
    // as `gc.dangling_containers`) are carried over as written too.
    let mut nested = ManagedBlocks::default();
    if let Some(block) = config_block {
        for (name, key) in MANAGED_BLOCKS {
            if let Some(inner) = block.body.get_blocks(name).last() {
                nested
                    .0
                    .push((name, carried_structures(config, &inner.body, &[key])));
            }
        }
    }
    let rendered = render_block(&merged, &plugin_level, &config_level, &nested);
    let span = existing.span;
    Ok(format!(
        "{}{}{}",
        &config.text[..span.start],
        rendered,
        &config.text[span.end..]
    ))
}

/// The file without the plugin block (and without the blank line that
/// separated it from what came before).
pub fn without_plugin_block(config: &ClientConfig) -> Result<String, ClientConfigError> {
    let Some(existing) = config.plugin_block()? else {
        return Ok(config.text.clone());
    };
    let text = &config.text;
    let line_start = text[..existing.span.start]
        .rfind('\n')
        .map_or(0, |at| at + 1);
    let line_end = text[existing.span.end..]
        .find('\n')
        .map_or(text.len(), |at| existing.span.end + at + 1);
    let mut before = text[..line_start].to_string();
    if before.ends_with("\n\n") {
        before.pop();
    }
    Ok(format!("{before}{}", &text[line_end..]))
}

/// Source text of each structure in `body` whose key is not in `skip`.
fn carried_structures(config: &ClientConfig, body: &Body, skip: &[&str]) -> Vec<String> {
    body.iter()
        .filter(|structure| {
            let key = match structure {
                Structure::Attribute(attr) => attr.key.as_str(),
                Structure::Block(block) => block.ident.as_str(),
            };
            !skip.contains(&key)
        })
        .filter_map(|structure| config.source_of(structure).map(str::to_string))
        .collect()
}

fn render_block(
    options: &PluginOptions,
    plugin_level: &[String],
    config_level: &[String],
    nested: &ManagedBlocks,
) -> String {
    let mut out = format!("plugin \"{PLUGIN_LABEL}\" {{\n");
    for text in plugin_level {
        out.push_str(&format!("  {text}\n"));
    }
    if !plugin_level.is_empty() {
        out.push('\n');
    }
    out.push_str("  config {\n");

    let mut attributes = Vec::new();
    if let Some(path) = &options.container_path {
        attributes.push(format!("container_path = {}", hcl_string(path)));
    }
    if let Some(timeout) = &options.image_pull_timeout {
        attributes.push(format!("image_pull_timeout = {}", hcl_string(timeout)));
    }
    if let Some(labels) = &options.extra_labels {
        let items: Vec<String> = labels.iter().map(|label| hcl_string(label)).collect();
        attributes.push(format!("extra_labels = [{}]", items.join(", ")));
    }
    if let Some(disable) = options.disable_log_collection {
        attributes.push(format!("disable_log_collection = {disable}"));
    }
    for line in attributes.iter().chain(config_level) {
        // A carried block gets a blank line above it, like the ones below.
        if line.contains('\n') {
            out.push('\n');
        }
        out.push_str(&format!("    {line}\n"));
    }

    let values = [
        options.gc_container,
        options.volumes_enabled,
        options.networks_create,
    ];
    for ((block, key), value) in MANAGED_BLOCKS.into_iter().zip(values) {
        let carried = nested.carried(block);
        if value.is_none() && carried.is_empty() {
            continue;
        }
        out.push_str(&format!("\n    {block} {{\n"));
        if let Some(value) = value {
            out.push_str(&format!("      {key} = {value}\n"));
        }
        for text in carried {
            if text.contains('\n') {
                out.push('\n');
            }
            out.push_str(&format!("      {text}\n"));
        }
        out.push_str("    }\n");
    }
    out.push_str("  }\n}");
    out
}

/// A quoted HCL string: quotes, backslashes, line breaks and `${`/`%{`
/// (which would start a template) are escaped.
pub fn hcl_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// Reads `path`, or starts an empty config when it does not exist yet.
pub fn read_or_empty(path: &Path) -> Result<ClientConfig, ClientConfigError> {
    match std::fs::metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            ClientConfig::parse(path, String::new())
        }
        _ => ClientConfig::read(path),
    }
}

#[cfg(test)]
mod tests;
