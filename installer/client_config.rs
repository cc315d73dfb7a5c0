//! Reading a Nomad client agent config: its `plugin_dir`, and the
//! `plugin "nomad-driver-container"` block, checked against the very schema
//! the plugin serves to Nomad so `doctor` reports what Nomad would refuse.
//!
//! hcl-edit parses the file with byte spans, which is what lets `setup`
//! replace the plugin block and leave every other byte as it was.

use std::ops::Range;
use std::path::{Path, PathBuf};

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::Span;
use rmpv::Value;

use crate::config::{ConfigError, PluginConfig};

/// The plugin block's label: the binary's file name in `plugin_dir`.
pub const PLUGIN_LABEL: &str = "nomad-driver-container";

#[derive(Debug, thiserror::Error)]
pub enum ClientConfigError {
    #[error("cannot read the Nomad client config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{path}:{line}:{column}: not valid HCL: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    #[error(
        "{path} holds {count} plugin \"{PLUGIN_LABEL}\" blocks; Nomad needs exactly one, \
         remove the extra ones"
    )]
    DuplicatePluginBlock { path: PathBuf, count: usize },

    #[error(
        "{path}: {key} is an expression ({expression}); the installer reads literal values only, \
         write the value itself"
    )]
    NotLiteral {
        path: PathBuf,
        key: String,
        expression: String,
    },

    #[error("{path}: plugin \"{PLUGIN_LABEL}\" config: {source}")]
    Invalid { path: PathBuf, source: ConfigError },
}

/// A parsed client config file and its text.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub path: PathBuf,
    pub text: String,
    body: Body,
}

/// The plugin block as found in the file.
#[derive(Debug, Clone)]
pub struct PluginBlock<'a> {
    pub block: &'a Block,
    /// Byte range of the block (label to closing brace) in the file.
    pub span: Range<usize>,
}

impl ClientConfig {
    pub fn read(path: &Path) -> Result<Self, ClientConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ClientConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, text)
    }

    pub fn parse(path: &Path, text: String) -> Result<Self, ClientConfigError> {
        let body = hcl_edit::parser::parse_body(&text).map_err(|error| {
            let location = error.location();
            ClientConfigError::Syntax {
                path: path.to_path_buf(),
                line: location.line(),
                column: location.column(),
                message: error.message().to_string(),
            }
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            text,
            body,
        })
    }

    /// A top-level string attribute such as `plugin_dir` or `data_dir`.
    pub fn top_level_string(&self, key: &str) -> Option<String> {
        match self.body.get_attribute(key).map(|attr| &attr.value) {
            Some(Expression::String(text)) => Some(text.value().to_string()),
            _ => None,
        }
    }

    /// Where Nomad looks for plugins: `plugin_dir`, else `<data_dir>/plugins`
    /// (Nomad's own default).
    pub fn plugin_dir(&self) -> Option<PathBuf> {
        self.top_level_string("plugin_dir")
            .map(PathBuf::from)
            .or_else(|| self.data_dir_plugins())
    }

    /// Nomad's default plugin directory for this config's `data_dir`.
    pub fn data_dir_plugins(&self) -> Option<PathBuf> {
        self.top_level_string("data_dir")
            .map(|dir| Path::new(&dir).join("plugins"))
    }

    /// Whether the file configures a Nomad client (`client { ... }`).
    pub fn has_client_block(&self) -> bool {
        self.body.get_blocks("client").next().is_some()
    }

    /// The plugin block, if the file has one; two are an error.
    pub fn plugin_block(&self) -> Result<Option<PluginBlock<'_>>, ClientConfigError> {
        let blocks: Vec<&Block> = self
            .body
            .get_blocks("plugin")
            .filter(|block| is_our_label(block))
            .collect();
        match blocks.as_slice() {
            [] => Ok(None),
            [block] => Ok(Some(PluginBlock {
                block,
                span: block.span().unwrap_or(0..0),
            })),
            more => Err(ClientConfigError::DuplicatePluginBlock {
                path: self.path.clone(),
                count: more.len(),
            }),
        }
    }

    /// The plugin block's `config { ... }` as the value Nomad would send.
    pub fn plugin_config_value(&self) -> Result<Option<Value>, ClientConfigError> {
        let Some(plugin) = self.plugin_block()? else {
            return Ok(None);
        };
        match plugin.block.body.get_blocks("config").last() {
            Some(config) => body_value(&self.path, &config.body, "config").map(Some),
            None => Ok(Some(Value::Map(Vec::new()))),
        }
    }

    /// Decodes the plugin block the way the plugin does when Nomad sends
    /// it; `Ok(None)` when there is no block.
    pub fn validate_plugin_config(&self) -> Result<Option<PluginConfig>, ClientConfigError> {
        let Some(value) = self.plugin_config_value()? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, &value).expect("writing to a Vec cannot fail");
        PluginConfig::decode(&bytes)
            .map(Some)
            .map_err(|source| ClientConfigError::Invalid {
                path: self.path.clone(),
                source,
            })
    }

    /// The source text of a structure, exactly as written.
    pub fn source_of(&self, structure: &Structure) -> Option<&str> {
        let span = match structure {
            Structure::Attribute(attr) => attr.span(),
            Structure::Block(block) => block.span(),
        }?;
        self.text.get(span)
    }
}

