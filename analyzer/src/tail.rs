//! tail: being built.
