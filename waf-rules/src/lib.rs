//! Moat's WAF engine: AWS WAF v2 WebACL JSON compiled once into immutable matchers and evaluated per request.
//!
//! No I/O and no async runtime here: the gateway hands in a borrowed view of a request and gets a decision back.
#![deny(missing_docs)]

pub mod compile;
/// SQL-injection and cross-site-scripting detectors (the `SqliMatchStatement` and `XssMatchStatement` engines).
pub mod detect;
pub mod eval;
pub mod managed;
pub mod model;
pub mod request;

pub use compile::{Action, Resources};
pub use eval::{Decision, Scratch, WebAcl};
pub use model::LoadError;
pub use request::{Header, HttpRequest};
pub mod transform;