fn is_our_label(block: &Block) -> bool {
    matches!(block.labels.as_slice(), [label] if label.as_str() == PLUGIN_LABEL)
}

/// A block body as a map: attributes by key, a block once as a map, a
/// repeated block as a list of maps (as Nomad's hclspec decoding does).
fn body_value(path: &Path, body: &Body, prefix: &str) -> Result<Value, ClientConfigError> {
    let mut pairs: Vec<(Value, Value)> = Vec::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let key = format!("{prefix}.{}", attr.key.as_str());
                let value = expression_value(path, &attr.value, &key)?;
                pairs.push((Value::from(attr.key.as_str()), value));
            }
            Structure::Block(block) => {
                let name = block.ident.as_str();
                let key = format!("{prefix}.{name}");
                let value = body_value(path, &block.body, &key)?;
                push_block(&mut pairs, name, value);
            }
        }
    }
    Ok(Value::Map(pairs))
}

fn push_block(pairs: &mut Vec<(Value, Value)>, name: &str, value: Value) {
    let Some(at) = pairs.iter().position(|(key, _)| key.as_str() == Some(name)) else {
        pairs.push((Value::from(name), value));
        return;
    };
    let slot = &mut pairs[at].1;
    if let Value::Array(items) = slot {
        items.push(value);
        return;
    }
    let first = std::mem::replace(slot, Value::Nil);
    *slot = Value::Array(vec![first, value]);
}

/// A literal HCL expression as a value; anything that needs evaluating
/// (variables, functions, interpolations) is refused by name.
fn expression_value(path: &Path, expr: &Expression, key: &str) -> Result<Value, ClientConfigError> {
    let not_literal = || ClientConfigError::NotLiteral {
        path: path.to_path_buf(),
        key: key.to_string(),
        expression: expr.to_string().trim().to_string(),
    };
    Ok(match expr {
        Expression::Null(_) => Value::Nil,
        Expression::Bool(flag) => Value::from(*flag.value()),
        Expression::Number(number) => {
            let number = number.value();
            match (number.as_i64(), number.as_f64()) {
                (Some(int), _) => Value::from(int),
                (None, Some(float)) => Value::from(float),
                _ => return Err(not_literal()),
            }
        }
        Expression::String(text) => Value::from(text.value().as_str()),
        Expression::HeredocTemplate(heredoc) => {
            Value::from(literal_template(heredoc.template.iter()).ok_or_else(not_literal)?)
        }
        Expression::StringTemplate(template) => {
            Value::from(literal_template(template.iter()).ok_or_else(not_literal)?)
        }
        Expression::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| expression_value(path, item, &format!("{key}[{index}]")))
                .collect::<Result<_, _>>()?,
        ),
        Expression::Object(object) => {
            let mut pairs = Vec::new();
            for (object_key, object_value) in object.iter() {
                let name = match object_key {
                    ObjectKey::Ident(ident) => ident.as_str().to_string(),
                    ObjectKey::Expression(Expression::String(text)) => text.value().to_string(),
                    ObjectKey::Expression(_) => return Err(not_literal()),
                };
                let item_key = format!("{key}.{name}");
                let value = expression_value(path, object_value.expr(), &item_key)?;
                pairs.push((Value::from(name), value));
            }
            Value::Map(pairs)
        }
        Expression::Parenthesis(inner) => expression_value(path, inner.inner(), key)?,
        _ => return Err(not_literal()),
    })
}

