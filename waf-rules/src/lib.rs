//! Moat's WAF engine: AWS WAF v2 WebACL JSON compiled once into immutable matchers and evaluated per request.
//!
//! No I/O and no async runtime here: the gateway hands in a borrowed view of a request and gets a decision back.
//!
//! - [`model`]: serde types for `WebACL`, `RuleGroup`, `IPSet` and `RegexPatternSet` with the WAFv2 API's field
//!   names, read from JSON or YAML (wrapped as the AWS CLI prints them, or bare), and AWS's semantic checks.
//! - [`compile`]: [`Resources`] (what an ACL may reference) and the compiler from a model to an immutable program of
//!   deduplicated inspection slots and predicates, with one multi-pattern regex and one Aho-Corasick automaton per
//!   slot.
//! - [`eval`]: [`WebAcl`] (load, evaluate), its per-caller [`Scratch`], the [`Decision`] with every AWS WAF log
//!   field, rate-based counters, and a slow [`eval::reference`] evaluator used by the differential tests.
//! - [`transform`] and [`detect`]: the 31 text transformations and the SQLi/XSS detectors.
//!
//! `docs/waf.md` describes the supported language, every deviation from AWS, and the engine's design.
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
