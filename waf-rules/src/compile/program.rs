//! The compiled, immutable form of a WebACL that the evaluator runs.

use std::sync::Arc;

use aho_corasick::AhoCorasick;
use regex_automata::meta;

use super::ipset::{GeoDb, IpTable};
use crate::eval::rate::RateCounters;
use crate::model::{ComparisonOperator, MatchScope, OversizeHandling, PositionalConstraint};
use crate::transform::Chain;

/// What a rule (or the default action) does, as AWS names it in logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `ALLOW`: forward the request.
    Allow,
    /// `BLOCK`: answer with 403 or the custom response.
    Block,
    /// `COUNT`: add labels and continue.
    Count,
    /// `CAPTCHA`: answer 405 with a puzzle page (Moat cannot verify AWS tokens; see `docs/waf.md`).
    Captcha,
    /// `CHALLENGE`: answer 202 with a challenge page (likewise).
    Challenge,
}

impl Action {
    /// The AWS log name (`"BLOCK"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "ALLOW",
            Self::Block => "BLOCK",
            Self::Count => "COUNT",
            Self::Captcha => "CAPTCHA",
            Self::Challenge => "CHALLENGE",
        }
    }

    /// The status AWS answers with when this action ends a request without a custom response: 403 for BLOCK,
    /// 405 for CAPTCHA and 202 for CHALLENGE (AWS's answers to a request without a valid token, which is every
    /// request here: Moat cannot verify AWS WAF tokens); `None` for ALLOW and COUNT.
    pub fn response_status(self) -> Option<u16> {
        match self {
            Self::Block => Some(403),
            Self::Captcha => Some(405),
            Self::Challenge => Some(202),
            Self::Allow | Self::Count => None,
        }
    }

    /// The `x-amzn-waf-action` response header value AWS sends with CAPTCHA and Challenge responses.
    pub fn waf_action_header(self) -> Option<&'static str> {
        match self {
            Self::Captcha => Some("captcha"),
            Self::Challenge => Some("challenge"),
            _ => None,
        }
    }

    /// True for the actions that end evaluation (all but Count).
    pub fn is_terminating(self) -> bool {
        self != Self::Count
    }
}

/// `ContentType` of a custom response body.
pub use crate::model::ResponseContentType;

/// A compiled custom Block response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CustomResp {
    pub status: u16,
    pub headers: Box<[(String, String)]>,
    pub body: Option<(String, ResponseContentType)>,
}

/// A compiled rule action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CAction {
    pub kind: Action,
    /// Request headers to insert, names already prefixed with `x-amzn-waf-`.
    pub insert_headers: Box<[(String, String)]>,
    pub response: Option<CustomResp>,
}

/// A boolean statement tree over memoised predicates.
#[derive(Clone, Debug)]
pub(crate) enum Expr {
    Pred(u32),
    /// Any of these label ids is on the request.
    Labels(Box<[u32]>),
    And(Box<[Expr]>),
    Or(Box<[Expr]>),
    Not(Box<Expr>),
    Const(bool),
    /// Several string and regex predicates of one slot, fused from an `Or` (see [`AnyOf`]).
    AnyOf(Box<AnyOf>),
}

/// Adjacent CONTAINS / CONTAINS_WORD and regex predicates of one slot with one oversize handling inside an
/// `OrStatement`, fused at compile time into one node: true when any of them matches. These predicates have no
/// side effects (no labels, no match details), so evaluating them together instead of one by one in their
/// `Or` is unobservable; what it saves is a predicate lookup per string, and when the slot's automata found
/// nothing at all (the usual case) the node is false without looking at any pattern.
#[derive(Clone, Debug)]
pub(crate) struct AnyOf {
    pub slot: u32,
    pub oversize: OversizeHandling,
    /// Aho-Corasick pattern ids in the slot, and whether the string must occur as a word (CONTAINS_WORD).
    pub strings: Box<[(u32, bool)]>,
    /// Regex pattern ids in the slot.
    pub regexes: Box<[u32]>,
}

