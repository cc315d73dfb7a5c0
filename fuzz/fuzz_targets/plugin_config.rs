//! The plugin config block from the client's agent config, as SetConfig
//! carries it: a config or an error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nomad_driver_container::config::{plugin_config_entries, PluginConfig};
use nomad_driver_container_fuzz::config_inputs;

fuzz_target!(|data: &[u8]| {
    for bytes in config_inputs(data, &plugin_config_entries()) {
        match PluginConfig::decode(&bytes) {
            Ok(config) => drop(format!("{config:?}")),
            Err(error) => drop(error.to_string()),
        }
    }
});
