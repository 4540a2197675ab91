//! traces: being built.