/// What a rule matches with.
#[derive(Clone, Debug)]
pub(crate) enum RuleBody {
    Expr(Expr),
    /// Index into [`Program::rates`].
    Rate(u32),
}

/// A rule of the ACL or of a rule group.
#[derive(Debug)]
pub(crate) struct CRule {
    pub name: String,
    pub labels: Box<[u32]>,
    pub body: RuleBody,
    /// The action applied (after ExcludedRules / RuleActionOverrides for group rules).
    pub action: CAction,
    /// The rule's own action when an override replaced it.
    pub original: Option<Action>,
    /// Listed in the group statement's `ExcludedRules`.
    pub excluded: bool,
}

/// A rule group instance (one per referencing rule: overrides and scope-down differ).
#[derive(Debug)]
pub(crate) struct Group {
    /// `ruleGroupId` in logs: the ARN, or `Vendor#Name` for managed groups.
    pub id: String,
    pub managed: bool,
    pub scope_down: Option<Expr>,
    /// `OverrideAction: Count` (with its request handling).
    pub override_count: Option<CAction>,
    pub rules: Vec<CRule>,
}

/// A top-level rule.
#[derive(Debug)]
pub(crate) enum TopRule {
    Rule(CRule),
    Group {
        name: String,
        labels: Box<[u32]>,
        group: Box<Group>,
    },
}

impl TopRule {
    pub fn name(&self) -> &str {
        match self {
            Self::Rule(r) => &r.name,
            Self::Group { name, .. } => name,
        }
    }
}

/// Which headers or cookies a multi-valued field selects.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum NameSel {
    All,
    Include(Box<[String]>),
    Exclude(Box<[String]>),
}

impl NameSel {
    /// Whether `name` is selected; header selectors are compared case-insensitively, cookies exactly.
    pub fn selects(&self, name: &[u8], case_insensitive: bool) -> bool {
        let eq = |n: &String| {
            if case_insensitive {
                n.as_bytes().eq_ignore_ascii_case(name)
            } else {
                n.as_bytes() == name
            }
        };
        match self {
            Self::All => true,
            Self::Include(list) => list.iter().any(eq),
            Self::Exclude(list) => !list.iter().any(eq),
        }
    }
}

/// JSON fallback for a body that does not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum JsonFallback {
    /// No `InvalidFallbackBehavior`: inspect what parsed before the error.
    Partial,
    Match,
    NoMatch,
    EvaluateAsString,
}

/// A request component, normalised for deduplication.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    /// Lower-cased name.
    SingleHeader(String),
    /// Lower-cased name.
    SingleQueryArg(String),
    AllQueryArgs,
    UriPath,
    QueryString,
    Method,
    Body,
    Json {
        paths: Option<Box<[Box<[u8]>]>>,
        scope: MatchScope,
        fallback: JsonFallback,
    },
    Headers(NameSel, MatchScope),
    Cookies(NameSel, MatchScope),
    HeaderOrder,
}

impl Field {
    /// The AWS log `location` of a match in this component.
    pub fn location(&self) -> &'static str {
        match self {
            Self::SingleHeader(_) => "HEADER",
            Self::SingleQueryArg(_) => "SINGLE_QUERY_ARG",
            Self::AllQueryArgs => "ALL_QUERY_ARGS",
            Self::UriPath => "URI",
            Self::QueryString => "QUERY_STRING",
            Self::Method => "METHOD",
            Self::Body => "BODY",
            Self::Json { .. } => "BODY",
            Self::Headers(..) => "HEADERS",
            Self::Cookies(..) => "COOKIES",
            Self::HeaderOrder => "HEADER_ORDER",
        }
    }
}

