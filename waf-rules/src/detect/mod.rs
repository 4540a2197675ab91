//! Tokenizer-based attack detectors behind AWS WAF's `SqliMatchStatement` and `XssMatchStatement`.
//!
//! Both detectors take the bytes produced by the statement's text transformations, run in time linear in the
//! input, allocate nothing on the common path, and never panic, whatever the bytes (invalid UTF-8 included).

pub mod sqli;
#[cfg(test)]
mod test_inputs;
pub mod xss;
