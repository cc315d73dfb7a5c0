//! A small vocabulary for declaring a config schema once and serving it as an
//! hclspec tree. Each entry also carries what a person needs to read about
//! the key, so documentation comes from the same table as the schema.

use std::collections::HashMap;

use crate::proto::hclspec::{self, spec::Block as Kind, Spec};

/// One top-level key of a config block.
#[derive(Debug, Clone)]
pub struct SchemaEntry {
    pub key: &'static str,
    pub kind: SchemaKind,
    /// An HCL native-syntax literal used when the key is absent.
    pub default: Option<&'static str>,
    pub required: bool,
    pub doc: &'static str,
}

/// How a key is written in HCL.
#[derive(Debug, Clone)]
pub enum SchemaKind {
    /// `key = value` with an HCL type expression such as `list(string)`.
    Attr(&'static str),
    /// `key { a = "b" }` or `key = { a = "b" }`: a map of the given type.
    /// Both forms decode, because Nomad turns job HCL into JSON first.
    MapBlock(&'static str),
    /// `key { ... }` holding its own entries.
    Block(Vec<SchemaEntry>),
}

impl SchemaEntry {
    pub const fn attr(key: &'static str, type_expr: &'static str, doc: &'static str) -> Self {
        Self {
            key,
            kind: SchemaKind::Attr(type_expr),
            default: None,
            required: false,
            doc,
        }
    }

    pub const fn map_block(key: &'static str, type_expr: &'static str, doc: &'static str) -> Self {
        Self {
            key,
            kind: SchemaKind::MapBlock(type_expr),
            default: None,
            required: false,
            doc,
        }
    }

    pub fn block(key: &'static str, entries: Vec<SchemaEntry>, doc: &'static str) -> Self {
        Self {
            key,
            kind: SchemaKind::Block(entries),
            default: None,
            required: false,
            doc,
        }
    }

    pub const fn with_default(mut self, literal: &'static str) -> Self {
        self.default = Some(literal);
        self
    }

    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The HCL type a person writes, for documentation.
    pub fn type_label(&self) -> String {
        match &self.kind {
            SchemaKind::Attr(type_expr) => (*type_expr).to_string(),
            SchemaKind::MapBlock(type_expr) => format!("map({type_expr}) block"),
            SchemaKind::Block(_) => "block".to_string(),
        }
    }

    fn to_spec(&self) -> Spec {
        let name = self.key.to_string();
        let primary = match &self.kind {
            SchemaKind::Attr(type_expr) => Kind::Attr(hclspec::Attr {
                name,
                r#type: (*type_expr).to_string(),
                required: self.required,
            }),
            SchemaKind::MapBlock(type_expr) => Kind::BlockAttrs(hclspec::BlockAttrs {
                name,
                r#type: (*type_expr).to_string(),
                required: self.required,
            }),
            SchemaKind::Block(entries) => Kind::BlockValue(Box::new(hclspec::Block {
                name,
                required: self.required,
                nested: Some(Box::new(object_spec(entries))),
            })),
        };
        let primary = Spec {
            block: Some(primary),
        };

        match self.default {
            None => primary,
            Some(literal) => Spec {
                block: Some(Kind::Default(Box::new(hclspec::Default {
                    primary: Some(Box::new(primary)),
                    default: Some(Box::new(Spec {
                        block: Some(Kind::Literal(hclspec::Literal {
                            value: literal.into(),
                        })),
                    })),
                }))),
            },
        }
    }
}

/// The hclspec `Object` for a list of entries.
pub fn object_spec(entries: &[SchemaEntry]) -> Spec {
    let attributes: HashMap<String, Spec> = entries
        .iter()
        .map(|entry| (entry.key.to_string(), entry.to_spec()))
        .collect();
    Spec {
        block: Some(Kind::Object(hclspec::Object { attributes })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaulted_attr_becomes_default_over_named_attr_and_literal() {
        let entry = SchemaEntry::attr("timeout", "string", "doc").with_default("\"5m\"");
        let Some(Kind::Default(default)) = entry.to_spec().block else {
            panic!("expected a Default spec");
        };
        let Some(Kind::Attr(attr)) = default.primary.unwrap().block else {
            panic!("expected an Attr primary");
        };
        assert_eq!(attr.name, "timeout");
        assert_eq!(attr.r#type, "string");
        let Some(Kind::Literal(literal)) = default.default.unwrap().block else {
            panic!("expected a Literal fallback");
        };
        assert_eq!(literal.value, "\"5m\"");
    }

    #[test]
    fn map_block_is_served_as_block_attrs_so_both_hcl_forms_decode() {
        let entry = SchemaEntry::map_block("labels", "string", "doc");
        assert!(matches!(entry.to_spec().block, Some(Kind::BlockAttrs(_))));
    }
}
