//! filter_pattern: being built.