/// One inspection slot: a component and a transformation chain, with every pattern any rule matches against it.
#[derive(Debug)]
pub(crate) struct Slot {
    pub field: Field,
    pub chain: Chain,
    /// All regexes on this slot, one multi-pattern automaton.
    pub regex: Option<meta::Regex>,
    pub regex_count: usize,
    /// All CONTAINS / CONTAINS_WORD strings on this slot.
    pub ac: Option<AhoCorasick>,
    /// The same strings, leftmost-first: answers whether any occurs, with a vectorised prefilter.
    pub ac_probe: Option<AhoCorasick>,
    pub ac_count: usize,
    /// For a single-valued component: per index of the first step that may change the raw value, the tail id
    /// of the steps from there on, and the one with CMD_LINE_WIN there read as CMD_LINE_UNIX (see
    /// [`super::share`]). Empty for other components.
    pub tails: Box<[(u32, u32)]>,
    /// The union automaton this slot's regexes are part of, and the id of its first pattern there.
    pub union: Option<(u32, u32)>,
}

/// Where an IP comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum IpSource {
    Client,
    Forwarded {
        header: String,
        fallback_match: bool,
        position: Position,
    },
}

/// Which forwarded address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Position {
    First,
    Last,
    Any,
}

/// A leaf test, evaluated at most once per request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum PredKind {
    Bytes {
        slot: u32,
        pc: PositionalConstraint,
        needle: Box<[u8]>,
        ac: u32,
    },
    Regex {
        slot: u32,
        patterns: Box<[u32]>,
    },
    Sqli {
        slot: u32,
        high: bool,
    },
    Xss {
        slot: u32,
    },
    Size {
        slot: u32,
        op: ComparisonOperator,
        size: i64,
    },
    Ip {
        table: u32,
        source: IpSource,
    },
    Geo {
        codes: Box<[[u8; 2]]>,
        source: IpSource,
    },
    Asn {
        asns: Box<[u32]>,
        source: IpSource,
    },
}

/// A predicate with the oversize handling of its component.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Pred {
    pub kind: PredKind,
    pub oversize: OversizeHandling,
}

impl Pred {
    pub fn slot(&self) -> Option<u32> {
        match &self.kind {
            PredKind::Bytes { slot, .. }
            | PredKind::Regex { slot, .. }
            | PredKind::Sqli { slot, .. }
            | PredKind::Xss { slot }
            | PredKind::Size { slot, .. } => Some(*slot),
            _ => None,
        }
    }
}

/// One part of a custom rate-based aggregation key.
#[derive(Clone, Debug)]
pub(crate) enum KeyPart {
    /// The first value of a slot (header, cookie, query argument, query string, path, method).
    Slot(u32),
    Ip,
    ForwardedIp,
    /// The names of the request's labels among these ids.
    Labels(Box<[u32]>),
    Asn,
    /// JA3/JA4: never available behind API Gateway; `true` = FallbackBehavior MATCH (counted under one key).
    Fingerprint(bool),
}

/// How a rate-based rule aggregates.
#[derive(Clone, Debug)]
pub(crate) enum RateKey {
    Ip,
    Forwarded,
    Constant,
    Custom(Box<[KeyPart]>),
}

/// A compiled rate-based statement with its counters.
#[derive(Debug)]
pub(crate) struct RateRule {
    pub name: String,
    pub limit: u64,
    pub window_sec: u32,
    pub key: RateKey,
    pub key_type: &'static str,
    pub forwarded: Option<(String, bool)>,
    pub scope_down: Option<Expr>,
    pub counters: RateCounters,
}

/// The whole compiled ACL.
#[derive(Debug)]
pub(crate) struct Program {
    pub name: String,
    pub arn: String,
    pub body_limit: usize,
    pub default_action: CAction,
    pub rules: Vec<TopRule>,
    pub slots: Vec<Slot>,
    /// Number of distinct tail ids of [`Slot::tails`].
    pub tail_count: usize,
    /// Regex automata shared by slots that can share a value.
    pub unions: Vec<super::share::RegexUnion>,
    pub preds: Vec<Pred>,
    pub labels: Vec<String>,
    /// Label ids of the geo country labels (`[client IP, forwarded IP]`), 26 * 26 each, `AA` to `ZZ`; empty when
    /// the ACL has no GeoMatch statement of that kind.
    pub geo_labels: [Vec<u32>; 2],
    pub rates: Vec<RateRule>,
    pub ip_tables: Vec<IpTable>,
    pub geo: Option<Arc<GeoDb>>,
    pub asn: Option<Arc<GeoDb>>,
}
