//! Unit and property tests for the transformations.
