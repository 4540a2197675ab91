//! canary: being built.

pub mod statistics;
