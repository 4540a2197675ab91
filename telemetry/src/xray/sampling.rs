//! X-Ray sampling rules, evaluated locally per request: the first matching rule by priority (then
//! name) takes one of its reservoir's requests for the current second, else samples at its fixed rate.
//!
//! Rules use X-Ray's `SamplingRule` shape (<https://docs.aws.amazon.com/xray/latest/api/API_SamplingRule.html>),
//! so `aws xray get-sampling-rules` output can be pasted as is. String fields match with `*` (any run of
//! characters) and `?` (one character), case-insensitively, and a request attribute that is empty
//! matches anything, as the X-Ray SDKs do (`aws-xray-sdk-go`, `CentralizedRule.AppliesTo` with
//! `pattern.WildcardMatchCaseInsensitive`). When no rule matches, the `Default` rule applies: one request
//! per second, then 5 % ("By default, the X-Ray SDK records the first request each second, and five
//! percent of any additional requests", X-Ray developer guide, "Configuring sampling rules").
//!
//! A decision is a few atomic operations and no allocation (see `benches/sampling.rs`).

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;

/// The name of the rule that applies when no other matches.
pub const DEFAULT_RULE_NAME: &str = "Default";
/// The `Default` rule's priority (X-Ray lists it as 10000, after every user rule's 1..=9999).
pub const DEFAULT_PRIORITY: u32 = 10_000;
/// The built-in `Default` rule's reservoir: requests sampled per second before the fixed rate.
pub const DEFAULT_RESERVOIR_PER_SECOND: u32 = 1;
/// The built-in `Default` rule's fixed rate.
pub const DEFAULT_FIXED_RATE: f64 = 0.05;

/// One rule as X-Ray's API writes it (`SamplingRule`); unknown fields (`RuleARN`, `CreatedAt`, ...) are
/// ignored.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct SamplingRuleConfig {
    /// The rule's unique name (1 to 32 characters).
    pub rule_name: String,
    /// Evaluation order, ascending, 1 to 9999 (`Default` is 10000).
    pub priority: u32,
    /// Matching requests sampled per second before the fixed rate applies.
    pub reservoir_size: u32,
    /// The share of further matching requests sampled, 0 to 1.
    pub fixed_rate: f64,
    /// Matches the request's Host (at most 64 characters).
    #[serde(default = "any")]
    pub host: String,
    /// Matches the request method (at most 10 characters).
    #[serde(rename = "HTTPMethod", default = "any")]
    pub http_method: String,
    /// Matches the request's URL path (at most 128 characters).
    #[serde(rename = "URLPath", default = "any")]
    pub url_path: String,
    /// Matches the service name: for API Gateway stages `{api-name}/{stage}` (at most 64 characters).
    #[serde(default = "any")]
    pub service_name: String,
    /// Matches the service type: `AWS::ApiGateway::Stage` for the gateway (at most 64 characters).
    #[serde(default = "any")]
    pub service_type: String,
    /// Matches the stage ARN (at most 500 characters).
    #[serde(rename = "ResourceARN", default = "any")]
    pub resource_arn: String,
    /// The rule format version; only 1 exists.
    #[serde(default = "one")]
    pub version: u32,
    /// Header matches; Moat refuses rules that set any (an empty map is accepted).
    #[serde(default)]
    pub attributes: std::collections::BTreeMap<String, String>,
}

fn any() -> String {
    "*".to_owned()
}

fn one() -> u32 {
    1
}

/// Sampling configuration: either X-Ray's `get-sampling-rules` output (`{"SamplingRuleRecords":
/// [{"SamplingRule": {...}}]}`) or a plain list of rules.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum SamplingRulesConfig {
    /// The shape `aws xray get-sampling-rules` prints.
    Records {
        /// The rules, each wrapped in a record.
        #[serde(rename = "SamplingRuleRecords")]
        records: Vec<SamplingRuleRecord>,
    },
    /// A list of rules.
    Rules(Vec<SamplingRuleConfig>),
}

/// One entry of `SamplingRuleRecords`; its timestamps are ignored.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct SamplingRuleRecord {
    /// The rule.
    #[serde(rename = "SamplingRule")]
    pub rule: SamplingRuleConfig,
}

impl SamplingRulesConfig {
    /// The rules, unwrapped.
    #[must_use]
    pub fn into_rules(self) -> Vec<SamplingRuleConfig> {
        match self {
            SamplingRulesConfig::Records { records } => records.into_iter().map(|r| r.rule).collect(),
            SamplingRulesConfig::Rules(rules) => rules,
        }
    }
}

