//! The fixture registry the stand-in pulls from, the local image store, and
//! the per-host credentials that `registry login` saves.

pub mod credentials;
pub mod fixtures;
pub mod images;
pub mod pull;
pub mod reference;
