//! Moat's WAF engine: AWS WAF v2 WebACL JSON compiled once into immutable matchers and evaluated per request.
//!
//! No I/O and no async runtime here: the gateway hands in a borrowed view of a request and gets a decision back.
#![deny(missing_docs)]

/// SQL-injection and cross-site-scripting detectors (the `SqliMatchStatement` and `XssMatchStatement` engines).
pub mod detect;
pub mod model;
pub mod transform;
