//! Command-line grammar: the option tables of every subcommand (`specs`) and
//! the parser that applies swift-argument-parser's rules to them (`parser`).

pub mod parser;
pub mod specs;

pub use parser::{ParseError, ParsedArgs};
pub use specs::CommandSpec;
