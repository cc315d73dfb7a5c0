//! Value grammars of Apple's CLI, each with the exact error texts the real
//! one prints. Everything here is pure: no files, no processes (except the
//! env-file reader, which reads the file it is given).

pub mod capability;
pub mod envfile;
pub mod label;
pub mod memory;
pub mod mount;
pub mod name;
pub mod network;
pub mod publish;
pub mod signal;
pub mod ulimit;
