//! JSON text the way Swift's `JSONEncoder` writes it for Apple's CLI.
//!
//! We render `serde_json::Value` ourselves instead of using serde_json's
//! writer because three details matter to a byte-faithful stand-in: keys are
//! always sorted, `/` is escaped as `\/`, and pretty output uses Foundation's
//! `"key" : value` spacing with a two-space indent.

use serde_json::Value;

/// One line, no whitespace, keys sorted (`list --format json`, `stats`).
pub fn compact(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, None);
    out
}

/// Indented, keys sorted (`inspect`, `image inspect`).
pub fn pretty(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, Some(0));
    out
}

fn write_value(out: &mut String, value: &Value, indent: Option<usize>) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::String(text) => write_string(out, text),
        Value::Array(items) => write_array(out, items, indent),
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            write_object(out, &entries, indent);
        }
    }
}

fn write_array(out: &mut String, items: &[Value], indent: Option<usize>) {
    if items.is_empty() {
        out.push_str("[]");
        return;
    }
    out.push('[');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        newline_and_indent(out, indent.map(|level| level + 1));
        write_value(out, item, indent.map(|level| level + 1));
    }
    newline_and_indent(out, indent);
    out.push(']');
}

fn write_object(out: &mut String, entries: &[(&String, &Value)], indent: Option<usize>) {
    if entries.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push('{');
    for (index, (key, item)) in entries.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        newline_and_indent(out, indent.map(|level| level + 1));
        write_string(out, key);
        out.push_str(if indent.is_some() { " : " } else { ":" });
        write_value(out, item, indent.map(|level| level + 1));
    }
    newline_and_indent(out, indent);
    out.push('}');
}

fn newline_and_indent(out: &mut String, indent: Option<usize>) {
    if let Some(level) = indent {
        out.push('\n');
        out.push_str(&"  ".repeat(level));
    }
}

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ch if (ch as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", ch as u32)),
            ch => out.push(ch),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compact_sorts_keys_and_escapes_slashes() {
        let value = json!({"b": "/usr/bin", "a": [1, true], "c": {}});
        assert_eq!(compact(&value), r#"{"a":[1,true],"b":"\/usr\/bin","c":{}}"#);
    }

    #[test]
    fn pretty_uses_foundation_spacing() {
        let value = json!([{"id": "web", "labels": {}, "args": ["a"]}]);
        let expected = "[\n  {\n    \"args\" : [\n      \"a\"\n    ],\n    \"id\" : \"web\",\n    \
                        \"labels\" : {}\n  }\n]";
        assert_eq!(pretty(&value), expected);
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(compact(&json!("a\"b\n\u{1}")), r#""a\"b\n\u0001""#);
    }
}
