//! Reading the cty-msgpack values Nomad sends for a config block.
//!
//! The bytes carry no schema: the top level is a map holding every key we
//! declared (absent ones as nil), numbers may arrive as integers, floats or
//! decimal strings, and a block is a nested map. Every accessor reports the
//! full key path (`gc.container`) and what it found instead.

use std::collections::BTreeMap;

use rmpv::Value;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("the config is not valid cty-msgpack: {0}")]
    Malformed(String),

    #[error("{key}: expected {expected}, found {found}")]
    WrongType {
        key: String,
        expected: &'static str,
        found: String,
    },

    #[error("{key} is required")]
    Missing { key: String },

    #[error("{key} = {value}: {reason}")]
    Invalid {
        key: String,
        value: String,
        reason: String,
    },

    #[error("unknown key {key:?} (this driver version does not know it)")]
    UnknownKey { key: String },
}

/// Nesting deeper than any schema of ours could produce.
const MAX_DEPTH: usize = 32;

/// One decoded config object (the top level, or a block inside it).
#[derive(Debug, Clone, Default)]
pub struct ConfigObject {
    prefix: String,
    entries: BTreeMap<String, Value>,
}

impl ConfigObject {
    /// Decodes a whole config; empty bytes mean "no config block" (`{}`).
    pub fn decode(bytes: &[u8], known_keys: &[&str]) -> Result<Self, ConfigError> {
        if bytes.is_empty() {
            return Ok(Self::default());
        }
        let mut reader = bytes;
        // A bounded depth: a hostile nesting must be an error, not a stack
        // overflow that takes the plugin down.
        let value = rmpv::decode::read_value_with_max_depth(&mut reader, MAX_DEPTH)
            .map_err(|error| ConfigError::Malformed(error.to_string()))?;
        if !reader.is_empty() {
            return Err(ConfigError::Malformed(format!(
                "{} unexpected bytes after the config value",
                reader.len()
            )));
        }
        Self::from_value(String::new(), value, known_keys)
    }

    fn from_value(prefix: String, value: Value, known_keys: &[&str]) -> Result<Self, ConfigError> {
        let Value::Map(pairs) = value else {
            let key = if prefix.is_empty() {
                "config".to_string()
            } else {
                prefix
            };
            return Err(ConfigError::WrongType {
                key,
                expected: "an object",
                found: describe(&value),
            });
        };

        let mut entries = BTreeMap::new();
        for (raw_key, value) in pairs {
            let Value::String(key) = raw_key else {
                return Err(ConfigError::Malformed(format!(
                    "non-string key {}",
                    describe(&raw_key)
                )));
            };
            let key = key
                .into_str()
                .ok_or_else(|| ConfigError::Malformed("key is not UTF-8".into()))?;
            if !known_keys.contains(&key.as_str()) {
                return Err(ConfigError::UnknownKey {
                    key: join(&prefix, &key),
                });
            }
            entries.insert(key, value);
        }
        Ok(Self { prefix, entries })
    }

    /// The dotted path of `key` inside this object, for messages.
    pub fn path(&self, key: &str) -> String {
        join(&self.prefix, key)
    }

    fn present(&self, key: &str) -> Option<&Value> {
        self.entries.get(key).filter(|value| !value.is_nil())
    }

    pub fn string(&self, key: &str) -> Result<Option<String>, ConfigError> {
        self.present(key)
            .map(|value| self.as_string(key, value))
            .transpose()
    }

