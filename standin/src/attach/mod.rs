//! The attach relay between a CLI (`run`, `start -a`, `exec`) and a runtime
//! helper: a framed byte protocol over a unix socket (`frame`), the CLI's
//! side of it (`client`), and the CLI's terminal handling (`terminal`).

pub mod client;
pub mod frame;
pub mod terminal;
