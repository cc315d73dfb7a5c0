//! Shared by the fuzz targets: turning fuzz input into config bytes shaped
//! the way Nomad sends them.

use nomad_driver_container::config::SchemaEntry;
use rmpv::Value;

/// Two views of one input. Raw bytes reach the msgpack decoder itself;
/// when the input decodes to a list, its items are paired with the
/// schema's keys in order (missing ones nil), as Nomad sends every declared
/// key, so the fuzzer reaches the validation of each key instead of
/// stopping at "unknown key".
pub fn config_inputs(data: &[u8], entries: &[SchemaEntry]) -> Vec<Vec<u8>> {
    let mut inputs = vec![data.to_vec()];
    let mut reader = data;
    if let Ok(Value::Array(items)) = rmpv::decode::read_value_with_max_depth(&mut reader, 16) {
        let mut items = items.into_iter();
        let pairs = entries
            .iter()
            .map(|entry| (Value::from(entry.key), items.next().unwrap_or(Value::Nil)))
            .collect();
        let mut bytes = Vec::new();
        if rmpv::encode::write_value(&mut bytes, &Value::Map(pairs)).is_ok() {
            inputs.push(bytes);
        }
    }
    inputs
}