    pub fn required_string(&self, key: &str) -> Result<String, ConfigError> {
        match self.string(key)? {
            Some(text) if !text.is_empty() => Ok(text),
            _ => Err(ConfigError::Missing {
                key: self.path(key),
            }),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        self.present(key)
            .map(|value| match value {
                Value::Boolean(flag) => Ok(*flag),
                other => Err(self.wrong_type(key, "a bool", other)),
            })
            .transpose()
    }

    /// A cty number: an integer, a float, or a decimal string.
    pub fn number(&self, key: &str) -> Result<Option<f64>, ConfigError> {
        self.present(key)
            .map(|value| self.as_number(key, value))
            .transpose()
    }

    pub fn string_list(&self, key: &str) -> Result<Option<Vec<String>>, ConfigError> {
        let Some(value) = self.present(key) else {
            return Ok(None);
        };
        let Value::Array(items) = value else {
            return Err(self.wrong_type(key, "a list of strings", value));
        };
        items
            .iter()
            .enumerate()
            .map(|(index, item)| self.as_string(&format!("{key}[{index}]"), item))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A map of strings. A block written more than once arrives as a list of
    /// maps; they are merged in order.
    pub fn string_map(&self, key: &str) -> Result<Option<BTreeMap<String, String>>, ConfigError> {
        let Some(value) = self.present(key) else {
            return Ok(None);
        };
        let maps: Vec<&Value> = match value {
            Value::Map(_) => vec![value],
            Value::Array(items) => items.iter().collect(),
            other => return Err(self.wrong_type(key, "a map of strings", other)),
        };

        let mut merged = BTreeMap::new();
        for map in maps {
            let Value::Map(pairs) = map else {
                return Err(self.wrong_type(key, "a map of strings", map));
            };
            for (name, item) in pairs {
                let name = name
                    .as_str()
                    .ok_or_else(|| self.wrong_type(key, "string keys", name))?;
                let item_key = format!("{key}.{name}");
                merged.insert(name.to_string(), self.as_string(&item_key, item)?);
            }
        }
        Ok(Some(merged))
    }

    /// A nested block (`gc { ... }`); a repeated block keeps the last one.
    pub fn block(&self, key: &str, known_keys: &[&str]) -> Result<Option<Self>, ConfigError> {
        let Some(value) = self.present(key) else {
            return Ok(None);
        };
        let value = match value {
            Value::Array(items) => match items.last() {
                Some(last) => last.clone(),
                None => return Ok(None),
            },
            other => other.clone(),
        };
        Self::from_value(self.path(key), value, known_keys).map(Some)
    }

    pub fn invalid(
        &self,
        key: &str,
        value: impl std::fmt::Display,
        reason: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            key: self.path(key),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    fn as_string(&self, key: &str, value: &Value) -> Result<String, ConfigError> {
        match value {
            Value::String(text) => text
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| self.wrong_type(key, "a UTF-8 string", value)),
            other => Err(self.wrong_type(key, "a string", other)),
        }
    }

    fn as_number(&self, key: &str, value: &Value) -> Result<f64, ConfigError> {
        match value {
            Value::Integer(number) => number
                .as_f64()
                .ok_or_else(|| self.wrong_type(key, "a number", value)),
            Value::F32(number) => Ok(f64::from(*number)),
            Value::F64(number) => Ok(*number),
            // cty sends decimals without an exact binary form as text.
            Value::String(text) => text
                .as_str()
                .and_then(|digits| digits.parse::<f64>().ok())
                .ok_or_else(|| self.wrong_type(key, "a number", value)),
            other => Err(self.wrong_type(key, "a number", other)),
        }
    }

    fn wrong_type(&self, key: &str, expected: &'static str, found: &Value) -> ConfigError {
        ConfigError::WrongType {
            key: self.path(key),
            expected,
            found: describe(found),
        }
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// A short description of a value for error messages. Strings are quoted
/// but cut short, so a long value does not flood the message.
fn describe(value: &Value) -> String {
    match value {
        Value::Nil => "null".into(),
        Value::Boolean(flag) => format!("bool {flag}"),
        Value::Integer(number) => format!("number {number}"),
        Value::F32(number) => format!("number {number}"),
        Value::F64(number) => format!("number {number}"),
        Value::String(text) => match text.as_str() {
            Some(text) if text.chars().count() > 40 => {
                format!("string {:?}…", text.chars().take(40).collect::<String>())
            }
            Some(text) => format!("string {text:?}"),
            None => "a non-UTF-8 string".into(),
        },
        Value::Binary(_) => "binary data".into(),
        Value::Array(items) => format!("a list of {} items", items.len()),
        Value::Map(pairs) => format!("an object with {} keys", pairs.len()),
        Value::Ext(kind, _) => format!("msgpack extension type {kind} (an unknown value?)"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Encodes a value the way cty's msgpack encoder would.
    pub fn encode(value: &Value) -> Vec<u8> {
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, value).unwrap();
        bytes
    }

    pub fn object(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(key, value)| (Value::from(*key), value.clone()))
                .collect(),
        )
    }

    #[test]
    fn numbers_arrive_as_int_float_or_decimal_string() {
        let bytes = encode(&object(&[
            ("a", Value::from(3)),
            ("b", Value::F64(1.5)),
            ("c", Value::from("0.1")),
        ]));
        let config = ConfigObject::decode(&bytes, &["a", "b", "c"]).unwrap();
        assert_eq!(config.number("a").unwrap(), Some(3.0));
        assert_eq!(config.number("b").unwrap(), Some(1.5));
        assert_eq!(config.number("c").unwrap(), Some(0.1));
    }

    #[test]
    fn wrong_type_names_the_nested_key_and_the_value_found() {
        let bytes = encode(&object(&[(
            "gc",
            object(&[("container", Value::from("yes"))]),
        )]));
        let config = ConfigObject::decode(&bytes, &["gc"]).unwrap();
        let gc = config.block("gc", &["container"]).unwrap().unwrap();
        let error = gc.bool("container").unwrap_err();
        assert_eq!(
            error.to_string(),
            "gc.container: expected a bool, found string \"yes\""
        );
    }

    #[test]
    fn unknown_key_is_refused_with_its_path() {
        let bytes = encode(&object(&[("imagee", Value::from("x"))]));
        let error = ConfigObject::decode(&bytes, &["image"]).unwrap_err();
        assert_eq!(
            error,
            ConfigError::UnknownKey {
                key: "imagee".into()
            }
        );
    }

    #[test]
    fn garbage_bytes_are_malformed_not_a_panic() {
        let error = ConfigObject::decode(&[0xc1, 0xff, 0x00], &["image"]).unwrap_err();
        assert!(matches!(error, ConfigError::Malformed(_)), "{error:?}");
        let error = ConfigObject::decode(&encode(&Value::from(7)), &["image"]).unwrap_err();
        assert!(error.to_string().contains("expected an object"), "{error}");
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let mut bytes = vec![0x91u8; 100_000]; // fixarray(1), nested
        bytes.push(0xc0);
        let error = ConfigObject::decode(&bytes, &["image"]).unwrap_err();
        assert!(matches!(error, ConfigError::Malformed(_)), "{error:?}");
    }

    #[test]
    fn nil_means_absent_and_required_string_says_which_key() {
        let bytes = encode(&object(&[("image", Value::Nil)]));
        let config = ConfigObject::decode(&bytes, &["image"]).unwrap();
        assert_eq!(config.string("image").unwrap(), None);
        assert_eq!(
            config.required_string("image").unwrap_err().to_string(),
            "image is required"
        );
    }

    #[test]
    fn string_map_accepts_a_map_or_a_list_of_maps() {
        let as_map = object(&[("labels", object(&[("a", Value::from("1"))]))]);
        let as_blocks = object(&[(
            "labels",
            Value::Array(vec![
                object(&[("a", Value::from("1"))]),
                object(&[("b", Value::from("2"))]),
            ]),
        )]);
        let one = ConfigObject::decode(&encode(&as_map), &["labels"]).unwrap();
        let two = ConfigObject::decode(&encode(&as_blocks), &["labels"]).unwrap();
        assert_eq!(one.string_map("labels").unwrap().unwrap().len(), 1);
        assert_eq!(two.string_map("labels").unwrap().unwrap().len(), 2);
    }

    #[test]
    fn list_element_of_wrong_type_names_its_index() {
        let bytes = encode(&object(&[(
            "args",
            Value::Array(vec![Value::from("a"), Value::from(2)]),
        )]));
        let config = ConfigObject::decode(&bytes, &["args"]).unwrap();
        let error = config.string_list("args").unwrap_err();
        assert_eq!(
            error.to_string(),
            "args[1]: expected a string, found number 2"
        );
    }
}
