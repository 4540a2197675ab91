//! canary: being built.