/// Why a sampling configuration was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SamplingConfigError {
    /// The JSON is not a rule list (the path names the field).
    #[error("sampling rules: {path}: {message}")]
    Json {
        /// Where in the document (`SamplingRuleRecords[0].SamplingRule.FixedRate`).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A field of a rule is out of range.
    #[error("sampling rule {rule:?}: {field}: {message}")]
    Field {
        /// The rule's name.
        rule: String,
        /// The field, as X-Ray spells it (`FixedRate`).
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Two rules share a name.
    #[error("sampling rule {0:?} is defined twice")]
    Duplicate(String),
}

/// A compiled `*`/`?` pattern, matched ASCII case-insensitively; the common shapes (`text`, `text*`,
/// `*text`) skip the general matcher.
#[derive(Clone, Debug)]
enum Pattern {
    /// `*`: matches everything without looking.
    Any,
    /// No wildcard.
    Exact(Box<[u8]>),
    /// `text*`.
    Prefix(Box<[u8]>),
    /// `*text`.
    Suffix(Box<[u8]>),
    /// Anything else, lowercased.
    Glob(Box<[u8]>),
}

impl Pattern {
    fn new(text: &str) -> Pattern {
        let lower = text.to_ascii_lowercase().into_bytes();
        let wild = |b: &u8| *b == b'*' || *b == b'?';
        if lower.iter().all(|b| *b == b'*') {
            return Pattern::Any;
        }
        let body = |range: &[u8]| range.to_vec().into_boxed_slice();
        match (lower.first(), lower.last()) {
            _ if !lower.iter().any(wild) => Pattern::Exact(body(&lower)),
            (_, Some(b'*')) if !lower[..lower.len() - 1].iter().any(wild) => {
                Pattern::Prefix(body(&lower[..lower.len() - 1]))
            }
            (Some(b'*'), _) if !lower[1..].iter().any(wild) => Pattern::Suffix(body(&lower[1..])),
            _ => Pattern::Glob(lower.into_boxed_slice()),
        }
    }

    /// Whether `text` matches; an empty `text` (attribute unknown) matches anything.
    fn matches(&self, text: &str) -> bool {
        let text = text.as_bytes();
        if text.is_empty() {
            return true;
        }
        match self {
            Pattern::Any => true,
            Pattern::Exact(p) => text.eq_ignore_ascii_case(p),
            Pattern::Prefix(p) => text.len() >= p.len() && text[..p.len()].eq_ignore_ascii_case(p),
            Pattern::Suffix(p) => text.len() >= p.len() && text[text.len() - p.len()..].eq_ignore_ascii_case(p),
            Pattern::Glob(pattern) => wildcard_match(pattern, text),
        }
    }
}

/// Iterative glob match with single-star backtracking: linear in practice, no allocation. `?` takes
/// one UTF-8 character.
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == b'?' {
            p += 1;
            t += utf8_len(text[t]);
        } else if p < pattern.len() && pattern[p] == text[t].to_ascii_lowercase() {
            p += 1;
            t += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + utf8_len(text[star_t]);
            star = Some((star_p, t));
        } else {
            return false;
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|b| *b == b'*')
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

/// A per-second reservoir: the second and the count taken in it, packed in one atomic.
#[derive(Debug, Default)]
struct Reservoir(AtomicU64);

impl Reservoir {
    /// Takes one of `size` slots of second `now`, if one is left.
    fn take(&self, now: u32, size: u32) -> bool {
        if size == 0 {
            return false;
        }
        let mut current = self.0.load(Ordering::Relaxed);
        loop {
            let (second, taken) = ((current >> 32) as u32, current as u32);
            let next = if second != now {
                (u64::from(now) << 32) | 1
            } else if taken < size {
                current + 1
            } else {
                return false;
            };
            match self
                .0
                .compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }
}

/// One compiled rule.
#[derive(Debug)]
struct Rule {
    name: String,
    priority: u32,
    reservoir_size: u32,
    /// `fixed_rate` scaled to `u64`: sampled when a random `u64` is below it.
    rate_threshold: u64,
    always: bool,
    fixed_rate: f64,
    /// The fields whose pattern is not `*`, cheapest first: a `*` costs nothing per request.
    checks: Box<[(Field, Pattern)]>,
    reservoir: Reservoir,
}

/// A request attribute a rule can match.
#[derive(Clone, Copy, Debug)]
enum Field {
    Method,
    Host,
    Path,
    ServiceName,
    ServiceType,
    ResourceArn,
}

impl Field {
    fn of<'a>(self, request: &SamplingRequest<'a>) -> &'a str {
        match self {
            Field::Method => request.method,
            Field::Host => request.host,
            Field::Path => request.url_path,
            Field::ServiceName => request.service_name,
            Field::ServiceType => request.service_type,
            Field::ResourceArn => request.resource_arn,
        }
    }
}