/// A template made of literal text only (escaped `$${`, heredocs).
fn literal_template<'a>(
    mut elements: impl Iterator<Item = &'a hcl_edit::template::Element>,
) -> Option<String> {
    elements.try_fold(String::new(), |mut text, element| {
        text.push_str(element.as_literal()?.value());
        Some(text)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ClientConfig {
        ClientConfig::parse(Path::new("client.hcl"), text.to_string()).unwrap()
    }

    #[test]
    fn plugin_dir_defaults_to_the_data_dirs_plugins_folder() {
        let config = parse("data_dir = \"/opt/nomad/data\"\n");
        assert_eq!(
            config.plugin_dir(),
            Some(PathBuf::from("/opt/nomad/data/plugins"))
        );
        let config = parse("data_dir = \"/d\"\nplugin_dir = \"/p\"\n");
        assert_eq!(config.plugin_dir(), Some(PathBuf::from("/p")));
    }

    #[test]
    fn a_valid_plugin_block_decodes_through_the_plugins_schema() {
        let config = parse(
            r#"plugin "nomad-driver-container" {
  config {
    image_pull_timeout = "90s"
    extra_labels = ["job_name"]
    gc { container = false }
  }
}
"#,
        );
        let decoded = config.validate_plugin_config().unwrap().unwrap();
        assert!(!decoded.gc_container);
        assert_eq!(decoded.extra_labels, ["job_name"]);
        assert_eq!(decoded.image_pull_timeout.as_secs(), 90);
    }

    #[test]
    fn a_bad_value_names_the_file_the_key_and_the_value() {
        let config = parse(
            "plugin \"nomad-driver-container\" {\n  config {\n    \
             image_pull_timeout = \"soon\"\n  }\n}\n",
        );
        let error = config.validate_plugin_config().unwrap_err().to_string();
        assert!(error.contains("client.hcl"), "{error}");
        assert!(error.contains("image_pull_timeout = \"soon\""), "{error}");
    }

    #[test]
    fn an_unknown_key_is_refused_like_nomad_would() {
        let config = parse(
            "plugin \"nomad-driver-container\" {\n  config {\n    colour = \"blue\"\n  }\n}\n",
        );
        let error = config.validate_plugin_config().unwrap_err().to_string();
        assert!(error.contains("colour"), "{error}");
    }

    #[test]
    fn an_expression_is_reported_as_not_readable_not_guessed() {
        let config = parse(
            "plugin \"nomad-driver-container\" {\n  config {\n    \
             container_path = var.cli\n  }\n}\n",
        );
        let error = config.validate_plugin_config().unwrap_err().to_string();
        assert!(error.contains("config.container_path"), "{error}");
        assert!(error.contains("var.cli"), "{error}");
    }

    #[test]
    fn other_plugins_blocks_are_not_ours_and_two_of_ours_are_an_error() {
        let config = parse("plugin \"docker\" {\n  config {}\n}\n");
        assert!(config.plugin_block().unwrap().is_none());
        assert!(config.validate_plugin_config().unwrap().is_none());

        let twice = "plugin \"nomad-driver-container\" {}\nplugin \"nomad-driver-container\" {}\n";
        let error = parse(twice).plugin_block().unwrap_err().to_string();
        assert!(error.contains("2 plugin"), "{error}");
    }

    #[test]
    fn a_syntax_error_names_the_file_and_line() {
        let error = ClientConfig::parse(Path::new("c.hcl"), "client {\n  enabled = \n".into())
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("c.hcl:"), "{error}");
    }
}
