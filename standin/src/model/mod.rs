//! The JSON shapes Apple's API server keeps and the CLI prints: container
//! configurations (`inspect`, `list`) and image records (`image inspect`).

pub mod container;
pub mod image;