impl Rule {
    fn new(config: &SamplingRuleConfig) -> Rule {
        Rule {
            name: config.rule_name.clone(),
            priority: config.priority,
            reservoir_size: config.reservoir_size,
            rate_threshold: (config.fixed_rate * 18_446_744_073_709_551_616.0) as u64,
            always: config.fixed_rate >= 1.0,
            fixed_rate: config.fixed_rate,
            checks: [
                (Field::Method, &config.http_method),
                (Field::Host, &config.host),
                (Field::Path, &config.url_path),
                (Field::ServiceName, &config.service_name),
                (Field::ServiceType, &config.service_type),
                (Field::ResourceArn, &config.resource_arn),
            ]
            .into_iter()
            .map(|(field, text)| (field, Pattern::new(text)))
            .filter(|(_, pattern)| !matches!(pattern, Pattern::Any))
            .collect(),
            reservoir: Reservoir::default(),
        }
    }

    fn matches(&self, request: &SamplingRequest<'_>) -> bool {
        self.checks
            .iter()
            .all(|(field, pattern)| pattern.matches(field.of(request)))
    }

    fn sample(&self, now_secs: u64) -> Decision {
        if self.reservoir.take(now_secs as u32, self.reservoir_size) {
            return Decision::Reservoir;
        }
        if self.always || (self.rate_threshold > 0 && fastrand::u64(..) < self.rate_threshold) {
            Decision::FixedRate
        } else {
            Decision::NotSampled
        }
    }
}

/// What the sampler knows about a request; an empty field matches every pattern.
#[derive(Clone, Copy, Debug, Default)]
pub struct SamplingRequest<'a> {
    /// The Host header, without port.
    pub host: &'a str,
    /// The request method.
    pub method: &'a str,
    /// The URL path.
    pub url_path: &'a str,
    /// `{api-name}/{stage}`, the segment name.
    pub service_name: &'a str,
    /// The segment origin, `AWS::ApiGateway::Stage`.
    pub service_type: &'a str,
    /// The stage ARN.
    pub resource_arn: &'a str,
}

/// How a request was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Sampled from the rule's reservoir for this second.
    Reservoir,
    /// Sampled by the rule's fixed rate.
    FixedRate,
    /// Not sampled.
    NotSampled,
}

impl Decision {
    /// Whether the request is sampled.
    #[must_use]
    pub fn sampled(self) -> bool {
        !matches!(self, Decision::NotSampled)
    }
}

/// The rules of one gateway, shared by every worker thread.
#[derive(Debug)]
pub struct Sampler {
    /// User rules by priority then name, `Default` last.
    rules: Box<[Rule]>,
}

impl Default for Sampler {
    /// Only the built-in `Default` rule: 1 request per second, then 5 %.
    fn default() -> Sampler {
        Sampler {
            rules: vec![Rule::new(&default_rule())].into_boxed_slice(),
        }
    }
}

fn default_rule() -> SamplingRuleConfig {
    SamplingRuleConfig {
        rule_name: DEFAULT_RULE_NAME.to_owned(),
        priority: DEFAULT_PRIORITY,
        reservoir_size: DEFAULT_RESERVOIR_PER_SECOND,
        fixed_rate: DEFAULT_FIXED_RATE,
        host: any(),
        http_method: any(),
        url_path: any(),
        service_name: any(),
        service_type: any(),
        resource_arn: any(),
        version: 1,
        attributes: std::collections::BTreeMap::new(),
    }
}

impl Sampler {
    /// Compiles `rules` after checking them; a rule named `Default` replaces the built-in default's
    /// reservoir and rate (its match fields must stay `*`).
    ///
    /// # Errors
    /// The first invalid field, naming the rule and the field; a duplicated name.
    pub fn new(rules: Vec<SamplingRuleConfig>) -> Result<Sampler, SamplingConfigError> {
        let mut default = default_rule();
        let mut user = Vec::with_capacity(rules.len());
        let mut names = std::collections::HashSet::new();
        for rule in rules {
            validate(&rule)?;
            if !names.insert(rule.rule_name.clone()) {
                return Err(SamplingConfigError::Duplicate(rule.rule_name));
            }
            if rule.rule_name == DEFAULT_RULE_NAME {
                default.reservoir_size = rule.reservoir_size;
                default.fixed_rate = rule.fixed_rate;
            } else {
                user.push(rule);
            }
        }
        user.sort_by(|a, b| a.priority.cmp(&b.priority).then_with(|| a.rule_name.cmp(&b.rule_name)));
        let compiled = user.iter().chain(std::iter::once(&default)).map(Rule::new).collect();
        Ok(Sampler { rules: compiled })
    }

