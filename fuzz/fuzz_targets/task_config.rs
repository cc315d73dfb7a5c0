//! A task's driver config as Nomad sends it: decoding and validation must
//! answer with a config or an error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nomad_driver_container::config::{task_config_entries, TaskConfig};
use nomad_driver_container_fuzz::config_inputs;

fuzz_target!(|data: &[u8]| {
    for bytes in config_inputs(data, &task_config_entries()) {
        match TaskConfig::decode(&bytes) {
            Ok(config) => drop(format!("{config:?}")),
            Err(error) => drop(error.to_string()),
        }
    }
});
