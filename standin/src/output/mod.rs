//! Rendering for everything the CLI prints: Foundation-style JSON, padded
//! tables and ISO-8601 timestamps.

pub mod garble;
pub mod json;
pub mod table;
pub mod time;
