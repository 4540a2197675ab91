//! Evaluation of a compiled WebACL against a request: [`WebAcl`], its per-caller [`Scratch`], and the resulting
//! [`Decision`].

mod decision;
mod engine;
mod fields;
pub(crate) mod json;
pub(crate) mod rate;
pub mod reference;

#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use decision::{
    CustomResponse, Decision, MatchDetail, RateBasedMatch, RuleGroupMatch, RuleMatch, RuleType, TerminatingRule,
};

use crate::compile::program::Program;
use crate::compile::{compile, Resources};
use crate::model::{parse_web_acl, LoadError};
use crate::request::HttpRequest;

/// A compiled, immutable WebACL. Cheap to share (`Send + Sync`; clone the `Arc` you keep it in); rate-based
/// counters inside use interior mutability.
///
/// ```
/// use moat_waf::{Header, HttpRequest, Resources, WebAcl, Action};
///
/// let acl = WebAcl::load(r#"{"Name": "acl", "DefaultAction": {"Allow": {}}, "Rules": [{
///     "Name": "no-admin", "Priority": 0, "Action": {"Block": {}},
///     "Statement": {"ByteMatchStatement": {"SearchString": "L2FkbWlu", "PositionalConstraint": "STARTS_WITH",
///         "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}]}}}]}"#,
///     &Resources::default())?;
/// let mut scratch = acl.scratch();
/// let req = HttpRequest {
///     client_ip: "192.0.2.1".parse().unwrap(), method: "GET", uri_path: "/Admin/x", query_string: "",
///     http_version: "HTTP/1.1", headers: &[Header { name: "Host", value: b"example.com" }], body: b"",
///     body_size: 0, now_ms: 0,
/// };
/// let decision = acl.evaluate(&req, &mut scratch);
/// assert_eq!(decision.action(), Action::Block);
/// assert_eq!(decision.terminating_rule().unwrap().rule_id, "no-admin");
/// # Ok::<(), moat_waf::LoadError>(())
/// ```
#[derive(Debug, Clone)]
pub struct WebAcl {
    prog: Arc<Program>,
}

impl WebAcl {
    /// Parses (JSON or YAML, wrapped as `aws wafv2 get-web-acl` prints it or bare), checks and compiles a WebACL
    /// against `resources`. Every problem found is reported in the error.
    pub fn load(text: &str, resources: &Resources) -> Result<Self, LoadError> {
        let model = parse_web_acl(text)?;
        Ok(Self {
            prog: Arc::new(compile(&model, resources)?),
        })
    }

    /// The ACL's `Name`.
    pub fn name(&self) -> &str {
        &self.prog.name
    }

    /// The ACL's `ARN` (built from the account, region, name and id when the document has none).
    pub fn arn(&self) -> &str {
        &self.prog.arn
    }

    /// How many body bytes the gateway must hand in (`AssociationConfig` API_GATEWAY limit, default 16 KB).
    pub fn body_inspection_limit(&self) -> usize {
        self.prog.body_limit
    }

    /// Per-caller evaluation state for this ACL; keep one per worker and reuse it.
    pub fn scratch(&self) -> Scratch {
        Scratch::new(self.prog.clone())
    }

    /// Number of distinct inspection slots (component + transformation chain) the ACL compiled to.
    pub fn slot_count(&self) -> usize {
        self.prog.slots.len()
    }

    /// Evaluates `req`: rules in priority order until one terminates, else the default action.
    ///
    /// `scratch` should come from [`Self::scratch`]; one made for another ACL is reset for this one (which
    /// allocates). Once the scratch has grown to the request sizes seen, evaluation allocates nothing (new
    /// rate-based keys aside).
    pub fn evaluate<'s>(&self, req: &HttpRequest<'_>, scratch: &'s mut Scratch) -> Decision<'s> {
        if !Arc::ptr_eq(&scratch.prog, &self.prog) {
            *scratch = self.scratch();
        }
        engine::run(req, scratch);
        Decision::new(scratch)
    }
}

/// Reusable per-caller evaluation state: transformed values, memoised predicate results, regex caches, labels and
/// the records a [`Decision`] borrows. Made by [`WebAcl::scratch`].
#[derive(Debug)]
pub struct Scratch {
    pub(crate) prog: Arc<Program>,
    pub(crate) st: engine::State,
}

impl Scratch {
    fn new(prog: Arc<Program>) -> Self {
        let st = engine::State::new(&prog);
        Self { prog, st }
    }
}
