//! Integration tests: each drives the built `container` binary against a
//! fresh root in a temp dir, the way the driver would.

mod attach;
mod garble;
mod grammar;
mod hooks;
mod lifecycle;
mod observe;
mod registry;
mod support;