    /// Reads and compiles a JSON rule list (either shape of [`SamplingRulesConfig`]).
    ///
    /// # Errors
    /// Malformed JSON (with the path of the bad field) or an invalid rule.
    pub fn from_json(json: &str) -> Result<Sampler, SamplingConfigError> {
        let json_error = |path: String, message: String| SamplingConfigError::Json { path, message };
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| json_error(".".to_owned(), e.to_string()))?;
        // Dispatch on the shape first so a bad field is reported with its path (an untagged enum
        // would only say that no shape matched).
        let is_records = value.get("SamplingRuleRecords").is_some();
        let config = if is_records {
            #[derive(Deserialize)]
            struct Records {
                #[serde(rename = "SamplingRuleRecords")]
                records: Vec<SamplingRuleRecord>,
            }
            serde_path_to_error::deserialize::<_, Records>(value)
                .map(|r| SamplingRulesConfig::Records { records: r.records })
        } else {
            serde_path_to_error::deserialize::<_, Vec<SamplingRuleConfig>>(value).map(SamplingRulesConfig::Rules)
        }
        .map_err(|e| json_error(e.path().to_string(), e.inner().to_string()))?;
        Sampler::new(config.into_rules())
    }

    /// Decides one request at Unix second `now_secs`; returns the decision and the rule that made it.
    #[must_use]
    pub fn decide(&self, request: &SamplingRequest<'_>, now_secs: u64) -> (Decision, &str) {
        let rule = self
            .rules
            .iter()
            .find(|rule| rule.matches(request))
            .unwrap_or_else(|| &self.rules[self.rules.len() - 1]);
        (rule.sample(now_secs), &rule.name)
    }

    /// The rules in evaluation order: name, priority, reservoir per second, fixed rate.
    pub fn rules(&self) -> impl Iterator<Item = (&str, u32, u32, f64)> {
        self.rules
            .iter()
            .map(|r| (r.name.as_str(), r.priority, r.reservoir_size, r.fixed_rate))
    }
}

fn validate(rule: &SamplingRuleConfig) -> Result<(), SamplingConfigError> {
    let fail = |field: &'static str, message: String| {
        Err(SamplingConfigError::Field {
            rule: rule.rule_name.clone(),
            field,
            message,
        })
    };
    let name_len = rule.rule_name.chars().count();
    if !(1..=32).contains(&name_len) {
        return fail("RuleName", format!("must be 1 to 32 characters, is {name_len}"));
    }
    let is_default = rule.rule_name == DEFAULT_RULE_NAME;
    if is_default {
        if rule.priority != DEFAULT_PRIORITY {
            return fail("Priority", format!("the Default rule's priority is {DEFAULT_PRIORITY}"));
        }
    } else if !(1..=9999).contains(&rule.priority) {
        return fail("Priority", format!("must be 1 to 9999, is {}", rule.priority));
    }
    if !(0.0..=1.0).contains(&rule.fixed_rate) {
        return fail("FixedRate", format!("must be between 0 and 1, is {}", rule.fixed_rate));
    }
    if rule.version != 1 {
        return fail("Version", format!("must be 1, is {}", rule.version));
    }
    if !rule.attributes.is_empty() {
        return fail(
            "Attributes",
            "matching on request attributes is not supported; leave it empty".to_owned(),
        );
    }
    let fields: [(&'static str, &str, usize); 6] = [
        ("Host", &rule.host, 64),
        ("HTTPMethod", &rule.http_method, 10),
        ("URLPath", &rule.url_path, 128),
        ("ServiceName", &rule.service_name, 64),
        ("ServiceType", &rule.service_type, 64),
        ("ResourceARN", &rule.resource_arn, 500),
    ];
    for (field, value, max) in fields {
        let len = value.chars().count();
        if len == 0 || len > max {
            return fail(field, format!("must be 1 to {max} characters, is {len}"));
        }
        if is_default && value != "*" {
            return fail(field, "the Default rule matches everything: must be \"*\"".to_owned());
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "sampling_tests.rs"]
mod tests;
